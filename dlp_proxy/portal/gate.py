"""The decision path's questions to the portal state, pure: what a request needs before it may pass.

The pipeline asks :func:`tool_gate` once the policy has decided on the tool and model, and
:func:`data_gate` once the data rules have matched. Each answers ``None`` (go on) or
``(code, rule_id)`` of the refusal; with no view at all (no store), nothing is justified or granted:
``warn`` and ``validation_manager`` refuse (fail closed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

#: The refusals the user can resolve in the portal.
PORTAL_CODES = ("justification_required", "validation_required", "access_suspended", "reminder_required")


class View(Protocol):
    def justified(self, user: str | None, tool: str, rule: str) -> bool: ...
    def granted(self, user: str | None, tool: str) -> bool: ...
    def suspended(self, user: str | None) -> bool: ...
    def reminder(self, user: str | None) -> int | None: ...


class Portal(Protocol):
    """What the refusal path asks of the portal: a link for a refusal, a browser's interstitial."""

    def link(self, code: str, tool: str, rule_id: str) -> str | None: ...

    def interstitial(
        self, user: str | None, tool: str, tool_name: str, code: str, rule_id: str, url: str
    ) -> tuple[int, dict[str, str], bytes] | None: ...


def tool_gate(
    view: View | None, user: str | None, tool: str, hosting: str, action: str, rule_id: str
) -> tuple[str, str] | None:
    """Sanctions first (external tools only: company-hosted tools still work), then warn / validation."""
    if hosting != "company" and view is not None:
        if view.suspended(user):
            return "access_suspended", "sanction:suspension"
        if view.reminder(user) is not None:
            return "reminder_required", "sanction:rappel"
    if action == "warn" and (view is None or not view.justified(user, tool, rule_id)):
        return "justification_required", rule_id
    if action == "validate" and (view is None or not view.granted(user, tool)):
        return "validation_required", rule_id
    return None


def data_gate(view: View | None, user: str | None, tool: str, warn_rule_ids: Sequence[str]) -> str | None:
    """The first data rule with action ``warn`` that the user has not justified for this tool."""
    for rule_id in warn_rule_ids:
        if view is None or not view.justified(user, tool, rule_id):
            return rule_id
    return None


def use_gate(view: View | None, user: str | None, tool: str, rule_ids: Sequence[str]) -> str | None:
    """The first data rule with action ``validation_manager`` when the user holds no grant for the tool."""
    if rule_ids and (view is None or not view.granted(user, tool)):
        return rule_ids[0]
    return None
