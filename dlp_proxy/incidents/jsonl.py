"""The first store: JSON lines in ``incidents.jsonl`` (no chain). Kept until the addon uses ``open_store``.

Deprecated: new code opens a chained store with :func:`dlp_proxy.incidents.open_store`.
"""

from __future__ import annotations

import json
import queue
import threading
from pathlib import Path

from dlp_proxy.logs import get_logger

from .model import Incident

log = get_logger("dlp_proxy.incidents")


class JsonlIncidentStore:
    """Append-only JSON-lines file, written by one background thread in submission order."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._queue: queue.Queue[Incident | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="dlp-incidents", daemon=True)
        self._thread.start()

    def record(self, incident: Incident) -> None:
        """Queue an incident; returns at once."""
        self._queue.put(incident)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                self._queue.task_done()
                return
            try:
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(item.to_json() + "\n")
                    fh.flush()
            except OSError as exc:
                log.error("incident_write_failed", error=exc.strerror, path=str(self.path))
            finally:
                self._queue.task_done()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued incident is on disk (tests, shutdown)."""
        self._queue.join()
        return True

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)


def read_incidents(path: Path) -> list[dict]:
    """All incidents of a JSONL file, oldest first."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
