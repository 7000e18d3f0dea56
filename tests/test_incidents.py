"""The JSONL incident file: typed records, written off the event loop, never a credential."""

from __future__ import annotations

from dlp_proxy.incidents import Incident, JsonlIncidentStore, read_incidents


def make(i: int) -> Incident:
    return Incident(
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
    )


def test_records_are_appended_in_order(tmp_path) -> None:
    store = JsonlIncidentStore(tmp_path / "d" / "incidents.jsonl")
    for i in range(50):
        store.record(make(i))
    store.flush()
    rows = read_incidents(tmp_path / "d" / "incidents.jsonl")
    assert [r["request_id"] for r in rows] == [f"r{i}" for i in range(50)]
    assert rows[0]["rule_ids"] == ["outil:deepseek-api:interdit"] and rows[0]["groups"] == ["rh"]
    assert set(rows[0]) >= {"time", "user", "groups", "tool", "host", "model", "decision", "policy_version"}
    store.close()


def test_missing_file_reads_empty(tmp_path) -> None:
    assert read_incidents(tmp_path / "none.jsonl") == []
