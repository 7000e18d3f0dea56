"""Which AI tool a request really goes to, from every name that can route it.

A client chooses the TLS name (SNI) and the ``Host`` header; the proxy connects to the CONNECT target
(HTTPS) or to the URL's authority (plain HTTP). Classifying from one of them lets a client hide an AI
destination behind a harmless name (``curl --connect-to cdn.example.net:443:api.openai.com:443``) or
dress a forbidden tool up as the company LLM (``Host: llm.interne.example.fr``). So every name is
classified, and when they disagree about an AI tool the request gets no benefit of the doubt:
it is refused (``destination_mismatch``) or, when the policy says ``destination_mismatch: strictest``,
decided on the strictest tool among them.

IP literals are not compared (a CONNECT to an address is how some clients work; an address names no
tool). Pure: no mitmproxy import.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from dlp_proxy.catalog import Service
from dlp_proxy.policy import Policy
from dlp_proxy.requestinfo import host_without_port

#: Strictness of a tool status for ``strictest`` (lower is stricter).
_STATUS_RANK = {"forbidden": 0, "pilot": 1, "approved": 2}
_HOSTING_RANK = {"outside_eu": 0, "eu": 1, "company": 2}


@dataclass(frozen=True)
class Route:
    """The outcome: the tool to decide on (``None``: not AI traffic) and whether the names disagreed."""

    service: Service | None
    host: str = ""
    mismatch: bool = False
    names: tuple[tuple[str, str], ...] = ()  # (role, host) of every name seen, for the logs


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def intercepted(policy: Policy, sni: str | None, address: str | None) -> bool:
    """Whether a TLS connection is decrypted: its TLS name or the address the proxy connects to is an AI
    host the policy looks at. Anything else is tunnelled untouched, with the real server's certificate."""
    names = {host_without_port(sni), host_without_port(address)} - {""}
    return any(policy.intercepts(name) for name in names)


def classify(policy: Policy, names: Mapping[str, str | None], path: str) -> Route:
    """Classify a request from its routing names (``{"destination": …, "sni": …, "host_header": …}``).

    ``destination`` is where the proxy will connect (CONNECT target or URL authority); the others are
    the client's claims. The route is the destination's tool when all names agree.
    """
    seen = tuple((role, h) for role, raw in names.items() if (h := host_without_port(raw)) and not _is_ip(h))
    services: dict[str, Service | None] = {}
    for _, host in seen:
        if host not in services:
            services[host] = policy.service_for(host, path)
    ai = {host: s for host, s in services.items() if s is not None}
    if not ai:
        return Route(None, names=seen)
    distinct = {s.id for s in ai.values()}
    dest = host_without_port(names.get("destination"))
    first_host = dest if dest in ai else next(iter(ai))
    if len(distinct) == 1 and len(ai) == len(services):
        return Route(ai[first_host], first_host, names=seen)
    if policy.destination_mismatch == "strictest":
        host = min(ai, key=lambda h: _strictness(policy, ai[h]))
        return Route(ai[host], host, mismatch=True, names=seen)
    return Route(ai[first_host], first_host, mismatch=True, names=seen)


def _strictness(policy: Policy, service: Service) -> tuple[int, int]:
    status = policy.tool_policy(service.id).status
    return _STATUS_RANK.get(status, 0), _HOSTING_RANK.get(service.hosting, 0)
