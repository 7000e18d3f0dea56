"""The incident store interface, the write path shared by the backends, and ``open_store``.

Write path (both backends): ``record()`` and ``record_sighting()`` put an entry on a queue and return;
one background thread per store writes batches, each in one transaction that takes the chain lock,
reads the last hash and appends. When the backend is unreachable (connection refused, disk error, …)
the writer appends the entries to a spool file in the data directory (fsync'd, without hashes) and
retries with a backoff; spooled entries are chained when they reach the store, in order. A record
that the store refuses for good (a data error) goes to ``incidents-rejected.jsonl``: none is lost.
When the spool cannot be written either (the data directory itself is unwritable), entries wait in
memory, up to :data:`MEMORY_LIMIT`; beyond it new ones are dropped and counted. The proxy never stops
for the store: :meth:`IncidentStore.health` says what is degraded (for ``/readyz`` and the metrics)
and ``on_event`` is told of every write error, spool error and dropped entry.

Read path: ``query``, ``get``, ``verify``, ``purge``, ``latest_hash``, ``sightings`` run in the
caller's thread on their own connection and raise :class:`StoreError` when the store cannot answer.
"""

from __future__ import annotations

import os
import queue
import re
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from dlp_proxy.logs import get_logger, scrub

from .buffer import Entry, Spool
from .model import (
    INCIDENT_FIELDS,
    Incident,
    IncidentFilter,
    Sighting,
    StoredIncident,
    VerifyResult,
    canonical,
    chain_hash,
    hash_value,
    iso,
    record_content,
    to_utc,
)
from .verify import ChainRow, verify_rows

log = get_logger("dlp_proxy.incidents")

DEFAULT_SQLITE_NAME = "incidents.sqlite3"
BATCH_SIZE = 500
#: Entries kept in memory when neither the store nor the spool can be written (~1 KB each).
MEMORY_LIMIT = 50_000


class StoreError(Exception):
    """The store cannot be reached, read or written (the CLI exits 2)."""


class StoreUnavailable(Exception):
    """Internal: the backend refused for a reason that should pass (the entries go to the spool)."""


class IncidentStore(ABC):
    """Where incidents and shadow-AI sightings are kept. Writes never block; reads may raise StoreError."""

    url: str  # for messages: the store's location, without a password
    replica: str  # written in every record: which proxy instance wrote it
    #: Told of "store_error", "spool_error", "dropped" (once per entry dropped), for the metrics.
    on_event: Callable[[str], object] | None = None

    # ------------------------------------------------------------------ writes (non-blocking)
    @abstractmethod
    def record(self, incident: Incident) -> None:
        """Queue an incident; returns at once and never raises."""

    @abstractmethod
    def record_sighting(self, sighting: Sighting) -> None:
        """Queue a sighting increment (upsert on week, host, service, status, group); never raises."""

    @abstractmethod
    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is committed to the store (retrying now if it was down).

        False when ``timeout`` passed first or the store is still unreachable (entries stay spooled).
        """

    @abstractmethod
    def close(self) -> None:
        """Write what is queued (to the store, else to the spool) and stop the writer."""

    @abstractmethod
    def backlog(self) -> int:
        """Entries not yet in the store (queued, in memory or spooled on disk)."""

    def health(self) -> str | None:
        """None when writes reach the store; else why not (for ``/readyz``): never a value from traffic."""
        return None

    # ------------------------------------------------------------------ reads
    @abstractmethod
    def query(self, filters: IncidentFilter | None = None) -> list[StoredIncident]:
        """Records matching ``filters`` (default: every incident, oldest first)."""

    @abstractmethod
    def get(self, id: int) -> StoredIncident | None:  # noqa: A002 - the record's id
        """One record by id (incident or checkpoint)."""

    @abstractmethod
    def verify(self, expected_latest: str | None = None) -> VerifyResult:
        """Check the whole chain; with ``expected_latest`` (full hash or ≥12-char prefix) also truncation."""

    @abstractmethod
    def purge(self, before: datetime) -> int:
        """Delete the oldest records, up to the first one recorded at or after ``before``.

        Appends a checkpoint record (count, last deleted id and hash) when something was deleted, so
        the remaining chain still verifies. Returns how many records were deleted.
        """

    @abstractmethod
    def latest_hash(self) -> str | None:
        """Hash of the newest record (None when the store is empty)."""

    @abstractmethod
    def sightings(self, since_week: str | None = None, until_week: str | None = None) -> list[Sighting]:
        """Aggregated sightings, weeks inclusive (``"2026-W40"``), ordered by week, host, status, group."""

    # ------------------------------------------------------------------ helpers
    hmac_key: bytes | None = None

    def value_hash(self, entity_type: str, value: str) -> str | None:
        """``"TYPE:hmac"`` for one detected value with the configured key; None when no key is set."""
        if not self.hmac_key:
            return None
        return f"{entity_type}:{hash_value(self.hmac_key, entity_type, value)}"

    def __enter__(self) -> IncidentStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------- chain building


def checkpoint_incident() -> Incident:
    """The incident fields of a purge checkpoint."""
    return Incident(
        request_id="purge",
        user=None,
        groups=(),
        client_ip=None,
        tool=None,
        tool_name=None,
        host="",
        model=None,
        decision="checkpoint",
        code="purge",
        rule_ids=(),
        policy_version="",
    )


def build_record(
    incident: Incident,
    *,
    seq: int,
    prev_hash: str,
    kind: str,
    replica: str,
    uid: str,
    checkpoint: dict[str, Any] | None = None,
) -> tuple[StoredIncident, str]:
    """A record at chain position ``seq`` after ``prev_hash``: the stored form and its canonical JSON."""
    text = canonical(
        record_content(incident, seq=seq, kind=kind, replica=replica, uid=uid, checkpoint=checkpoint)
    )
    stored = StoredIncident(
        **{name: getattr(incident, name) for name in INCIDENT_FIELDS},
        id=seq,
        kind=kind,  # type: ignore[arg-type]
        replica=replica,
        uid=uid,
        checkpoint=checkpoint,
        prev_hash=prev_hash,
        hash=chain_hash(prev_hash, text),
    )
    return stored, text


def chain_entries(
    entries: Iterable[Entry], *, last_seq: int, last_hash: str, replica: str, known_uids: set[str]
) -> list[tuple[StoredIncident, str]]:
    """Chain the incident entries after the store's last record, skipping uids it already holds."""
    out: list[tuple[StoredIncident, str]] = []
    seq, prev = last_seq, last_hash
    for entry in entries:
        if entry.type != "incident" or entry.incident is None or entry.uid in known_uids:
            continue
        seq += 1
        stored, text = build_record(
            entry.incident, seq=seq, prev_hash=prev, kind="incident", replica=replica, uid=entry.uid
        )
        out.append((stored, text))
        prev = stored.hash
    return out


def merge_sightings(entries: Iterable[Entry]) -> list[Sighting]:
    """Sighting increments of a batch, added up per key, in first-seen order."""
    merged: dict[tuple[str, ...], Sighting] = {}
    for entry in entries:
        s = entry.sighting
        if entry.type != "sighting" or s is None:
            continue
        key = s.key()
        if key in merged:
            old = merged[key]
            merged[key] = Sighting(
                old.week, old.host, old.service_id, old.status, old.group, old.count + s.count
            )
        else:
            merged[key] = Sighting(s.week, s.host, s.service_id or None, s.status, s.group, int(s.count))
    return list(merged.values())


# ---------------------------------------------------------------------- shared write path

_STOP = object()


class _Flush:
    __slots__ = ("event", "ok")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.ok = False


def default_replica() -> str:
    """This proxy instance's name in records: ``DLP_PROXY_REPLICA``, else the host name."""
    return os.environ.get("DLP_PROXY_REPLICA") or socket.gethostname() or "dlp-proxy"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:80] or "replica"


class ChainedStore(IncidentStore):
    """Queue + one writer thread + spool; the backend supplies transactions and SQL."""

    retry_initial = 0.5
    retry_max = 30.0
    close_timeout = 30.0
    memory_limit = MEMORY_LIMIT

    def __init__(
        self,
        *,
        url: str,
        data_dir: Path,
        replica: str | None,
        hmac_key: bytes | None,
        retry_initial: float | None = None,
        retry_max: float | None = None,
    ):
        self.url = url
        self.replica = replica or default_replica()
        self.hmac_key = hmac_key or None
        self.data_dir = Path(data_dir)
        if retry_initial is not None:
            self.retry_initial = retry_initial
        if retry_max is not None:
            self.retry_max = retry_max
        self._spool = Spool(self.data_dir / f"incidents-spool-{_slug(self.replica)}.jsonl")
        self._rejected_path = self.data_dir / "incidents-rejected.jsonl"
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._put_lock = threading.Lock()
        self._closed = False
        self._tail: list[Entry] = []  # taken from the queue, neither in the store nor in the spool yet
        self._queued = 0
        self._down = len(self._spool) > 0
        self._retry_at = 0.0
        self._backoff = self.retry_initial
        self._conn: Any = None
        self._spool_failing = False
        self._dropped = 0
        self._thread = threading.Thread(target=self._run, name="dlp-incidents", daemon=True)

    def _start(self) -> None:
        self._thread.start()

    # ------------------------------------------------------------------ backend hooks
    @abstractmethod
    def _connect_writer(self) -> Any:
        """A connection for the writer thread (schema ensured)."""

    @abstractmethod
    def _close_conn(self, conn: Any) -> None: ...

    @abstractmethod
    def _append(self, conn: Any, entries: list[Entry]) -> None:
        """One transaction: chain lock, last record, insert the chained incidents, upsert sightings."""

    @abstractmethod
    def _is_transient(self, exc: BaseException) -> bool:
        """True when the error should pass (store down, locked, disk full): spool and retry."""

    @abstractmethod
    def _is_db_error(self, exc: BaseException) -> bool:
        """True for the backend's own errors (turned into StoreError on the read path)."""

    @abstractmethod
    def _chain_rows(self) -> AbstractContextManager[Iterable[ChainRow]]:
        """Every record in id order, for verification."""

    # ------------------------------------------------------------------ writes
    def record(self, incident: Incident) -> None:
        try:
            if not isinstance(incident, Incident):
                raise TypeError(f"not an Incident: {type(incident).__name__}")
            self._put(Entry.of_incident(incident))
        except Exception as exc:  # never raise into the proxy
            log.error("incident_record_failed", error=type(exc).__name__)

    def record_sighting(self, sighting: Sighting) -> None:
        try:
            if not isinstance(sighting, Sighting):
                raise TypeError(f"not a Sighting: {type(sighting).__name__}")
            self._put(Entry.of_sighting(sighting))
        except Exception as exc:
            log.error("sighting_record_failed", error=type(exc).__name__)

    def _put(self, entry: Entry) -> None:
        with self._put_lock:
            if not self._closed:
                self._queued += 1
                self._queue.put(entry)
                return
        # Closed: no writer any more. Keep the entry on disk; the next store drains it.
        self._spool.append([entry])

    def flush(self, timeout: float | None = None) -> bool:
        with self._put_lock:
            if self._closed or not self._thread.is_alive():
                return not self._has_backlog()
            waiter = _Flush()
            self._queue.put(waiter)
        waiter.event.wait(timeout)
        return waiter.event.is_set() and waiter.ok

    def close(self) -> None:
        with self._put_lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        if self._thread.is_alive():
            self._thread.join(self.close_timeout)

    def backlog(self) -> int:
        return self._queued + len(self._tail) + len(self._spool)

    def health(self) -> str | None:
        if not self._down:
            return None
        where = "in memory" if self._spool_failing else f"spooled in {self._spool.path}"
        dropped = f", {self._dropped} dropped (memory full)" if self._dropped else ""
        waiting = f"{self.backlog()} incident(s) waiting {where}{dropped}"
        return f"incident store unwritable ({self.url}): {waiting}"

    def _event(self, kind: str, count: int = 1) -> None:
        if self.on_event is None:
            return
        try:
            for _ in range(count):
                self.on_event(kind)
        except Exception:  # a metrics problem must not stop the writer
            pass

    def _has_backlog(self) -> bool:
        return self._down or bool(self._tail) or len(self._spool) > 0

    # ------------------------------------------------------------------ the writer thread
    def _run(self) -> None:
        waiting: list[_Flush] = []
        while True:
            timeout = max(0.0, self._retry_at - time.monotonic()) if self._has_backlog() else None
            items: list[Any] = []
            try:
                items.append(self._queue.get(timeout=timeout))
            except queue.Empty:
                pass
            while len(items) < BATCH_SIZE:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            entries = [i for i in items if isinstance(i, Entry)]
            with self._put_lock:
                self._queued -= len(entries)
            waiting.extend(i for i in items if isinstance(i, _Flush))
            stop = any(i is _STOP for i in items)
            try:
                self._process(entries, force=stop or any(isinstance(i, _Flush) for i in items))
            except Exception as exc:  # a bug must not stop incident recording
                log.error("incident_writer_error", error=type(exc).__name__)  # no message: it may quote data
                self._mark_down(exc, quiet=True)
            if stop:
                if self._tail:
                    self._persist_tail()
                self._drop_conn()
            if stop or not self._has_backlog():
                ok = not self._has_backlog()
                for w in waiting:
                    w.ok = ok
                    w.event.set()
                waiting.clear()
            if stop:
                return

    def _process(self, entries: list[Entry], *, force: bool) -> None:
        self._tail.extend(entries)
        if not self._down and len(self._spool) == 0:
            if not self._tail:
                return
            try:
                self._write(self._tail)
                self._tail = []
                return
            except StoreUnavailable as exc:
                self._mark_down(exc.__cause__ or exc)
        self._persist_tail()
        if force or time.monotonic() >= self._retry_at:
            self._drain()

    def _persist_tail(self) -> None:
        if not self._tail:
            return
        try:
            self._spool.append(self._tail)
            self._tail = []
            if self._spool_failing:
                self._spool_failing = False
                log.warning("incident_spool_writable_again", spool=str(self._spool.path))
        except OSError as exc:
            self._event("spool_error")
            if not self._spool_failing:  # loud once per outage, not once per batch
                self._spool_failing = True
                log.error(
                    "incident_spool_write_failed",
                    error=exc.strerror or type(exc).__name__,
                    spool=str(self._spool.path),
                    kept_in_memory_up_to=self.memory_limit,
                )
            self._bound_tail()

    def _bound_tail(self) -> None:
        """Keep at most ``memory_limit`` entries in memory: the oldest stay (the start of an outage)."""
        excess = len(self._tail) - self.memory_limit
        if excess <= 0:
            return
        del self._tail[self.memory_limit :]
        if not self._dropped:
            log.error("incidents_dropped_memory_full", limit=self.memory_limit, store=self.url)
        self._dropped += excess
        self._event("dropped", excess)

    def _drain(self) -> None:
        entries = self._spool.read()
        done = 0
        try:
            while done < len(entries):
                batch = entries[done : done + BATCH_SIZE]
                self._write(batch)
                done += len(batch)
                if done < len(entries):
                    self._spool.replace(entries[done:])
            if entries or len(self._spool):
                self._spool.replace([])
            if self._tail:
                self._write(self._tail)
                self._tail = []
        except StoreUnavailable as exc:
            if done:
                self._spool.replace(entries[done:])
            self._mark_down(exc.__cause__ or exc)
            return
        if self._down:
            log.warning("incident_store_recovered", store=self.url, flushed=done, dropped=self._dropped)
        self._down = False
        self._spool_failing = False
        self._backoff = self.retry_initial
        self._retry_at = 0.0

    def _write(self, entries: list[Entry]) -> None:
        """Append entries in one transaction; StoreUnavailable when the store should be retried later."""
        try:
            if self._conn is None:
                self._conn = self._connect_writer()
            self._append(self._conn, entries)
            return
        except Exception as exc:
            if self._is_transient(exc) or self._conn is None:
                self._drop_conn()
                raise StoreUnavailable(str(exc)) from exc
            permanent = exc
        if len(entries) > 1:  # find the entry the store refuses; write the others
            for entry in entries:
                self._write([entry])
            return
        self._reject(entries[0], permanent)

    def _reject(self, entry: Entry, exc: BaseException) -> None:
        log.error("incident_rejected_by_store", error=type(exc).__name__, file=str(self._rejected_path))
        try:
            Spool(self._rejected_path).append([entry])
        except OSError as err:
            log.error("incident_reject_write_failed", error=err.strerror or type(err).__name__)

    def _mark_down(self, exc: BaseException, *, quiet: bool = False) -> None:
        self._event("store_error")
        if not self._down and not quiet:
            log.error(
                "incident_store_unreachable",
                store=self.url,
                error=type(exc).__name__,
                detail=scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else "")[:200],
                spool=str(self._spool.path),
            )
        self._down = True
        self._drop_conn()
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, self.retry_max)

    def _drop_conn(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                self._close_conn(conn)
            except Exception:
                pass

    # ------------------------------------------------------------------ reads
    @contextmanager
    def _read_errors(self) -> Iterator[None]:
        try:
            yield
        except StoreError:
            raise
        except Exception as exc:
            if self._is_db_error(exc) or isinstance(exc, OSError):
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise StoreError(f"incident store {self.url}: {first}") from exc
            raise

    def verify(self, expected_latest: str | None = None) -> VerifyResult:
        with self._read_errors(), self._chain_rows() as rows:
            return verify_rows(rows, expected_latest)


def filters_or_default(filters: IncidentFilter | None) -> IncidentFilter:
    return filters if filters is not None else IncidentFilter()


def purge_checkpoint_data(before: datetime, count: int, last_id: int, last_hash: str) -> dict[str, Any]:
    return {
        "before": iso(to_utc(before)),
        "count": int(count),
        "last_id": int(last_id),
        "last_hash": last_hash,
    }
