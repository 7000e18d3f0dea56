"""Shadow AI: AI services people reach that the company has not approved, seen from the host name alone.

The proxy learns the host of every connection (CONNECT authority / TLS SNI) before deciding whether to
decrypt it. That is enough to notice, without reading anything, that someone reaches:

* ``forbidden`` — a catalogue tool the policy forbids;
* ``unlisted`` — a catalogue tool the policy does not list (it never went through the 4-step adoption
  procedure: demande formelle, validation juridique et informatique, test pilote, déploiement progressif);
* ``unknown_ai`` — a host outside the catalogue that looks like an AI service (:func:`looks_like_ai`) or
  that IT listed in ``rules/shadow_ai.yaml``.

These *sightings* are counted per ISO week, host and group — never per person — and feed the quarterly
report's "shadow AI" section: the referents see which tools are wanted and can start their adoption.

``rules/shadow_ai.yaml`` (optional) lets IT extend or silence the heuristic::

    version: 1
    hosts:            # known AI hosts the catalogue lacks (reported as unknown_ai)
      - chatpdf.com
      - "*.hf.space"
    ignore:           # never reported (false positives of the heuristic, internal tools...)
      - gemini.com

Patterns use the catalogue's host syntax (:class:`dlp_proxy.catalog.HostPattern`) without a path: the
path is not known when the connection is seen.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlp_proxy.catalog import HostPattern, normalize_host
from dlp_proxy.errors import ConfigError, ConfigProblem
from dlp_proxy.incidents.model import Sighting
from dlp_proxy.yamlload import load_yaml

if TYPE_CHECKING:
    from dlp_proxy.catalog import Service
    from dlp_proxy.policy import Policy

__all__ = [
    "NO_GROUP",
    "SHADOW_FILE",
    "SIGHTING_STATUSES",
    "ShadowRules",
    "classify_sighting",
    "iso_week",
    "load_shadow_rules",
    "looks_like_ai",
    "sighting_for",
]

SHADOW_FILE = "shadow_ai.yaml"
SIGHTING_STATUSES = ("forbidden", "unlisted", "unknown_ai")
#: Group recorded for a connection whose user belongs to no group (or is unknown).
NO_GROUP = "(aucun)"

# ---------------------------------------------------------------------------------------- heuristic
#
# A host name is cut into labels ("chat", "example", "com") and each label into tokens at '-', '_'
# and digits ("llama3-api" → "llama", "api"). Words are matched in four ways, from the most to the
# least distinctive, so that "mail", "chair", "domain", "detail", "thai", "dubai" or "airfrance" never
# count as "ai", and "chat.google.com" (Google Chat) is not an AI service:

#: Brand or technical words distinctive enough to count anywhere inside a label ("myopenaiproxy").
_SUBSTRINGS = (
    "openai",
    "anthropic",
    "chatgpt",
    "gpt",
    "copilot",
    "ollama",
    "huggingface",
    "perplexity",
    "deepseek",
    "midjourney",
    "langchain",
    "llamaindex",
    "genai",
    "chatbot",
    "openrouter",
    "elevenlabs",
    "stablediffusion",
)
#: Words that count when they are a whole token: "my-llm", "ai.example.com", "llama3", but not "allmusic".
_TOKENS = frozenset({"ai", "llm", "llms", "llama", "inference", "cohere", "vllm", "rag"})
#: Words that count only as a whole label: "claude.example.com", not "jean-claude.fr".
_LABELS = frozenset({"claude", "bard", "grok"})
#: Words that suggest AI but have other common meanings: they count only with a second signal
#: ("mistral-chat" yes; "chat.google.com", "gemini.com", "le-mistral.fr" no).
_WEAK = frozenset({"chat", "assistant", "bot", "gemini", "mistral", "prompt", "agent", "agents", "models"})

_SPLIT_RE = re.compile(r"[-_0-9]+")


@lru_cache(maxsize=8192)
def looks_like_ai(host: str) -> bool:
    """True when the host name suggests a generative-AI service (heuristic, for hosts outside the catalogue).

    Signals: the ``.ai`` top-level domain; a distinctive word anywhere in a label (openai, gpt, copilot,
    ollama, deepseek…); a whole token such as ``ai``, ``llm``, ``llama``, ``inference``; a whole label such
    as ``claude``. Common words that only *may* mean AI (chat, assistant, bot, gemini, mistral…) need a
    second signal. Cached: it runs on every new connection.
    """
    h = normalize_host(host)
    if not h or "." not in h or _is_ip(h):
        return False
    labels = h.split(".")
    if labels[-1] == "ai":
        return True
    weak = 0
    for label in labels[:-1]:  # the TLD says nothing (except .ai, above)
        if any(word in label for word in _SUBSTRINGS):
            return True
        if label in _LABELS:
            return True
        if label.startswith("xn--"):  # punycode: its letters are an encoding, not words
            continue
        for token in _SPLIT_RE.split(label):
            if token in _TOKENS:
                return True
            if token in _WEAK:
                weak += 1
    return weak >= 2


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host.rsplit(".", 1)[-1].isdigit()
    return True


# --------------------------------------------------------------------------------------- IT's list


@dataclass(frozen=True)
class ShadowRules:
    """IT's additions to the heuristic: hosts known to be AI, and hosts never to report."""

    hosts: tuple[HostPattern, ...] = ()
    ignore: tuple[HostPattern, ...] = ()
    source: str = ""

    def is_known_ai(self, host: str) -> bool:
        """True when ``host`` (any spelling) matches one of the ``hosts:`` patterns."""
        h = normalize_host(host)
        return any(p.matches_host(h) for p in self.hosts)

    def is_ignored(self, host: str) -> bool:
        """True when ``host`` (any spelling) matches one of the ``ignore:`` patterns."""
        h = normalize_host(host)
        return any(p.matches_host(h) for p in self.ignore)


_TOP_KEYS = ("version", "hosts", "ignore")


def load_shadow_rules(rules_dir: Path) -> ShadowRules:
    """Read ``rules_dir/shadow_ai.yaml``; no file means no additions.

    Raises :class:`ConfigError` listing every problem with ``file:line`` (unknown key, a pattern that is
    not text, an invalid or too broad pattern, a path, a duplicate, a host both listed and ignored).
    """
    path = Path(rules_dir) / SHADOW_FILE
    if not path.is_file():
        return ShadowRules(source=str(path))
    data = load_yaml(path)
    return parse_shadow_rules(data, str(path))


def parse_shadow_rules(data: Any, file: str) -> ShadowRules:
    """Validate data as returned by :func:`dlp_proxy.yamlload.load_yaml` (see :func:`load_shadow_rules`)."""
    problems: list[ConfigProblem] = []

    def add(line: int, message: str) -> None:
        problems.append(ConfigProblem(file, line or 1, message))

    if data is None:
        return ShadowRules(source=file)
    if not isinstance(data, dict):
        add(_line(data), "expected a mapping with 'hosts' and/or 'ignore' (lists of host patterns)")
        raise ConfigError(problems)
    for key in data:
        if key not in _TOP_KEYS:
            add(_line(data, key), f"unknown key {key!r}; allowed: {', '.join(_TOP_KEYS)}")
    if "version" in data and (isinstance(data["version"], bool) or data["version"] != 1):
        add(_line(data, "version"), f"unsupported version {data['version']!r}; supported: 1")

    seen: dict[tuple[str, str | None], tuple[str, int]] = {}
    lists: dict[str, list[HostPattern]] = {"hosts": [], "ignore": []}
    for key in ("hosts", "ignore"):
        node = data.get(key)
        if node is None:
            continue
        if not isinstance(node, list):
            add(_line(data, key), f"'{key}' must be a list of host patterns")
            continue
        for index, raw in enumerate(node):
            line = _item_line(node, index)
            if not isinstance(raw, str) or not raw.strip():
                add(line, f"{key}: each entry must be a host pattern (text), got {raw!r}")
                continue
            try:
                pattern = HostPattern.parse(raw.strip())
            except ValueError as exc:
                add(line, f"{key}: {exc}")
                continue
            if pattern.path_prefix is not None:
                add(
                    line,
                    f"{key}: {raw.strip()!r} has a path; shadow AI is seen before decryption, "
                    "from the host name only — remove the path",
                )
                continue
            previous = seen.get(pattern.key)
            if previous is not None:
                where, other = previous
                if where == key:
                    add(line, f"{key}: {raw.strip()!r} is already listed (line {other})")
                else:
                    add(line, f"{raw.strip()!r} is in both 'hosts' and 'ignore' (line {other})")
                continue
            seen[pattern.key] = (key, line)
            lists[key].append(pattern)
    if problems:
        raise ConfigError(sorted(problems, key=lambda p: p.line))
    return ShadowRules(hosts=tuple(lists["hosts"]), ignore=tuple(lists["ignore"]), source=file)


def _line(node: Any, key: Any = None) -> int:
    if key is not None and hasattr(node, "line_of"):
        return int(node.line_of(key) or 1)
    return int(getattr(node, "line", 0) or 1)


def _item_line(node: Any, index: int) -> int:
    if hasattr(node, "line_of"):
        return int(node.line_of(index) or 1)
    return 1


# ----------------------------------------------------------------------------------- classification


def classify_sighting(
    host: str,
    catalog_service: Service | None,
    tool_status: str | None,
    *,
    listed: bool = True,
    rules: ShadowRules | None = None,
) -> str | None:
    """What a connection to ``host`` is, for the shadow-AI report: a status or ``None`` (nothing to report).

    ``catalog_service`` is the catalogue service of the host (``None`` outside the catalogue);
    ``tool_status`` the policy status of that tool (``approved``/``pilot``/``forbidden``; the default
    status when ``listed`` is False). Pure and cheap.

    * a catalogue tool: ``forbidden`` when the policy forbids it by name; ``unlisted`` when the policy
      does not list it (unless the policy's default approves unlisted tools); approved and pilot
      tools are not shadow AI (a pilot refused to someone outside the pilot group is an incident);
    * outside the catalogue: ``unknown_ai`` when IT listed the host or it :func:`looks_like_ai`;
    * anything matching ``ignore:`` is never reported.
    """
    if rules is not None and rules.is_ignored(host):
        return None
    if catalog_service is not None:
        if not listed:
            return "unlisted" if tool_status != "approved" else None
        return "forbidden" if tool_status == "forbidden" else None
    if (rules is not None and rules.is_known_ai(host)) or looks_like_ai(host):
        return "unknown_ai"
    return None


def iso_week(when: datetime) -> str:
    """ISO 8601 week of ``when`` as ``"2026-W48"`` (aware datetimes are taken in UTC, like incidents)."""
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def sighting_for(
    host: str,
    policy: Policy,
    shadow_rules: ShadowRules | None,
    groups: Iterable[str] | None,
    when: datetime,
) -> list[Sighting]:
    """Sightings to record for one connection to ``host``: one per group of the user, or one for
    :data:`NO_GROUP`; an empty list when the host is not shadow AI.

    Called by the proxy from its CONNECT / TLS ClientHello hook, for every connection, decrypted or not.
    Hosts the catalogue knows only with a path (``www.bing.com/chat``) and the policy's ``extra_hosts``
    are not reported: whether the request is AI is decided per request once decrypted.
    """
    h = normalize_host(host)
    if not h:
        return []
    service = policy.catalog.classify(h, "/")
    if service is None and policy.intercepts(h):
        return []
    if service is not None:
        tool = policy.tool_policy(service.id)
        status = classify_sighting(h, service, tool.status, listed=tool.listed, rules=shadow_rules)
    else:
        status = classify_sighting(h, None, None, rules=shadow_rules)
    if status is None:
        return []
    week = iso_week(when)
    return [
        Sighting(
            week=week,
            host=h,
            service_id=service.id if service is not None else None,
            status=status,
            group=group,
            count=1,
        )
        for group in _groups(groups)
    ]


def _groups(groups: Iterable[str] | None) -> Sequence[str]:
    unique = sorted({g for g in groups or () if g})
    return unique or [NO_GROUP]
