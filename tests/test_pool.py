"""The detector pool: never blocks the event loop, fails closed, survives a dead worker without an outage.

One 2-worker pool is started for the module (real spaCy workers); the fault tests kill its workers and
wait for their replacements.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dlp_proxy.detect.findings import Finding
from dlp_proxy.detect.pool import (
    PLAN_IN_THREAD_CHARS,
    SPLIT_OVERLAP,
    DetectorPool,
    ScanOverloaded,
    ScanUnavailable,
    _cgroup_cpu_quota,
    _cgroup_limit,
    _Piece,
    default_workers,
    usable_cpus,
)
from dlp_proxy.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
SENTENCE = "Le comité a validé le budget ; écrire à jean.dupont@exemple.fr pour la suite. "


@pytest.fixture(scope="module")
def pool():
    detector = DetectorPool(REPO / "rules", workers=2)
    detector.start()
    assert detector.wait_ready(timeout=180), "detector workers did not start"
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
    # A finding in the first 64 characters of the second piece belongs to the first, which sees its cues.
    assert pieces[0].limit == pieces[1].offset + 64 == pieces[1].floor and pieces[1].limit is None
    assert pieces[0].offset + len(pieces[0].text) > pieces[1].offset  # they overlap
    assert all(len(p.text) <= len(long_text) // 2 + SPLIT_OVERLAP + 1 for p in pieces)
    # The same e-mail seen by both pieces in the overlap is reported once, at text offsets.
    email_at = long_text.index("jean.dupont@exemple.fr", pieces[1].offset)
    local = email_at - pieces[1].offset
    jobs = [
        [_Piece(0, 0, 0, pieces[1].offset, pieces[0].text)],
        [_Piece(0, pieces[1].offset, pieces[1].offset, None, pieces[1].text)],
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


def test_usable_cpus_reads_the_cgroup_quota(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    (root / "kubepods" / "pod1").mkdir(parents=True)
    proc = tmp_path / "self.cgroup"
    proc.write_text("0::/kubepods/pod1\n")
    assert _cgroup_cpu_quota(root, proc) is None  # no cpu.max anywhere: unlimited
    (root / "kubepods" / "cpu.max").write_text("400000 100000\n")
    (root / "kubepods" / "pod1" / "cpu.max").write_text("max 100000\n")
    assert _cgroup_cpu_quota(root, proc) == 4.0  # a parent's limit binds the child
    (root / "kubepods" / "pod1" / "cpu.max").write_text("150000 100000\n")
    assert _cgroup_cpu_quota(root, proc) == 1.5  # the tightest one
    assert 1 <= usable_cpus() <= len(os.sched_getaffinity(0))


def test_memory_limit_caps_the_default_worker_count(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    (root / "pod").mkdir(parents=True)
    proc = tmp_path / "self.cgroup"
    proc.write_text("0::/pod\n")
    assert _cgroup_limit("memory.max", root, proc) is None
    (root / "pod" / "memory.max").write_text("max\n")
    assert _cgroup_limit("memory.max", root, proc) is None
    (root / "pod" / "memory.max").write_text(f"{2 * 2**30}\n")
    assert _cgroup_limit("memory.max", root, proc) == 2 * 2**30
    assert 1 <= default_workers() <= usable_cpus()


# --------------------------------------------------------------------------------------------------
# With two workers
# --------------------------------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_all_ready(detector: DetectorPool, count: int, seconds: float = 180) -> tuple[int, ...]:
    deadline = time.monotonic() + seconds
    while len(detector.worker_pids()) < count:
        assert time.monotonic() < deadline, "replacement worker not ready in time"
        time.sleep(0.2)
    return detector.worker_pids()


@pytest.mark.model
def test_scan_does_not_block_the_event_loop(pool) -> None:
    text = SENTENCE * 600  # ~50 KB: a few hundred ms of work in the workers

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

    pool.cache.clear()
    (findings, nothing), ticks, elapsed = asyncio.run(main())
    assert nothing == []
    emails = [f for f in findings if f.entity_type == "EMAIL_ADDRESS"]
    assert len(emails) == 600
    assert all(text[f.start : f.end] == "jean.dupont@exemple.fr" for f in emails)
    # The loop kept running while the workers scanned: at least a third of the possible ticks.
    assert elapsed > 0.05
    assert ticks >= (elapsed / 0.005) / 3


def test_long_texts_are_cut_off_the_event_loop(pool, monkeypatch) -> None:
    """Cutting a long text walks a table's rows to its header: on the proxy's event loop, a 5 MB CSV held
    every other request for half a second. Short texts are cut inline (a thread hop costs more)."""
    import threading

    threads: list[str] = []
    plan = pool._plan

    def recording(texts):
        threads.append(threading.current_thread().name)
        return plan(texts)

    monkeypatch.setattr(pool, "_plan", recording)
    pool.cache.clear()
    long_text = "Rien à signaler. " * (PLAN_IN_THREAD_CHARS // 17 + 1)
    asyncio.run(pool.scan([long_text], timeout=120))
    asyncio.run(pool.scan(["Rien à signaler."], timeout=60))
    assert threads[0] != "MainThread" and threads[1] == "MainThread"


@pytest.mark.model
def test_a_table_split_across_workers_keeps_its_header(pool) -> None:
    """A 5 KB CSV of clients in lower case, split between the two workers: the second piece is read
    after the table's header, so its rows' names are found too (before: 67 of 150 rows missed one)."""
    from tests.test_engine import REPORTED, client_table

    text, names = client_table(150)
    jobs = pool._plan([text])
    assert len(jobs) == 2
    second = max((p for job in jobs for p in job), key=lambda p: p.offset)
    assert second.text.startswith("id;nom;prénom;ville;montant\n")
    found = [text[f.start : f.end] for f in pool.scan_sync([text], ["PERSON"], REPORTED)[0]]
    assert found == names


def test_deadline_raises_scan_unavailable_then_pool_still_works(pool) -> None:
    with pytest.raises(ScanUnavailable, match="within"):
        asyncio.run(pool.scan([SENTENCE * 601], timeout=0.001))
    # The workers finish the abandoned scan, then answer again.
    result = pool.scan_sync(["Écris à jean.dupont@exemple.fr."], timeout=60)
    assert [f.entity_type for f in result[0]] == ["EMAIL_ADDRESS"]


@pytest.mark.model
def test_same_text_is_scanned_once_then_served_from_the_cache(pool) -> None:
    text = "Merci d'écrire à marie.curie@exemple.fr avant jeudi."
    pool.cache.clear()
    before = pool.cache.stats()
    first = pool.scan_sync([text], ["EMAIL_ADDRESS", "PERSON"], 0.5)
    second = pool.scan_sync([text, text], ["PERSON", "EMAIL_ADDRESS"], 0.5)  # same selection, other order
    after = pool.cache.stats()
    assert first[0] and second == [first[0], first[0]]
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)
    # Another selection or threshold is another entry: the workers scan again.
    only_person = pool.scan_sync([text], ["PERSON"], 0.5)
    assert all(f.entity_type == "PERSON" for f in only_person[0])
    assert pool.cache.stats().misses == after.misses + 1


@pytest.mark.model
def test_full_queue_refuses_at_once(pool) -> None:
    limit = pool.max_queue
    pool.max_queue = 1
    pool.cache.clear()
    try:

        async def main() -> list[object]:
            slow = asyncio.create_task(pool.scan([SENTENCE * 300], timeout=60))
            await asyncio.sleep(0)  # admitted and running
            started = time.perf_counter()
            with pytest.raises(ScanOverloaded, match="queue full"):
                await pool.scan(["Un autre texte, différent."], timeout=60)
            refused_in = time.perf_counter() - started
            return [await slow, refused_in]

        overloaded = pool.counters.overloaded
        result, refused_in = asyncio.run(main())
        assert result[0] and refused_in < 0.05  # refused without waiting for the running scan
        assert pool.counters.overloaded == overloaded + 1 and pool.queued == 0
    finally:
        pool.max_queue = limit


@pytest.mark.model
def test_killed_worker_is_replaced_alone_and_its_scans_are_retried(pool) -> None:
    victim, survivor = _wait_all_ready(pool, 2)
    restarts, retried = pool.counters.restarts, pool.counters.retried
    pool.cache.clear()
    texts = [f"Dossier {i} : écrire à jean.dupont@exemple.fr. " + SENTENCE * 200 for i in range(16)]

    async def main() -> tuple[list[object], list[object]]:
        batch = [asyncio.create_task(pool.scan([t], timeout=120)) for t in texts]
        await asyncio.sleep(0.3)  # both workers busy
        os.kill(victim, signal.SIGKILL)
        first = await asyncio.gather(*batch, return_exceptions=True)
        # The survivor keeps serving while the replacement loads the model (on a quiet machine the
        # replacement may already be ready here: only the dead worker must be gone).
        deadline = time.monotonic() + 5
        while victim in pool.worker_pids():  # the pool notices the death (EOF on its pipe)
            assert time.monotonic() < deadline, "dead worker still listed as ready"
            await asyncio.sleep(0.05)
        assert pool.ready and survivor in pool.worker_pids()
        during = [
            await pool.scan([f"Pendant le remplacement {i}, écrire à jean.dupont@exemple.fr."], timeout=60)
            for i in range(5)
        ]
        return first, during

    first, during = asyncio.run(main())
    assert not [r for r in first if isinstance(r, BaseException)], first
    assert all(any(f.entity_type == "EMAIL_ADDRESS" for f in r[0]) for r in first)  # type: ignore[index]
    assert all(r[0] for r in during)
    assert pool.counters.restarts == restarts + 1 and pool.counters.retried > retried
    assert not _alive(victim)
    pids = _wait_all_ready(pool, 2)
    assert survivor in pids and victim not in pids  # only the dead one was replaced


@pytest.mark.model
def test_worker_obeys_sigterm_and_is_replaced(pool) -> None:
    victim, survivor = _wait_all_ready(pool, 2)
    os.kill(victim, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while _alive(victim):
        assert time.monotonic() < deadline, "worker ignored SIGTERM"
        time.sleep(0.05)
    assert pool.scan_sync(["Écris à jean.dupont@exemple.fr pour la suite."], timeout=60)[0]
    while victim in pool.worker_pids():  # the pool notices the death (EOF on its pipe)
        assert time.monotonic() < deadline + 5, "dead worker still listed as ready"
        time.sleep(0.05)
    pids = _wait_all_ready(pool, 2)
    assert survivor in pids and victim not in pids


PARENT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from dlp_proxy.detect.pool import DetectorPool

    if __name__ == "__main__":
        pool = DetectorPool(Path(sys.argv[1]), workers=1)
        pool.start()
        assert pool.wait_ready(180)
        print(*pool.worker_pids(), flush=True)
        time.sleep(600)
    """
)


@pytest.mark.model
def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    parent = subprocess.Popen(
        [sys.executable, str(script), str(REPO / "rules")], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert parent.stdout is not None
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert pids and all(_alive(p) for p in pids)
        parent.kill()  # SIGKILL: no clean-up code runs in the parent
        parent.wait(10)
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in pids):
            assert time.monotonic() < deadline, "detector worker outlived its parent"
            time.sleep(0.05)
    finally:
        if parent.poll() is None:
            parent.kill()
