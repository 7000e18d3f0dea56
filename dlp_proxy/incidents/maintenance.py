"""Periodic store duties, in one thread: report the chain's latest hash, purge past the retention.

The proxy logs the latest hash and exports it as a metric every interval: an auditor who kept one can
later run ``verify(expected_latest=…)`` and see whether the newest records were removed. The purge
runs once shortly after start, then every ``purge_interval_seconds`` (a day); each purge that deletes
something appends a checkpoint record, so the remaining chain still verifies.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from dlp_proxy.logs import get_logger

from .model import utc_now
from .store import IncidentStore, StoreError

log = get_logger("dlp_proxy.incidents")

DAY = 86400.0


class StoreMaintenance:
    """Background thread: ``on_latest_hash(hash)`` every interval; purge older than ``retention_days`` daily.

    ``retention_days`` None or 0 disables the purge. Callbacks run in this thread and must not block
    for long; their exceptions are logged, never raised.
    """

    def __init__(
        self,
        store: IncidentStore,
        retention_days: int | None,
        on_latest_hash: Callable[[str], None],
        interval_seconds: float = 60.0,
        *,
        purge_interval_seconds: float = DAY,
        on_purge: Callable[[int], None] | None = None,
    ):
        self.store = store
        self.retention_days = retention_days
        self.on_latest_hash = on_latest_hash
        self.interval_seconds = interval_seconds
        self.purge_interval_seconds = purge_interval_seconds
        self.on_purge = on_purge
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_purge = 0.0  # seconds of run time; 0: at the first tick

    def start(self) -> StoreMaintenance:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="dlp-incidents-maintenance", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def report_latest_hash(self) -> str | None:
        """Read the latest hash and hand it to ``on_latest_hash`` (when the store has one)."""
        try:
            latest = self.store.latest_hash()
        except StoreError as exc:
            log.warning("incident_latest_hash_unavailable", error=str(exc)[:200])
            return None
        if latest:
            try:
                self.on_latest_hash(latest)
            except Exception as exc:
                log.error("incident_latest_hash_callback_failed", error=type(exc).__name__)
        return latest

    def purge_now(self) -> int:
        """Purge records older than the retention (0 when disabled or the store is unreachable)."""
        if not self.retention_days or self.retention_days <= 0:
            return 0
        before = utc_now() - timedelta(days=self.retention_days)
        try:
            count = self.store.purge(before)
        except StoreError as exc:
            log.warning("incident_purge_failed", error=str(exc)[:200])
            return 0
        if self.on_purge is not None:
            try:
                self.on_purge(count)
            except Exception as exc:
                log.error("incident_purge_callback_failed", error=type(exc).__name__)
        return count

    def _run(self) -> None:
        elapsed = 0.0
        while True:
            if elapsed >= self._next_purge:
                self.purge_now()
                self._next_purge = elapsed + self.purge_interval_seconds
            self.report_latest_hash()
            if self._stop.wait(self.interval_seconds):
                return
            elapsed += self.interval_seconds
