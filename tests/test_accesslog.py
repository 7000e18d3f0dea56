"""The access log of allowed AI requests: fields, nothing from the request, rotation, file mode
(through a running proxy: tests/e2e/test_access_log.py)."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

from mitmproxy.test import taddons, tutils

from dlp_proxy.accesslog import AccessLog
from dlp_proxy.addon import METADATA_KEY, DlpProxy
from tests.test_addon import REPO, ai_flow, run

NIR = "1 85 05 78 006 084 91"


def finish(addon: DlpProxy, f, status: int = 200, body: bytes = b'{"ok":true}') -> None:
    if f.response is None:
        f.response = tutils.tresp(status_code=status, content=body)
    asyncio.run(addon.response(f))


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_allowed_requests_are_logged_without_content(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "access.jsonl"
    a = DlpProxy()
    with taddons.context(a) as tctx:
        tctx.configure(
            a, confdir=str(tmp_path / "conf"), dlp_rules=str(REPO / "rules"), dlp_data_dir=str(tmp_path),
            dlp_access_log=str(path),
        )  # fmt: skip
        # The company-hosted tool is allowed without a scan (no detector runs here; e2e: with text).
        allowed = ai_flow(host="llm.interne.example.fr")
        run(a, allowed)
        finish(a, allowed, body=b'{"answer":"reponse-privee"}')
        blocked = ai_flow(host="api.deepseek.com", body={"model": "deepseek-chat", "messages": []})
        run(a, blocked)
        assert blocked.response is not None and blocked.response.status_code == 403
        finish(a, blocked)
        a.done()
    (entry,) = lines(path)  # the blocked request is an incident, not an access
    rc = allowed.metadata[METADATA_KEY]
    assert entry["request_id"] == rc.request_id and entry["tool"] == "llm-interne"
    assert entry["model"] == "gpt-4o-mini" and entry["decision"] == "allowed" and entry["status"] == 200
    assert entry["request_bytes"] == len(allowed.request.raw_content) and entry["response_bytes"] == 27
    assert entry["host"] == "llm.interne.example.fr" and entry["streamed"] is False
    text = path.read_text()
    for value in ("reponse-privee", "/v1/chat", "10.1.2.3"):
        assert value not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_log_rotates_and_keeps_a_bounded_number_of_files(tmp_path: Path) -> None:
    path = tmp_path / "access.jsonl"
    log = AccessLog(max_bytes=600, backups=2)
    log.open(str(path))
    a = DlpProxy()
    with taddons.context(a) as tctx:
        tctx.configure(
            a, confdir=str(tmp_path / "conf"), dlp_rules=str(REPO / "rules"), dlp_data_dir=str(tmp_path)
        )
        for _ in range(20):
            f = ai_flow(host="llm.interne.example.fr")
            run(a, f)
            assert f.response is None
            f.response = tutils.tresp()
            log.record(f, f.metadata[METADATA_KEY])
        a.done()
    log.close()
    files = sorted(p.name for p in tmp_path.glob("access.jsonl*"))
    assert files == ["access.jsonl", "access.jsonl.1", "access.jsonl.2"]
    for p in tmp_path.glob("access.jsonl*"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
        assert p.stat().st_size <= 600
        assert all(e["tool"] == "llm-interne" for e in lines(p))
