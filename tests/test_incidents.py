"""The incident record model and the chain rules, without a database (the stores: test_incidents_store.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from dlp_proxy.incidents import (
    GENESIS,
    Incident,
    StoredIncident,
    canonical,
    chain_hash,
    chain_head_number,
    iso_week,
)
from dlp_proxy.incidents.factory import sqlite_path
from dlp_proxy.incidents.store import build_record
from dlp_proxy.incidents.verify import ChainRow, verify_rows


def make(i: int, **over) -> Incident:
    # Exactly the keywords addon.py passes today.
    data = dict(
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
        entity_counts={},
    )
    data.update(over)
    return Incident(**data)


def chain(n: int) -> list[ChainRow]:
    rows, prev = [], GENESIS
    for i in range(n):
        stored, text = build_record(
            make(i), seq=i + 1, prev_hash=prev, kind="incident", replica="a", uid=f"u{i}"
        )
        rows.append(ChainRow(stored.id, stored.prev_hash, stored.hash, text, stored))
        prev = stored.hash
    return rows


def test_incident_defaults_and_json() -> None:
    inc = make(0)
    assert inc.time.tzinfo is UTC and inc.excerpt is None and inc.value_hashes == ()
    data = json.loads(inc.to_json())
    assert data["rule_ids"] == ["outil:deepseek-api:interdit"] and data["groups"] == ["rh"]
    assert data["time"].endswith("+00:00") and len(data["time"]) == len("2026-01-10T09:00:00.000000+00:00")
    assert Incident.from_content(data) == inc


def test_canonical_is_compact_and_sorted() -> None:
    assert canonical({"b": 1, "a": [1, "é"]}) == '{"a":[1,"é"],"b":1}'
    assert chain_hash(GENESIS, "{}") == chain_hash(GENESIS, "{}") != chain_hash("1" * 64, "{}")
    assert chain_head_number("f" * 64) == 2**52 - 1  # exact in a float64 gauge


def test_record_hash_covers_position_and_content() -> None:
    a, text_a = build_record(make(0), seq=1, prev_hash=GENESIS, kind="incident", replica="a", uid="u")
    b, _ = build_record(make(0), seq=2, prev_hash=GENESIS, kind="incident", replica="a", uid="u")
    c, _ = build_record(make(0, user="bob"), seq=1, prev_hash=GENESIS, kind="incident", replica="a", uid="u")
    assert a.hash == chain_hash(GENESIS, text_a) and len({a.hash, b.hash, c.hash}) == 3
    assert isinstance(a, StoredIncident) and a.incident() == make(0, time=a.time)
    assert json.loads(text_a)["seq"] == 1 and "prev_hash" not in json.loads(text_a)


def test_verify_rows_ok_and_each_kind_of_tampering() -> None:
    rows = chain(6)
    assert verify_rows(rows).ok and verify_rows(rows, rows[-1].hash).ok
    assert verify_rows(rows[:3] + rows[4:]).issue == "deleted"
    assert verify_rows(rows[:4], rows[-1].hash).issue == "truncated"
    assert verify_rows(rows[2:]).issue == "deleted"  # oldest gone without a purge checkpoint
    edited = rows[2]._replace(stored=replace(rows[2].stored, user="mallory"))
    result = verify_rows(rows[:2] + [edited] + rows[3:])
    assert (result.issue, result.first_bad_id, result.changed_fields) == ("edited", 3, ("user",))
    unreadable = rows[2]._replace(stored=None, error="groups is not JSON")
    assert "groups is not JSON" in verify_rows(rows[:2] + [unreadable] + rows[3:]).problem
    with pytest.raises(ValueError):
        verify_rows(rows, expected_latest="abc")


def test_iso_week_and_sqlite_urls(tmp_path) -> None:
    assert iso_week(datetime(2026, 11, 26, tzinfo=UTC)) == "2026-W48"
    assert iso_week(datetime(2027, 1, 1, tzinfo=UTC)) == "2026-W53"
    assert sqlite_path(None, tmp_path) == tmp_path / "incidents.sqlite3"
    assert sqlite_path("sqlite:x/y.db", tmp_path) == tmp_path / "x" / "y.db"
    assert sqlite_path("sqlite:///abs/y.db", tmp_path) == tmp_path.__class__("/abs/y.db")
    assert sqlite_path("postgresql://h/db", tmp_path) is None
