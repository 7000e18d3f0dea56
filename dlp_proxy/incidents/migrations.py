"""Versioned schema of the incident store, upgraded in place when a proxy (or the CLI) opens it.

Each :class:`Migration` has a number, a one-line reason and its DDL for SQLite and for PostgreSQL.
Applied versions are rows of ``schema_migrations`` (version, name, applied_at), written in the same
transaction as the DDL, under the store's DDL lock (``BEGIN IMMEDIATE`` in SQLite, an advisory lock in
PostgreSQL): several replicas starting together upgrade once.

A store created before versioning (incidents table, no ``schema_migrations``) is at version 1: the
baseline below is exactly that schema, so it is adopted, not rebuilt. Migrations only ADD (tables,
columns with defaults, indexes) and never rewrite a record: the ``record`` column is what the hash
chain covers, so a migrated chain verifies as before. Because they only add, an older proxy keeps
working on a store a newer one upgraded (rolling upgrades); a store newer than this code is logged
and used as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dlp_proxy.logs import get_logger

log = get_logger("dlp_proxy.incidents")

VERSIONS_TABLE = "schema_migrations"

_SQLITE_BASELINE = """
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

_POSTGRES_BASELINE = """
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


@dataclass(frozen=True)
class Migration:
    """One schema step. ``postgres`` uses ``{s}`` for the store's schema name."""

    version: int
    name: str
    sqlite: str
    postgres: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "baseline: incidents and sightings (unversioned)", _SQLITE_BASELINE, _POSTGRES_BASELINE),
    Migration(
        2,
        "index on request_id: records are looked up by the reference shown to the user",
        "CREATE INDEX IF NOT EXISTS incidents_request ON incidents (request_id);",
        'CREATE INDEX IF NOT EXISTS incidents_request ON "{s}".incidents (request_id);',
    ),
)  # fmt: skip
LATEST = MIGRATIONS[-1].version


def pending(current: int) -> list[Migration]:
    """The migrations to apply on a store at version ``current``, in order."""
    return [m for m in MIGRATIONS if m.version > current]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _report(store: str, current: int, applied: list[Migration]) -> None:
    if current > LATEST:
        log.warning("incident_store_schema_newer", store=store, version=current, known=LATEST)
    elif applied:
        log.info(
            "incident_store_migrated",
            store=store,
            from_version=current,
            to_version=applied[-1].version,
            steps=[m.name for m in applied],
        )


# ---------------------------------------------------------------------------------------- SQLite


def sqlite_version(conn: Any) -> int:
    """The schema version of an SQLite store (0: empty file; 1: created before versioning)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if VERSIONS_TABLE in tables:
        row = conn.execute(f"SELECT max(version) FROM {VERSIONS_TABLE}").fetchone()
        return int(row[0] or 0)
    return 1 if "incidents" in tables else 0


def migrate_sqlite(conn: Any, store: str) -> int:
    """Bring an SQLite store (autocommit connection) to :data:`LATEST`; returns the version before."""
    conn.execute("BEGIN IMMEDIATE")  # one upgrader at a time, across processes
    try:
        current = sqlite_version(conn)
        steps = pending(current)
        if steps:
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {VERSIONS_TABLE} "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            if current == 1:  # adopt the unversioned baseline
                conn.execute(
                    f"INSERT OR IGNORE INTO {VERSIONS_TABLE} VALUES (?, ?, ?)",
                    (1, MIGRATIONS[0].name + " (adopted)", _now()),
                )
            for m in steps:
                for statement in _statements(m.sqlite):
                    conn.execute(statement)  # executescript would COMMIT the transaction
                conn.execute(f"INSERT INTO {VERSIONS_TABLE} VALUES (?, ?, ?)", (m.version, m.name, _now()))
            conn.execute(f"PRAGMA user_version = {LATEST}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    _report(store, current, steps)
    return current


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


# ------------------------------------------------------------------------------------ PostgreSQL


def postgres_version(conn: Any, schema: str) -> int:
    """The schema version of a PostgreSQL store (0: nothing yet; 1: created before versioning)."""
    row = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL, to_regclass(%s) IS NOT NULL",
        (f'"{schema}".{VERSIONS_TABLE}', f'"{schema}".incidents'),
    ).fetchone()
    if row[0]:
        return int(conn.execute(f'SELECT max(version) FROM "{schema}".{VERSIONS_TABLE}').fetchone()[0] or 0)
    return 1 if row[1] else 0


def migrate_postgres(conn: Any, schema: str, lock: Callable[[Any], None], store: str) -> int:
    """Bring a PostgreSQL schema to :data:`LATEST` (``lock`` takes the DDL lock in the transaction)."""
    if postgres_version(conn, schema) == LATEST:
        return LATEST  # the common case: no lock taken
    with conn.transaction():
        lock(conn)
        current = postgres_version(conn, schema)
        steps = pending(current)
        if steps:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{schema}".{VERSIONS_TABLE} '
                "(version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)"
            )
            insert = f'INSERT INTO "{schema}".{VERSIONS_TABLE} VALUES (%s, %s, now()) ON CONFLICT DO NOTHING'
            if current == 1:
                conn.execute(insert, (1, MIGRATIONS[0].name + " (adopted)"))
            for m in steps:
                conn.execute(m.postgres.replace("{s}", schema))
                conn.execute(insert, (m.version, m.name))
    _report(store, current, steps)
    return current
