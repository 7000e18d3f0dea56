"""The reference a user sees (block page, API error) finds the incident with `dlp-proxy incidents show`.

A real proxy blocks a browser (curl) and an SDK (openai); the referent pastes what the user sent them.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import time

import openai
import pytest

from tests.e2e.conftest import ProxyProcess
from tests.e2e.test_proxy import openai_client

pytestmark = pytest.mark.e2e


def show(proxy: ProxyProcess, pasted: str) -> dict:
    """`dlp-proxy incidents show PASTED --json`, waiting for the store's writer thread."""
    deadline = time.monotonic() + 10
    while True:
        out = subprocess.run(
            [sys.executable, "-m", "dlp_proxy.cli", "incidents", "show", pasted, "--json"]
            + ["--data-dir", str(proxy.data_dir)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if out.returncode == 0 or time.monotonic() > deadline:
            assert out.returncode == 0, out.stderr
            return json.loads(out.stdout)
        time.sleep(0.2)


def test_reference_on_the_block_page_finds_the_incident(proxy: ProxyProcess) -> None:
    page = subprocess.run(
        ["curl", "-sS", "-x", proxy.url, "--cacert", str(proxy.ca_pem), "-H", "Accept: text/html"]
        + ["https://chat.deepseek.com/"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    match = re.search(r"<p>(Référence de la demande[^<]*<code>[^<]+</code>)", page)
    assert match, page
    # What a user copies from the page: « Référence de la demande : 3f2a…. »
    pasted = html.unescape(re.sub(r"<[^>]+>", "", match.group(1))) + "."
    record = show(proxy, pasted)
    assert record["tool"] == "deepseek-chat" and record["decision"] == "blocked"
    assert record["request_id"] in pasted


def test_reference_of_an_api_error_finds_the_incident(proxy: ProxyProcess) -> None:
    client = openai_client(proxy, base_url="https://api.deepseek.com/v1")
    with pytest.raises(openai.PermissionDeniedError) as exc:
        client.chat.completions.create(
            model="deepseek-chat", messages=[{"role": "user", "content": "Bonjour"}]
        )
    ref = exc.value.request_id  # what the SDK shows a developer (x-request-id)
    assert ref
    record = show(proxy, ref)
    assert record["request_id"] == ref and record["code"] == "tool_forbidden"
