"""What the SQL backends share: the columns, row encoding, query building and the append/purge/read steps.

A backend (:mod:`.sqlite`, :mod:`.postgres`) supplies only what differs: its :class:`RowCodec` (how
arrays, JSON and times are stored), the SQL dialect (placeholder, membership tests, the uid test,
the sighting upsert, the DDL), connections, and the chain lock (``BEGIN IMMEDIATE`` in SQLite, an
advisory lock in PostgreSQL).
"""

from __future__ import annotations

import uuid
from abc import abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dlp_proxy.logs import get_logger

from .buffer import Entry
from .model import GENESIS, IncidentFilter, Sighting, StoredIncident, iso, to_utc
from .store import (
    ChainedStore,
    build_record,
    chain_entries,
    checkpoint_incident,
    filters_or_default,
    merge_sightings,
    purge_checkpoint_data,
)
from .verify import ChainRow

log = get_logger("dlp_proxy.incidents")

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

_SIGHTING_COLUMNS = "week, host, service_id, status, grp, count"


@dataclass(frozen=True)
class RowCodec:
    """How a backend writes (``*_out``) and reads (``*_in``) the columns that are not plain text/numbers."""

    time_out: Callable[[datetime], Any]
    array_out: Callable[[list[str]], Any]  # groups, rule_ids, value_hashes
    counts_out: Callable[[Mapping[str, int]], Any]  # entity_counts
    json_out: Callable[[dict[str, Any]], Any]  # checkpoint (when not None)
    array_in: Callable[[Any], tuple[str, ...]]
    counts_in: Callable[[Any], dict[str, int]]
    json_in: Callable[[Any], Any]

    def params(self, stored: StoredIncident, text: str) -> tuple[Any, ...]:
        """The INSERT parameters of a record, in :data:`COLUMNS` order."""
        return (
            stored.id,
            stored.uid,
            stored.kind,
            stored.replica,
            self.time_out(stored.time),
            stored.request_id,
            stored.user,
            self.array_out(list(stored.groups)),
            stored.client_ip,
            stored.tool,
            stored.tool_name,
            stored.host,
            stored.model,
            stored.decision,
            stored.code,
            self.array_out(list(stored.rule_ids)),
            stored.policy_version,
            self.counts_out(stored.entity_counts),
            stored.excerpt,
            self.array_out(list(stored.value_hashes)),
            self.json_out(stored.checkpoint) if stored.checkpoint is not None else None,
            text,
            stored.prev_hash,
            stored.hash,
        )

    def row_to_stored(self, row: Any) -> StoredIncident:
        """A record from a row read by column name."""
        return StoredIncident(
            id=row["seq"],
            uid=row["uid"],
            kind=row["kind"],
            replica=row["replica"],
            time=row["time"],
            request_id=row["request_id"],
            user=row["username"],
            groups=self.array_in(row["groups"]),
            client_ip=row["client_ip"],
            tool=row["tool"],
            tool_name=row["tool_name"],
            host=row["host"],
            model=row["model"],
            decision=row["decision"],
            code=row["code"],
            rule_ids=self.array_in(row["rule_ids"]),
            policy_version=row["policy_version"],
            entity_counts=self.counts_in(row["entity_counts"]),
            excerpt=row["excerpt"],
            value_hashes=self.array_in(row["value_hashes"]),
            checkpoint=self.json_in(row["checkpoint"]) if row["checkpoint"] is not None else None,
            prev_hash=row["prev_hash"],
            hash=row["hash"],
        )

    def chain_row(self, row: Any) -> ChainRow:
        """A row for verification; a column that cannot be read is reported, not raised."""
        try:
            stored: StoredIncident | None = self.row_to_stored(row)
            error = None
        except Exception as exc:
            stored, error = None, f"a column cannot be read ({type(exc).__name__}: {exc})"
        return ChainRow(
            int(row["seq"]), str(row["prev_hash"]), str(row["hash"]), str(row["record"]), stored, error
        )


class SqlStore(ChainedStore):
    """A :class:`ChainedStore` on a SQL database; the subclass sets the dialect and the hooks below."""

    codec: RowCodec
    ph: str  # the parameter placeholder
    permanent_errors: tuple[type[BaseException], ...]  # a record the store refuses for good
    db_error: type[BaseException]  # the driver's base error
    # (filter field, WHERE clause with one placeholder) for the fields matched inside a column
    member_clauses: tuple[tuple[str, str], ...]
    _table: str
    _sightings_table: str
    _select: str  # SELECT <COLUMNS> FROM <incidents>
    _insert: str
    _upsert: str  # sighting increment: week, host, service_id, status, grp, count

    # ------------------------------------------------------------------ backend hooks
    @abstractmethod
    def _connect(self) -> Any:
        """A new connection (autocommit; the schema ensured when needed)."""

    @abstractmethod
    def _transaction(self, conn: Any) -> AbstractContextManager[Any]:
        """A transaction on ``conn``, giving something with ``execute``/``executemany`` (cursor-like)."""

    def _lock_chain(self, cur: Any) -> None:
        """Take the chain lock inside a transaction (no-op when the transaction already holds it)."""

    @abstractmethod
    def _uid_in(self, uids: list[str]) -> tuple[str, Sequence[Any]]:
        """A WHERE clause and its arguments matching the records with one of ``uids``."""

    @abstractmethod
    def _fetch(self, conn: Any, sql: str, args: Sequence[Any], *, named: bool = False) -> list[Any]:
        """All rows of a query; ``named``: rows readable by column name, else plain tuples."""

    # ------------------------------------------------------------------ connections and errors
    def _close_conn(self, conn: Any) -> None:
        conn.close()

    def _is_transient(self, exc: BaseException) -> bool:
        return not isinstance(exc, self.permanent_errors)

    def _is_db_error(self, exc: BaseException) -> bool:
        return isinstance(exc, self.db_error)

    @contextmanager
    def _read(self) -> Iterator[Any]:
        """A connection for one read, closed after it; errors become StoreError."""
        with self._read_errors():
            conn = self._connect()
            try:
                yield conn
            finally:
                self._close_conn(conn)

    def _last(self, cur: Any) -> tuple[int, str]:
        row = cur.execute(f"SELECT seq, hash FROM {self._table} ORDER BY seq DESC LIMIT 1").fetchone()
        return (int(row[0]), row[1]) if row else (0, GENESIS)

    # ------------------------------------------------------------------ writes
    def _append(self, conn: Any, entries: list[Entry]) -> None:
        with self._transaction(conn) as cur:
            incidents = [e for e in entries if e.type == "incident"]
            if incidents:
                self._lock_chain(cur)
                last_seq, last_hash = self._last(cur)
                clause, args = self._uid_in([e.uid for e in incidents])
                known = {
                    r[0]
                    for r in cur.execute(f"SELECT uid FROM {self._table} WHERE {clause}", args).fetchall()
                }
                rows = chain_entries(
                    incidents, last_seq=last_seq, last_hash=last_hash, replica=self.replica, known_uids=known
                )
                if rows:
                    cur.executemany(self._insert, [self.codec.params(s, t) for s, t in rows])
            sightings = sorted(merge_sightings(entries), key=lambda s: s.key())  # one lock order: no deadlock
            if sightings:
                cur.executemany(
                    self._upsert,
                    [(s.week, s.host, s.service_id or "", s.status, s.group, s.count) for s in sightings],
                )

    def purge(self, before: datetime) -> int:
        before = to_utc(before)
        t, ph = self._table, self.ph
        with self._read() as conn, self._transaction(conn) as cur:
            self._lock_chain(cur)
            last_seq, last_hash = self._last(cur)
            first_kept = cur.execute(
                f"SELECT min(seq) FROM {t} WHERE time >= {ph}", (self.codec.time_out(before),)
            ).fetchone()[0]
            cut = first_kept - 1 if first_kept is not None else last_seq
            row = cur.execute(
                f"SELECT seq, hash FROM {t} WHERE seq <= {ph} ORDER BY seq DESC LIMIT 1", (cut,)
            ).fetchone()
            if row is None:
                return 0
            deleted_seq, deleted_hash = int(row[0]), row[1]
            count = cur.execute(f"DELETE FROM {t} WHERE seq <= {ph}", (deleted_seq,)).rowcount
            stored, text = build_record(
                checkpoint_incident(),
                seq=last_seq + 1,
                prev_hash=last_hash,
                kind="checkpoint",
                replica=self.replica,
                uid=uuid.uuid4().hex,
                checkpoint=purge_checkpoint_data(before, count, deleted_seq, deleted_hash),
            )
            cur.execute(self._insert, self.codec.params(stored, text))
        log.info("incidents_purged", count=count, before=iso(before), checkpoint=stored.id)
        return count

    # ------------------------------------------------------------------ reads
    def _query_sql(self, f: IncidentFilter) -> tuple[str, list[Any]]:
        ph = self.ph
        where: list[str] = []
        args: list[Any] = []
        for column, value in (
            ("kind", f.kind),
            ("username", f.user),
            ("tool", f.tool),
            ("decision", f.decision),
            ("request_id", f.request_id),
        ):
            if value is not None:
                where.append(f"{column} = {ph}")
                args.append(value)
        for op, bound in ((">=", f.since), ("<=", f.until)):
            if bound is not None:
                where.append(f"time {op} {ph}")
                args.append(self.codec.time_out(bound))
        for field, clause in self.member_clauses:
            value = getattr(f, field)
            if value is not None:
                where.append(clause)
                args.append(value)
        sql = self._select + (" WHERE " + " AND ".join(where) if where else "")
        direction = "DESC" if f.order == "desc" else "ASC"
        sql += f" ORDER BY time {direction}, seq {direction}"
        if f.limit is not None:
            sql += f" LIMIT {ph}"
            args.append(f.limit)
        return sql, args

    def query(self, filters: IncidentFilter | None = None) -> list[StoredIncident]:
        sql, args = self._query_sql(filters_or_default(filters))
        with self._read() as conn:
            return [self.codec.row_to_stored(r) for r in self._fetch(conn, sql, args, named=True)]

    def get(self, id: int) -> StoredIncident | None:  # noqa: A002
        with self._read() as conn:
            rows = self._fetch(conn, f"{self._select} WHERE seq = {self.ph}", (int(id),), named=True)
            return self.codec.row_to_stored(rows[0]) if rows else None

    def latest_hash(self) -> str | None:
        with self._read() as conn:
            rows = self._fetch(conn, f"SELECT hash FROM {self._table} ORDER BY seq DESC LIMIT 1", ())
            return rows[0][0] if rows else None

    def sightings(self, since_week: str | None = None, until_week: str | None = None) -> list[Sighting]:
        sql = f"SELECT {_SIGHTING_COLUMNS} FROM {self._sightings_table} WHERE 1 = 1"
        args: list[Any] = []
        if since_week is not None:
            sql += f" AND week >= {self.ph}"
            args.append(since_week)
        if until_week is not None:
            sql += f" AND week <= {self.ph}"
            args.append(until_week)
        sql += " ORDER BY week, host, service_id, status, grp"
        with self._read() as conn:
            rows = self._fetch(conn, sql, args)
        return [Sighting(w, h, sid or None, st, g, int(c)) for w, h, sid, st, g, c in rows]
