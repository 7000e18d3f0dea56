"""Incident records: what the policy acted on, for the security team — never the data itself.

An incident holds who, which tool, which rule and what was decided. It never holds a value found in
traffic nor a credential. This first store appends JSON lines to ``incidents.jsonl`` in the data
directory; writes go through a background thread so the proxy's event loop never waits on the disk.
"""

from __future__ import annotations

import json
import queue
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .logs import get_logger

log = get_logger("dlp_proxy.incidents")


@dataclass(frozen=True)
class Incident:
    """One request the policy acted on."""

    request_id: str
    user: str | None
    groups: tuple[str, ...]
    client_ip: str | None
    tool: str | None
    tool_name: str | None
    host: str
    model: str | None
    decision: str  # "blocked" (later: "redacted", "pseudonymized")
    code: str  # tool_forbidden | tool_pilot_only | model_forbidden | body_too_large | ...
    rule_ids: tuple[str, ...]
    policy_version: str
    entity_counts: dict[str, int] = field(default_factory=dict)
    time: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="milliseconds"))

    def to_json(self) -> str:
        """One JSON line; keys sorted so files diff cleanly."""
        data = asdict(self)
        data["groups"] = list(self.groups)
        data["rule_ids"] = list(self.rule_ids)
        return json.dumps(data, ensure_ascii=False, sort_keys=True)


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

    def flush(self) -> None:
        """Wait until every queued incident is on disk (tests, shutdown)."""
        self._queue.join()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)


def read_incidents(path: Path) -> list[dict]:
    """All incidents of a JSONL file, oldest first."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
