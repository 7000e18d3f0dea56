"""PostgreSQL incident store: several proxy replicas writing one chain.

Every append runs in a transaction that first takes ``pg_advisory_xact_lock(<key of the schema>)``,
then reads the last record and inserts after it, so the replicas' records form one chain in id
order. The lock is released at COMMIT. The schema (``?schema=name`` in the URL, default
``dlp_proxy``) and its tables are created if missing and upgraded (:mod:`.migrations`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.rows import dict_row, tuple_row
from psycopg.types.json import Jsonb

from .migrations import migrate_postgres
from .model import safe_url
from .sqlbase import COLUMNS, RowCodec, SqlStore
from .verify import ChainRow

DEFAULT_SCHEMA = "dlp_proxy"
DEFAULT_CONNECT_TIMEOUT = "5"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

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


CODEC = RowCodec(
    time_out=lambda t: t,
    array_out=lambda values: values,
    counts_out=lambda counts: Jsonb(dict(counts)),
    json_out=Jsonb,
    array_in=tuple,
    counts_in=dict,
    json_in=lambda value: value,
)
_params = CODEC.params


class PostgresIncidentStore(SqlStore):
    """Incidents in PostgreSQL (psycopg 3), one chain for every replica."""

    codec = CODEC
    ph = "%s"
    permanent_errors = (psycopg.DataError, psycopg.IntegrityError, ValueError, TypeError)
    db_error = psycopg.Error
    member_clauses = (
        ("group", "groups @> ARRAY[%s]::text[]"),
        ("rule", "rule_ids @> ARRAY[%s]::text[]"),
        ("entity_type", "entity_counts ? %s"),
    )

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
            url=safe_url(url),
            data_dir=data_dir,
            replica=replica,
            hmac_key=hmac_key,
            retry_initial=retry_initial,
            retry_max=retry_max,
        )
        s = self.schema
        self._table = f'"{s}".incidents'
        self._sightings_table = f'"{s}".sightings'
        self._chain_key = _lock_key(f"chain:{s}")
        self._ddl_key = _lock_key(f"ddl:{s}")
        self._schema_ready = False
        cols = ", ".join(COLUMNS)
        values = ", ".join("%s::text[]" if c in _ARRAYS else "%s" for c in COLUMNS)
        self._insert = f"INSERT INTO {self._table} ({cols}) VALUES ({values})"
        self._select = f"SELECT {cols} FROM {self._table}"
        self._upsert = (
            f"INSERT INTO {self._sightings_table} AS s (week, host, service_id, status, grp, count) "
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
        """Create or upgrade the schema (:mod:`.migrations`), once per connection of the writer."""

        def lock(c: psycopg.Connection[Any]) -> None:
            c.execute("SELECT pg_advisory_xact_lock(%s)", (self._ddl_key,))

        migrate_postgres(conn, self.schema, lock, self.url)
        self._schema_ready = True

    def _connect_writer(self) -> psycopg.Connection[Any]:
        self._schema_ready = False  # re-check after a reconnection (the schema may have been dropped)
        return self._connect()

    @contextmanager
    def _transaction(self, conn: psycopg.Connection[Any]) -> Iterator[psycopg.Cursor[Any]]:
        with conn.transaction(), conn.cursor() as cur:
            yield cur

    def _lock_chain(self, cur: psycopg.Cursor[Any]) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (self._chain_key,))  # released at COMMIT

    def _uid_in(self, uids: list[str]) -> tuple[str, tuple[list[str]]]:
        return "uid = ANY(%s)", (uids,)

    def _fetch(
        self, conn: psycopg.Connection[Any], sql: str, args: Sequence[Any], *, named: bool = False
    ) -> list[Any]:
        with conn.cursor(row_factory=dict_row if named else tuple_row) as cur:
            return cur.execute(sql, args).fetchall()

    @contextmanager
    def _chain_rows(self) -> Iterator[Iterable[ChainRow]]:
        with self._read() as conn, conn.transaction():
            cur = conn.cursor(name="dlp_verify", row_factory=dict_row)
            cur.itersize = 2000
            cur.execute(self._select + " ORDER BY seq")
            try:
                yield (CODEC.chain_row(r) for r in cur)
            finally:
                cur.close()
