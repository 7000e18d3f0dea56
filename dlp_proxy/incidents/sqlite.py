"""SQLite incident store: the default, embedded in the data directory.

WAL journal with ``synchronous=FULL``: a committed transaction is in the WAL file and fsync'd before
COMMIT returns, so it survives ``kill -9`` of the proxy and a power cut (NORMAL would only survive the
former). The writer batches incidents, so the fsync is paid once per batch, not per incident.
Appends run in ``BEGIN IMMEDIATE`` transactions: several processes on one file form one chain.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from dlp_proxy.logs import get_logger

from .model import iso
from .sqlbase import COLUMNS, RowCodec, SqlStore
from .store import StoreError
from .verify import ChainRow

log = get_logger("dlp_proxy.incidents")

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    seq INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    replica TEXT NOT NULL,
    time TEXT NOT NULL,
    request_id TEXT NOT NULL,
    username TEXT,
    groups TEXT NOT NULL,
    client_ip TEXT,
    tool TEXT,
    tool_name TEXT,
    host TEXT NOT NULL,
    model TEXT,
    decision TEXT NOT NULL,
    code TEXT NOT NULL,
    rule_ids TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    entity_counts TEXT NOT NULL,
    excerpt TEXT,
    value_hashes TEXT NOT NULL,
    checkpoint TEXT,
    record TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_time ON incidents (time);
CREATE INDEX IF NOT EXISTS incidents_user ON incidents (username, time);
CREATE INDEX IF NOT EXISTS incidents_tool ON incidents (tool, time);
CREATE INDEX IF NOT EXISTS incidents_decision ON incidents (decision, time);
CREATE TABLE IF NOT EXISTS sightings (
    week TEXT NOT NULL,
    host TEXT NOT NULL,
    service_id TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    grp TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (week, host, service_id, status, grp)
);
"""

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
    """Incidents in one SQLite file (WAL, synchronous=FULL)."""

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
            if ensure_schema:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    log.warning("incident_store_not_wal", journal_mode=mode)
                conn.executescript(SCHEMA)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
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
