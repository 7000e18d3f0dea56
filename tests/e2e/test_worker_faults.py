"""Detection-worker faults through a running ``dlp-proxy run``: no outage, no orphan.

- ``kill -9`` of one of two workers under ~5 requests/s: no clean request is refused (the other worker
  serves; the scans the dead one held are retried), and only the dead worker is replaced;
- ``kill -9`` of the proxy itself: no worker is left after 5 s.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai
import pytest

from tests.e2e.conftest import ProxyProcess, start_proxy
from tests.e2e.fakeprovider import FakeProvider

pytestmark = pytest.mark.e2e


def children(pid: int) -> dict[int, str]:
    """Live child processes of ``pid`` (pid → command line), read from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found[int(entry.name)] = cmdline
    return found


def workers_of(pid: int) -> list[int]:
    return sorted(p for p, cmd in children(pid).items() if "spawn_main" in cmd)


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def metric(proxy: ProxyProcess, name: str) -> float:
    match = re.search(rf"^{name} (\S+)$", proxy.metrics(), re.M)
    return float(match.group(1)) if match else 0.0


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory, provider: FakeProvider) -> Iterator[ProxyProcess]:
    p = start_proxy(tmp_path_factory.mktemp("faults"), provider, extra=["--set", "dlp_workers=2"])
    yield p
    p.stop()


def test_one_worker_killed_under_load_no_clean_request_refused(two_workers: ProxyProcess) -> None:
    proxy = two_workers
    pids = workers_of(proxy.proc.pid)
    assert len(pids) == 2, children(proxy.proc.pid)
    victim, survivor = pids
    http_client = openai.DefaultHttpxClient(proxy=proxy.url, verify=proxy.ssl_context())
    client = openai.OpenAI(api_key="sk-test-not-a-real-key", http_client=http_client, max_retries=0)
    outcomes: list[tuple[float, object]] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        # A different clean text each time: every request is really scanned (no cache hit).
        text = f"Demande {i} : résume le compte rendu de la réunion budgétaire du trimestre, point {i}."
        try:
            r = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": text}], timeout=30
            )
            result: object = r.choices[0].message.content
        except openai.APIStatusError as exc:
            result = exc
        with lock:
            outcomes.append((time.monotonic(), result))

    killed_at = replaced_at = None
    with ThreadPoolExecutor(max_workers=8) as senders:
        start = time.monotonic()
        i = 0
        while True:
            now = time.monotonic()
            if killed_at is None and now - start >= 2:
                os.kill(victim, signal.SIGKILL)
                killed_at = now
            if killed_at is not None and replaced_at is None and now - killed_at > 1:
                if metric(proxy, "dlp_proxy_detector_workers_ready") == 2:
                    replaced_at = now
            if replaced_at is not None and now - replaced_at >= 2:
                break
            assert now - start < 240, "the killed worker was not replaced"
            senders.submit(one, i)
            i += 1
            time.sleep(max(0.0, start + i * 0.2 - time.monotonic()))  # ~5 requests/s
    refused = [r for _, r in outcomes if isinstance(r, BaseException)]
    assert not refused, [str(r)[:200] for r in refused]
    assert killed_at is not None and replaced_at is not None
    during = [t for t, _ in outcomes if killed_at <= t <= replaced_at]
    assert len(during) >= 10, "too few requests during the replacement to show anything"
    after = workers_of(proxy.proc.pid)
    assert survivor in after and victim not in after and len(after) == 2  # replaced alone
    assert metric(proxy, "dlp_proxy_detector_worker_restarts_total") == 1
    assert "detector worker" in proxy.logs() and "died" in proxy.logs()


def test_killed_proxy_leaves_no_worker(two_workers: ProxyProcess) -> None:
    proxy = two_workers
    before = children(proxy.proc.pid)
    workers = workers_of(proxy.proc.pid)
    assert len(workers) == 2
    proxy.proc.send_signal(signal.SIGKILL)
    proxy.proc.wait(10)
    deadline = time.monotonic() + 5
    while any(alive(p) for p in before):
        assert time.monotonic() < deadline, {p: before[p] for p in before if alive(p)}
        time.sleep(0.1)
