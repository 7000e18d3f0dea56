"""SQLite incident store: the default, embedded in the data directory.

Rollback journal (``journal_mode=DELETE``) with ``synchronous=FULL`` and no memory mapping: a committed
transaction is fsync'd before COMMIT returns, so it survives ``kill -9`` of the proxy and a power cut.
Not WAL: WAL shares its index through a memory-mapped ``-shm`` file, and when that file becomes
unwritable under a running proxy (immutable file, read-only remount, full disk) the next write to the
mapping kills the whole process with SIGBUS instead of returning an error. With a rollback journal
every failure is an ordinary I/O error, which the writer spools (see :mod:`.store`). The writer
batches incidents, so the fsyncs are paid once per batch, not per incident. Appends run in
``BEGIN IMMEDIATE`` transactions: several processes on one file form one chain. The schema is
versioned (:mod:`.migrations`) and upgraded when the store is opened.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from dlp_proxy.logs import get_logger

from .migrations import migrate_sqlite
from .model import iso
from .sqlbase import COLUMNS, RowCodec, SqlStore
from .store import StoreError
from .verify import ChainRow

log = get_logger("dlp_proxy.incidents")

JOURNAL_MODE = "DELETE"

_INSERT = f"INSERT INTO incidents ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM incidents"
_UPSERT_SIGHTING = (
    "INSERT INTO sightings (week, host, service_id, status, grp, count) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (week, host, service_id, status, grp) DO UPDATE SET count = count + excluded.count"
)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


CODEC = RowCodec(
    time_out=iso,
    array_out=_dumps,
    counts_out=lambda counts: _dumps(dict(sorted(counts.items()))),
    json_out=_dumps,
    array_in=lambda text: tuple(json.loads(text)),
    counts_in=json.loads,
    json_in=json.loads,
)
_params = CODEC.params


class SqliteIncidentStore(SqlStore):
    """Incidents in one SQLite file (rollback journal, synchronous=FULL, no mmap)."""

    codec = CODEC
    ph = "?"
    permanent_errors = (sqlite3.IntegrityError, sqlite3.DataError, ValueError, TypeError)
    db_error = sqlite3.Error
    member_clauses = (
        ("group", "EXISTS (SELECT 1 FROM json_each(incidents.groups) j WHERE j.value = ?)"),
        ("rule", "EXISTS (SELECT 1 FROM json_each(incidents.rule_ids) j WHERE j.value = ?)"),
        ("entity_type", "EXISTS (SELECT 1 FROM json_each(incidents.entity_counts) j WHERE j.key = ?)"),
    )
    _table = "incidents"
    _sightings_table = "sightings"
    _select = _SELECT
    _insert = _INSERT
    _upsert = _UPSERT_SIGHTING

    def __init__(
        self,
        path: Path,
        data_dir: Path,
        *,
        hmac_key: bytes | None = None,
        replica: str | None = None,
        retry_initial: float | None = None,
        retry_max: float | None = None,
    ):
        self.path = Path(path)
        super().__init__(
            url=f"sqlite:///{self.path.absolute()}",
            data_dir=data_dir,
            replica=replica,
            hmac_key=hmac_key,
            retry_initial=retry_initial,
            retry_max=retry_max,
        )
        try:
            self._connect(ensure_schema=True).close()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the incident store {self.path}: {exc}") from exc
        self._start()

    # ------------------------------------------------------------------ connections
    def _connect(self, *, ensure_schema: bool = False) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA mmap_size = 0")  # no mapping of the file: an I/O error, never SIGBUS
            if ensure_schema:
                # Persistent in the file: also turns a store created in WAL mode by older versions back.
                mode = conn.execute(f"PRAGMA journal_mode = {JOURNAL_MODE}").fetchone()[0]
                if str(mode).lower() != JOURNAL_MODE.lower():
                    log.warning("incident_store_journal_mode", journal_mode=mode, wanted=JOURNAL_MODE)
                migrate_sqlite(conn, str(self.path))
            conn.execute("PRAGMA synchronous = FULL")
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect_writer(self) -> sqlite3.Connection:
        return self._connect()

    @contextmanager
    def _transaction(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        conn.execute("BEGIN IMMEDIATE")  # the chain lock: one writer at a time, across processes
        try:
            yield conn
        except BaseException:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise
        conn.execute("COMMIT")

    def _uid_in(self, uids: list[str]) -> tuple[str, list[str]]:
        return f"uid IN ({', '.join('?' * len(uids))})", uids

    def _fetch(
        self, conn: sqlite3.Connection, sql: str, args: Sequence[Any], *, named: bool = False
    ) -> list[Any]:
        return conn.execute(sql, args).fetchall()  # sqlite3.Row: by name and by position

    @contextmanager
    def _chain_rows(self) -> Iterator[Iterable[ChainRow]]:
        with closing(self._connect()) as conn:
            conn.execute("BEGIN")  # one snapshot for the whole walk
            try:
                yield (CODEC.chain_row(r) for r in conn.execute(_SELECT + " ORDER BY seq"))
            finally:
                conn.execute("ROLLBACK")
