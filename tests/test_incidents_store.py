"""The incident store, run against BOTH backends: SQLite in tmp_path and a real PostgreSQL.

PostgreSQL comes from ``DLP_PG_DSN`` (default ``postgresql://postgres@127.0.0.1:5432/test``); each
test gets its own schema, dropped afterwards. If PostgreSQL does not answer, the PostgreSQL tests
fail: CI provides it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from dlp_proxy.incidents import (
    GENESIS,
    Incident,
    IncidentFilter,
    IncidentStore,
    Sighting,
    StoreError,
    StoreMaintenance,
    chain_hash,
    hash_value,
    open_store,
    value_hashes,
)
from dlp_proxy.incidents.store import build_record

REPO = Path(__file__).resolve().parents[1]
PG_DSN = os.environ.get("DLP_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def make(i: int, **over: Any) -> Incident:
    data: dict[str, Any] = dict(
        request_id=f"r{i}",
        user="alice",
        groups=("rh",),
        client_ip="10.0.0.1",
        tool="deepseek-api",
        tool_name="DeepSeek API",
        host="api.deepseek.com",
        model="deepseek-chat",
        decision="blocked",
        code="tool_forbidden",
        rule_ids=("outil:deepseek-api:interdit",),
        policy_version="2026.4",
        time=T0 + timedelta(minutes=i),
    )
    data.update(over)
    return Incident(**data)


def with_schema(dsn: str, schema: str) -> str:
    return dsn + ("&" if "?" in dsn else "?") + f"schema={schema}"


@dataclass
class Backend:
    """One backend under test: how to open stores on it and how to tamper with it behind their back."""

    name: str
    url: str
    data_dir: Path
    schema: str | None = None
    stores: list[IncidentStore] = field(default_factory=list)

    def open(self, **kw: Any) -> IncidentStore:
        kw.setdefault("replica", "proxy-a")
        store = open_store(self.url, kw.pop("data_dir", self.data_dir), **kw)
        self.stores.append(store)
        return store

    @property
    def table(self) -> str:
        return f'"{self.schema}".incidents' if self.schema else "incidents"

    def raw(self, sql: str, params: tuple = ()) -> None:
        """Run SQL on the incidents table directly (``{t}`` is the table, ``?`` the placeholder)."""
        sql = sql.replace("{t}", self.table)
        if self.name == "sqlite":
            with sqlite3.connect(self.data_dir / "incidents.sqlite3") as conn:
                conn.execute(sql, params)
        else:
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(sql.replace("?", "%s"), params)

    def insert_raw(self, store: IncidentStore, stored: Any, text: str) -> None:
        """Insert a forged record with the backend's own column encoding."""
        if self.name == "sqlite":
            from dlp_proxy.incidents import sqlite as mod

            with sqlite3.connect(self.data_dir / "incidents.sqlite3") as conn:
                conn.execute(mod._INSERT, mod._params(stored, text))
        else:
            from dlp_proxy.incidents import postgres as mod

            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(store._insert, mod._params(stored, text))  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        b = Backend("sqlite", f"sqlite:///{tmp_path / 'incidents.sqlite3'}", tmp_path)
        yield b
        for s in b.stores:
            s.close()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, connect_timeout=5):  # PostgreSQL must answer: fail, never skip
        pass
    b = Backend("postgresql", with_schema(PG_DSN, schema), tmp_path, schema)
    yield b
    for s in b.stores:
        s.close()
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def fill(store: IncidentStore, n: int, **over: Any) -> None:
    for i in range(n):
        store.record(make(i, **over))
    assert store.flush(timeout=10)


# ---------------------------------------------------------------------------- record / query


def test_query_every_filter_and_order(backend: Backend) -> None:
    store = backend.open()
    incidents = [
        make(0),
        make(
            1,
            user="bob",
            groups=("dev", "rh"),
            tool="chatgpt",
            decision="redacted",
            code="data_rule",
            rule_ids=("donnee:nir:caviarder",),
            entity_counts={"FR_NIR": 2, "EMAIL_ADDRESS": 1},
        ),
        make(
            2,
            groups=("dev",),
            tool="chatgpt",
            decision="pseudonymized",
            code="data_rule",
            rule_ids=("donnee:email:pseudonymiser",),
            entity_counts={"EMAIL_ADDRESS": 1},
        ),
        make(
            3,
            user="carol",
            groups=(),
            client_ip=None,
            tool="mistral",
            decision="warned",
            code="data_rule",
            rule_ids=(),
            entity_counts={"PERSON": 1},
            excerpt="Bonjour <PERSON_1>, voici le contrat",
            value_hashes=value_hashes(b"k" * 32, [("PERSON", "Jean Dupont")]),
        ),
    ]
    for inc in incidents:
        store.record(inc)
    assert store.flush(timeout=10)

    def ids(**f: Any) -> list[str]:
        return [r.request_id for r in store.query(IncidentFilter(**f))]

    assert ids() == ["r0", "r1", "r2", "r3"]
    assert ids(order="desc") == ["r3", "r2", "r1", "r0"]
    assert ids(order="desc", limit=2) == ["r3", "r2"]
    assert ids(limit=1) == ["r0"]
    assert ids(since=T0 + timedelta(minutes=1)) == ["r1", "r2", "r3"]
    assert ids(until=T0 + timedelta(minutes=1)) == ["r0", "r1"]
    assert ids(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=2)) == ["r1", "r2"]
    assert ids(user="alice") == ["r0", "r2"]
    assert ids(group="rh") == ["r0", "r1"]
    assert ids(group="dev") == ["r1", "r2"]
    assert ids(tool="chatgpt") == ["r1", "r2"]
    assert ids(decision="warned") == ["r3"]
    assert ids(entity_type="EMAIL_ADDRESS") == ["r1", "r2"]
    assert ids(entity_type="FR_NIR") == ["r1"]
    assert ids(rule="donnee:nir:caviarder") == ["r1"]
    assert ids(user="alice", tool="chatgpt", group="dev", entity_type="EMAIL_ADDRESS") == ["r2"]
    assert ids(user="nobody") == []

    rows = store.query()
    assert [r.id for r in rows] == [1, 2, 3, 4]
    assert rows[0].prev_hash == GENESIS and all(
        b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False)
    )
    for row, original in zip(rows, incidents, strict=True):
        assert row.incident() == original  # every field round-trips, times included
        assert row.kind == "incident" and row.replica == "proxy-a" and len(row.hash) == 64
    got = store.get(rows[3].id)
    assert got == rows[3] and got.excerpt == "Bonjour <PERSON_1>, voici le contrat"
    assert got.value_hashes and got.value_hashes[0].startswith("PERSON:")
    assert store.get(999) is None
    assert store.latest_hash() == rows[-1].hash


def test_empty_store(backend: Backend) -> None:
    store = backend.open()
    assert store.query() == [] and store.latest_hash() is None and store.sightings() == []
    result = store.verify()
    assert result.ok and result.checked == 0


def test_record_never_raises_and_late_records_are_kept(backend: Backend) -> None:
    store = backend.open()
    store.record("not an incident")  # type: ignore[arg-type]  # logged, not raised
    store.record(make(0))
    store.close()
    store.record(make(1))  # after close: spooled on disk, drained by the next store
    store.close()
    again = backend.open()
    assert again.flush(timeout=10)
    assert [r.request_id for r in again.query()] == ["r0", "r1"]
    assert again.verify().ok


def test_no_user_or_address_in_repr(backend: Backend) -> None:
    store = backend.open()
    fill(store, 1, user="jean.dupont", client_ip="192.0.2.55")
    text = repr(store.query()[0]) + repr(make(0, user="jean.dupont", client_ip="192.0.2.55"))
    assert "jean.dupont" not in text and "192.0.2.55" not in text


# ---------------------------------------------------------------------------- chain and tampering


def test_chain_verifies(backend: Backend) -> None:
    store = backend.open()
    fill(store, 12)
    latest = store.latest_hash()
    result = store.verify()
    assert result.ok and result.checked == 12 and result.latest_hash == latest
    assert store.verify(expected_latest=latest).ok
    assert store.verify(expected_latest=latest[:16]).ok  # the metric carries a prefix
    rows = store.query()
    assert rows[5].hash == chain_hash(rows[4].hash, _recorded(backend, rows[5].id))


def _recorded(backend: Backend, seq: int) -> str:
    if backend.name == "sqlite":
        with sqlite3.connect(backend.data_dir / "incidents.sqlite3") as conn:
            return conn.execute("SELECT record FROM incidents WHERE seq = ?", (seq,)).fetchone()[0]
    with psycopg.connect(PG_DSN) as conn:
        return conn.execute(f"SELECT record FROM {backend.table} WHERE seq = %s", (seq,)).fetchone()[0]


def test_edited_column_is_named(backend: Backend) -> None:
    store = backend.open()
    fill(store, 8)
    backend.raw("UPDATE {t} SET username = 'mallory' WHERE seq = 3")
    result = store.verify()
    assert not result.ok and result.issue == "edited" and result.first_bad_id == 3
    assert result.changed_fields == ("user",)
    assert "mallory" in result.problem and "alice" in result.problem


def test_edited_counts_and_recorded_content(backend: Backend) -> None:
    store = backend.open()
    fill(store, 6, entity_counts={"FR_NIR": 1})
    backend.raw("""UPDATE {t} SET entity_counts = '{"FR_NIR": 7}' WHERE seq = 2""")
    result = store.verify()
    assert (result.issue, result.first_bad_id, result.changed_fields) == ("edited", 2, ("entity_counts",))
    backend.raw("""UPDATE {t} SET entity_counts = '{"FR_NIR": 1}' WHERE seq = 2""")
    assert store.verify().ok
    # Rewriting the recorded JSON too (so columns and record agree) breaks the record's own hash.
    backend.raw(
        'UPDATE {t} SET record = replace(record, \'"decision":"blocked"\', \'"decision":"warned"\'), '
        "decision = 'warned' WHERE seq = 4"
    )
    result = store.verify()
    assert (result.issue, result.first_bad_id) == ("edited", 4)
    assert "no longer matches its hash" in result.problem


def test_deleted_middle_record(backend: Backend) -> None:
    store = backend.open()
    fill(store, 8)
    backend.raw("DELETE FROM {t} WHERE seq = 4")
    result = store.verify()
    assert not result.ok and result.issue == "deleted" and result.first_bad_id == 5
    assert "id 4" in result.problem


def test_inserted_record(backend: Backend) -> None:
    store = backend.open()
    fill(store, 8)
    before = store.get(4)
    # The attacker renumbers the newer records and slips a well-formed, correctly hashed record in.
    backend.raw("UPDATE {t} SET seq = seq + 1000 WHERE seq >= 5")
    backend.raw("UPDATE {t} SET seq = seq - 999 WHERE seq >= 1000")
    forged, text = build_record(
        make(99, user="mallory"),
        seq=5,
        prev_hash=before.hash,
        kind="incident",
        replica="proxy-a",
        uid="forged",
    )
    backend.insert_raw(store, forged, text)
    result = store.verify()
    assert not result.ok and result.issue == "inserted" and result.first_bad_id == 5


def test_rewritten_chain_tail_is_broken(backend: Backend) -> None:
    store = backend.open()
    fill(store, 5)
    backend.raw("UPDATE {t} SET hash = ? WHERE seq = 2", ("f" * 64,))
    result = store.verify()
    assert not result.ok and result.first_bad_id == 2 and result.issue == "edited"


def test_truncated_newest_records_need_the_last_known_hash(backend: Backend) -> None:
    store = backend.open()
    fill(store, 8)
    latest = store.latest_hash()
    backend.raw("DELETE FROM {t} WHERE seq >= 6")
    assert store.verify().ok  # a clean prefix: only the exported hash can tell
    for expected in (latest, latest[:13]):
        result = store.verify(expected_latest=expected)
        assert not result.ok and result.issue == "truncated" and result.first_bad_id == 6
        assert "ends at record 5" in result.problem
    # Records appended after the hash was logged are fine.
    store.record(make(50))
    assert store.flush(timeout=10)
    assert store.verify(expected_latest=store.query()[4].hash).ok


def test_deleting_oldest_records_without_purge_is_detected(backend: Backend) -> None:
    store = backend.open()
    fill(store, 6)
    backend.raw("DELETE FROM {t} WHERE seq <= 2")
    result = store.verify()
    assert not result.ok and result.issue == "deleted" and result.first_bad_id == 3


# ---------------------------------------------------------------------------- purge


def test_purge_writes_a_checkpoint_and_the_chain_still_verifies(backend: Backend) -> None:
    store = backend.open()
    now = datetime.now(UTC)
    for i in range(4):
        store.record(make(i, time=now - timedelta(days=400 - i)))
    for i in range(4, 7):
        store.record(make(i, time=now - timedelta(days=10 - i)))
    assert store.flush(timeout=10)
    deleted_last = store.get(4)

    assert store.purge(now - timedelta(days=365)) == 4
    assert [r.request_id for r in store.query()] == ["r4", "r5", "r6"]
    everything = store.query(IncidentFilter(kind=None))
    checkpoint = everything[-1]
    assert checkpoint.kind == "checkpoint" and checkpoint.id == 8 and checkpoint.decision == "checkpoint"
    assert checkpoint.checkpoint["count"] == 4 and checkpoint.checkpoint["last_id"] == 4
    assert checkpoint.checkpoint["last_hash"] == deleted_last.hash
    assert store.query(IncidentFilter(kind="checkpoint")) == [checkpoint]
    assert store.latest_hash() == checkpoint.hash
    result = store.verify(expected_latest=checkpoint.hash)
    assert result.ok and result.checked == 4

    assert store.purge(now - timedelta(days=365)) == 0  # nothing old: no new checkpoint
    fill(store, 2, time=now)
    assert store.verify().ok
    # Purge everything, checkpoint included: the new checkpoint anchors the (empty) rest.
    assert store.purge(now + timedelta(days=1)) == 6
    result = store.verify()
    assert result.ok and result.checked == 1
    # A second purge removes the first checkpoint; the chain is still anchored.
    fill(store, 2, time=now + timedelta(days=2))
    assert store.purge(now + timedelta(days=1, hours=1)) == 1
    assert store.verify().ok and len(store.query()) == 2


def test_purge_deletes_only_a_prefix_of_the_chain(backend: Backend) -> None:
    """An old record chained after a recent one (a spool flushed late) waits for the next purge."""
    store = backend.open()
    now = datetime.now(UTC)
    store.record(make(0, time=now - timedelta(days=500)))
    store.record(make(1, time=now - timedelta(days=1)))
    store.record(make(2, time=now - timedelta(days=500)))
    assert store.flush(timeout=10)
    assert store.purge(now - timedelta(days=365)) == 1
    assert [r.request_id for r in store.query(IncidentFilter(order="asc"))] == ["r2", "r1"]
    assert store.verify().ok


def test_maintenance_reports_latest_hash_and_purges(backend: Backend) -> None:
    store = backend.open()
    now = datetime.now(UTC)
    fill(store, 3, time=now - timedelta(days=800))
    seen: list[str] = []
    purged: list[int] = []
    m = StoreMaintenance(store, 365, seen.append, interval_seconds=0.05, on_purge=purged.append).start()
    deadline = time.monotonic() + 5
    while len(seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    m.stop()
    assert purged[0] == 3 and len(purged) == 1  # daily: once in this short run
    assert seen[0] == store.latest_hash() and store.query(IncidentFilter(kind=None))[0].kind == "checkpoint"
    assert store.verify(expected_latest=seen[-1]).ok


# ---------------------------------------------------------------------------- sightings


def test_sightings_upsert_and_weeks(backend: Backend) -> None:
    store = backend.open()
    for _ in range(3):
        store.record_sighting(Sighting("2026-W48", "chat.deepseek.com", "deepseek-web", "forbidden", "rh"))
    store.record_sighting(
        Sighting("2026-W48", "chat.deepseek.com", "deepseek-web", "forbidden", "dev", count=5)
    )
    store.record_sighting(Sighting("2026-W48", "new-ai.example", None, "unknown_ai", "rh"))
    store.record_sighting(Sighting("2026-W49", "new-ai.example", None, "unknown_ai", "rh"))
    assert store.flush(timeout=10)
    store.record_sighting(Sighting("2026-W48", "new-ai.example", None, "unknown_ai", "rh", count=2))
    assert store.flush(timeout=10)
    got = store.sightings()
    assert got == [
        Sighting("2026-W48", "chat.deepseek.com", "deepseek-web", "forbidden", "dev", 5),
        Sighting("2026-W48", "chat.deepseek.com", "deepseek-web", "forbidden", "rh", 3),
        Sighting("2026-W48", "new-ai.example", None, "unknown_ai", "rh", 3),
        Sighting("2026-W49", "new-ai.example", None, "unknown_ai", "rh", 1),
    ]
    assert [s.week for s in store.sightings(since_week="2026-W49")] == ["2026-W49"]
    assert len(store.sightings(until_week="2026-W48")) == 3
    assert store.query() == []  # sightings are not incidents and not in the chain


# ---------------------------------------------------------------------------- replicas


def test_two_replicas_write_one_chain(backend: Backend) -> None:
    a = backend.open(replica="proxy-a")
    b = backend.open(replica="proxy-b")

    def write(store: IncidentStore, prefix: str) -> None:
        for i in range(60):
            store.record(make(i, request_id=f"{prefix}{i}"))
            if i % 6 == 5:
                store.flush(timeout=10)  # many small transactions, interleaving with the other replica

    threads = [threading.Thread(target=write, args=(s, p)) for s, p in ((a, "a"), (b, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert a.flush(timeout=10) and b.flush(timeout=10)
    rows = a.query(IncidentFilter(order="asc"))
    assert len(rows) == 120 and {r.replica for r in rows} == {"proxy-a", "proxy-b"}
    assert sorted(r.id for r in rows) == list(range(1, 121))
    for prefix in ("a", "b"):  # each replica's records keep their order
        mine = sorted((r for r in rows if r.request_id.startswith(prefix)), key=lambda r: r.id)
        assert [r.request_id for r in mine] == [f"{prefix}{i}" for i in range(60)]
    result = b.verify()
    assert result.ok and result.checked == 120


# ---------------------------------------------------------------------------- opening stores


def test_open_store_urls(tmp_path: Path) -> None:
    default = open_store(None, tmp_path / "data", replica="x")
    try:
        assert default.path == tmp_path / "data" / "incidents.sqlite3" and default.path.exists()
        con = sqlite3.connect(default.path)
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        con.close()
    finally:
        default.close()
    rel = open_store("sqlite:sub/inc.db", tmp_path, replica="x")
    rel.close()
    assert (tmp_path / "sub" / "inc.db").exists()
    absolute = open_store(f"sqlite:///{tmp_path}/abs.db", tmp_path / "elsewhere", replica="x")
    absolute.close()
    assert (tmp_path / "abs.db").exists()
    with pytest.raises(ValueError, match="unknown incident store URL") as err:
        open_store("mysql://u:s3cret@db/incidents", tmp_path)
    assert "s3cret" not in str(err.value)
    with pytest.raises(ValueError, match="sqlite:///"):
        open_store("sqlite://host/x.db", tmp_path)
    with pytest.raises(ValueError, match="schema"):
        open_store(with_schema(PG_DSN, "Bad-Name"), tmp_path)


def test_sqlite_store_that_cannot_open_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "dir.sqlite3").mkdir()
    with pytest.raises(StoreError):
        open_store("sqlite:dir.sqlite3", tmp_path)


def test_incident_time_and_hashes() -> None:
    a = make(0, time="2026-01-10T09:00:00Z")
    assert a.time == T0 and a.time.tzinfo is UTC
    assert make(0, time="2026-01-10T10:00:00+01:00").time == T0
    with pytest.raises(ValueError, match="timezone"):
        make(0, time=datetime(2026, 1, 1))
    assert make(0, groups=["rh"], excerpt="a\x00b").groups == ("rh",)
    assert make(0, excerpt="a\x00b").excerpt == "a\ufffdb"  # PostgreSQL text cannot hold NUL
    h = hash_value(b"secret-key", "FR_NIR", "1 84 12 76 451 089 46")
    assert len(h) == 20 and h == hash_value(b"secret-key", "FR_NIR", "1 84 12 76 451 089 46")
    assert h != hash_value(b"other-key", "FR_NIR", "1 84 12 76 451 089 46")
    assert h != hash_value(b"secret-key", "PHONE_NUMBER", "1 84 12 76 451 089 46")
    assert value_hashes(None, [("FR_NIR", "x")]) == ()
    pair = value_hashes(b"k", [("EMAIL", "a@b.fr"), ("EMAIL", "a@b.fr"), ("FR_NIR", "x")])
    assert len(pair) == 2 and pair[0].startswith("EMAIL:")


# ---------------------------------------------------------------------------- PostgreSQL down


class TcpGate:
    """A port on 127.0.0.1 forwarding to PostgreSQL, that can be closed (refused) and reopened."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def open(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(16)
        sock.settimeout(0.05)
        self._listener = sock
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture
def pg_gate():
    parts = urlsplit(PG_DSN)
    gate = TcpGate((parts.hostname or "127.0.0.1", parts.port or 5432))
    schema = f"t_{uuid.uuid4().hex[:12]}"
    userinfo = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    url = with_schema(urlunsplit(parts._replace(netloc=f"{userinfo}127.0.0.1:{gate.port}")), schema)
    with psycopg.connect(PG_DSN, connect_timeout=5):  # the real server must answer
        pass
    yield gate, url
    gate.close()
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_postgres_down_incidents_are_spooled_then_chained_in_order(pg_gate, tmp_path: Path) -> None:
    gate, url = pg_gate
    store = open_store(url, tmp_path, replica="r1", retry_initial=0.05, retry_max=0.2)  # down: no error
    try:
        for i in range(30):
            store.record(make(i))
        for _ in range(4):
            store.record_sighting(
                Sighting("2026-W48", "chat.deepseek.com", "deepseek-web", "forbidden", "rh")
            )
        assert store.flush(timeout=0.5) is False
        spool = tmp_path / "incidents-spool-r1.jsonl"
        lines = spool.read_text().splitlines()
        assert len(lines) == 34 and store.backlog() == 34
        assert '"hash"' not in spool.read_text()  # chained only when they reach the store
        with pytest.raises(StoreError):
            store.query()

        gate.open()
        assert store.flush(timeout=10) is True
        assert not spool.exists() and store.backlog() == 0
        rows = store.query(IncidentFilter(order="asc"))
        assert [r.request_id for r in rows] == [f"r{i}" for i in range(30)]
        assert [r.id for r in rows] == list(range(1, 31))
        assert store.sightings()[0].count == 4
        assert store.verify().ok

        # Down again in the middle of a run: the open connection dies, later records wait, none lost.
        for i in range(30, 35):
            store.record(make(i))
        assert store.flush(timeout=10)
        gate.close()
        for i in range(35, 45):
            store.record(make(i))
        assert store.flush(timeout=0.5) is False
        gate.open()
        assert store.flush(timeout=10) is True
        rows = store.query()
        assert [r.request_id for r in rows] == [f"r{i}" for i in range(45)]
        result = store.verify()
        assert result.ok and result.checked == 45
    finally:
        store.close()


def test_postgres_spool_survives_a_restart(pg_gate, tmp_path: Path) -> None:
    gate, url = pg_gate
    store = open_store(url, tmp_path, replica="r1", retry_initial=0.05, retry_max=0.2)
    for i in range(10):
        store.record(make(i))
    store.close()  # still down: the records stay in the spool
    assert len((tmp_path / "incidents-spool-r1.jsonl").read_text().splitlines()) == 10
    gate.open()
    again = open_store(url, tmp_path, replica="r1", retry_initial=0.05)
    try:
        assert again.flush(timeout=10)
        assert [r.request_id for r in again.query()] == [f"r{i}" for i in range(10)]
        assert again.verify().ok
    finally:
        again.close()


# ---------------------------------------------------------------------------- kill -9


VICTIM = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from dlp_proxy.incidents import Incident, open_store

store = open_store(None, Path(sys.argv[1]), replica="victim")
def make(i):
    return Incident(request_id=f"r{i}", user="alice", groups=("rh",), client_ip="10.0.0.1", tool="t",
                    tool_name="T", host="h", model=None, decision="blocked", code="c", rule_ids=("x",),
                    policy_version="1", entity_counts={"FR_NIR": 1})
n = int(sys.argv[2])
for i in range(n):
    store.record(make(i))
print("flushed" if store.flush(30) else "failed", flush=True)
i = n
while True:  # keep writing until killed, so the kill may land in the middle of a transaction
    store.record(make(i))
    i += 1
    if i % 50 == 0:
        time.sleep(0.001)
"""


def test_sqlite_committed_incidents_survive_kill_9(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", VICTIM, str(tmp_path), "300"], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert proc.stdout is not None
        lines = iter(proc.stdout.readline, "")
        first = next(line for line in lines if line.strip() in ("flushed", "failed"))  # past log lines
        assert first.strip() == "flushed"
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    store = open_store(None, tmp_path, replica="after")
    try:
        rows = store.query(IncidentFilter(order="asc"))
        assert len(rows) >= 300
        assert [r.request_id for r in rows[:300]] == [f"r{i}" for i in range(300)]
        result = store.verify()
        assert result.ok and result.checked == len(rows)
    finally:
        store.close()


def test_spool_lines_are_json_with_uids(tmp_path: Path) -> None:
    from dlp_proxy.incidents.buffer import Entry, Spool

    spool = Spool(tmp_path / "s.jsonl")
    spool.append(
        [Entry.of_incident(make(0)), Entry.of_sighting(Sighting("2026-W01", "h", None, "unlisted", "g"))]
    )
    with (tmp_path / "s.jsonl").open("a") as fh:
        fh.write('{"type": "incid')  # a crash in the middle of a write
    spool.append([Entry.of_incident(make(1))])
    got = Spool(tmp_path / "s.jsonl").read()
    assert [e.type for e in got] == ["incident", "sighting", "incident"]
    assert got[0].incident == make(0) and got[2].incident == make(1)
    assert all(json.loads(line) for line in [got[0].to_json()])


# ---------------------------------------------------------------------------- unwritable store


def test_injected_io_errors_keep_incidents_in_memory_bounded_then_recover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Injected I/O errors (the database write AND the spool write fail): nothing raises into the
    caller, entries wait in memory up to the limit, the excess is counted, the rest is chained in order
    once the disk answers again."""
    import errno

    from dlp_proxy.incidents.buffer import Spool
    from dlp_proxy.incidents.sqlite import SqliteIncidentStore

    failing = threading.Event()
    real_append, real_spool = SqliteIncidentStore._append, Spool.append

    def append(self: Any, conn: Any, entries: Any) -> None:
        if failing.is_set():
            raise sqlite3.OperationalError("disk I/O error")
        real_append(self, conn, entries)

    def spool_append(self: Any, entries: Any) -> None:
        if failing.is_set():
            raise OSError(errno.EIO, "Input/output error")
        real_spool(self, entries)

    monkeypatch.setattr(SqliteIncidentStore, "_append", append)
    monkeypatch.setattr(Spool, "append", spool_append)
    store = open_store(None, tmp_path, replica="r", retry_initial=0.05, retry_max=0.2)
    events: list[str] = []
    store.on_event = events.append
    store.memory_limit = 6  # type: ignore[attr-defined]
    try:
        fill(store, 2)
        assert store.health() is None
        failing.set()
        for i in range(2, 10):
            store.record(make(i))  # never raises
        assert not store.flush(timeout=1)
        health = store.health()
        assert health is not None and "in memory" in health and "2 dropped" in health
        assert store.backlog() == 6
        assert {"store_error", "spool_error"} <= set(events) and events.count("dropped") == 2
        failing.clear()
        assert store.flush(timeout=10)
        assert store.health() is None and store.backlog() == 0
        rows = store.query(IncidentFilter(order="asc"))
        assert [r.request_id for r in rows] == [f"r{i}" for i in range(8)]  # the oldest kept, in order
        assert store.verify().ok
    finally:
        store.close()


def test_immutable_data_directory_does_not_stop_the_store(tmp_path: Path) -> None:
    """The real thing (root on ext4): ``chattr +i`` on the data directory and every file in it while a
    store writes; no signal, no exception, then recovery in order once ``chattr -i``."""
    data = tmp_path / "data"
    store = open_store(None, data, replica="r", retry_initial=0.05, retry_max=0.2)
    targets = [str(data)]
    try:
        fill(store, 3)
        targets += [str(p) for p in data.iterdir()]
        subprocess.run(["chattr", "+i", *targets], check=True)
        for i in range(3, 9):
            store.record(make(i))
        assert not store.flush(timeout=1)
        assert "unwritable" in (store.health() or "")
        subprocess.run(["chattr", "-i", *targets], check=True)
        assert store.flush(timeout=10)
        assert [r.request_id for r in store.query(IncidentFilter(order="asc"))] == [f"r{i}" for i in range(9)]
        assert store.verify().ok
    finally:
        subprocess.run(["chattr", "-i", *targets], check=False)
        store.close()
