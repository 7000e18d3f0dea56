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
    """What decide reads of a data rule (read-only, so frozen dataclasses match)."""

    @property
    def id(self) -> str: ...
    @property
    def entities(self) -> tuple[str, ...]: ...
    @property
    def action(self) -> str: ...
    @property
    def min_score(self) -> float: ...


@dataclass(frozen=True)
class DataDecision:
    """What to do with one request's findings."""

    action: str  # "allow" | "redact" | "block"
    to_redact: tuple[tuple[FindingLike, ...], ...] = ()  # per segment, findings to replace
    entity_counts: Mapping[str, int] = field(default_factory=dict)  # acted-on types → counts
    rule_ids: tuple[str, ...] = ()
    blocked_types: tuple[str, ...] = ()
    actions: Mapping[str, str] = field(default_factory=dict)  # acted-on type → "redact" | "pseudonymize"
    #: Rules whose action is ``warn`` that matched: the user justifies the use once, then it proceeds
    #: with the rest of the decision (the warned values are sent as they are).
    warn_rule_ids: tuple[str, ...] = ()
    warn_counts: Mapping[str, int] = field(default_factory=dict)
    #: Rules whose action is ``validation_manager`` that matched: the use needs a grant for the tool.
    validation_rule_ids: tuple[str, ...] = ()

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
    override_min_score: float = 0.5,
) -> DataDecision:
    """Decide for one request. ``overrides`` maps entity type → action for this tool.

    A type named only by an override (no data rule names it) is acted on from
    ``override_min_score``; a type that rules name keeps their ``min_score``.
    """
    overrides = overrides or {}
    named = {e for r in rules for e in r.entities}
    counts: Counter[str] = Counter()
    blocked: Counter[str] = Counter()
    rule_ids: list[str] = []
    actions: dict[str, str] = {}
    to_redact: list[tuple[FindingLike, ...]] = []
    warn_ids: list[str] = []
    validation_ids: list[str] = []
    warned: Counter[str] = Counter()
    for findings in findings_per_segment:
        redact_here: list[FindingLike] = []
        for f in findings:
            rule = next((r for r in rules if f.entity_type in r.entities and f.score >= r.min_score), None)
            if f.entity_type in overrides:
                # The tool's own rule for this type applies even when no data rule names the type:
                # the proxy scanned for it because of the override, so the override must decide.
                if rule is None and (f.entity_type in named or f.score < override_min_score):
                    continue
                action = overrides[f.entity_type]
                rule_id = f"donnees:outil:{f.entity_type}"
            elif rule is None:
                continue
            else:
                action = rule.action
                rule_id = f"donnees:{rule.id}"
            if action == "allow":
                continue
            if action == "warn":
                warned[f.entity_type] += 1
                if rule_id not in warn_ids:
                    warn_ids.append(rule_id)
                continue
            if action == "validation_manager":
                warned[f.entity_type] += 1
                if rule_id not in validation_ids:
                    validation_ids.append(rule_id)
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
    warn_rule_ids, warn_counts, validation_rule_ids = tuple(warn_ids), dict(warned), tuple(validation_ids)
    if blocked:
        return DataDecision(
            "block", (), dict(counts), tuple(rule_ids), tuple(sorted(blocked)), {},
            warn_rule_ids, warn_counts, validation_rule_ids,
        )  # fmt: skip
    if counts:
        return DataDecision(
            "redact", tuple(to_redact), dict(counts), tuple(rule_ids), (), actions,
            warn_rule_ids, warn_counts, validation_rule_ids,
        )  # fmt: skip
    return DataDecision(
        "allow", warn_rule_ids=warn_rule_ids, warn_counts=warn_counts, validation_rule_ids=validation_rule_ids
    )
