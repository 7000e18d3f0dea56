"""IP_ADDRESS: IPv4 and IPv6 addresses, validated with :mod:`ipaddress`.

A public address is personal data (CNIL); a private one reveals internal infrastructure; loopback and
unspecified addresses are reported at a low score only, so a referent can still see them in ``scan``.
Version numbers are not addresses: three-part versions never match, and a four-part one after
"version"/"build" is dropped.
"""

from __future__ import annotations

import ipaddress

import regex

from .base import FrenchPatternRecognizer, Rule, fold

_IPV4 = r"(?:\d{1,3}\.){3}\d{1,3}"
_H16 = r"[0-9a-f]{1,4}"
#: "version 10.2.3.4", "build: 1.0.0.12", "v 2.1.0.3": a version number right before the value.
_VERSION_CUE = regex.compile(r"(?<![\w])(?:version|vers|build|release|firmware|v)\s*[:=]?\s*$")


def classify(value: str) -> float | None:
    """Score for a valid address by kind, or None when ``value`` is not an IP address."""
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None
    if address.is_loopback or address.is_unspecified or address.is_multicast or address.is_reserved:
        return 0.3
    if address.is_link_local:
        return 0.4
    if address.is_private:
        return 0.6
    return 0.85


class IpRecognizer(FrenchPatternRecognizer):
    """``203.0.113.42``, ``192.168.1.10``, ``2001:db8::8a2e:370:7334``, ``fe80::1%eth0``."""

    ENTITY = "IP_ADDRESS"
    RULES = (
        Rule("ipv4", r"(?<![\w.])" + _IPV4 + r"(?![\w])(?!\.\d)", 0.85),
        Rule(
            "ipv6",
            r"(?<![\w:.])(?:(?:" + _H16 + r")?:){2,7}(?:" + _H16 + r"|" + _IPV4 + r")?(?:%[\w.]+)?(?![\w:])",
            0.85,
        ),
    )
    CONTEXT = (
        "ip",
        "adresse ip",
        "serveur",
        "hote",
        "host",
        "connexion",
        "connecte*",
        "routeur",
        "passerelle",
        "vpn",
        "ssh",
        "ping",
        "pare-feu",
        "firewall",
        "dns",
        "log*",
    )
    VALIDATED_SCORE = None
    CONTEXT_BOOST = 0.1

    def validate_result(self, pattern_text: str) -> bool | None:
        """A real address; for IPv6 at least two hex groups (``::`` or ``a::`` alone is no finding)."""
        if classify(pattern_text) is None:
            return False
        if ":" in pattern_text and sum(1 for part in pattern_text.split(":") if part) < 2:
            return pattern_text == "::1"
        return True

    def contradicted(self, text: str, start: int, end: int) -> bool:
        """A dotted quad right after "version"/"build" is a version number, whatever else is nearby."""
        return _VERSION_CUE.search(fold(text[max(0, start - 20) : start])) is not None

    def score_for(self, rule: Rule, value: str, validated: bool | None) -> float:
        """Public 0.85, private 0.6, link-local 0.4, loopback/unspecified 0.3."""
        return classify(value) or 0.0
