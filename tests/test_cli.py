"""The dlp-proxy command line, as the IT admin and the referents use it (real subprocesses)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from dlp_proxy.cli import DEFAULT_METRICS_PORT, build_parser

REPO = Path(__file__).resolve().parents[1]
DLP = str(Path(sys.executable).parent / "dlp-proxy")


def run(*args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([DLP, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)


def test_check_config_ok_from_any_directory(tmp_path) -> None:
    out = run("check-config", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "OK" in out.stdout and "2026" in out.stdout


def test_check_config_reports_file_and_line(tmp_path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    text = (rules / "policy.yaml").read_text()
    (rules / "policy.yaml").write_text(text.replace("status: forbidden", "status: interdit", 1))
    out = run("check-config", "--rules", str(rules))
    assert out.returncode == 1
    line = next(ln for ln in out.stderr.splitlines() if "policy.yaml:" in ln)
    file_part, lineno, message = line.split(":", 2)
    assert file_part.endswith("policy.yaml") and int(lineno) > 0 and "status" in message


def test_check_config_bad_yaml(tmp_path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    (rules / "directory.yaml").write_text("groups:\n  rh: [unclosed\n")
    out = run("check-config", "--rules", str(rules))
    assert out.returncode == 1 and "directory.yaml:" in out.stderr


def run_proxy(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    """``dlp-proxy run`` on free ports with private confdir and data dir (the tests expect it to refuse)."""
    return run(
        "run", "--listen-port", "0", "--metrics-port", "0",
        "--confdir", str(tmp_path / "c"), "--data-dir", str(tmp_path / "d"), *extra,
    )  # fmt: skip


def test_run_refuses_broken_policy_before_listening(tmp_path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    (rules / "catalog.yaml").write_text("services: 12\n")
    out = run_proxy(tmp_path, "--rules", str(rules))
    assert out.returncode == 2
    assert "catalog.yaml:" in out.stderr


def test_run_refuses_unknown_mitmproxy_option(tmp_path) -> None:
    out = run_proxy(tmp_path, "--set", "no_such_option=1")
    assert out.returncode == 2 and "no_such_option" in out.stderr


def test_run_refuses_stream_large_bodies(tmp_path) -> None:
    out = run_proxy(tmp_path, "--set", "stream_large_bodies=1m")
    assert out.returncode == 2 and "stream_large_bodies" in out.stderr


def test_ca_prints_path_and_pem(tmp_path) -> None:
    out = run("ca", "--confdir", str(tmp_path / "conf"))
    assert out.returncode == 0
    path = Path(out.stdout.strip())
    assert path == tmp_path / "conf" / "mitmproxy-ca-cert.pem" and path.exists()
    pem = run("ca", "--confdir", str(tmp_path / "conf"), "--pem")
    assert pem.stdout == path.read_text() and pem.stdout.startswith("-----BEGIN CERTIFICATE-----")


def test_parser_defaults_are_safe() -> None:
    args = build_parser().parse_args(["run"])
    assert args.listen_host == "127.0.0.1" and args.listen_port == 8080
    assert args.metrics_port == DEFAULT_METRICS_PORT and args.metrics_host == "127.0.0.1"
    args = build_parser().parse_args(["run", "--set", "a=1", "--set", "b=2"])
    assert args.setoptions == ["a=1", "b=2"]


def test_scan_jsonl_contract_through_the_real_command(tmp_path) -> None:
    """stdout carries only result lines, in order, ids echoed; logs go to stderr; exit 0."""
    lines = [
        json.dumps({"id": 1, "text": "Écris à jeanne.moreau@exemple-client.fr demain.", "lang": "fr"}),
        json.dumps({"id": "deux", "text": "Traduis ce paragraphe en anglais."}),
        json.dumps({"id": [3], "text": "Appelle le 06 12 34 56 78."}),
    ]
    out = subprocess.run(
        [DLP, "scan", "--jsonl"], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    results = [json.loads(x) for x in out.stdout.splitlines()]
    assert [r["id"] for r in results] == [1, "deux", [3]]
    email = results[0]["findings"][0]
    assert email["entity_type"] == "EMAIL_ADDRESS"
    text = json.loads(lines[0])["text"]
    assert text[email["start"] : email["end"]] == "jeanne.moreau@exemple-client.fr"
    assert set(email) == {"entity_type", "start", "end", "score", "recognizer"}
    assert results[1]["findings"] == []
    assert results[2]["findings"][0]["entity_type"] == "PHONE_NUMBER"


def test_scan_bad_jsonl_line_is_an_error(tmp_path) -> None:
    out = subprocess.run(
        [DLP, "scan", "--jsonl"],
        input='{"id": 1, "text": "ok"}\n{not json\n',
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert "2" in out.stderr  # names the line


def test_check_rules_passes_then_fails_on_a_wrong_case(tmp_path) -> None:
    out = run("check-rules", timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    (rules / "tests" / "zz_wrong.yaml").write_text(
        'entity: EMAIL_ADDRESS\ncases:\n  - text: "Rien à signaler ici."\n    expect: true\n'
    )
    out = run("check-rules", "--rules", str(rules), timeout=300)
    assert out.returncode == 1
    assert "zz_wrong.yaml" in out.stdout + out.stderr


def test_scan_jsonl_answers_an_interactive_producer_line_by_line() -> None:
    """A producer that waits for each answer before sending the next line must not stall."""
    proc = subprocess.Popen(
        [DLP, "scan", "--jsonl"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        for i in range(3):
            proc.stdin.write(json.dumps({"id": i, "text": f"Message {i} pour jean{i}@exemple.fr"}) + "\n")
            proc.stdin.flush()
            answer = json.loads(proc.stdout.readline())  # would hang if the scanner waited for a full batch
            assert answer["id"] == i and answer["findings"][0]["entity_type"] == "EMAIL_ADDRESS"
        proc.stdin.close()
        assert proc.wait(60) == 0
    finally:
        proc.kill()


def test_scan_fail_on_fails_a_ci_job_through_the_real_command() -> None:
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "dlp_proxy.cli", "scan", "--fail-on", "FR_NIR,IBAN_CODE"]
    leak = subprocess.run(
        cmd,
        input="Mon IBAN : FR76 3000 6000 0112 3456 7890 189.\n",
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert leak.returncode == 1, leak.stderr
    assert "IBAN" in leak.stdout and "failing (--fail-on): found IBAN_CODE" in leak.stderr
    bad = subprocess.run([*cmd[:-1], "any,FR_NIR"], input="", capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "'any' already covers every type" in bad.stderr
