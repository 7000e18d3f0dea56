"""The decision path's view of the portal state: in memory, refreshed from the store.

A request never waits for the database: it reads dictionaries that a thread refreshes every
``interval`` seconds (1 s by default, so a grant or a suspension decided on another replica applies
here within 2 s) and that this replica also refreshes right after its own portal writes.
Looking up a user costs a few dictionary reads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dlp_proxy.logs import get_logger

log = get_logger("dlp_proxy.portal")


@dataclass(frozen=True)
class Snapshot:
    """Active state, keyed by case-folded user name; times are ISO UTC text (they sort as times)."""

    justified: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (user, tool, rule) → expires
    granted: dict[tuple[str, str], str] = field(default_factory=dict)  # (user, tool) → expires
    suspended: dict[str, tuple[str, int]] = field(default_factory=dict)  # user → (until, sanction id)
    reminders: dict[str, int] = field(default_factory=dict)  # user → reminder sanction id to acknowledge


def snapshot_of(state: dict[str, list[tuple]]) -> Snapshot:
    snap = Snapshot()
    for user, tool, rule, expires in state.get("justifications", ()):
        key = (user, tool, rule)
        snap.justified[key] = max(expires, snap.justified.get(key, ""))
    for user, tool, expires in state.get("grants", ()):
        snap.granted[(user, tool)] = max(expires, snap.granted.get((user, tool), ""))
    for user, level, until, sanction_id in state.get("sanctions", ()):
        if level == "suspension" and until:
            snap.suspended[user] = max((until, sanction_id), snap.suspended.get(user, ("", 0)))
        elif level == "reminder":
            snap.reminders[user] = sanction_id
    return snap


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class WorkflowView:
    """What the pipeline asks about a user: justified? granted? suspended? a reminder to acknowledge?"""

    def __init__(self, load: Callable[[], dict[str, list[tuple]]] | None = None, interval: float = 1.0):
        self._load = load
        self.interval = interval
        self.snapshot = Snapshot()
        self.loaded = load is None  # no store: an empty view (nothing granted, nothing justified)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> None:
        if self._load is None:
            return
        try:
            self.snapshot = snapshot_of(self._load())
            self.loaded = True
        except Exception as exc:  # keep the last good view; the next tick tries again
            log.warning("portal_view_refresh_failed", error=type(exc).__name__)

    def start(self) -> WorkflowView:
        self.refresh()

        def run() -> None:
            while not self._stop.wait(self.interval):
                self.refresh()

        self._thread = threading.Thread(target=run, name="dlp-portal-view", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # -- questions of the decision path (user names already case-folded by the caller or not)
    def justified(self, user: str | None, tool: str, rule: str) -> bool:
        return bool(user) and self.snapshot.justified.get((user.casefold(), tool, rule), "") > _now()

    def granted(self, user: str | None, tool: str) -> bool:
        return bool(user) and self.snapshot.granted.get((user.casefold(), tool), "") > _now()

    def suspended(self, user: str | None) -> bool:
        return bool(user) and self.snapshot.suspended.get(user.casefold(), ("", 0))[0] > _now()

    def reminder(self, user: str | None) -> int | None:
        return self.snapshot.reminders.get(user.casefold()) if user else None
