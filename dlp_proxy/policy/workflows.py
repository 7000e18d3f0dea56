"""The policy's workflows, as settings: the AI portal, the sanctions ladder and the portal roles.

``policy.yaml`` may have a ``portal`` section (where the portal is served, how long a justification
is remembered, the longest access a manager may grant) and a ``sanctions`` section (the graduated
consequences the policy announces: a reminder after N data blocks in D days, a suspension of the
external AI tools after M). ``directory.yaml`` may name, for the portal, each manager's team, the AI
referents and the security team. Parsed here so the loader only calls these functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dlp_proxy.yamlload import LineDict

from .fields import FileChecker, join, show

DEFAULT_PORTAL_HOST = "ia.portail"
PORTAL_KEYS = ("host", "justification_hours", "max_grant_days", "policy_sync")
SANCTION_KEYS = ("window_days", "reminder_after", "suspension_after", "suspension_days", "codes")
ROLE_KEYS = ("managers", "ai_referents", "security")
#: Incident codes a sanction may count: refusals for data, never technical refusals.
SANCTION_CODES = ("sensitive_data", "unscannable_content")

_HOST_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+")


@dataclass(frozen=True)
class PortalSettings:
    """Where the portal is served and the durations it applies."""

    host: str = DEFAULT_PORTAL_HOST
    justification_hours: float = 8.0  # a justification is remembered this long (per user, tool, rule)
    max_grant_days: int = 90  # the longest access a manager may grant
    #: A fleet: each replica writes the policy referents approved (kept in the store) into its own rules
    #: directory, seeded from a read-only ConfigMap. Off: the rules directory is the only source.
    policy_sync: bool = False

    @property
    def base_url(self) -> str:
        return f"https://{self.host}"


@dataclass(frozen=True)
class SanctionLadder:
    """The graduated consequences: reminder, then suspension; the disciplinary step is never automatic."""

    window_days: int = 30
    reminder_after: int = 3
    suspension_after: int = 5
    suspension_days: int = 7
    codes: tuple[str, ...] = ("sensitive_data",)


@dataclass(frozen=True, eq=False)
class Roles:
    """Who may do what in the portal, by proxy user name (compared case-insensitively)."""

    managers: dict[str, frozenset[str]] = field(default_factory=dict)  # manager → team members
    ai_referents: frozenset[str] = frozenset()
    security: frozenset[str] = frozenset()

    def manager_of(self, user: str | None) -> tuple[str, ...]:
        """The managers whose team ``user`` is in (sorted)."""
        if not user:
            return ()
        key = user.casefold()
        return tuple(sorted(m for m, team in self.managers.items() if key in team))

    def manages(self, manager: str | None, user: str | None) -> bool:
        return bool(manager and user) and user.casefold() in self.managers.get(manager.casefold(), ())

    def is_referent(self, user: str | None) -> bool:
        return bool(user) and user.casefold() in self.ai_referents

    def is_security(self, user: str | None) -> bool:
        return bool(user) and user.casefold() in self.security

    def is_manager(self, user: str | None) -> bool:
        return bool(user) and bool(self.managers.get(user.casefold()))


def _whole(f: FileChecker, m: LineDict, key: str, where: str, default: int, high: int) -> int:
    value = f.number(m, key, where, default, low=1, high=high, low_open=False)
    if value is None:
        return default
    if value != int(value):
        f.say(m.line_of(key), join(where, key), "expected a whole number")
        return default
    return int(value)


def parse_portal(doc: LineDict, f: FileChecker) -> PortalSettings:
    """``portal: {host, justification_hours, max_grant_days}``; defaults when absent."""
    node = f.mapping(doc, "portal", "")
    if node is None:
        return PortalSettings()
    f.keys(node, "portal", PORTAL_KEYS)
    host = (f.text(node, "host", "portal") or DEFAULT_PORTAL_HOST).strip().lower().rstrip(".")
    if not _HOST_RE.fullmatch(host):
        f.say(node.line_of("host"), "portal.host", f"{show(host)} is not a host name (e.g. ia.portail)")
        host = DEFAULT_PORTAL_HOST
    hours = f.number(node, "justification_hours", "portal", 8.0, low=0, high=24 * 90, low_open=True)
    sync = node.get("policy_sync", False)
    if not isinstance(sync, bool):
        f.say(node.line_of("policy_sync"), "portal.policy_sync", f"expected true or false, got {show(sync)}")
        sync = False
    return PortalSettings(
        host=host,
        justification_hours=hours if hours is not None else 8.0,
        max_grant_days=_whole(f, node, "max_grant_days", "portal", 90, 3650),
        policy_sync=sync,
    )


def parse_sanctions(doc: LineDict, f: FileChecker) -> SanctionLadder | None:
    """``sanctions: {window_days, reminder_after, suspension_after, suspension_days, codes}``."""
    node = f.mapping(doc, "sanctions", "")
    if node is None:
        return None
    where = "sanctions"
    f.keys(node, where, SANCTION_KEYS)
    ladder = SanctionLadder(
        window_days=_whole(f, node, "window_days", where, 30, 366),
        reminder_after=_whole(f, node, "reminder_after", where, 3, 1000),
        suspension_after=_whole(f, node, "suspension_after", where, 5, 1000),
        suspension_days=_whole(f, node, "suspension_days", where, 7, 366),
    )
    codes = f.text_items(node, "codes", where)
    if codes is not None:
        for code, line in codes:
            if code not in SANCTION_CODES:
                f.say(line, join(where, "codes"), f"{show(code)} is not one of {', '.join(SANCTION_CODES)}")
        ladder = SanctionLadder(
            ladder.window_days,
            ladder.reminder_after,
            ladder.suspension_after,
            ladder.suspension_days,
            tuple(c for c, _ in codes if c in SANCTION_CODES) or ("sensitive_data",),
        )
    if ladder.suspension_after <= ladder.reminder_after:
        f.say(
            node.line_of("suspension_after") or node.line,
            join(where, "suspension_after"),
            "must be greater than reminder_after (a reminder comes before a suspension)",
        )
    return ladder


def _names(f: FileChecker, m: LineDict, key: str, where: str) -> frozenset[str]:
    return frozenset(name.casefold() for name, _ in f.text_items(m, key, where) or ())


def parse_roles(doc: LineDict, f: FileChecker) -> Roles:
    """``managers: {manager: [members]}``, ``ai_referents: [...]``, ``security: [...]``."""
    managers: dict[str, frozenset[str]] = {}
    node = f.mapping(doc, "managers", "")
    for manager in node or {}:
        if not isinstance(manager, str) or not manager.strip():
            f.say(node.line_of(manager), "managers", f"user name must be text, got {show(manager)}")
            continue
        team = _names(f, node, manager, "managers")
        if manager.casefold() in team:
            f.say(node.line_of(manager), join("managers", manager), "a manager cannot be in their own team")
        managers[manager.strip().casefold()] = team - {manager.casefold()}
    return Roles(
        managers=managers,
        ai_referents=_names(f, doc, "ai_referents", ""),
        security=_names(f, doc, "security", ""),
    )
