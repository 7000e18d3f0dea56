"""The quarterly report's data: rows, sections and labels, shared by the builder, the suggestions and
the renderings (its own module so that none of them imports another to get them)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from dlp_proxy.entities import decision_label, label

if TYPE_CHECKING:
    from dlp_proxy.policy import Policy


NO_GROUP = "(aucun)"
NO_TOOL = "(inconnu)"

DECISIONS = ("blocked", "redacted", "pseudonymized", "warned")
#: Decisions in the French of the one entity/decision table (dlp_proxy.entities).
DECISION_LABELS = {d: decision_label(d, "fr") for d in DECISIONS}
SIGHTING_STATUSES = ("forbidden", "unlisted", "unknown_ai")
SIGHTING_LABELS = {
    "forbidden": "outil interdit",
    "unlisted": "outil non référencé dans la politique",
    "unknown_ai": "IA hors catalogue",
}
TOOL_STATUS_LABELS = {
    "approved": "autorisé",
    "warn": "autorisé avec justification",
    "validation_manager": "soumis à validation du manager",
    "pilot": "test pilote",
    "forbidden": "interdit",
}
#: Codes of incidents where someone tried a tool they may not use.
ATTEMPT_CODES = ("tool_forbidden", "tool_pilot_only")

# Suggestion thresholds (see :mod:`dlp_proxy.report.suggestions`).
REPEAT_MIN = 3  # incidents for a person to be listed among repeat users
TOP_ROWS = 15  # rows kept in the long tables (tools, rules, users, hosts)


# -------------------------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class WeekRow:
    week: str  # "2026-W41"
    monday: date
    total: int
    by_decision: dict[str, int]


@dataclass(frozen=True)
class ToolRow:
    tool: str  # catalogue id, or "(inconnu)"
    name: str
    status: str  # approved | pilot | forbidden | "" (not in the catalogue)
    listed: bool  # named in the policy (False: the policy's default status applies)
    total: int
    people: int
    by_decision: dict[str, int]


@dataclass(frozen=True)
class EntityRow:
    entity_type: str
    label: str
    occurrences: int  # values found (sum of counts)
    incidents: int  # incidents with at least one
    by_tool: dict[str, int]  # tool name → incidents


@dataclass(frozen=True)
class CountRow:
    key: str
    label: str
    count: int
    people: int = 0


@dataclass(frozen=True)
class AttemptRow:
    """A tool someone tried although the policy forbids it to them (forbidden, or pilot outside the group)."""

    tool: str
    name: str
    status: str
    listed: bool
    attempts: int
    people: int
    groups: tuple[str, ...]
    sightings: int  # connections seen by the shadow-AI counter over the period


@dataclass(frozen=True)
class ShadowHostRow:
    host: str
    service_id: str | None
    name: str
    status: str
    count: int
    groups: tuple[str, ...]
    weeks: int


@dataclass(frozen=True)
class ShadowWeekRow:
    week: str
    monday: date
    by_status: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class Shadow:
    total: int
    by_status: tuple[CountRow, ...]
    by_group: tuple[CountRow, ...]
    by_week: tuple[ShadowWeekRow, ...]
    hosts: tuple[ShadowHostRow, ...]


@dataclass(frozen=True)
class RuleRow:
    rule_id: str
    label: str
    count: int
    share: float  # of all incidents of the period
    top_entities: tuple[tuple[str, int], ...]  # for data rules: the types it acted on most


@dataclass(frozen=True)
class RuleTestFailure:
    file: str
    line: int
    entity: str
    expect: bool
    text: str
    reason: str


@dataclass(frozen=True)
class RuleTests:
    ran: bool
    total: int = 0
    failed: int = 0
    files: int = 0
    failures: tuple[RuleTestFailure, ...] = ()
    error: str | None = None  # the tests could not run (malformed test file, engine error)


@dataclass(frozen=True)
class UserRow:
    label: str  # pseudonym (U-3F9A2C) or the name with names=True
    count: int
    groups: tuple[str, ...]
    tools: tuple[str, ...]
    by_decision: dict[str, int]
    weeks: int


@dataclass(frozen=True)
class VersionRow:
    version: str
    published: date | None  # changelog date
    changes: tuple[str, ...]
    incidents: int
    first_seen: datetime | None
    last_seen: datetime | None
    in_changelog: bool
    in_force: bool  # per the changelog, in force at some point of the period


@dataclass(frozen=True)
class Review:
    last_review: date
    next_review: date
    overdue: bool
    days: int  # days late (overdue) or days left


@dataclass(frozen=True)
class Integrity:
    """The incident store's hash chain, verified when the report was built."""

    checked: bool
    ok: bool | None = None
    records: int = 0
    problem: str | None = None


@dataclass(frozen=True)
class Suggestion:
    kind: str  # integrity adoption shadow rule rule_tests review training repeat changelog ops
    text: str
    priority: int = 2  # 1 high, 2 normal, 3 low


@dataclass(frozen=True)
class Report:
    """Everything the quarterly report shows; every figure is computed from the store and the policy."""

    title: str
    period_label: str  # "2026-Q4" or "2026-10-01 → 2026-11-15"
    start: date
    end: date  # inclusive
    generated_at: datetime
    generator: str
    policy_title: str
    policy_version: str
    referents: tuple[tuple[str, str, str], ...]  # (role, name, contact)
    review: Review
    names: bool
    pseudonyms_stable: bool
    total: int
    people: int
    unidentified: int  # incidents without a user name
    by_decision: tuple[CountRow, ...]
    weeks: tuple[WeekRow, ...]
    tools: tuple[ToolRow, ...]
    entities: tuple[EntityRow, ...]
    groups: tuple[CountRow, ...]
    codes: tuple[CountRow, ...]
    attempts: tuple[AttemptRow, ...]
    shadow: Shadow
    rules: tuple[RuleRow, ...]
    rule_tests: RuleTests
    repeat_users: tuple[UserRow, ...]
    repeat_users_total: int
    versions: tuple[VersionRow, ...]
    integrity: Integrity = field(default_factory=lambda: Integrity(checked=False))
    suggestions: tuple[Suggestion, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def decision_count(self) -> dict[str, int]:
        return {row.key: row.count for row in self.by_decision}

    @property
    def people_counted(self) -> bool:
        """False when no incident of the period names a user (the proxy does not authenticate its
        clients): the per-person figures are then unknown, not zero."""
        return self.total == 0 or self.unidentified < self.total


CODE_LABELS = {
    "tool_forbidden": "outil interdit",
    "tool_pilot_only": "outil en test pilote (hors groupe pilote)",
    "model_forbidden": "modèle non autorisé",
    "sensitive_data": "données sensibles",
    "redacted": "données masquées",
    "pseudonymized": "données pseudonymisées",
    "body_too_large": "requête trop volumineuse",
    "scan_unavailable": "analyse indisponible",
    "scan_overloaded": "analyse saturée",
    "state_unavailable": "pseudonymes indisponibles",
    "undecodable_body": "corps illisible",
}


# ---------------------------------------------------------------------------------------- helpers


def pseudonym(key: bytes, user: str, length: int = 6) -> str:
    """Stable pseudonymous id of a person: ``U-`` + the first hex digits of HMAC-SHA256(key, name).

    Names compare case-insensitively (as the directory does). Without the key the id cannot be
    linked back to the name by trying candidate names.
    """
    digest = hmac.new(key, user.strip().casefold().encode("utf-8"), hashlib.sha256).hexdigest()
    return "U-" + digest[:length].upper()


def _pseudonyms(key: bytes, users: Iterable[str]) -> dict[str, str]:
    """Pseudonyms for all users, lengthened where two would collide (ids must stay distinct)."""
    users = sorted(set(users))
    length = 6
    while True:
        labels = {u: pseudonym(key, u, length) for u in users}
        if len(set(labels.values())) == len(labels) or length >= 64:
            return labels
        length += 2


def entity_label(entity_type: str) -> str:
    """The French name from the entity table; custom types (recognizers.yaml) by their code."""
    return label(entity_type, "fr")


def rule_label(rule_id: str, policy: Policy | None) -> str:
    """A French explanation of a rule id as incidents record it (``outil:x:interdit``, ``donnees:r``…)."""
    parts = rule_id.split(":")
    head = parts[0]

    def tool_name(service_id: str) -> str:
        if policy is not None:
            service = policy.catalog.get(service_id)
            if service is not None:
                return service.name
        return service_id

    if head == "outil" and len(parts) >= 3:
        who = "outil non listé (statut par défaut)" if parts[1] == "defaut" else tool_name(parts[1])
        return f"{who} — {dict(interdit='interdit', pilote='réservé au pilote').get(parts[2], parts[2])}"
    if head == "modele" and len(parts) >= 3:
        what = "modèle hors liste" if parts[2] == "hors-liste" else f"modèle {':'.join(parts[2:])}"
        return f"{tool_name(parts[1])} — {what}"
    if head == "donnees" and len(parts) >= 2:
        if parts[1] == "outil" and len(parts) >= 3:
            return f"exception de l'outil pour {entity_label(parts[2])}"
        if policy is not None:
            for rule in policy.data_rules:
                if rule.id == parts[1]:
                    return f"règle de données « {rule.id} » (action : {decision_label(rule.action, 'fr')})"
        return f"règle de données « {parts[1]} »"
    if rule_id == "corps:taille-max":
        return "taille maximale de requête"
    if rule_id == "detection:indisponible":
        return "analyse indisponible (délai dépassé)"
    if rule_id == "detection:surcharge":
        return "analyse saturée (file d'attente pleine)"
    return rule_id
