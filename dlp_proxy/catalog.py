"""Catalogue of generative-AI services: which hosts (and paths) belong to which tool.

The proxy decides from the CONNECT authority / TLS SNI alone whether a connection is AI traffic
(:meth:`Catalog.intercepts`); everything else is tunnelled untouched and never decrypted. Once a
request is decrypted, :meth:`Catalog.classify` names the tool so the policy can say whether it is
approved and the right extractor can read the body.

The catalogue is a YAML file edited by the company's AI referents, so every validation problem is
reported at once with ``file:line`` — a broken catalogue must never start a proxy, and whoever fixes it
needs the line, not a traceback.

Host pattern syntax (case-insensitive, no scheme, no port):

* ``api.openai.com`` — exactly this host;
* ``*.openai.azure.com`` — any subdomain, at any depth, but not ``openai.azure.com`` itself;
* ``*-aiplatform.googleapis.com`` — ``*`` inside the first label: one or more characters, never a dot;
* ``bedrock-runtime.*.amazonaws.com`` — a whole ``*`` label elsewhere: exactly one label;
* any of the above followed by a path prefix, e.g. ``www.bing.com/chat``: only requests whose path
  starts with ``/chat`` (compared case-insensitively, after percent-decoding and removing ``//``,
  ``.`` and ``..`` segments, so ``/CHAT`` or ``//chat`` cannot slip past) are that service. A whole
  ``*`` segment of the prefix stands for any one segment, for gateways that carry an account in the
  path before the provider's name (``gateway.ai.cloudflare.com/v1/*/*/openai``).

At least two fixed labels must follow the last ``*`` so that a typo cannot turn ``*.com`` into
"intercept the whole Internet". IP literals and ``localhost`` are refused: classification is by DNS
name, and the company-hosted model must be reached through the name clients actually use.
"""

from __future__ import annotations

import difflib
import ipaddress
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .errors import ConfigError, ConfigProblem
from .yamlload import load_yaml

__all__ = [
    "FAMILIES",
    "HOSTINGS",
    "KINDS",
    "Catalog",
    "HostPattern",
    "Service",
    "normalize_host",
    "normalize_path",
]

#: API families: each has its own extractor / block-answer shape; ``generic`` scans every string.
FAMILIES: tuple[str, ...] = (
    "openai",
    "anthropic",
    "gemini",
    "mistral",
    "cohere",
    "ollama",
    "chatgpt-web",
    "bedrock",
    "generic",
)
#: ``embedded`` = AI inside a business tool (IDE assistant, CRM, office suite...).
KINDS: tuple[str, ...] = ("api", "webapp", "embedded")
#: Where the data ends up: the company's own servers, the EU, or outside the EU.
HOSTINGS: tuple[str, ...] = ("company", "eu", "outside_eu")
SUPPORTED_VERSIONS: tuple[int, ...] = (1,)

_TOP_KEYS = ("version", "services")
_REQUIRED_KEYS = ("id", "name", "vendor", "family", "kind", "hosting", "hosts")
_OPTIONAL_KEYS = ("notes",)
_ALLOWED_KEYS = _REQUIRED_KEYS + _OPTIONAL_KEYS

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_MULTI_SLASH_RE = re.compile(r"/{2,}")
_QUOTE_HINT_RE = re.compile(r"(^\s*-\s*\*)|(:\s*\*)")


# --------------------------------------------------------------------------------------------------
# normalisation (runs on every request: keep it cheap)


def normalize_host(host: str) -> str:
    """Lower-case ``host`` and drop a ``:port`` and trailing dots, so ``CHATGPT.COM.:443`` matches.

    SNI, CONNECT authorities and Host headers all reach us in slightly different spellings; they must
    all land on the same catalogue entry or a user could bypass the policy by typing a trailing dot.
    """
    h = host.strip().lower()
    if h.startswith("["):  # bracketed IPv6 literal, maybe with a port
        end = h.find("]")
        return h[1:end] if end != -1 else h[1:]
    if h.count(":") == 1:
        h = h.partition(":")[0]
    h = h.rstrip(".")
    if not h.isascii():
        try:
            h = h.encode("idna").decode("ascii")
        except UnicodeError:
            pass  # cannot be a catalogue host anyway
    return h


def normalize_path(path: str) -> str:
    """Canonical, lower-cased path (no query) for prefix matching.

    Servers treat ``/Chat``, ``//chat``, ``/x/../chat`` and ``/%63hat`` like ``/chat``; matching on the raw
    string would let such spellings escape a path-scoped service.
    """
    if not path:
        return "/"
    p = path
    for sep in ("?", "#"):
        if sep in p:
            p = p.partition(sep)[0]
    if "%" in p:
        p = unquote(p)
    p = p.lower()
    if not p.startswith("/"):
        p = "/" + p
    if "//" in p:
        p = _MULTI_SLASH_RE.sub("/", p)
    if "/." in p:
        trailing = p.endswith("/")
        p = posixpath.normpath(p)
        if trailing and not p.endswith("/"):
            p += "/"
    return p


# --------------------------------------------------------------------------------------------------
# model


@dataclass(frozen=True)
class HostPattern:
    """One host pattern of a service, optionally restricted to a path prefix.

    ``host`` is lower-case without trailing dot; ``path_prefix`` starts with ``/`` or is ``None``.
    Build from catalogue text with :meth:`parse`, which validates.
    """

    host: str
    path_prefix: str | None = None
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _path_key: str | None = field(default=None, init=False, repr=False, compare=False)
    _path_regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regex", _wildcard_regex(self.host) if "*" in self.host else None)
        key = normalize_path(self.path_prefix) if self.path_prefix is not None else None
        object.__setattr__(self, "_path_key", key)
        if key is not None and "*" in key:
            parts = ("[^/]+" if seg == "*" else re.escape(seg) for seg in key.split("/"))
            object.__setattr__(self, "_path_regex", re.compile("/".join(parts)))

    @classmethod
    def parse(cls, text: str) -> HostPattern:
        """Parse and validate ``host[/path]``; raise :class:`ValueError` with a message for a referent."""
        host, path = _parse_pattern(text)
        return cls(host, path)

    @property
    def is_wildcard(self) -> bool:
        """True if the host part contains ``*``."""
        return self._regex is not None

    @property
    def literal_length(self) -> int:
        """Number of fixed characters in the host: among wildcards, the longest fixed part wins."""
        return len(self.host) - self.host.count("*")

    @property
    def index_suffix(self) -> str:
        """Fixed labels after the last wildcard label: the key under which a wildcard is indexed."""
        labels = self.host.split(".")
        last = max(i for i, label in enumerate(labels) if "*" in label) if self.is_wildcard else -1
        return ".".join(labels[last + 1 :])

    @property
    def key(self) -> tuple[str, str | None]:
        """Identity used to detect the same pattern listed twice (path compared case-insensitively)."""
        return (self.host, self._path_key)

    def matches_host(self, host: str) -> bool:
        """True if the (already normalised) ``host`` matches the host part, ignoring any path prefix."""
        if self._regex is None:
            return host == self.host
        return self._regex.fullmatch(host) is not None

    def matches_path(self, path: str) -> bool:
        """True if the (already normalised) ``path`` is within this pattern's path prefix."""
        if self._path_key is None:
            return True
        if self._path_regex is not None:
            return self._path_regex.match(path) is not None
        return path.startswith(self._path_key)

    def __str__(self) -> str:
        return self.host + (self.path_prefix or "")


@dataclass(frozen=True)
class Service:
    """One AI service (a "tool" in the company's AI policy)."""

    id: str
    name: str
    vendor: str
    family: str
    kind: str
    hosting: str
    hosts: tuple[HostPattern, ...]
    notes: str = ""


class Catalog:
    """All known AI services, indexed for per-request classification.

    Exact hosts live in a dict; wildcard patterns are indexed by the fixed labels after their last
    ``*`` so a lookup only tries the few wildcards that share a suffix with the host.
    """

    def __init__(self, services: Iterable[Service]) -> None:
        self.services: dict[str, Service] = {}
        self._exact: dict[str, list[tuple[HostPattern, Service]]] = {}
        self._wild: dict[str, list[tuple[HostPattern, Service]]] = {}
        for service in services:
            self.services[service.id] = service
            for pattern in service.hosts:
                if pattern.is_wildcard:
                    self._wild.setdefault(pattern.index_suffix, []).append((pattern, service))
                else:
                    self._exact.setdefault(pattern.host, []).append((pattern, service))
        # Longest path prefix first, host-wide entries (no prefix) last: the first hit is the best.
        for entries in self._exact.values():
            entries.sort(key=lambda e: -len(e[0]._path_key or ""))

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, path: Path, display_name: str | None = None) -> Catalog:
        """Load and validate a catalogue file; raise :class:`ConfigError` listing every problem."""
        name = display_name or str(path)
        try:
            data = load_yaml(path, name)
        except ConfigError as exc:
            raise ConfigError([_with_quote_hint(p, path) for p in exc.problems]) from None
        return cls.from_data(data, name)

    @classmethod
    def from_data(cls, data: Any, file: str) -> Catalog:
        """Validate data as returned by ``load_yaml`` and build the catalogue.

        All problems are collected before raising, so a referent fixes the file in one pass.
        """
        services, problems = _validate(data, file)
        if problems:
            raise ConfigError(sorted(problems, key=lambda p: p.line))
        return cls(services)

    # ------------------------------------------------------------------ queries

    def __len__(self) -> int:
        return len(self.services)

    def __iter__(self) -> Iterator[Service]:
        return iter(self.services.values())

    def __contains__(self, service_id: object) -> bool:
        return service_id in self.services

    def get(self, service_id: str) -> Service | None:
        """The service with this id, or ``None``."""
        return self.services.get(service_id)

    def intercepts(self, host: str) -> bool:
        """True if some pattern's host part matches: the connection must be decrypted.

        Decided from the SNI / CONNECT host alone, before any path is known; a host with only
        path-scoped entries (``www.bing.com/chat``) is intercepted and requests outside the
        prefix are then forwarded unscanned.
        """
        h = normalize_host(host)
        if h in self._exact:
            return True
        return any(pattern.matches_host(h) for pattern, _ in self._wildcard_candidates(h))

    def classify(self, host: str, path: str = "/") -> Service | None:
        """The service for this request, or ``None`` if it is not AI traffic.

        Most specific wins: an exact host beats any wildcard; among wildcards, the one with more
        fixed characters; then the longest matching path prefix; then file order.
        """
        h = normalize_host(host)
        norm_path: str | None = None
        entries = self._exact.get(h)
        if entries:
            for pattern, service in entries:
                if pattern._path_key is None:
                    return service
                if norm_path is None:
                    norm_path = normalize_path(path)
                if pattern.matches_path(norm_path):
                    return service
        best: Service | None = None
        best_rank = (-1, -1)
        for pattern, service in self._wildcard_candidates(h):
            if not pattern.matches_host(h):
                continue
            if pattern._path_key is not None:
                if norm_path is None:
                    norm_path = normalize_path(path)
                if not pattern.matches_path(norm_path):
                    continue
            rank = (pattern.literal_length, len(pattern._path_key or ""))
            if rank > best_rank:
                best, best_rank = service, rank
        return best

    def _wildcard_candidates(self, host: str) -> Iterator[tuple[HostPattern, Service]]:
        """Wildcard patterns indexed under a proper suffix of ``host`` (at least one label stripped)."""
        if not self._wild:
            return
        pos = host.find(".")
        while pos != -1:
            entries = self._wild.get(host[pos + 1 :])
            if entries:
                yield from entries
            pos = host.find(".", pos + 1)


# --------------------------------------------------------------------------------------------------
# pattern parsing


def _wildcard_regex(host: str) -> re.Pattern[str]:
    parts = []
    for i, label in enumerate(host.split(".")):
        if label == "*" and i == 0:
            parts.append(r"[^.]+(?:\.[^.]+)*")  # any subdomain, any depth
        else:
            parts.append(r"[^.]+".join(re.escape(piece) for piece in label.split("*")))
    return re.compile(r"\.".join(parts))


def _parse_pattern(text: str) -> tuple[str, str | None]:
    """Validate one pattern; return (normalised host, path prefix or None) or raise ValueError."""
    if not text:
        raise ValueError("empty host pattern")
    if any(c.isspace() for c in text):
        raise ValueError(f"host pattern {text!r} contains whitespace")
    if "://" in text:
        raise ValueError(
            f"host pattern {text!r} has a scheme; write only the host (and optional path), "
            "e.g. 'api.openai.com' or 'www.bing.com/chat'"
        )
    raw_host, slash, raw_path = text.partition("/")
    path: str | None = "/" + raw_path if slash else None
    host = raw_host.lower()

    if not host:
        raise ValueError(f"host pattern {text!r} has no host before the path")
    if host.startswith("[") or host.count(":") > 1:
        raise ValueError(f"{raw_host!r} is an IP address; host patterns must be DNS names")
    if ":" in host:
        raise ValueError(
            f"host pattern {text!r} has a port; ports are ignored when matching, "
            f"remove ':{host.partition(':')[2]}'"
        )
    if host.endswith("."):
        host = host[:-1]
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"host {raw_host!r} is not a valid internationalised domain name") from None
    _check_not_ip_or_loopback(host, raw_host)

    labels = host.split(".")
    if len(labels) < 2:
        raise ValueError(
            f"host {raw_host!r} is not a fully-qualified domain name (e.g. llm.interne.example.fr)"
        )
    if len(host) > 253:
        raise ValueError(f"host {raw_host!r} is longer than 253 characters")
    last_wild = -1
    for i, label in enumerate(labels):
        if not label:
            raise ValueError(f"host {raw_host!r} has an empty label ('..' or a leading dot)")
        if len(label) > 63:
            raise ValueError(f"label {label!r} of host {raw_host!r} is longer than 63 characters")
        if "*" in label:
            if label.count("*") > 1:
                raise ValueError(f"label {label!r} of host {raw_host!r} has more than one '*'")
            if label != "*" and i != 0:
                raise ValueError(
                    f"in host {raw_host!r}, '*' may be part of the first label only "
                    "(e.g. '*-aiplatform.googleapis.com'); elsewhere it must be a whole label"
                )
            last_wild = i
            fixed = label.replace("*", "")
            bad = sorted(set(fixed) - _LABEL_CHARS)
            if bad:
                raise ValueError(_bad_chars_message(raw_host, bad))
            continue
        if not _LABEL_RE.match(label):
            bad = sorted(set(label) - _LABEL_CHARS)
            if bad:
                raise ValueError(_bad_chars_message(raw_host, bad))
            raise ValueError(f"label {label!r} of host {raw_host!r} must not start or end with '-'")
    if last_wild != -1 and len(labels) - last_wild - 1 < 2:
        raise ValueError(
            f"wildcard in {raw_host!r} is too broad: at least two fixed labels must follow the last '*' "
            "(e.g. '*.openai.azure.com')"
        )

    if path is not None:
        if "?" in path or "#" in path or any("*" in seg and seg != "*" for seg in path.split("/")):
            raise ValueError(
                f"path prefix {path!r} must be a plain prefix: "
                "no query ('?'), fragment ('#') or wildcard ('*') other than a whole segment"
            )
        if path == "/":
            path = None  # same as no prefix
    return host, path


def _check_not_ip_or_loopback(host: str, raw_host: str) -> None:
    if host == "localhost" or host.endswith(".localhost"):
        raise ValueError(
            f"{raw_host!r} is a loopback name, not a service host; "
            "use the DNS name clients connect to (e.g. llm.interne.example.fr)"
        )
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise ValueError(
            f"{raw_host!r} is an IP address; host patterns must be DNS names "
            "(use the name clients connect to, e.g. llm.interne.example.fr)"
        )
    last = host.rsplit(".", 1)[-1]
    if last.isdigit() or last.startswith("0x"):
        raise ValueError(f"{raw_host!r} looks like an IP address; host patterns must be DNS names")


def _bad_chars_message(raw_host: str, bad: list[str]) -> str:
    shown = ", ".join(repr(c) for c in bad)
    return (
        f"host {raw_host!r} has invalid character(s) {shown}; "
        "allowed: letters a-z, digits, '-', '.' and '*' as a wildcard"
    )


# --------------------------------------------------------------------------------------------------
# validation


def _line(node: Any, key: Any = None) -> int:
    """Best line for ``node`` (or its child ``key``); 1 when the data carries no line information."""
    line_of = getattr(node, "line_of", None)
    if key is not None and line_of is not None:
        try:
            return int(line_of(key)) or 1
        except (TypeError, KeyError):
            pass
    return int(getattr(node, "line", 0) or 1)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"{type(value).__name__} {value!r}"


def _suggest(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _with_quote_hint(problem: ConfigProblem, path: Path) -> ConfigProblem:
    """YAML reads an unquoted leading ``*`` as an alias; say so instead of a cryptic parser error."""
    if not problem.message.startswith("invalid YAML") or problem.line < 1:
        return problem
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return problem
    if problem.line <= len(lines) and _QUOTE_HINT_RE.search(lines[problem.line - 1]):
        return ConfigProblem(
            problem.file,
            problem.line,
            problem.message
            + " — a host pattern starting with '*' must be quoted, e.g. - \"*.openai.azure.com\"",
        )
    return problem


def _text_field(
    item: dict, key: str, label: str, add: Callable[[int, str], None], *, optional: bool = False
) -> str | None:
    """The stripped text of ``item[key]``; ``None`` (with a problem recorded) if it is not usable text."""
    if key not in item:
        return None
    value = item[key]
    if optional and value is None:
        return ""
    if not isinstance(value, str) or not value.strip():
        add(_line(item, key), f"{label}: {key!r} must be non-empty text, got {_describe(value)}")
        return None
    return value.strip()


def _validate(data: Any, file: str) -> tuple[list[Service], list[ConfigProblem]]:
    """Check everything and return (services, problems); the services are only usable if no problems."""
    problems: list[ConfigProblem] = []

    def add(line: int, message: str) -> None:
        problems.append(ConfigProblem(file, line, message))

    if not isinstance(data, dict):
        if data is None:
            add(1, "the catalog is empty; expected a mapping with 'version' and 'services'")
        else:
            add(
                _line(data),
                f"the catalog must be a mapping with 'version' and 'services', got {_describe(data)}",
            )
        return [], problems

    for key in data:
        if key not in _TOP_KEYS:
            add(
                _line(data, key),
                f"unknown top-level key {key!r}{_suggest(str(key), _TOP_KEYS)}; "
                f"allowed: {', '.join(_TOP_KEYS)}",
            )
    if "version" not in data:
        add(_line(data), "missing top-level key 'version' (expected: version: 1)")
    else:
        version = data["version"]
        if isinstance(version, bool) or version not in SUPPORTED_VERSIONS:
            add(
                _line(data, "version"),
                f"unsupported catalog version {_describe(version)}; supported: "
                + ", ".join(str(v) for v in SUPPORTED_VERSIONS),
            )
    if "services" not in data:
        add(_line(data), "missing top-level key 'services' (a list of services)")
        return [], problems
    services_node = data["services"]
    if not isinstance(services_node, list):
        add(_line(data, "services"), f"'services' must be a list of services, got {_describe(services_node)}")
        return [], problems
    if not services_node:
        add(_line(data, "services"), "'services' is empty; the catalog must list at least one service")

    services: list[Service] = []
    id_lines: dict[str, int] = {}
    pattern_owners: dict[tuple[str, str | None], tuple[str, int]] = {}

    for index, item in enumerate(services_node):
        item_line = _line(services_node, index)
        if not isinstance(item, dict):
            add(
                item_line,
                f"service #{index + 1} must be a mapping (id, name, hosts...), got {_describe(item)}",
            )
            continue
        raw_id = item.get("id")
        label = f"service {raw_id!r}" if isinstance(raw_id, str) and raw_id else f"service #{index + 1}"
        before = len(problems)

        for key in item:
            if key not in _ALLOWED_KEYS:
                add(
                    _line(item, key),
                    f"{label}: unknown key {key!r}{_suggest(str(key), _ALLOWED_KEYS)}; "
                    f"allowed: {', '.join(_ALLOWED_KEYS)}",
                )
        for key in _REQUIRED_KEYS:
            if key not in item:
                add(_line(item), f"{label}: missing key {key!r}")

        sid = _text_field(item, "id", label, add)
        if sid is not None:
            if not _ID_RE.match(sid):
                add(
                    _line(item, "id"),
                    f"{label}: id must be kebab-case (lower-case letters, digits and single '-'), "
                    "e.g. 'openai-api'",
                )
            elif sid in id_lines:
                add(
                    _line(item, "id"), f"duplicate service id {sid!r} (first defined at line {id_lines[sid]})"
                )
            else:
                id_lines[sid] = _line(item, "id")
        name = _text_field(item, "name", label, add)
        vendor = _text_field(item, "vendor", label, add)
        notes = _text_field(item, "notes", label, add, optional=True)
        enums: dict[str, str | None] = {}
        for key, allowed in (("family", FAMILIES), ("kind", KINDS), ("hosting", HOSTINGS)):
            value = _text_field(item, key, label, add)
            if value is not None and value not in allowed:
                add(
                    _line(item, key),
                    f"{label}: unknown {key} {value!r}{_suggest(value, allowed)}; "
                    f"allowed: {', '.join(allowed)}",
                )
                value = None
            enums[key] = value

        patterns: list[HostPattern] = []
        if "hosts" in item:
            hosts_node = item["hosts"]
            if not isinstance(hosts_node, list):
                add(
                    _line(item, "hosts"),
                    f"{label}: 'hosts' must be a list of host patterns, got {_describe(hosts_node)}",
                )
            elif not hosts_node:
                add(_line(item, "hosts"), f"{label}: 'hosts' is empty; list at least one host pattern")
            else:
                for h_index, raw in enumerate(hosts_node):
                    h_line = _line(hosts_node, h_index)
                    if not isinstance(raw, str):
                        add(h_line, f"{label}: host pattern must be text, got {_describe(raw)}")
                        continue
                    try:
                        pattern = HostPattern.parse(raw.strip())
                    except ValueError as exc:
                        add(h_line, f"{label}: {exc}")
                        continue
                    owner = pattern_owners.get(pattern.key)
                    if owner is not None:
                        other, other_line = owner
                        where = "in this service" if other == (sid or label) else f"by service {other!r}"
                        add(
                            h_line,
                            f"{label}: host pattern {str(pattern)!r} is already listed {where} "
                            f"(line {other_line})",
                        )
                        continue
                    pattern_owners[pattern.key] = (sid or label, h_line)
                    patterns.append(pattern)

        if len(problems) == before and sid and name and vendor and all(enums.values()):
            services.append(
                Service(
                    id=sid,
                    name=name,
                    vendor=vendor,
                    family=enums["family"] or "",
                    kind=enums["kind"] or "",
                    hosting=enums["hosting"] or "",
                    hosts=tuple(patterns),
                    notes=notes or "",
                )
            )

    return services, problems
