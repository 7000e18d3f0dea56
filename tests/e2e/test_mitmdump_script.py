"""The same addon in stock mitmproxy, exactly as README shows: ``mitmdump -s dlp_proxy/addon.py``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, free_port

pytestmark = pytest.mark.e2e


def test_addon_loads_in_stock_mitmdump(tmp_path) -> None:
    port, mport = free_port(), free_port()
    mitmdump = str(Path(sys.executable).parent / "mitmdump")
    cmd = [
        mitmdump,
        "-q",
        "-s",
        "dlp_proxy/addon.py",
        "--set",
        "dlp_rules=rules/",
        "--listen-host",
        "127.0.0.1",
        "-p",
        str(port),
        "--set",
        f"confdir={tmp_path / 'conf'}",
        "--set",
        f"dlp_data_dir={tmp_path / 'data'}",
        "--set",
        f"dlp_metrics_port={mport}",
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{mport}/readyz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "mitmdump with the addon never became ready"
            time.sleep(0.1)
        time.sleep(0.5)  # the proxy port opens right after the addon is configured
        ca = tmp_path / "conf" / "mitmproxy-ca-cert.pem"
        out = subprocess.run(
            [
                "curl",
                "-sS",
                "--retry",
                "5",
                "--retry-connrefused",
                "--retry-delay",
                "1",
                "-x",
                f"http://127.0.0.1:{port}",
                "--cacert",
                str(ca),
                "-H",
                "Content-Type: application/json",
                "-d",
                '{"model": "deepseek-chat", "messages": []}',
                "https://api.deepseek.com/v1/chat/completions",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert json.loads(out.stdout)["error"]["code"] == "tool_forbidden"
    finally:
        proc.terminate()
        proc.wait(10)
