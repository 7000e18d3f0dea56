"""``dlp-proxy incidents backup|restore`` on a real SQLite file (online, while a writer appends) and a
real PostgreSQL (``DLP_PG_DSN``, with the real pg_dump / pg_restore)."""

from __future__ import annotations

import io
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import psycopg
import pytest

from dlp_proxy.cli import main
from dlp_proxy.incidents import IncidentFilter, open_store
from tests.test_incidents_migrations import old_incident

PG_DSN = os.environ.get("DLP_PG_DSN") or "postgresql://postgres@127.0.0.1:5432/test"


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["incidents", *args])
    return code, out.getvalue(), err.getvalue()


def test_sqlite_backup_while_writing_then_restore(tmp_path: Path) -> None:
    live = tmp_path / "live"
    store = open_store(None, live, replica="p")
    for i in range(200):
        store.record(old_incident(i))
    assert store.flush(timeout=10)
    stop = threading.Event()

    def keep_writing() -> None:  # the proxy keeps recording during the backup
        i = 1000
        while not stop.is_set():
            store.record(old_incident(i))
            i += 1
            store.flush(timeout=5)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    backup = tmp_path / "b.sqlite3"
    try:
        code, out, err = cli("backup", str(backup), "--data-dir", str(live))
    finally:
        stop.set()
        writer.join()
        store.close()
    assert code == 0, err
    assert "chain intact" in out and backup.is_file()
    copied = sqlite3.connect(backup).execute("SELECT count(*) FROM incidents").fetchone()[0]
    assert copied >= 200 and f"{copied} record(s)" in out

    code, _, err = cli("backup", str(backup), "--data-dir", str(live))
    assert code == 2 and "exists" in err  # never overwrites

    fresh = tmp_path / "fresh"
    code, out, err = cli("restore", str(backup), "--data-dir", str(fresh))
    assert code == 0, err
    assert f"{copied} record(s), chain intact" in out
    restored = open_store(None, fresh, replica="q")
    try:
        assert len(restored.query(IncidentFilter(order="asc"))) == copied and restored.verify().ok
    finally:
        restored.close()

    # A store holding records is replaced only with --force.
    code, _, err = cli("restore", str(backup), "--data-dir", str(live))
    assert code == 2 and "--force" in err
    code, out, err = cli("restore", str(backup), "--data-dir", str(live), "--force")
    assert code == 0 and f"{copied} record(s)" in out, err


def test_sqlite_restore_refuses_a_tampered_backup(tmp_path: Path) -> None:
    store = open_store(None, tmp_path / "live", replica="p")
    for i in range(5):
        store.record(old_incident(i))
    assert store.flush(timeout=10)
    store.close()
    backup = tmp_path / "b.sqlite3"
    assert cli("backup", str(backup), "--data-dir", str(tmp_path / "live"))[0] == 0
    with sqlite3.connect(backup) as conn:
        conn.execute("UPDATE incidents SET username = 'mallory' WHERE seq = 3")
    code, _, err = cli("restore", str(backup), "--data-dir", str(tmp_path / "new"))
    assert code == 2 and "does not verify" in err
    assert not (tmp_path / "new" / "incidents.sqlite3").exists()
    code, _, err = cli("restore", str(tmp_path / "missing.sqlite3"), "--data-dir", str(tmp_path / "new"))
    assert code == 2 and "no backup file" in err


# ---------------------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_url() -> Iterator[str]:
    schema = f"b_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, connect_timeout=5):  # PostgreSQL must answer: fail, never skip
        pass
    yield f"{PG_DSN}{'&' if '?' in PG_DSN else '?'}schema={schema}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_postgres_backup_and_restore_with_pg_dump(tmp_path: Path, pg_url: str) -> None:
    store = open_store(pg_url, tmp_path, replica="p")
    for i in range(30):
        store.record(old_incident(i))
    assert store.flush(timeout=10)
    head = store.latest_hash()
    dump = tmp_path / "incidents.dump"
    code, out, err = cli("backup", str(dump), "--store", pg_url)
    assert code == 0, err
    assert dump.stat().st_size > 0 and "30 record(s)" in out
    for i in range(30, 40):  # recorded after the backup: gone after the restore
        store.record(old_incident(i))
    assert store.flush(timeout=10)
    store.close()

    code, _, err = cli("restore", str(dump), "--store", pg_url)
    assert code == 2 and "40 record(s)" in err and "--force" in err
    code, out, err = cli("restore", str(dump), "--store", pg_url, "--force")
    assert code == 0, err
    assert "30 record(s), chain intact" in out and head in out
    check = open_store(pg_url, tmp_path, replica="q")
    try:
        assert len(check.query()) == 30 and check.latest_hash() == head
    finally:
        check.close()


def test_postgres_backup_without_pg_dump_prints_the_commands(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump / pg_restore on this PATH
    code, _, err = cli("backup", str(tmp_path / "x.dump"), "--store", pg_url)
    assert code == 2 and "pg_dump --format=custom --schema=b_" in err
    (tmp_path / "x.dump").write_bytes(b"x")
    code, _, err = cli("restore", str(tmp_path / "x.dump"), "--store", pg_url)
    assert code == 2 and "pg_restore --clean --if-exists" in err
