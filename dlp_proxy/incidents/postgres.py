"""PostgreSQL incident store: several proxy replicas writing one chain.

Every append runs in a transaction that first takes ``pg_advisory_xact_lock(<key of the schema>)``,
then reads the last record and inserts after it, so the replicas' records form one chain in id
order. The lock is released at COMMIT. The schema (``?schema=name`` in the URL, default
``dlp_proxy``) and its tables are created if missing.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from dlp_proxy.logs import get_logger

from .buffer import Entry
from .model import GENESIS, IncidentFilter, Sighting, StoredIncident, iso, to_utc
from .store import (
    ChainedStore,
    _safe_url,
    build_record,
    chain_entries,
    checkpoint_incident,
    filters_or_default,
    merge_sightings,
    purge_checkpoint_data,
)
from .verify import ChainRow

log = get_logger("dlp_proxy.incidents")

DEFAULT_SCHEMA = "dlp_proxy"
DEFAULT_CONNECT_TIMEOUT = "5"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

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
_ARRAYS = {"groups", "rule_ids", "value_hashes"}


def parse_url(url: str) -> tuple[str, str]:
    """``(conninfo for psycopg, schema)`` from a store URL; ``schema`` is taken out of the query."""
    parts = urlsplit(url)
    schema = DEFAULT_SCHEMA
    query: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "schema":
            schema = value
        else:
            query.append((key, value))
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"invalid schema name {schema!r} in the store URL: lower-case letters, digits and _")
    if not any(k == "connect_timeout" for k, _ in query):
        query.append(("connect_timeout", DEFAULT_CONNECT_TIMEOUT))
    return urlunsplit(parts._replace(query=urlencode(query))), schema


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"dlp_proxy:{name}".encode()).digest()[:8], "big", signed=True)


def _schema_sql(s: str) -> str:
    return f"""
CREATE SCHEMA IF NOT EXISTS "{s}";
CREATE TABLE IF NOT EXISTS "{s}".incidents (
    seq bigint PRIMARY KEY,
    uid text NOT NULL UNIQUE,
    kind text NOT NULL,
    replica text NOT NULL,
    time timestamptz NOT NULL,
    request_id text NOT NULL,
    username text,
    groups text[] NOT NULL,
    client_ip text,
    tool text,
    tool_name text,
    host text NOT NULL,
    model text,
    decision text NOT NULL,
    code text NOT NULL,
    rule_ids text[] NOT NULL,
    policy_version text NOT NULL,
    entity_counts jsonb NOT NULL,
    excerpt text,
    value_hashes text[] NOT NULL,
    checkpoint jsonb,
    record text NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_time ON "{s}".incidents (time);
CREATE INDEX IF NOT EXISTS incidents_user ON "{s}".incidents (username, time);
CREATE INDEX IF NOT EXISTS incidents_tool ON "{s}".incidents (tool, time);
CREATE INDEX IF NOT EXISTS incidents_decision ON "{s}".incidents (decision, time);
CREATE INDEX IF NOT EXISTS incidents_groups ON "{s}".incidents USING gin (groups);
CREATE INDEX IF NOT EXISTS incidents_rules ON "{s}".incidents USING gin (rule_ids);
CREATE INDEX IF NOT EXISTS incidents_entities ON "{s}".incidents USING gin (entity_counts);
CREATE TABLE IF NOT EXISTS "{s}".sightings (
    week text NOT NULL,
    host text NOT NULL,
    service_id text NOT NULL DEFAULT '',
    status text NOT NULL,
    grp text NOT NULL,
    count bigint NOT NULL,
    PRIMARY KEY (week, host, service_id, status, grp)
);
"""


def _params(stored: StoredIncident, text: str) -> tuple[Any, ...]:
    return (
        stored.id,
        stored.uid,
        stored.kind,
        stored.replica,
        stored.time,
        stored.request_id,
        stored.user,
        list(stored.groups),
        stored.client_ip,
        stored.tool,
        stored.tool_name,
        stored.host,
        stored.model,
        stored.decision,
        stored.code,
        list(stored.rule_ids),
        stored.policy_version,
        Jsonb(dict(stored.entity_counts)),
        stored.excerpt,
        list(stored.value_hashes),
        Jsonb(stored.checkpoint) if stored.checkpoint is not None else None,
        text,
        stored.prev_hash,
        stored.hash,
    )


def _row_to_stored(row: dict[str, Any]) -> StoredIncident:
    return StoredIncident(
        id=row["seq"],
        uid=row["uid"],
        kind=row["kind"],
        replica=row["replica"],
        time=row["time"],
        request_id=row["request_id"],
        user=row["username"],
        groups=tuple(row["groups"]),
        client_ip=row["client_ip"],
        tool=row["tool"],
        tool_name=row["tool_name"],
        host=row["host"],
        model=row["model"],
        decision=row["decision"],
        code=row["code"],
        rule_ids=tuple(row["rule_ids"]),
        policy_version=row["policy_version"],
        entity_counts=dict(row["entity_counts"]),
        excerpt=row["excerpt"],
        value_hashes=tuple(row["value_hashes"]),
        checkpoint=row["checkpoint"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def _chain_row(row: dict[str, Any]) -> ChainRow:
    try:
        stored: StoredIncident | None = _row_to_stored(row)
        error = None
    except Exception as exc:
        stored, error = None, f"a column cannot be read ({type(exc).__name__}: {exc})"
    return ChainRow(
        int(row["seq"]), str(row["prev_hash"]), str(row["hash"]), str(row["record"]), stored, error
    )


class PostgresIncidentStore(ChainedStore):
    """Incidents in PostgreSQL (psycopg 3), one chain for every replica."""

    def __init__(
        self,
        url: str,
        data_dir: Path,
        *,
        hmac_key: bytes | None = None,
        replica: str | None = None,
        retry_initial: float | None = None,
        retry_max: float | None = None,
    ):
        self._conninfo, self.schema = parse_url(url)
        super().__init__(
            url=_safe_url(url),
            data_dir=data_dir,
            replica=replica,
            hmac_key=hmac_key,
            retry_initial=retry_initial,
            retry_max=retry_max,
        )
        s = self.schema
        self._t = f'"{s}".incidents'
        self._sightings = f'"{s}".sightings'
        self._chain_key = _lock_key(f"chain:{s}")
        self._ddl_key = _lock_key(f"ddl:{s}")
        self._schema_ready = False
        cols = ", ".join(COLUMNS)
        values = ", ".join("%s::text[]" if c in _ARRAYS else "%s" for c in COLUMNS)
        self._insert = f"INSERT INTO {self._t} ({cols}) VALUES ({values})"
        self._select = f"SELECT {cols} FROM {self._t}"
        self._upsert = (
            f"INSERT INTO {self._sightings} AS s (week, host, service_id, status, grp, count) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (week, host, service_id, status, grp) "
            "DO UPDATE SET count = s.count + EXCLUDED.count"
        )
        self._start()  # the writer connects lazily: a store down at start-up only spools

    # ------------------------------------------------------------------ connections
    def _connect(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self._conninfo, autocommit=True)
        try:
            if not self._schema_ready:
                self._ensure_schema(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _ensure_schema(self, conn: psycopg.Connection[Any]) -> None:
        row = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL", (self._t, self._sightings)
        ).fetchone()
        if not (row and row[0]):
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._ddl_key,))
                conn.execute(_schema_sql(self.schema))
        self._schema_ready = True

    def _connect_writer(self) -> psycopg.Connection[Any]:
        self._schema_ready = False  # re-check after a reconnection (the schema may have been dropped)
        return self._connect()

    def _close_conn(self, conn: psycopg.Connection[Any]) -> None:
        conn.close()

    def _is_transient(self, exc: BaseException) -> bool:
        return not isinstance(exc, (psycopg.DataError, psycopg.IntegrityError, ValueError, TypeError))

    def _is_db_error(self, exc: BaseException) -> bool:
        return isinstance(exc, psycopg.Error)

    @contextmanager
    def _read(self) -> Iterator[psycopg.Connection[Any]]:
        with self._read_errors():
            conn = self._connect()
            try:
                yield conn
            finally:
                conn.close()

    def _last(self, cur: psycopg.Cursor[Any]) -> tuple[int, str]:
        row = cur.execute(f"SELECT seq, hash FROM {self._t} ORDER BY seq DESC LIMIT 1").fetchone()
        return (int(row[0]), row[1]) if row else (0, GENESIS)

    # ------------------------------------------------------------------ writes
    def _append(self, conn: psycopg.Connection[Any], entries: list[Entry]) -> None:
        with conn.transaction(), conn.cursor() as cur:
            incidents = [e for e in entries if e.type == "incident"]
            if incidents:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (self._chain_key,))
                last_seq, last_hash = self._last(cur)
                cur.execute(f"SELECT uid FROM {self._t} WHERE uid = ANY(%s)", ([e.uid for e in incidents],))
                known = {r[0] for r in cur.fetchall()}
                rows = chain_entries(
                    incidents, last_seq=last_seq, last_hash=last_hash, replica=self.replica, known_uids=known
                )
                if rows:
                    cur.executemany(self._insert, [_params(s, t) for s, t in rows])
            sightings = sorted(merge_sightings(entries), key=lambda s: s.key())  # one lock order: no deadlock
            if sightings:
                cur.executemany(
                    self._upsert,
                    [(s.week, s.host, s.service_id or "", s.status, s.group, s.count) for s in sightings],
                )

    def purge(self, before: datetime) -> int:
        before = to_utc(before)
        with self._read() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (self._chain_key,))
            last_seq, last_hash = self._last(cur)
            first_kept = cur.execute(f"SELECT min(seq) FROM {self._t} WHERE time >= %s", (before,)).fetchone()
            cut = first_kept[0] - 1 if first_kept and first_kept[0] is not None else last_seq
            row = cur.execute(
                f"SELECT seq, hash FROM {self._t} WHERE seq <= %s ORDER BY seq DESC LIMIT 1", (cut,)
            ).fetchone()
            if row is None:
                return 0
            deleted_seq, deleted_hash = int(row[0]), row[1]
            cur.execute(f"DELETE FROM {self._t} WHERE seq <= %s", (deleted_seq,))
            count = cur.rowcount
            stored, text = build_record(
                checkpoint_incident(),
                seq=last_seq + 1,
                prev_hash=last_hash,
                kind="checkpoint",
                replica=self.replica,
                uid=uuid.uuid4().hex,
                checkpoint=purge_checkpoint_data(before, count, deleted_seq, deleted_hash),
            )
            cur.execute(self._insert, _params(stored, text))
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
                where.append(f"{column} = %s")
                args.append(value)
        if f.since is not None:
            where.append("time >= %s")
            args.append(f.since)
        if f.until is not None:
            where.append("time <= %s")
            args.append(f.until)
        if f.group is not None:
            where.append("groups @> ARRAY[%s]::text[]")
            args.append(f.group)
        if f.rule is not None:
            where.append("rule_ids @> ARRAY[%s]::text[]")
            args.append(f.rule)
        if f.entity_type is not None:
            where.append("entity_counts ? %s")
            args.append(f.entity_type)
        sql = self._select + (" WHERE " + " AND ".join(where) if where else "")
        direction = "DESC" if f.order == "desc" else "ASC"
        sql += f" ORDER BY time {direction}, seq {direction}"
        if f.limit is not None:
            sql += " LIMIT %s"
            args.append(f.limit)
        with self._read() as conn, conn.cursor(row_factory=dict_row) as cur:
            return [_row_to_stored(r) for r in cur.execute(sql, args)]

    def get(self, id: int) -> StoredIncident | None:  # noqa: A002
        with self._read() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(self._select + " WHERE seq = %s", (int(id),)).fetchone()
            return _row_to_stored(row) if row else None

    def latest_hash(self) -> str | None:
        with self._read() as conn:
            row = conn.execute(f"SELECT hash FROM {self._t} ORDER BY seq DESC LIMIT 1").fetchone()
            return row[0] if row else None

    def sightings(self, since_week: str | None = None, until_week: str | None = None) -> list[Sighting]:
        sql = f"SELECT week, host, service_id, status, grp, count FROM {self._sightings} WHERE true"
        args: list[Any] = []
        if since_week is not None:
            sql += " AND week >= %s"
            args.append(since_week)
        if until_week is not None:
            sql += " AND week <= %s"
            args.append(until_week)
        sql += " ORDER BY week, host, service_id, status, grp"
        with self._read() as conn:
            rows = conn.execute(sql, args).fetchall()
        return [Sighting(w, h, sid or None, st, g, int(c)) for w, h, sid, st, g, c in rows]

    @contextmanager
    def _chain_rows(self) -> Iterator[Iterable[ChainRow]]:
        with self._read() as conn, conn.transaction():
            cur = conn.cursor(name="dlp_verify", row_factory=dict_row)
            cur.itersize = 2000
            cur.execute(self._select + " ORDER BY seq")
            try:
                yield (_chain_row(r) for r in cur)
            finally:
                cur.close()
