"""SQLite incident store: the default, embedded in the data directory.

WAL journal with ``synchronous=FULL``: a committed transaction is in the WAL file and fsync'd before
COMMIT returns, so it survives ``kill -9`` of the proxy and a power cut (NORMAL would only survive the
former). The writer batches incidents, so the fsync is paid once per batch, not per incident.
Appends run in ``BEGIN IMMEDIATE`` transactions: several processes on one file form one chain.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from dlp_proxy.logs import get_logger

from .buffer import Entry
from .model import GENESIS, IncidentFilter, Sighting, StoredIncident, iso, to_utc
from .store import (
    ChainedStore,
    StoreError,
    build_record,
    chain_entries,
    checkpoint_incident,
    filters_or_default,
    merge_sightings,
    purge_checkpoint_data,
)
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

COLUMNS = (
    "seq",
    "uid",
    "kind",
    "replica",
    "time",
    "request_id",
    "username",
    "groups",
    "client_ip",
    "tool",
    "tool_name",
    "host",
    "model",
    "decision",
    "code",
    "rule_ids",
    "policy_version",
    "entity_counts",
    "excerpt",
    "value_hashes",
    "checkpoint",
    "record",
    "prev_hash",
    "hash",
)
_INSERT = f"INSERT INTO incidents ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM incidents"
_UPSERT_SIGHTING = (
    "INSERT INTO sightings (week, host, service_id, status, grp, count) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (week, host, service_id, status, grp) DO UPDATE SET count = count + excluded.count"
)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _params(stored: StoredIncident, text: str) -> tuple[Any, ...]:
    return (
        stored.id,
        stored.uid,
        stored.kind,
        stored.replica,
        iso(stored.time),
        stored.request_id,
        stored.user,
        _dumps(list(stored.groups)),
        stored.client_ip,
        stored.tool,
        stored.tool_name,
        stored.host,
        stored.model,
        stored.decision,
        stored.code,
        _dumps(list(stored.rule_ids)),
        stored.policy_version,
        _dumps(dict(sorted(stored.entity_counts.items()))),
        stored.excerpt,
        _dumps(list(stored.value_hashes)),
        _dumps(stored.checkpoint) if stored.checkpoint is not None else None,
        text,
        stored.prev_hash,
        stored.hash,
    )


def _row_to_stored(row: sqlite3.Row) -> StoredIncident:
    return StoredIncident(
        id=row["seq"],
        uid=row["uid"],
        kind=row["kind"],
        replica=row["replica"],
        time=row["time"],
        request_id=row["request_id"],
        user=row["username"],
        groups=tuple(json.loads(row["groups"])),
        client_ip=row["client_ip"],
        tool=row["tool"],
        tool_name=row["tool_name"],
        host=row["host"],
        model=row["model"],
        decision=row["decision"],
        code=row["code"],
        rule_ids=tuple(json.loads(row["rule_ids"])),
        policy_version=row["policy_version"],
        entity_counts=json.loads(row["entity_counts"]),
        excerpt=row["excerpt"],
        value_hashes=tuple(json.loads(row["value_hashes"])),
        checkpoint=json.loads(row["checkpoint"]) if row["checkpoint"] is not None else None,
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


class SqliteIncidentStore(ChainedStore):
    """Incidents in one SQLite file (WAL, synchronous=FULL)."""

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

    def _close_conn(self, conn: sqlite3.Connection) -> None:
        conn.close()

    def _is_transient(self, exc: BaseException) -> bool:
        return not isinstance(exc, (sqlite3.IntegrityError, sqlite3.DataError, ValueError, TypeError))

    def _is_db_error(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.Error)

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

    @staticmethod
    def _last(conn: sqlite3.Connection) -> tuple[int, str]:
        row = conn.execute("SELECT seq, hash FROM incidents ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    # ------------------------------------------------------------------ writes
    def _append(self, conn: sqlite3.Connection, entries: list[Entry]) -> None:
        with self._transaction(conn):
            incidents = [e for e in entries if e.type == "incident"]
            if incidents:
                last_seq, last_hash = self._last(conn)
                uids = [e.uid for e in incidents]
                known = {
                    r[0]
                    for r in conn.execute(
                        f"SELECT uid FROM incidents WHERE uid IN ({', '.join('?' * len(uids))})", uids
                    )
                }
                rows = chain_entries(
                    incidents, last_seq=last_seq, last_hash=last_hash, replica=self.replica, known_uids=known
                )
                conn.executemany(_INSERT, [_params(s, t) for s, t in rows])
            for s in merge_sightings(entries):
                conn.execute(
                    _UPSERT_SIGHTING, (s.week, s.host, s.service_id or "", s.status, s.group, s.count)
                )

    def purge(self, before: datetime) -> int:
        before = to_utc(before)
        with self._read_errors(), closing(self._connect()) as conn, self._transaction(conn):
            last_seq, last_hash = self._last(conn)
            first_kept = conn.execute(
                "SELECT min(seq) FROM incidents WHERE time >= ?", (iso(before),)
            ).fetchone()[0]
            cut = first_kept - 1 if first_kept is not None else last_seq
            row = conn.execute(
                "SELECT seq, hash, (SELECT count(*) FROM incidents WHERE seq <= ?) FROM incidents "
                "WHERE seq <= ? ORDER BY seq DESC LIMIT 1",
                (cut, cut),
            ).fetchone()
            if row is None:
                return 0
            deleted_seq, deleted_hash, count = row
            conn.execute("DELETE FROM incidents WHERE seq <= ?", (deleted_seq,))
            stored, text = build_record(
                checkpoint_incident(),
                seq=last_seq + 1,
                prev_hash=last_hash,
                kind="checkpoint",
                replica=self.replica,
                uid=uuid.uuid4().hex,
                checkpoint=purge_checkpoint_data(before, count, deleted_seq, deleted_hash),
            )
            conn.execute(_INSERT, _params(stored, text))
        log.info("incidents_purged", count=count, before=iso(before), checkpoint=stored.id)
        return count

    # ------------------------------------------------------------------ reads
    def query(self, filters: IncidentFilter | None = None) -> list[StoredIncident]:
        f = filters_or_default(filters)
        where: list[str] = []
        args: list[Any] = []
        for column, value in (
            ("kind", f.kind),
            ("username", f.user),
            ("tool", f.tool),
            ("decision", f.decision),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if f.since is not None:
            where.append("time >= ?")
            args.append(iso(f.since))
        if f.until is not None:
            where.append("time <= ?")
            args.append(iso(f.until))
        if f.group is not None:
            where.append("EXISTS (SELECT 1 FROM json_each(incidents.groups) j WHERE j.value = ?)")
            args.append(f.group)
        if f.rule is not None:
            where.append("EXISTS (SELECT 1 FROM json_each(incidents.rule_ids) j WHERE j.value = ?)")
            args.append(f.rule)
        if f.entity_type is not None:
            where.append("EXISTS (SELECT 1 FROM json_each(incidents.entity_counts) j WHERE j.key = ?)")
            args.append(f.entity_type)
        sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
        direction = "DESC" if f.order == "desc" else "ASC"
        sql += f" ORDER BY time {direction}, seq {direction}"
        if f.limit is not None:
            sql += " LIMIT ?"
            args.append(f.limit)
        with self._read_errors(), closing(self._connect()) as conn:
            return [_row_to_stored(r) for r in conn.execute(sql, args)]

    def get(self, id: int) -> StoredIncident | None:  # noqa: A002
        with self._read_errors(), closing(self._connect()) as conn:
            row = conn.execute(_SELECT + " WHERE seq = ?", (int(id),)).fetchone()
            return _row_to_stored(row) if row else None

    def latest_hash(self) -> str | None:
        with self._read_errors(), closing(self._connect()) as conn:
            row = conn.execute("SELECT hash FROM incidents ORDER BY seq DESC LIMIT 1").fetchone()
            return row[0] if row else None

    def sightings(self, since_week: str | None = None, until_week: str | None = None) -> list[Sighting]:
        sql = "SELECT week, host, service_id, status, grp, count FROM sightings WHERE 1 = 1"
        args: list[Any] = []
        if since_week is not None:
            sql += " AND week >= ?"
            args.append(since_week)
        if until_week is not None:
            sql += " AND week <= ?"
            args.append(until_week)
        sql += " ORDER BY week, host, service_id, status, grp"
        with self._read_errors(), closing(self._connect()) as conn:
            return [Sighting(w, h, sid or None, st, g, c) for w, h, sid, st, g, c in conn.execute(sql, args)]

    @contextmanager
    def _chain_rows(self) -> Iterator[Iterable[ChainRow]]:
        with closing(self._connect()) as conn:
            conn.execute("BEGIN")  # one snapshot for the whole walk
            try:
                yield (_chain_row(r) for r in conn.execute(_SELECT + " ORDER BY seq"))
            finally:
                conn.execute("ROLLBACK")


def _chain_row(row: sqlite3.Row) -> ChainRow:
    try:
        stored: StoredIncident | None = _row_to_stored(row)
        error = None
    except Exception as exc:
        stored, error = None, f"a column cannot be read ({type(exc).__name__}: {exc})"
    return ChainRow(
        int(row["seq"]), str(row["prev_hash"]), str(row["hash"]), str(row["record"]), stored, error
    )
