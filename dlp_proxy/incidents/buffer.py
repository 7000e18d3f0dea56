"""The on-disk spool: incidents and sightings waiting for an unreachable store.

Entries are JSON lines, appended and fsync'd before the writer moves on, WITHOUT chain hashes: the
chain is computed when they reach the store, so buffered records join the one chain in order.
Each incident carries a ``uid``; the store skips a uid it already holds, so a spool replayed after a
crash between "committed" and "spool shortened" does not duplicate incidents.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from dlp_proxy.logs import get_logger

from .model import Incident, Sighting

log = get_logger("dlp_proxy.incidents")


@dataclass(frozen=True)
class Entry:
    """One write waiting for the store: an incident (with its uid) or a sighting increment."""

    type: Literal["incident", "sighting"]
    uid: str
    incident: Incident | None = None
    sighting: Sighting | None = None

    @classmethod
    def of_incident(cls, incident: Incident) -> Entry:
        return cls("incident", uuid.uuid4().hex, incident=incident)

    @classmethod
    def of_sighting(cls, sighting: Sighting) -> Entry:
        return cls("sighting", uuid.uuid4().hex, sighting=sighting)

    def to_json(self) -> str:
        data: dict = {"type": self.type, "uid": self.uid}
        if self.incident is not None:
            data["incident"] = self.incident.content()
        if self.sighting is not None:
            data["sighting"] = asdict(self.sighting)
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> Entry:
        data = json.loads(line)
        if data["type"] == "incident":
            return cls("incident", data["uid"], incident=Incident.from_content(data["incident"]))
        if data["type"] == "sighting":
            return cls("sighting", data["uid"], sighting=Sighting(**data["sighting"]))
        raise ValueError(f"unknown spool entry type {data['type']!r}")


class Spool:
    """An append-only JSONL file of :class:`Entry`, fsync'd on every append. Thread-safe."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._count = sum(1 for _ in self._lines()) if path.exists() else 0

    def __len__(self) -> int:
        return self._count

    def _lines(self) -> Iterable[str]:
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield line

    def append(self, entries: list[Entry]) -> None:
        """Write entries at the end and fsync; raises OSError when the disk refuses."""
        if not entries:
            return
        text = "".join(e.to_json() + "\n" for e in entries)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                _repair_torn_tail(fd)
                os.write(fd, text.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            self._count += len(entries)

    def read(self) -> list[Entry]:
        """Every entry, oldest first. A torn or unreadable line (crash mid-write) is logged and skipped."""
        with self._lock:
            if not self.path.exists():
                self._count = 0
                return []
            entries: list[Entry] = []
            for number, line in enumerate(self._lines(), 1):
                try:
                    entries.append(Entry.from_json(line))
                except (ValueError, KeyError, TypeError) as exc:
                    log.error("incident_spool_line_unreadable", line=number, error=type(exc).__name__)
            self._count = len(entries)
            return entries

    def replace(self, entries: list[Entry]) -> None:
        """Atomically keep only ``entries`` (the ones not yet in the store)."""
        with self._lock:
            if not entries:
                self.path.unlink(missing_ok=True)
                self._count = 0
                _fsync_dir(self.path.parent)
                return
            tmp = self.path.with_name(self.path.name + ".tmp")
            with tmp.open("w", encoding="utf-8") as fh:
                fh.write("".join(e.to_json() + "\n" for e in entries))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            _fsync_dir(self.path.parent)
            self._count = len(entries)


def _repair_torn_tail(fd: int) -> None:
    """If a crash left a partial last line, end it so the next entry starts on its own line."""
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":
        os.write(fd, b"\n")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
