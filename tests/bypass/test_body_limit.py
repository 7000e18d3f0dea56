"""An over-limit body is refused as soon as the limit is crossed, streamed or not, HTTP/1.1 or HTTP/2,
with the product's JSON 413 — not mitmproxy's English HTML page after the whole upload, nor a hang.

Was: a 60 MB chunked body got no answer after 45 s over HTTP/1.1, and mitmproxy's HTML 413 after ~600 s
of upload over HTTP/2.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dlp_proxy.bodylimit import DRAIN_CAP
from tests.e2e.conftest import ProxyProcess
from tests.e2e.fakeprovider import FakeProvider

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024
LIMIT = 10 * MIB  # the shipped policy's body_size_limit
URL = "https://api.openai.com/v1/chat/completions"

# Writes 60 MiB in 1 MiB blocks to stdout and, on stderr, the time each block was handed over.
GENERATOR = """
import sys, time
block = b'{"a": "' + b"x" * (1024 * 1024 - 8) + b'"}'
for i in range(60):
    try:
        sys.stdout.buffer.write(block); sys.stdout.buffer.flush()
    except BrokenPipeError:
        break
    sys.stderr.write(f"{i + 1} {time.time()}\\n"); sys.stderr.flush()
"""


def upload(proxy: ProxyProcess, tmp_path: Path, *args: str) -> tuple[int, str, float, float]:
    """curl uploading 60 MiB from a pipe: (status, body, time the limit was crossed, time curl ended)."""
    times = tmp_path / "times.txt"
    with open(times, "w") as err:
        gen = subprocess.Popen([sys.executable, "-c", GENERATOR], stdout=subprocess.PIPE, stderr=err)
        out = subprocess.run(
            ["curl", "-sS", "-x", proxy.url, "--cacert", str(proxy.ca_pem), "-m", "60",
             "-H", "Content-Type: application/json", "--data-binary", "@-", "-w", "\n%{http_code}",
             *args, URL],
            stdin=gen.stdout, capture_output=True, text=True, check=False,
        )  # fmt: skip
        ended = time.time()
        assert gen.stdout is not None
        gen.stdout.close()
        gen.kill()
        gen.wait()
    crossed = min(
        float(t) for n, t in (line.split() for line in times.read_text().splitlines()) if int(n) * MIB > LIMIT
    )
    body, _, code = out.stdout.rpartition("\n")
    assert code.isdigit(), out.stderr
    return int(code), body, crossed, ended


def assert_json_413(proxy: ProxyProcess, provider: FakeProvider, status: int, body: str) -> None:
    assert status == 413, body[:300]
    request_id = json.loads(body)["error"]["message"].rsplit(" ", 1)[-1].rstrip(".")
    assert json.loads(body)["error"]["code"] == "body_too_large"
    assert provider.received == []
    rows = proxy.incidents_when(lambda rows: any(i["request_id"] == request_id for i in rows))
    recorded = [i for i in rows if i["request_id"] == request_id]
    assert [(i["code"], i["client_ip"]) for i in recorded] == [("body_too_large", "127.0.0.1")]


@pytest.mark.parametrize("version", ["--http1.1", "--http2"])
def test_chunked_60_mib_refused_within_a_second_of_crossing(
    proxy: ProxyProcess, provider: FakeProvider, tmp_path: Path, version: str
) -> None:
    status, body, crossed, ended = upload(proxy, tmp_path, version, "-H", "Transfer-Encoding: chunked")
    assert_json_413(proxy, provider, status, body)
    assert ended - crossed < 1.0


@pytest.mark.parametrize("version", ["--http1.1", "--http2"])
def test_declared_60_mib_refused_before_the_upload(
    proxy: ProxyProcess, provider: FakeProvider, tmp_path: Path, version: str
) -> None:
    """With Content-Length over the limit (and over mitmproxy's own): the JSON 413 at once."""
    t0 = time.time()
    status, body, _, ended = upload(proxy, tmp_path, version, "-H", f"Content-Length: {60 * MIB}")
    assert_json_413(proxy, provider, status, body)
    assert ended - t0 < 5.0


def test_a_body_under_the_limit_still_passes(proxy: ProxyProcess, provider: FakeProvider) -> None:
    payload = json.dumps(
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x" * (200 * 1024)}]}
    )
    out = subprocess.run(
        ["curl", "-sS", "-x", proxy.url, "--cacert", str(proxy.ca_pem),
         "-H", "Content-Type: application/json", "-H", "Transfer-Encoding: chunked",
         "--data-binary", "@-", "-w", "\n%{http_code}", URL],
        input=payload, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.stdout.rpartition("\n")[2] == "200", out.stdout[-300:]
    assert len(provider.received) == 1


def test_a_chunked_upload_that_never_ends_is_cut_off_after_the_answer(
    proxy: ProxyProcess, provider: FakeProvider
) -> None:
    """HTTP/1.1: after our 413 the rest of a refused upload is read and dropped (so that a client that
    writes before reading gets the answer), but a chunked upload that goes on has its connection
    closed once DRAIN_CAP bytes have been dropped, instead of holding it as long as the client likes.

    Was: read and dropped without end."""
    raw = socket.create_connection(("127.0.0.1", proxy.port), timeout=30)
    raw.sendall(b"CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\n\r\n")
    assert b" 200 " in raw.recv(4096).split(b"\r\n", 1)[0]
    conn = proxy.ssl_context().wrap_socket(raw, server_hostname="api.openai.com")
    conn.sendall(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    answer = bytearray()

    def read_what_came() -> None:  # one thread: an SSL socket is not read and written concurrently
        conn.setblocking(False)  # readable may only mean a TLS session ticket, no data
        try:
            while chunk := conn.recv(65536):
                answer.extend(chunk)
        except (ssl.SSLWantReadError, BlockingIOError):
            pass
        finally:
            conn.settimeout(30)

    block = b"%x\r\n%s\r\n" % (MIB, b"x" * MIB)
    sent = 0
    with pytest.raises(OSError):  # the proxy closes the connection: EPIPE / reset / TLS EOF
        while sent < DRAIN_CAP + LIMIT + 64 * MIB:
            conn.sendall(block)
            sent += MIB
            read_what_came()
    conn.close()
    head, _, body = bytes(answer).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 "), bytes(answer[:300])
    assert json.loads(body)["error"]["code"] == "body_too_large"
    # Cut after the limit plus DRAIN_CAP, give or take what the socket buffers held.
    assert DRAIN_CAP < sent <= LIMIT + DRAIN_CAP + 16 * MIB, sent / MIB
    assert provider.received == []
