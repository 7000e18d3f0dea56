"""The dlp-proxy command line, as the IT admin and the referents use it (real subprocesses)."""

from __future__ import annotations

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


def test_run_refuses_broken_policy_before_listening(tmp_path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    (rules / "catalog.yaml").write_text("services: 12\n")
    out = run(
        "run",
        "--rules",
        str(rules),
        "--listen-port",
        "0",
        "--metrics-port",
        "0",
        "--confdir",
        str(tmp_path / "c"),
        "--data-dir",
        str(tmp_path / "d"),
    )
    assert out.returncode == 2
    assert "catalog.yaml:" in out.stderr


def test_run_refuses_unknown_mitmproxy_option(tmp_path) -> None:
    out = run(
        "run",
        "--listen-port",
        "0",
        "--metrics-port",
        "0",
        "--confdir",
        str(tmp_path / "c"),
        "--data-dir",
        str(tmp_path / "d"),
        "--set",
        "no_such_option=1",
    )
    assert out.returncode == 2 and "no_such_option" in out.stderr


def test_run_refuses_stream_large_bodies(tmp_path) -> None:
    out = run(
        "run",
        "--listen-port",
        "0",
        "--metrics-port",
        "0",
        "--confdir",
        str(tmp_path / "c"),
        "--data-dir",
        str(tmp_path / "d"),
        "--set",
        "stream_large_bodies=1m",
    )
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
