"""The detector pool: never blocks the event loop, fails closed (ScanUnavailable), rebuilds after a crash.

One 1-worker pool is started for the module (one extra model load, in its own process).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from dlp_proxy.detect.findings import Finding
from dlp_proxy.detect.pool import SPLIT_OVERLAP, DetectorPool, ScanUnavailable, _Piece
from dlp_proxy.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
SENTENCE = "Le comité a validé le budget ; écrire à jean.dupont@exemple.fr pour la suite. "


@pytest.fixture(scope="module")
def pool():
    detector = DetectorPool(REPO / "rules", workers=1)
    detector.start()
    assert detector.wait_ready(timeout=180), "detector worker did not start"
    yield detector
    detector.close()


# --------------------------------------------------------------------------------------------------
# Without workers
# --------------------------------------------------------------------------------------------------


def test_not_started_pool_is_unavailable() -> None:
    detector = DetectorPool(REPO / "rules", workers=2)
    assert not detector.ready
    with pytest.raises(ScanUnavailable, match="not started"):
        asyncio.run(detector.scan(["Bonjour"]))
    with pytest.raises(ScanUnavailable):
        detector.scan_sync(["Bonjour"])


def test_long_text_split_across_workers_and_merged_back() -> None:
    detector = DetectorPool(REPO / "rules", workers=2)
    long_text = SENTENCE * 700  # ~55 KB
    jobs = detector._plan([long_text, "court"])
    assert len(jobs) == 2
    pieces = sorted((p for job in jobs for p in job if p.index == 0), key=lambda p: p.offset)
    assert len(pieces) == 2 and pieces[0].offset == 0
    assert pieces[0].limit == pieces[1].offset and pieces[1].limit is None
    assert pieces[0].offset + len(pieces[0].text) > pieces[1].offset  # they overlap
    assert all(len(p.text) <= len(long_text) // 2 + SPLIT_OVERLAP + 1 for p in pieces)
    # The same e-mail seen by both pieces in the overlap is reported once, at text offsets.
    email_at = long_text.index("jean.dupont@exemple.fr", pieces[1].offset)
    local = email_at - pieces[1].offset
    jobs = [
        [_Piece(0, 0, pieces[1].offset, pieces[0].text)],
        [_Piece(0, pieces[1].offset, None, pieces[1].text)],
    ]
    found = Finding("EMAIL_ADDRESS", email_at, email_at + 22, 1.0, "e")
    in_second = Finding("EMAIL_ADDRESS", local, local + 22, 1.0, "e")
    merged = DetectorPool._assemble(1, jobs, [[[found]], [[in_second]]])
    assert merged == [[found]]


def test_encoded_blob_never_cut_between_workers() -> None:
    import base64

    detector = DetectorPool(REPO / "rules", workers=2)
    blob = base64.encodebytes(("Contact : jean.dupont@exemple.fr. " * 300).encode()).decode()  # MIME lines
    jobs = detector._plan([f"Décode ceci :\n{blob}\nmerci."])
    assert [len(job) for job in jobs] == [1]


def test_broken_rules_reported_by_wait_ready(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "allowlist.txt").write_bytes(b"R\xe9dige\n")  # Latin-1, not UTF-8
    detector = DetectorPool(rules, workers=1)
    detector.start()
    try:
        with pytest.raises(ConfigError, match="allowlist.txt.*UTF-8"):
            detector.wait_ready(timeout=120)
        assert not detector.ready
        with pytest.raises(ScanUnavailable, match="invalid detection configuration"):
            detector.scan_sync(["Bonjour"])
    finally:
        detector.close()


# --------------------------------------------------------------------------------------------------
# With one worker
# --------------------------------------------------------------------------------------------------


@pytest.mark.model
def test_scan_does_not_block_the_event_loop(pool) -> None:
    text = SENTENCE * 600  # ~50 KB: a few hundred ms of work in the worker

    async def main() -> tuple[list[list[Finding]], int, float]:
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                await asyncio.sleep(0.005)
                ticks += 1

        task = asyncio.create_task(ticker())
        started = time.perf_counter()
        result = await pool.scan([text, "Rien à signaler."], timeout=60)
        elapsed = time.perf_counter() - started
        stop.set()
        await task
        return result, ticks, elapsed

    (findings, nothing), ticks, elapsed = asyncio.run(main())
    assert nothing == []
    emails = [f for f in findings if f.entity_type == "EMAIL_ADDRESS"]
    assert len(emails) == 600
    assert all(text[f.start : f.end] == "jean.dupont@exemple.fr" for f in emails)
    # The loop kept running while the worker scanned: at least a third of the possible ticks.
    assert elapsed > 0.05
    assert ticks >= (elapsed / 0.005) / 3


@pytest.mark.model
def test_deadline_raises_scan_unavailable_then_pool_still_works(pool) -> None:
    with pytest.raises(ScanUnavailable, match="within"):
        asyncio.run(pool.scan([SENTENCE * 600], timeout=0.001))
    # The worker finishes the abandoned scan, then answers again.
    result = pool.scan_sync(["Écris à jean.dupont@exemple.fr."], timeout=60)
    assert [f.entity_type for f in result[0]] == ["EMAIL_ADDRESS"]


@pytest.mark.model
def test_crashed_worker_fails_closed_then_pool_is_rebuilt(pool) -> None:
    [pid] = pool.worker_pids()
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    with pytest.raises(ScanUnavailable):
        while time.monotonic() < deadline:  # until the executor notices the dead worker
            pool.scan_sync(["Écris à jean.dupont@exemple.fr."], timeout=5)
            time.sleep(0.05)
    assert pool.wait_ready(timeout=180)
    assert pool.rebuilds == 1 and pool.worker_pids() != (pid,)
    result = asyncio.run(pool.scan(["Écris à jean.dupont@exemple.fr."], timeout=60))
    assert [f.entity_type for f in result[0]] == ["EMAIL_ADDRESS"]
