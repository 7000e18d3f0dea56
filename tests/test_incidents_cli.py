"""``dlp-proxy incidents …`` against a real SQLite store: every sub-command, filters, exit codes 0/1/2."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dlp_proxy.incidents import Incident, open_store
from dlp_proxy.incidents.cli import _months_ago, register
from dlp_proxy.policy import load_policy

RULES = Path(__file__).resolve().parent.parent / "rules"


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dlp-proxy")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def make(n: int, when: datetime, **overrides) -> Incident:
    data = dict(
        request_id=f"req-{n}",
        user="alice@example.fr",
        groups=("rh",),
        client_ip="10.0.0.1",
        tool="openai-api",
        tool_name="OpenAI API",
        host="api.openai.com",
        model="gpt-4o",
        decision="redacted",
        code="redacted",
        rule_ids=("donnees:donnees-personnelles-hors-entreprise",),
        policy_version="2026.4",
        entity_counts={"EMAIL_ADDRESS": 2, "PERSON": 1},
        time=when,
    )
    data.update(overrides)
    return Incident(**data)


T0 = datetime(2026, 9, 20, 9, 0, tzinfo=UTC)


def sample() -> list[Incident]:
    return [
        make(1, T0),  # Q3
        make(2, T0 + timedelta(days=15), user="bob@example.fr", groups=("marketing", "pilote-ia")),
        make(
            3,
            datetime(2026, 10, 31, 23, 30, tzinfo=UTC),
            tool="deepseek-chat",
            tool_name="DeepSeek Chat",
            host="chat.deepseek.com",
            model=None,
            decision="blocked",
            code="tool_forbidden",
            rule_ids=("outil:deepseek-chat:interdit",),
            entity_counts={},
        ),
        make(
            4,
            datetime(2026, 11, 2, 8, 0, tzinfo=UTC),
            decision="blocked",
            code="sensitive_data",
            rule_ids=("donnees:identifiants-sensibles-hors-entreprise",),
            entity_counts={"FR_NIR": 1},
        ),
        make(
            5,
            datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
            decision="pseudonymized",
            code="pseudonymized",
            user=None,
            groups=(),
        ),
    ]


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.delenv("DLP_PROXY_STORE", raising=False)
    monkeypatch.delenv("DLP_PROXY_DATA_DIR", raising=False)
    d = tmp_path / "data"
    store = open_store(None, d)
    for incident in sample():
        store.record(incident)
    assert store.flush(timeout=30)
    store.close()
    return d


def db(data_dir: Path) -> Path:
    return data_dir / "incidents.sqlite3"


# -- list ------------------------------------------------------------------------------------------


def test_list_is_a_readable_table_newest_first(data_dir: Path, capsys) -> None:
    assert run(["incidents", "list", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == [
        "TIME",
        "(UTC)",
        "ID",
        "USER",
        "GROUPS",
        "TOOL",
        "MODEL",
        "DECISION",
        "RULES",
        "TYPES",
    ]
    rows = lines[2:-1]
    assert [r.split()[2] for r in rows] == ["5", "4", "3", "2", "1"]  # ids, newest first
    assert "2026-12-01 12:00:00Z" in rows[0] and "pseudonymized" in rows[0]
    assert "marketing,pilote-ia" in out and "EMAIL_ADDRESS×2, PERSON×1" in out
    assert "FR_NIR×1" in out and "outil:deepseek-chat:interdit" in out
    assert lines[-1].startswith("5 incident(s)")


@pytest.mark.parametrize(
    ("options", "ids"),
    [
        (["--user", "bob@example.fr"], [2]),
        (["--group", "pilote-ia"], [2]),
        (["--tool", "deepseek-chat"], [3]),
        (["--decision", "blocked"], [4, 3]),
        (["--entity-type", "FR_NIR"], [4]),
        (["--rule", "outil:deepseek-chat:interdit"], [3]),
        (["--quarter", "2026-Q4"], [5, 4, 3, 2]),
        (["--quarter", "2026-Q3"], [1]),
        (["--since", "2026-10-31", "--until", "2026-10-31"], [3]),  # a date = the whole UTC day
        (["--since", "2026-10-31T23:31:00Z"], [5, 4]),
        (["--until", "2026-11-02T09:00:00+02:00"], [3, 2, 1]),  # 07:00 UTC: before incident 4 at 08:00
        (["--limit", "2"], [5, 4]),
        (["--decision", "warned"], []),
    ],
)
def test_list_filters(data_dir: Path, capsys, options: list[str], ids: list[int]) -> None:
    assert run(["incidents", "list", "--data-dir", str(data_dir), *options]) == 0
    out = capsys.readouterr().out
    if not ids:
        assert out.strip() == "no incidents match"
        return
    rows = out.splitlines()[2:-1]
    assert [int(r.split()[2]) for r in rows] == ids


def test_list_limit_reached_hint(data_dir: Path, capsys) -> None:
    assert run(["incidents", "list", "--data-dir", str(data_dir), "--limit", "5"]) == 0
    assert "limit reached" in capsys.readouterr().out


def test_store_from_environment(data_dir: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DLP_PROXY_STORE", f"sqlite:///{db(data_dir)}")
    assert run(["incidents", "list"]) == 0
    assert "5 incident(s)" in capsys.readouterr().out
    monkeypatch.delenv("DLP_PROXY_STORE")
    monkeypatch.setenv("DLP_PROXY_DATA_DIR", str(data_dir))
    assert run(["incidents", "list", "--tool", "deepseek-chat"]) == 0
    assert "1 incident(s)" in capsys.readouterr().out


# -- show ------------------------------------------------------------------------------------------


def test_show_prints_every_field(data_dir: Path, capsys) -> None:
    assert run(["incidents", "show", "3", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    fields = {
        line.split()[0]: line.split(None, 1)[1] if len(line.split()) > 1 else "" for line in out.splitlines()
    }
    for name in (
        "id",
        "time",
        "request_id",
        "user",
        "groups",
        "tool",
        "tool_name",
        "host",
        "model",
        "decision",
        "code",
        "rule_ids",
        "policy_version",
        "entity_counts",
        "replica",
        "prev_hash",
        "hash",
    ):
        assert name in fields, name
    assert fields["id"] == "3" and fields["tool"] == "deepseek-chat" and fields["decision"] == "blocked"
    assert fields["model"] == "-" and fields["code"] == "tool_forbidden"
    assert len(fields["hash"]) == 64

    assert run(["incidents", "show", "1", "--json", "--data-dir", str(data_dir)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == 1 and data["entity_counts"] == {"EMAIL_ADDRESS": 2, "PERSON": 1}
    assert data["groups"] == ["rh"] and data["time"].startswith("2026-09-20T09:00:00")


def test_show_unknown_id(data_dir: Path, capsys) -> None:
    assert run(["incidents", "show", "99", "--data-dir", str(data_dir)]) == 2
    assert "no record with id or request reference '99'" in capsys.readouterr().err


# -- export ----------------------------------------------------------------------------------------


def test_export_jsonl_to_stdout(data_dir: Path, capsys) -> None:
    assert (
        run(["incidents", "export", "--format", "jsonl", "--quarter", "2026-Q4", "--data-dir", str(data_dir)])
        == 0
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in lines] == [2, 3, 4, 5]  # oldest first
    assert lines[2]["entity_counts"] == {"FR_NIR": 1} and lines[3]["user"] is None
    assert all(len(r["hash"]) == 64 for r in lines)


def test_export_csv_to_file(data_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "export.csv"
    assert (
        run(["incidents", "export", "--format", "csv", "--output", str(out), "--data-dir", str(data_dir)])
        == 0
    )
    assert "5 incident(s) written" in capsys.readouterr().err
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert json.loads(rows[1]["groups"]) == ["marketing", "pilote-ia"]
    assert json.loads(rows[0]["entity_counts"]) == {"EMAIL_ADDRESS": 2, "PERSON": 1}
    assert rows[2]["model"] == "" and rows[4]["user"] == ""
    assert not (tmp_path / "export.csv.part").exists()


def test_export_with_filters(data_dir: Path, capsys) -> None:
    assert (
        run(["incidents", "export", "--format", "csv", "--decision", "blocked", "--data-dir", str(data_dir)])
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["id"] for r in rows] == ["3", "4"]


# -- verify ----------------------------------------------------------------------------------------


def test_verify_intact(data_dir: Path, capsys) -> None:
    assert run(["incidents", "verify", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: chain intact, 5 record(s) checked; latest hash ")


def test_verify_detects_an_edited_record(data_dir: Path, capsys) -> None:
    with sqlite3.connect(db(data_dir)) as conn:
        conn.execute("UPDATE incidents SET username = 'mallory' WHERE seq = 2")
    assert run(["incidents", "verify", "--data-dir", str(data_dir)]) == 1
    out = capsys.readouterr().out
    assert "TAMPERED (edited)" in out and "record 2" in out
    assert "first bad record: 2" in out and "changed fields: user" in out
    assert "bob@example.fr" in out and "mallory" in out  # what changed: recorded value, current value


def test_verify_detects_a_deleted_record(data_dir: Path, capsys) -> None:
    with sqlite3.connect(db(data_dir)) as conn:
        conn.execute("DELETE FROM incidents WHERE seq = 3")
    assert run(["incidents", "verify", "--data-dir", str(data_dir)]) == 1
    out = capsys.readouterr().out
    assert "TAMPERED (deleted)" in out and "record 4" in out


def test_verify_detects_an_inserted_record(data_dir: Path, capsys) -> None:
    with sqlite3.connect(db(data_dir)) as conn:
        conn.row_factory = sqlite3.Row
        row = dict(conn.execute("SELECT * FROM incidents WHERE seq = 3").fetchone())
        conn.execute("UPDATE incidents SET seq = seq + 1000 WHERE seq >= 4")  # make room, ids in order
        conn.execute("UPDATE incidents SET seq = seq - 999 WHERE seq >= 1000")
        row.update(seq=4, uid="forged", request_id="forged")
        conn.execute(
            f"INSERT INTO incidents ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
    assert run(["incidents", "verify", "--data-dir", str(data_dir)]) == 1
    out = capsys.readouterr().out
    assert "TAMPERED" in out and "first bad record:" in out


def test_verify_expected_latest_detects_truncation(data_dir: Path, capsys) -> None:
    assert run(["incidents", "verify", "--data-dir", str(data_dir)]) == 0
    latest = capsys.readouterr().out.rsplit(" ", 1)[-1].strip()
    assert run(["incidents", "verify", "--expected-latest", latest[:16], "--data-dir", str(data_dir)]) == 0
    capsys.readouterr()
    with sqlite3.connect(db(data_dir)) as conn:
        conn.execute("DELETE FROM incidents WHERE seq = 5")
    assert run(["incidents", "verify", "--data-dir", str(data_dir)]) == 0  # without the hash: undetectable
    capsys.readouterr()
    assert run(["incidents", "verify", "--expected-latest", latest, "--data-dir", str(data_dir)]) == 1
    assert "TAMPERED (truncated)" in capsys.readouterr().out


def test_verify_store_errors_exit_2(data_dir: Path, tmp_path: Path, capsys) -> None:
    assert run(["incidents", "verify", "--expected-latest", "abc", "--data-dir", str(data_dir)]) == 2
    assert "at least 12" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "incidents.sqlite3").write_bytes(b"this is not a database" * 100)
    assert run(["incidents", "verify", "--data-dir", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


# -- purge -----------------------------------------------------------------------------------------


def test_purge_before_keeps_the_chain_verifiable(data_dir: Path, capsys) -> None:
    assert (
        run(["incidents", "purge", "--before", "2026-10-01", "--dry-run", "--data-dir", str(data_dir)]) == 0
    )
    assert "dry run: 1 record(s)" in capsys.readouterr().out
    assert run(["incidents", "list", "--data-dir", str(data_dir)]) == 0
    assert "5 incident(s)" in capsys.readouterr().out
    assert run(["incidents", "purge", "--before", "2026-10-01", "--data-dir", str(data_dir)]) == 0
    assert "purged 1 record(s) before 2026-10-01" in capsys.readouterr().out
    assert run(["incidents", "list", "--data-dir", str(data_dir)]) == 0
    assert [int(r.split()[2]) for r in capsys.readouterr().out.splitlines()[2:-1]] == [5, 4, 3, 2]
    assert run(["incidents", "verify", "--data-dir", str(data_dir)]) == 0
    capsys.readouterr()
    assert run(["incidents", "purge", "--before", "2026-10-01", "--data-dir", str(data_dir)]) == 0
    assert "nothing to purge" in capsys.readouterr().out


def test_purge_older_than_months(data_dir: Path, capsys) -> None:
    assert run(["incidents", "purge", "--older-than-months", "1", "--data-dir", str(data_dir)]) == 0
    assert "older than 1 month(s)" in capsys.readouterr().out
    assert run(["incidents", "verify", "--data-dir", str(data_dir)]) == 0


def test_purge_needs_a_date_unless_the_policy_has_a_retention(data_dir: Path, capsys) -> None:
    policy = load_policy(RULES)
    code = run(["incidents", "purge", "--rules", str(RULES), "--dry-run", "--data-dir", str(data_dir)])
    if getattr(policy, "retention_months", None) or getattr(policy, "retention_days", None):
        assert code == 0 and "retention" in capsys.readouterr().out
    else:
        assert code == 2
        assert "--before" in capsys.readouterr().err


def test_purge_refuses_a_future_date(data_dir: Path, capsys) -> None:
    future = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    assert run(["incidents", "purge", "--before", future, "--data-dir", str(data_dir)]) == 2
    assert "future" in capsys.readouterr().err


def test_months_ago_clamps_the_day() -> None:
    assert _months_ago(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert _months_ago(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(2024, 12, 15, tzinfo=UTC)
    assert _months_ago(datetime(2026, 12, 10, tzinfo=UTC), 12) == datetime(2025, 12, 10, tzinfo=UTC)


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["incidents", "list", "--since", "2026-13-01"], "invalid date"),
        (["incidents", "list", "--since", "hier"], "invalid date"),
        (["incidents", "list", "--quarter", "2026-Q9"], "invalid quarter"),
        (
            ["incidents", "list", "--quarter", "2026-Q4", "--since", "2026-10-01"],
            "--quarter cannot be combined",
        ),
        (["incidents", "list", "--since", "2026-11-01", "--until", "2026-10-01"], "is before --since"),
        (["incidents", "list", "--store", "mysql://db/x"], "unknown incident store URL"),
    ],
)
def test_usage_errors_exit_2_without_traceback(data_dir: Path, capsys, argv: list[str], message: str) -> None:
    assert run([*argv, "--data-dir", str(data_dir)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_missing_store_is_an_error_not_an_empty_store(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("DLP_PROXY_STORE", raising=False)
    assert run(["incidents", "list", "--data-dir", str(tmp_path / "typo")]) == 2
    assert "no incident store at" in capsys.readouterr().err
    assert not (tmp_path / "typo" / "incidents.sqlite3").exists()


def test_argparse_errors_exit_2(capsys) -> None:
    for argv in (
        ["incidents"],
        ["incidents", "show"],  # a word is a request reference now: see below
        ["incidents", "list", "--decision", "maybe"],
        ["incidents", "purge", "--before", "2026-01-01", "--older-than-months", "3"],
        ["incidents", "list", "--limit", "0"],
    ):
        with pytest.raises(SystemExit) as info:
            run(argv)
        assert info.value.code == 2
    capsys.readouterr()


# -- show by the reference of the block page / API error ------------------------------------------


@pytest.mark.parametrize(
    "pasted",
    ["req-3", "  REQ-3. ", "Référence de la demande : req-3.", "Request reference: req-3"],
)
def test_show_accepts_the_request_reference_as_printed(data_dir: Path, capsys, pasted: str) -> None:
    assert run(["incidents", "show", pasted, "--data-dir", str(data_dir), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["request_id"] == "req-3" and record["tool"] == "deepseek-chat"


def test_show_by_reference_prints_every_record_of_that_request(tmp_path: Path, capsys) -> None:
    ref = "0123456789abcdef"
    with open_store(None, tmp_path) as store:
        store.record(make(1, T0, request_id=ref))
        store.record(make(2, T0 + timedelta(seconds=1), request_id=ref, decision="blocked"))
        store.record(make(3, T0 + timedelta(seconds=2)))
        assert store.flush(10)
    assert run(["incidents", "show", ref, "--data-dir", str(tmp_path), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [(r["request_id"], r["decision"]) for r in records] == [(ref, "redacted"), (ref, "blocked")]
    # A reference made only of digits is a reference first, a record id only when no request has it.
    digits = "1234567890123456"
    with open_store(None, tmp_path) as store:
        store.record(make(4, T0 + timedelta(seconds=3), request_id=digits))
        assert store.flush(10)
    assert run(["incidents", "show", digits, "--data-dir", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["request_id"] == digits
    assert run(["incidents", "show", "3", "--data-dir", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["request_id"] == "req-3"


def test_show_unknown_reference(data_dir: Path, capsys) -> None:
    assert (
        run(["incidents", "show", "Référence de la demande : ffff0000ffff0000.", "--data-dir", str(data_dir)])
        == 2
    )
    assert "no record with id or request reference 'ffff0000ffff0000'" in capsys.readouterr().err
