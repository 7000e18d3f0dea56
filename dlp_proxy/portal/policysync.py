"""Every replica applies the policy the referents approved, from the store, to its own rules directory.

One replica's approval writes ``policy.yaml`` in its rules directory and publishes the text in the store
(``portal_policies``). With ``portal.policy_sync: true`` (a fleet whose read-only ConfigMap only seeds
each replica's writable rules directory), replicas poll the store: at start the latest approved text
replaces the seed's ``policy.yaml`` if they differ, then each newly published one does; each is checked
like ``check-config`` against the directory first, and the rules watcher reloads it. A text that does
not pass the check is logged once and left out (the policy in force stays). Off (the default), the
rules directory is the only source and hand edits are never overwritten.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from dlp_proxy.logs import get_logger

from .adoption import POLICY_FILE, check_text, sha, write_policy
from .store import PortalStore

log = get_logger("dlp_proxy.portal")


class PolicySync:
    """Polls the store for the latest approved policy and writes it into this replica's rules directory."""

    def __init__(
        self,
        store: PortalStore,
        rules_dir: Callable[[], Path | None],
        enabled: Callable[[], bool],
        interval: float = 1.0,
    ):
        self.store = store
        self.rules_dir = rules_dir
        self.enabled = enabled
        self.interval = interval
        self._seen: int | None = None  # the last published id acted on (None: not yet, start-up)
        self._refused: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> bool:
        """Apply the latest approved policy if this directory differs; True when a file was written."""
        rules = self.rules_dir()
        if rules is None or not self.enabled():
            return False
        latest = self.store.latest_policy()
        if latest is None or latest.id == self._seen or latest.sha in self._refused:
            return False
        self._seen = latest.id
        path = Path(rules) / POLICY_FILE
        try:
            if sha(path.read_text(encoding="utf-8")) == latest.sha:
                return False
        except OSError:
            return False
        problems = check_text(Path(rules), latest.text)
        if problems:
            self._refused.add(latest.sha)
            log.error("policy_sync_refused", policy_id=latest.id, problems=problems[:5])
            return False
        write_policy(path, latest.text)
        log.info("policy_synced", policy_id=latest.id, approved_by_referent=True)
        return True

    def start(self) -> PolicySync:
        def run() -> None:
            while not self._stop.wait(self.interval):
                try:
                    self.tick()
                except Exception as exc:  # the store may be down: the next tick tries again
                    log.warning("policy_sync_failed", error=type(exc).__name__)

        self._thread = threading.Thread(target=run, name="dlp-policy-sync", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
