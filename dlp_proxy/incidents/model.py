"""Incident records and their hash chain: what the policy acted on — never a value found in traffic.

An :class:`Incident` is what the proxy hands to the store. A :class:`StoredIncident` is what the store
gives back: the incident plus its place in the chain (``id``, ``prev_hash``, ``hash``), the replica
that wrote it and its kind (``"incident"``, or ``"checkpoint"`` when a purge removed older records).

Tamper evidence: ``hash = sha256(prev_hash + canonical(record))`` where ``canonical`` is compact JSON
with sorted keys. The first record of a chain has ``prev_hash = GENESIS``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

GENESIS = "0" * 64
"""``prev_hash`` of the first record of a chain."""

Decision = Literal["blocked", "redacted", "pseudonymized", "warned", "checkpoint"]
Kind = Literal["incident", "checkpoint"]
SightingStatus = Literal["forbidden", "unlisted", "unknown_ai"]

VALUE_HASH_CHARS = 20
"""Hex characters kept from a value's HMAC (80 bits: repeats stay visible, brute force does not pay)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_utc(value: datetime | str) -> datetime:
    """An aware UTC datetime from a datetime or an ISO 8601 string; naive times are refused."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    if not isinstance(value, datetime):
        raise TypeError(f"time must be a datetime or an ISO 8601 string, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("time must be timezone-aware (UTC)")
    return value.astimezone(UTC)


def iso(value: datetime) -> str:
    """The one text form of a time in records and hashes: ``2026-11-26T10:00:00.123456+00:00``."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _clean(text: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL; normalise before hashing so both backends store the same bytes.
    return None if text is None else str(text).replace("\x00", "\ufffd")


@dataclass(frozen=True)
class Incident:
    """One request the policy acted on. Keyword-compatible with the first JSONL store.

    ``excerpt`` (off by default) must already have every detected value replaced by its placeholder;
    ``value_hashes`` holds keyed hashes (:func:`hash_value`), never values.
    """

    request_id: str
    user: str | None = field(repr=False)  # kept for follow-up; never in logs (so not in repr either)
    groups: tuple[str, ...]
    client_ip: str | None = field(repr=False)
    tool: str | None
    tool_name: str | None
    host: str
    model: str | None
    decision: Decision | str  # blocked | redacted | pseudonymized | warned
    code: str  # tool_forbidden | tool_pilot_only | model_forbidden | body_too_large | data_rule | ...
    rule_ids: tuple[str, ...]
    policy_version: str
    entity_counts: dict[str, int] = field(default_factory=dict)
    excerpt: str | None = None
    value_hashes: tuple[str, ...] = ()
    time: datetime = field(default_factory=utc_now)

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "time", to_utc(self.time))
        setattr_(self, "groups", tuple(_clean(g) for g in self.groups or ()))
        setattr_(self, "rule_ids", tuple(_clean(r) for r in self.rule_ids or ()))
        setattr_(self, "value_hashes", tuple(str(v) for v in self.value_hashes or ()))
        setattr_(self, "entity_counts", {_clean(k): int(v) for k, v in (self.entity_counts or {}).items()})
        for name in ("request_id", "user", "client_ip", "tool", "tool_name", "host", "model", "excerpt"):
            setattr_(self, name, _clean(getattr(self, name)))
        for name in ("decision", "code", "policy_version"):
            setattr_(self, name, _clean(getattr(self, name)) or "")

    def content(self) -> dict[str, Any]:
        """The incident's fields as JSON-ready values (times as ISO text, tuples as lists)."""
        data = {f.name: getattr(self, f.name) for f in fields(Incident)}
        data["time"] = iso(self.time)
        for name in ("groups", "rule_ids", "value_hashes"):
            data[name] = list(data[name])
        data["entity_counts"] = dict(sorted(self.entity_counts.items()))
        return data

    def to_json(self) -> str:
        """One JSON line, keys sorted (export, spool)."""
        return json.dumps(self.content(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_content(cls, data: Mapping[str, Any]) -> Incident:
        names = {f.name for f in fields(Incident)}
        return cls(**{k: v for k, v in data.items() if k in names})


INCIDENT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Incident))


@dataclass(frozen=True, kw_only=True)
class StoredIncident(Incident):
    """An incident as stored: its chain position and hashes, who wrote it, and its kind.

    A ``checkpoint`` record (written by a purge) has ``decision="checkpoint"``, ``code="purge"`` and
    ``checkpoint = {"before", "count", "last_id", "last_hash"}``: the records up to ``last_id`` were
    deleted and the oldest remaining record's ``prev_hash`` is ``last_hash``.
    """

    id: int
    kind: Kind = "incident"
    replica: str = ""
    uid: str = ""
    checkpoint: dict[str, Any] | None = None
    prev_hash: str = GENESIS
    hash: str = ""

    def incident(self) -> Incident:
        """The plain incident (without its chain fields)."""
        return Incident(**{name: getattr(self, name) for name in INCIDENT_FIELDS})

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready (for exports and the CLI)."""
        data = asdict(self)
        data.update(self.content())
        return data


def record_content(
    incident: Incident,
    *,
    seq: int,
    kind: str,
    replica: str,
    uid: str,
    checkpoint: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """What the hash covers: every incident field plus the chain position and provenance."""
    data = incident.content()
    data.update(
        seq=int(seq),
        kind=kind,
        replica=replica,
        uid=uid,
        checkpoint=dict(checkpoint) if checkpoint is not None else None,
    )
    return data


def canonical(data: Mapping[str, Any]) -> str:
    """Compact JSON with sorted keys: the exact text a record's hash is computed over."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def chain_hash(prev_hash: str, canonical_record: str) -> str:
    """``sha256(prev_hash + canonical(record))`` as 64 hex characters."""
    return hashlib.sha256((prev_hash + canonical_record).encode("utf-8")).hexdigest()


def chain_head_number(hash_hex: str) -> int:
    """The first 52 bits of a hash as an integer: exact in a Prometheus gauge (float64)."""
    return int(hash_hex[:13], 16)


def hash_value(key: bytes, entity_type: str, value: str) -> str:
    """Keyed hash of one detected value (HMAC-SHA256, first 20 hex characters).

    Same key, type and value → same hash, so investigators can see repeats without the value. The
    type is part of the message: one number found as NIR and as phone does not hash alike.
    """
    if not key:
        raise ValueError("hash_value needs a non-empty key")
    msg = entity_type.encode("utf-8") + b"\x00" + value.encode("utf-8")
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:VALUE_HASH_CHARS]


def value_hashes(key: bytes | None, findings: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """``("FR_NIR:3f9a…", …)`` for ``(entity_type, value)`` pairs, sorted and without repeats.

    Empty when no key is configured (value hashes are optional).
    """
    if not key:
        return ()
    return tuple(sorted({f"{etype}:{hash_value(key, etype, value)}" for etype, value in findings}))


@dataclass(frozen=True)
class Sighting:
    """Shadow-AI sightings aggregated per ISO week (``"2026-W48"``), host, service, status and group."""

    week: str
    host: str
    service_id: str | None
    status: SightingStatus | str
    group: str
    count: int = 1

    def key(self) -> tuple[str, str, str, str, str]:
        return (self.week, self.host, self.service_id or "", self.status, self.group)


def iso_week(when: datetime | None = None) -> str:
    """The ISO week of a time (default now, UTC): ``"2026-W48"``."""
    year, week, _ = to_utc(when or utc_now()).isocalendar()
    return f"{year:04d}-W{week:02d}"


@dataclass(frozen=True)
class IncidentFilter:
    """What :meth:`IncidentStore.query` selects. ``None`` means "any"; times are inclusive bounds."""

    since: datetime | None = None
    until: datetime | None = None
    user: str | None = None
    group: str | None = None
    tool: str | None = None
    decision: str | None = None
    entity_type: str | None = None
    rule: str | None = None
    request_id: str | None = None  # the reference shown on the block page and in API errors
    kind: Kind | None = "incident"  # None: incidents and purge checkpoints
    limit: int | None = None
    order: Literal["asc", "desc"] = "asc"  # by chain position (id)

    def __post_init__(self) -> None:
        if self.order not in ("asc", "desc"):
            raise ValueError(f"order must be 'asc' or 'desc', not {self.order!r}")
        if self.limit is not None and self.limit < 0:
            raise ValueError("limit must be >= 0")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, to_utc(value))


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a chain verification.

    ``issue`` is one of ``"edited"``, ``"inserted"``, ``"deleted"``, ``"truncated"``, ``"broken"``
    (when ``ok`` is false); ``problem`` says it in words, with the record id and the changed fields.
    """

    ok: bool
    checked: int
    problem: str | None = None
    first_bad_id: int | None = None
    issue: str | None = None
    changed_fields: tuple[str, ...] = ()
    latest_hash: str | None = None


def safe_url(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url
