"""Schema migrations, from the unversioned schema of before (tests/fixtures/incidents/), on a real
SQLite file and a real PostgreSQL (``DLP_PG_DSN``): records written the old way, the store opened by
today's code (upgraded), then ``dlp-proxy incidents verify`` — the chain must still verify, and new
records must chain after the old ones.
"""

from __future__ import annotations

import io
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from dlp_proxy.cli import main
from dlp_proxy.incidents import GENESIS, Incident, IncidentFilter, open_store
from dlp_proxy.incidents.migrations import LATEST, MIGRATIONS
from dlp_proxy.incidents.store import build_record
from tests.test_incidents import make

FIXTURES = Path(__file__).parent / "fixtures" / "incidents"
PG_DSN = os.environ.get("DLP_PG_DSN") or "postgresql://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def old_incident(i: int) -> Incident:
    return make(
        i,
        request_id=f"old{i}",
        policy_version="2026.1",
        entity_counts={"FR_NIR": 1},
        time=T0 + timedelta(minutes=i),
    )


def old_rows(n: int) -> tuple[list[tuple], str]:
    """``n`` chained records as the code of before wrote them (its codec and chain), and the last hash."""
    rows, prev = [], GENESIS
    for i in range(n):
        stored, text = build_record(
            old_incident(i), seq=i + 1, prev_hash=prev, kind="incident", replica="old", uid=uuid.uuid4().hex
        )
        rows.append((stored, text))
        prev = stored.hash
    return rows, prev


def verify_cli(store_url: str, tmp_path: Path) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["incidents", "verify", "--store", store_url, "--data-dir", str(tmp_path)])
    return code, out.getvalue()


# -------------------------------------------------------------------------------------------- SQLite


def make_old_sqlite(path: Path, n: int) -> str:
    """A store file exactly as before versioning: the old DDL, WAL, user_version 1, ``n`` records."""
    from dlp_proxy.incidents import sqlite as mod

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript((FIXTURES / "schema-unversioned.sqlite.sql").read_text())
    conn.execute("PRAGMA user_version = 1")
    rows, last = old_rows(n)
    conn.executemany(mod._INSERT, [mod._params(s, t) for s, t in rows])
    conn.execute(
        "INSERT INTO sightings (week, host, service_id, status, grp, count) VALUES (?, ?, ?, ?, ?, ?)",
        ("2026-W10", "chat.deepseek.com", "deepseek-chat", "forbidden", "rh", 3),
    )
    conn.close()
    return last


def test_sqlite_unversioned_store_is_upgraded_and_its_chain_verifies(tmp_path: Path) -> None:
    db = tmp_path / "incidents.sqlite3"
    last = make_old_sqlite(db, 25)
    url = f"sqlite:///{db}"

    code, out = verify_cli(url, tmp_path)  # the existing verify command opens (and upgrades) the store
    assert code == 0, out
    assert "25 record(s) checked" in out and last in out

    conn = sqlite3.connect(db)
    versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [m.version for m in MIGRATIONS] and versions[-1] == LATEST
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # WAL left behind (SIGBUS)
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "incidents_request" in indexes
    conn.close()

    store = open_store(url, tmp_path, replica="new")
    try:
        store.record(old_incident(100))
        assert store.flush(timeout=10)
        rows = store.query(IncidentFilter(order="asc"))
        assert [r.id for r in rows] == list(range(1, 27))
        assert rows[-1].prev_hash == last and rows[-1].replica == "new"
        assert store.sightings()[0].count == 3
    finally:
        store.close()
    code, out = verify_cli(url, tmp_path)
    assert code == 0 and "26 record(s) checked" in out


def test_sqlite_migration_runs_once(tmp_path: Path) -> None:
    db = tmp_path / "incidents.sqlite3"
    for _ in range(3):
        open_store(f"sqlite:///{db}", tmp_path, replica="x").close()
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    conn.close()
    assert [v for v, _ in rows] == [m.version for m in MIGRATIONS]
    assert "adopted" not in rows[0][1]  # a new store ran the baseline itself


def test_sqlite_store_newer_than_the_code_is_used_as_is(tmp_path: Path) -> None:
    db = tmp_path / "incidents.sqlite3"
    open_store(f"sqlite:///{db}", tmp_path, replica="x").close()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO schema_migrations VALUES (?, 'from the future', '2030-01-01')", (LATEST + 5,))
    conn.commit()
    conn.close()
    store = open_store(f"sqlite:///{db}", tmp_path, replica="x")
    try:
        store.record(old_incident(0))
        assert store.flush(timeout=10) and store.verify().ok
    finally:
        store.close()


# ---------------------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_schema() -> Iterator[str]:
    schema = f"m_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, connect_timeout=5):  # PostgreSQL must answer: fail, never skip
        pass
    yield schema
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def make_old_postgres(schema: str, n: int) -> str:
    from dlp_proxy.incidents import postgres as mod

    ddl = (FIXTURES / "schema-unversioned.postgres.sql").read_text().replace("{s}", schema)
    rows, last = old_rows(n)
    cols = ", ".join(mod.COLUMNS)
    values = ", ".join("%s::text[]" if c in mod._ARRAYS else "%s" for c in mod.COLUMNS)
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(ddl)
        with conn.cursor() as cur:
            cur.executemany(
                f'INSERT INTO "{schema}".incidents ({cols}) VALUES ({values})',
                [mod._params(s, t) for s, t in rows],
            )
    return last


def test_postgres_unversioned_store_is_upgraded_and_its_chain_verifies(
    tmp_path: Path, pg_schema: str
) -> None:
    last = make_old_postgres(pg_schema, 25)
    url = f"{PG_DSN}{'&' if '?' in PG_DSN else '?'}schema={pg_schema}"

    code, out = verify_cli(url, tmp_path)
    assert code == 0, out
    assert "25 record(s) checked" in out and last in out

    store = open_store(url, tmp_path, replica="new")  # the writer upgrades on its first connection
    try:
        store.record(old_incident(100))
        assert store.flush(timeout=10)
        rows = store.query(IncidentFilter(order="asc"))
        assert [r.id for r in rows] == list(range(1, 27)) and rows[-1].prev_hash == last
    finally:
        store.close()
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        versions = [
            r[0]
            for r in conn.execute(f'SELECT version FROM "{pg_schema}".schema_migrations ORDER BY version')
        ]
        index = conn.execute("SELECT to_regclass(%s)", (f'"{pg_schema}".incidents_request',)).fetchone()[0]
    assert versions == [m.version for m in MIGRATIONS] and index is not None
    code, out = verify_cli(url, tmp_path)
    assert code == 0 and "26 record(s) checked" in out


def test_postgres_new_store_gets_every_version(tmp_path: Path, pg_schema: str) -> None:
    url = f"{PG_DSN}{'&' if '?' in PG_DSN else '?'}schema={pg_schema}"
    for _ in range(2):
        store = open_store(url, tmp_path, replica="x")
        store.record(old_incident(0))
        assert store.flush(timeout=10)
        store.close()
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        rows = conn.execute(
            f'SELECT version, name FROM "{pg_schema}".schema_migrations ORDER BY 1'
        ).fetchall()
    assert [v for v, _ in rows] == [m.version for m in MIGRATIONS]
    assert "adopted" not in rows[0][1]
