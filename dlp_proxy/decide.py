"""Findings × the policy's data rules → allow, redact or block. Pure, shared by the proxy and the CLI.

Rule choice: for each finding, the first data rule (in file order) that names its entity type, applies
to the tool's hosting class and whose ``min_score`` the finding reaches. The referents control priority
by ordering rules. A tool may override the action per entity type (``tools.<id>.data``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class FindingLike(Protocol):
    entity_type: str
    start: int
    end: int
    score: float


class DataRuleLike(Protocol):
    id: str
    entities: tuple[str, ...]
    action: str
    min_score: float


@dataclass(frozen=True)
class DataDecision:
    """What to do with one request's findings."""

    action: str  # "allow" | "redact" | "block"
    to_redact: tuple[tuple[FindingLike, ...], ...] = ()  # per segment, findings to replace
    entity_counts: Mapping[str, int] = field(default_factory=dict)  # acted-on types → counts
    rule_ids: tuple[str, ...] = ()
    blocked_types: tuple[str, ...] = ()
    actions: Mapping[str, str] = field(default_factory=dict)  # acted-on type → "redact" | "pseudonymize"

    @property
    def redact_types(self) -> frozenset[str]:
        """Types replaced irreversibly (never restored in the answer)."""
        return frozenset(t for t, a in self.actions.items() if a == "redact")

    @property
    def pseudonymized(self) -> bool:
        return any(a == "pseudonymize" for a in self.actions.values())


def decide_data(
    rules: Sequence[DataRuleLike],
    findings_per_segment: Sequence[Sequence[FindingLike]],
    overrides: Mapping[str, str] | None = None,
) -> DataDecision:
    """Decide for one request. ``overrides`` maps entity type → action for this tool."""
    overrides = overrides or {}
    counts: Counter[str] = Counter()
    blocked: Counter[str] = Counter()
    rule_ids: list[str] = []
    actions: dict[str, str] = {}
    to_redact: list[tuple[FindingLike, ...]] = []
    for findings in findings_per_segment:
        redact_here: list[FindingLike] = []
        for f in findings:
            rule = next((r for r in rules if f.entity_type in r.entities and f.score >= r.min_score), None)
            if rule is None:
                continue
            action = overrides.get(f.entity_type, rule.action)
            rule_id = (
                f"donnees:{rule.id}" if f.entity_type not in overrides else f"donnees:outil:{f.entity_type}"
            )
            if action == "allow":
                continue
            counts[f.entity_type] += 1
            if rule_id not in rule_ids:
                rule_ids.append(rule_id)
            if action == "block":
                blocked[f.entity_type] += 1
            else:  # redact / pseudonymize
                redact_here.append(f)
                # one action per type in a request: irreversible redaction wins over pseudonyms
                if actions.get(f.entity_type) != "redact":
                    actions[f.entity_type] = action
        to_redact.append(tuple(redact_here))
    if blocked:
        return DataDecision("block", (), dict(counts), tuple(rule_ids), tuple(sorted(blocked)))
    if counts:
        return DataDecision("redact", tuple(to_redact), dict(counts), tuple(rule_ids), (), actions)
    return DataDecision("allow")
