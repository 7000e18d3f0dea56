"""Worker processes that each hold one :class:`DetectionEngine`, so scanning never runs on the event loop.

Why processes: measured with mitmproxy, a 2 s scan done inline delayed every other flow by 1.8 s, in a
thread pool by 0.3 s (the GIL), in a process pool by 0.08 s. Each worker loads the spaCy model once, at
start-up (never at the first request), and reports when it is ready; until one is, and whenever a scan
cannot finish in time, :meth:`DetectorPool.scan` raises :class:`ScanUnavailable` so the proxy blocks
the request instead of letting it through unscanned (fail closed).

Faults without an outage. Each worker is supervised on its own (no shared executor that one death
breaks): a worker that dies (``kill -9``, out of memory) is replaced alone while the others keep
serving, and the scans it held are sent once more to a live worker (once only: a text that kills
workers cannot take the whole pool down). With ``workers >= 2`` a ready worker is always there during a
replacement; with one worker, requests get 503 until the new one has loaded the model. Workers die with
the proxy: ``PR_SET_PDEATHSIG`` (Linux), and a watchdog thread that exits when the parent process id
changes (any platform, and after a parent ``kill -9`` racing the start-up); they obey SIGTERM. A worker
busy for minutes on a scan nobody waits for any more is killed and replaced.

Capacity. At most ``max_queue`` scans are admitted at once (running or waiting); past that
:class:`ScanOverloaded` is raised at once, so the proxy answers 503 with ``Retry-After`` instead of
letting latency grow without bound. Texts already scanned with the same selection come from a
:class:`~dlp_proxy.detect.cache.FindingsCache` and are not sent to a worker at all.

A long text is cut into one overlapping piece per worker so that one 50 KB prompt uses every core; the
pieces' findings are shifted back and merged exactly as the engine merges its own chunks.

The worker's entry point (``_worker_main``) lives in this importable module: with the "spawn" start
method it is pickled by reference.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import hashlib
import importlib.util
import itertools
import logging
import math
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlp_proxy.detect import detector_files
from dlp_proxy.detect.cache import FindingsCache
from dlp_proxy.detect.engine import (
    default_pipeline_file,
    load_pipeline_config,
    owned,
    resolve_findings,
    split_spans,
    with_header,
)
from dlp_proxy.detect.findings import Finding
from dlp_proxy.errors import ConfigError, ConfigProblem

logger = logging.getLogger(__name__)

#: Texts longer than this are split across workers.
SPLIT_CHARS = 3_000
#: Texts longer than this (together) are cut into pieces off the event loop: finding the header of a
#: table a cut falls in walks its rows (a 5 MB CSV cut in the middle: ~0.5 s).
PLAN_IN_THREAD_CHARS = 100_000
#: Overlap between the pieces of a split text: an entity shorter than half of it is found whole.
SPLIT_OVERLAP = 400
#: How long the workers may take to load the model before the pool gives up on them.
START_TIMEOUT = 300.0
#: Scans admitted at once per worker when no bound is given (running or waiting).
QUEUE_PER_WORKER = 8
#: A worker still busy this long after its scan was abandoned (deadline passed) is killed and replaced.
HUNG_SECONDS = 60.0
#: Seconds before retrying a worker that failed to start, doubled up to the maximum.
RESPAWN_BACKOFF = (1.0, 30.0)


class ScanUnavailable(Exception):
    """The detector cannot answer now (not ready, crashed, past the deadline): the caller fails closed."""


class ScanOverloaded(ScanUnavailable):
    """Too many scans already admitted: refuse at once (503 + Retry-After) rather than queue forever."""


# --------------------------------------------------------------------------------------------------
# Worker side
# --------------------------------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _rss_mb() -> float:
    """Resident memory of this process in MB (Linux), 0 when unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _die_with_parent(parent_pid: int) -> None:
    """Never outlive the proxy: a kernel signal when it dies, and a watchdog for everything else.

    ``PR_SET_PDEATHSIG`` fires when the *thread* that spawned us ends; the pool spawns from one
    long-lived thread per pool, and the watchdog covers the rest (a parent that died before the
    ``prctl``, other systems).
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the watchdog alone
        pass
    if os.getppid() != parent_pid:
        os._exit(1)

    def watchdog() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watchdog, name="dlp-worker-watchdog", daemon=True).start()


def _worker_main(conn: Any, rules_dir: str, pipeline_file: str | None, parent_pid: int) -> None:
    """A worker: load the engine, say so, then answer ``(job id, texts, entities, min score)`` forever."""
    _die_with_parent(parent_pid)
    # A mask or disposition inherited from the spawning thread must not make us deaf to SIGTERM; Ctrl-C
    # reaches the whole process group, and the proxy stops its workers itself.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from dlp_proxy.detect.engine import DetectionEngine

    started = time.perf_counter()
    try:
        engine = DetectionEngine(Path(rules_dir), Path(pipeline_file) if pipeline_file else None)
    except ConfigError as exc:
        conn.send(("config_error", [(p.file, p.line, p.message) for p in exc.problems]))
        return
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", time.perf_counter() - started, _rss_mb()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the proxy is gone
        if message is None:
            return  # asked to stop, after every job sent before
        job_id, texts, entities, min_score = message
        try:
            result: Any = engine.analyze_batch(texts, entities, min_score)
            ok = True
        except Exception as exc:  # a bug in a recognizer: this scan fails closed, the worker lives on
            result, ok = type(exc).__name__, False
        try:
            conn.send((job_id, ok, result))
        except (EOFError, OSError):
            return


# --------------------------------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------------------------------


def usable_cpus() -> int:
    """CPUs this process may use: its affinity mask, capped by a cgroup v2 ``cpu.max`` quota.

    A container on a 64-core node limited to 2 CPUs must start 2 workers, not 64 (each holds ~0.4 GB).
    """
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    quota = _cgroup_cpu_quota()
    if quota is not None:
        count = min(count, max(1, math.ceil(quota)))
    return max(1, count)


#: Memory one worker needs (model loaded, RSS measured ~250 MB, with headroom for long texts), and the proxy.
WORKER_MB, PROXY_MB = 450, 300


def default_workers() -> int:
    """Workers when the option says 0: one per usable CPU, but never more than the memory limit holds.

    A pod with a CPU *request* and no CPU *limit* sees every CPU of its node; its memory limit is what
    keeps it from starting 64 workers of ~0.4 GB each and being killed for it.
    """
    count = usable_cpus()
    memory = _cgroup_limit("memory.max")
    if memory is not None:
        count = min(count, max(1, int((memory / 2**20 - PROXY_MB) // WORKER_MB)))
    return count


def _cgroup_limit(
    name: str, root: Path = Path("/sys/fs/cgroup"), proc: Path = Path("/proc/self/cgroup")
) -> float | None:
    """The tightest single-number cgroup v2 limit ``name`` (e.g. ``memory.max``) on our path, if any."""
    best: float | None = None
    for directory in _cgroup_dirs(root, proc):
        try:
            text = (directory / name).read_text(encoding="ascii").strip()
        except OSError:
            continue
        if text.isdigit():
            best = float(text) if best is None else min(best, float(text))
    return best


def _cgroup_dirs(root: Path, proc: Path) -> list[Path]:
    """This process's cgroup v2 directory and its parents up to the mount point."""
    try:
        lines = proc.read_text(encoding="ascii").splitlines()
    except OSError:
        return []
    path = next((line[3:] for line in lines if line.startswith("0::")), None)
    if path is None:
        return []
    current = (root / path.lstrip("/")).resolve()
    dirs = [current]
    while current != root and root in current.parents:
        current = current.parent
        dirs.append(current)
    return dirs


def _cgroup_cpu_quota(
    root: Path = Path("/sys/fs/cgroup"), proc: Path = Path("/proc/self/cgroup")
) -> float | None:
    """The tightest ``cpu.max`` quota (in CPUs) on this process's cgroup v2 path, ``None`` if unlimited."""
    best: float | None = None
    for directory in _cgroup_dirs(root, proc):
        try:
            max_text, period_text = (directory / "cpu.max").read_text(encoding="ascii").split()[:2]
            if max_text != "max":
                cpus = int(max_text) / int(period_text)
                best = cpus if best is None else min(best, cpus)
        except (OSError, ValueError):
            pass
    return best


_BLOB_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_%\r\n")
#: A run of base64/percent-encoding characters this long around a cut is treated as an encoded blob.
_BLOB_RUN = 64


def _inside_blob(text: str, pos: int) -> bool:
    """True when ``pos`` falls inside a long run of encoding characters (base64, MIME-wrapped or not)."""
    if pos <= 0 or pos >= len(text):
        return False
    left = pos
    while left > 0 and pos - left < _BLOB_RUN and text[left - 1] in _BLOB_CHARS:
        left -= 1
    right = pos
    while right < len(text) and right - left < _BLOB_RUN and text[right] in _BLOB_CHARS:
        right += 1
    return right - left >= _BLOB_RUN and text[left:right].strip() != ""


@dataclass(frozen=True)
class _Piece:
    """A text, or a part of a long one, sent to a worker."""

    index: int  # which input text
    offset: int  # where ``text`` starts in it (before the piece when a table's header leads it)
    floor: int  # findings starting before this (in the text) belong to the previous piece
    limit: int | None  # findings starting at or after this (in the text) belong to the next piece
    text: str


@dataclass(eq=False)
class _Job:
    """One batch of pieces for one worker; ``future`` gets its findings."""

    id: int
    texts: list[str]
    entities: list[str] | None
    min_score: float
    future: concurrent.futures.Future
    cost: int
    attempts: int = 0
    sent_at: float | None = None


@dataclass(eq=False)
class _Worker:
    """One worker process, its pipe and the jobs it holds."""

    slot: int
    process: Any
    conn: Any
    started: float
    state: str = "starting"  # starting → ready → dead
    pid: int = 0
    inflight: dict[int, _Job] = field(default_factory=dict)
    load: int = 0
    outbox: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)


@dataclass
class PoolCounters:
    """Fault and capacity counters, shared by the successive pools of one proxy (for the metrics)."""

    restarts: int = 0  # workers replaced after dying or hanging
    retried: int = 0  # jobs sent again after their worker died
    lost: int = 0  # jobs failed because a second worker died with them
    overloaded: int = 0  # scans refused because the queue was full


def detector_version(rules_dir: Path, pipeline_file: Path | None) -> str:
    """A digest of every file the workers read: findings cached under another version never match."""
    h = hashlib.blake2b(digest_size=12)
    for path in [*detector_files(rules_dir), pipeline_file or default_pipeline_file()]:
        h.update(str(path).encode())
        try:
            h.update(Path(path).read_bytes())
        except OSError:
            h.update(b"\x00missing")
    return h.hexdigest()


class DetectorPool:
    """A supervised pool of detector processes; see the module docstring for why and how it fails closed."""

    def __init__(
        self,
        rules_dir: Path,
        workers: int = 2,
        pipeline_file: Path | None = None,
        *,
        split_chars: int = SPLIT_CHARS,
        start_timeout: float = START_TIMEOUT,
        max_queue: int = 0,
        cache: FindingsCache | None = None,
        counters: PoolCounters | None = None,
        hung_seconds: float = HUNG_SECONDS,
    ) -> None:
        if workers < 1:
            raise ValueError("a detector pool needs at least one worker")
        self.rules_dir = Path(rules_dir)
        self.workers = workers
        self.pipeline_file = Path(pipeline_file) if pipeline_file else None
        self.split_chars = split_chars
        self.start_timeout = start_timeout
        self.max_queue = max_queue if max_queue > 0 else QUEUE_PER_WORKER * workers
        self.cache = cache if cache is not None else FindingsCache()
        self.counters = counters if counters is not None else PoolCounters()
        self.hung_seconds = hung_seconds
        self.version = detector_version(self.rules_dir, self.pipeline_file)
        self._ctx = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._slots: list[_Worker | None] = [None] * workers
        self._retry_at = [0.0] * workers
        self._backoff = [RESPAWN_BACKOFF[0]] * workers
        self._job_ids = itertools.count(1)
        self._admitted = 0
        self._monitor: threading.Thread | None = None
        self._started = threading.Event()  # every worker of the first start loaded, or start-up failed
        self._has_started = False
        self._start_deaths = 0
        self._closed = False
        self.error: str | None = None
        self.problems: list[ConfigProblem] | None = None

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Spawn the workers; returns at once (loading takes seconds). ConfigError for a broken pipeline file.

        The pipeline file and the model package are checked here, in the parent, so that a typo stops
        ``dlp-proxy run`` at once; the rules themselves are checked by each worker as it builds its engine
        (see :meth:`wait_ready`).
        """
        config = load_pipeline_config(self.pipeline_file or default_pipeline_file())
        if importlib.util.find_spec(config.package) is None and not Path(config.package).exists():
            raise ConfigError(
                [ConfigProblem(config.source, 0, f"spaCy model package {config.package!r} is not installed")]
            )
        with self._lock:
            if self._closed:
                raise RuntimeError("detector pool is closed")
            if self._monitor is not None:
                return
            self._monitor = threading.Thread(target=self._supervise, name="detector-pool", daemon=True)
        logger.info("detector pool starting %d worker(s)", self.workers)
        self._monitor.start()

    def _supervise(self) -> None:
        """The pool's one long-lived thread: spawns workers (their parent-death signal is tied to it),
        replaces dead ones, kills hung ones and gives up on a first start that takes too long."""
        while not self._closed:
            now = time.monotonic()
            with self._lock:
                wanted = [
                    slot
                    for slot, w in enumerate(self._slots)
                    if w is None and now >= self._retry_at[slot] and self._may_spawn()
                ]
            try:
                for slot in wanted:
                    self._spawn(slot)
                self._check_timeouts(now)
            except Exception:  # this thread must live: the workers' parent-death signal is tied to it
                logger.exception("detector pool supervision error")
            self._wake.wait(0.25)
            self._wake.clear()

    def _may_spawn(self) -> bool:
        """Not after broken rules (a new worker would fail the same way) or a failed first start."""
        return self.problems is None and (self._has_started or self.error is None)

    def _spawn(self, slot: int) -> None:
        parent, child = self._ctx.Pipe(duplex=True)
        args = (
            child,
            str(self.rules_dir),
            str(self.pipeline_file) if self.pipeline_file else None,
            os.getpid(),
        )
        process = self._ctx.Process(target=_worker_main, args=args, name=f"dlp-detector-{slot}", daemon=True)
        try:
            process.start()
        except OSError as exc:
            logger.error("detector pool: cannot start a worker: %s", exc)
            parent.close()
            child.close()
            self._schedule_retry(slot)
            return
        child.close()  # only the worker holds it now: its death gives us EOF
        worker = _Worker(
            slot=slot, process=process, conn=parent, started=time.monotonic(), pid=process.pid or 0
        )
        with self._lock:
            if self._closed:
                process.kill()
                return
            self._slots[slot] = worker
        threading.Thread(target=self._read, args=(worker,), name=f"detector-read-{slot}", daemon=True).start()
        threading.Thread(target=self._send, args=(worker,), name=f"detector-send-{slot}", daemon=True).start()

    def _schedule_retry(self, slot: int) -> None:
        with self._lock:
            self._retry_at[slot] = time.monotonic() + self._backoff[slot]
            self._backoff[slot] = min(self._backoff[slot] * 2, RESPAWN_BACKOFF[1])

    def _check_timeouts(self, now: float) -> None:
        """Kill a worker that does not load in time, or that grinds on a scan nobody awaits any more."""
        with self._lock:
            workers = [w for w in self._slots if w is not None and w.state != "dead"]
        for w in workers:
            if w.state == "starting" and now - w.started > self.start_timeout:
                if not self._has_started:
                    self.error = f"workers not ready after {self.start_timeout:.0f} s"
                    logger.error("detector pool: %s", self.error)
                    self._started.set()
                w.process.kill()
                continue
            hung = [
                j
                for j in list(w.inflight.values())
                if j.future.done() and j.sent_at is not None and now - j.sent_at > self.hung_seconds
            ]
            if hung:
                logger.warning("detector worker %d hung on an abandoned scan; replacing it", w.pid)
                w.process.kill()

    def _send(self, w: _Worker) -> None:
        """Feed one worker its jobs (a blocking pipe write never runs on the event loop)."""
        while True:
            job = w.outbox.get()
            if job is None:
                try:
                    w.conn.send(None)
                except (OSError, ValueError):
                    pass
                return
            if job.future.done():  # abandoned (deadline) before it was sent: do not spend a worker on it
                self._finish(w, job.id)
                continue
            job.sent_at = time.monotonic()
            try:
                w.conn.send((job.id, job.texts, job.entities, job.min_score))
            except (OSError, ValueError):
                return  # the reader sees the death and hands the job to another worker

    def _read(self, w: _Worker) -> None:
        """Everything a worker says: its start-up report, then results, until it dies."""
        try:
            report = w.conn.recv()
            kind = report[0]
            if kind != "ready":
                self._start_failed(w, kind, report[1])
                return
            with self._lock:
                w.state = "ready"
                self._backoff[w.slot] = RESPAWN_BACKOFF[0]
                all_ready = all(x is not None and x.state == "ready" for x in self._slots)
            logger.info(
                "detector worker %d ready: model loaded in %.1f s, RSS %.0f MB", w.pid, report[1], report[2]
            )
            if all_ready and not self._has_started:
                self._has_started = True
                logger.info("detector pool ready: %d worker(s)", self.workers)
                self._started.set()
            while True:
                job_id, ok, result = w.conn.recv()
                job = self._finish(w, job_id)
                if job is None or job.future.done():
                    continue
                try:
                    if ok:
                        job.future.set_result(result)
                    else:
                        logger.error("detector error in worker %d: %s", w.pid, result)
                        job.future.set_exception(ScanUnavailable(f"detector error: {result}"))
                except concurrent.futures.InvalidStateError:  # cancelled meanwhile
                    pass
        except (EOFError, OSError, ValueError):
            pass
        self._worker_died(w)

    def _finish(self, w: _Worker, job_id: int) -> _Job | None:
        with self._lock:
            job = w.inflight.pop(job_id, None)
            if job is not None:
                w.load -= job.cost
            return job

    def _start_failed(self, w: _Worker, kind: str, detail: Any) -> None:
        w.process.join(5)
        with self._lock:
            w.state = "dead"
            if self._slots[w.slot] is w:
                self._slots[w.slot] = None
        if kind == "config_error":
            problems = [ConfigProblem(*p) for p in detail]
            message = "invalid detection configuration: " + "; ".join(str(p) for p in problems)
            logger.error("detector pool: %s", message)
            if not self._has_started:
                self.problems, self.error = problems, message  # restarting would fail the same way
                self._started.set()
                return
        else:
            logger.error("detector pool: worker %d failed to start: %s", w.pid, detail)
            if not self._has_started:
                self.error = f"worker {w.pid} failed to start: {detail}"
                self._started.set()
                return
        self._schedule_retry(w.slot)
        self._wake.set()

    def _worker_died(self, w: _Worker) -> None:
        """Replace a dead worker alone; its scans go once to a live worker, or fail closed."""
        w.outbox.put(None)  # stop its sender
        with self._lock:
            was = w.state
            w.state = "dead"
            if self._slots[w.slot] is w:
                self._slots[w.slot] = None
            jobs = list(w.inflight.values())
            w.inflight.clear()
            w.load = 0
            closed = self._closed
        try:
            w.process.join(1)
        except (AssertionError, ValueError):
            pass
        if closed:
            for job in jobs:
                _fail(job, ScanUnavailable("detector pool closed"))
            return
        if was == "starting":
            logger.error(
                "detector worker %d died while loading the model (exit %s)", w.pid, w.process.exitcode
            )
            self._start_deaths += 1
            if not self._has_started and self._start_deaths >= 3:
                self.error = "workers keep dying while loading the model"
                self._started.set()
            self._schedule_retry(w.slot)
        else:
            self.counters.restarts += 1
            logger.warning(
                "detector worker %d died (exit %s); replacing it, %d scan(s) to retry",
                w.pid,
                w.process.exitcode,
                sum(1 for j in jobs if not j.future.done()),
            )
        for job in jobs:
            if job.future.done():
                continue
            if job.attempts >= 1:
                self.counters.lost += 1
                _fail(job, ScanUnavailable("detector worker crashed twice on this scan"))
                continue
            job.attempts += 1
            self.counters.retried += 1
            self._dispatch(job)
        self._wake.set()

    @property
    def ready(self) -> bool:
        """True once the first start has completed and at least one worker can scan now."""
        return (
            self._has_started
            and not self._closed
            and self.problems is None
            and any(w is not None and w.state == "ready" for w in self._slots)
        )

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until every worker of the first start is ready (True), start-up failure or timeout
        (False); ConfigError for broken rules."""
        if self._monitor is None:
            return False
        self._started.wait(timeout)
        if self.problems:
            raise ConfigError(self.problems)
        return self.ready

    def close(self, drain: float = 0.0) -> None:
        """Stop the workers; the pool cannot be restarted.

        With ``drain`` > 0 (a hot swap), jobs already sent are finished first (up to that many seconds);
        otherwise scans still running fail closed.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = [w for w in self._slots if w is not None]
        self._wake.set()
        for w in workers:
            w.outbox.put(None)
        deadline = time.monotonic() + drain
        for w in workers:
            w.process.join(max(0.0, deadline - time.monotonic()) if drain else 0.5)
        for w in workers:
            if w.process.is_alive():
                w.process.terminate()
        for w in workers:
            w.process.join(2)
            if w.process.is_alive():
                w.process.kill()
                w.process.join(2)
            for job in list(w.inflight.values()):
                _fail(job, ScanUnavailable("detector pool closed"))
        if self._monitor is not None and self._monitor is not threading.current_thread():
            self._monitor.join(5)
        self._started.set()

    def __enter__(self) -> DetectorPool:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scanning -----------------------------------------------------------------------------------
    def _check_usable(self) -> None:
        if self._monitor is None or self._closed:
            raise ScanUnavailable("detector pool not started")
        if self.problems is not None or (self.error is not None and not self._has_started):
            raise ScanUnavailable(f"detector unavailable: {self.error}")
        if not self._has_started:
            raise ScanUnavailable("detector still loading the model")
        if not any(w is not None and w.state == "ready" for w in self._slots):
            raise ScanUnavailable("no detector worker ready (restarting)")

    def _admit(self) -> None:
        with self._lock:
            if self._admitted >= self.max_queue:
                self.counters.overloaded += 1
                raise ScanOverloaded(f"scan queue full ({self.max_queue} scans admitted)")
            self._admitted += 1

    def _release(self) -> None:
        with self._lock:
            self._admitted -= 1

    @property
    def queued(self) -> int:
        """Scans admitted and not finished (running or waiting for a worker)."""
        return self._admitted

    def _dispatch(self, job: _Job) -> None:
        """Give a job to the ready worker with the least work queued."""
        with self._lock:
            ready = [w for w in self._slots if w is not None and w.state == "ready"]
            if not ready:
                worker = None
            else:
                worker = min(ready, key=lambda w: (w.load, len(w.inflight)))
                worker.inflight[job.id] = job
                worker.load += job.cost
        if worker is None:
            _fail(job, ScanUnavailable("no detector worker ready (restarting)"))
        else:
            worker.outbox.put(job)

    def _plan(self, texts: Sequence[str]) -> list[list[_Piece]]:
        """Pieces grouped into at most one job per worker, balanced by length."""
        pieces: list[_Piece] = []
        for index, text in enumerate(texts):
            spans = [(0, len(text))]
            if self.workers > 1 and len(text) > self.split_chars:
                size = math.ceil(len(text) / self.workers) + SPLIT_OVERLAP
                spans = split_spans(text, size, SPLIT_OVERLAP)
                if any(_inside_blob(text, pos) for span in spans for pos in span):
                    spans = [(0, len(text))]  # a cut inside an encoded blob would keep it from decoding
            for (start, end), (floor, limit) in zip(spans, owned(spans, SPLIT_OVERLAP), strict=True):
                part, offset = with_header(text, start, end)
                pieces.append(_Piece(index, offset, floor, limit, part))
        jobs: list[list[_Piece]] = [[] for _ in range(min(self.workers, len(pieces)))]
        loads = [0] * len(jobs)
        for piece in sorted(pieces, key=lambda p: -len(p.text)):
            lightest = loads.index(min(loads))
            jobs[lightest].append(piece)
            loads[lightest] += len(piece.text) + 200  # many short texts also cost per text
        return [job for job in jobs if job]

    @staticmethod
    def _assemble(
        count: int, jobs: list[list[_Piece]], results: list[list[list[Finding]]]
    ) -> list[list[Finding]]:
        per_text: list[list[Finding]] = [[] for _ in range(count)]
        split: set[int] = set()
        for job, job_results in zip(jobs, results, strict=True):
            for piece, findings in zip(job, job_results, strict=True):
                if piece.limit is not None or piece.floor:
                    split.add(piece.index)
                for f in findings:
                    start = f.start + piece.offset
                    if start < piece.floor or (piece.limit is not None and start >= piece.limit):
                        continue  # the piece that owns it sees it whole, with its cues
                    per_text[piece.index].append(
                        Finding(f.entity_type, start, f.end + piece.offset, f.score, f.recognizer)
                    )
        return [resolve_findings(found) if i in split else found for i, found in enumerate(per_text)]

    def _submit(
        self, texts: Sequence[str], entities: Sequence[str] | None, min_score: float
    ) -> tuple[list[list[_Piece]], list[concurrent.futures.Future]]:
        pieces = self._plan(texts)
        wanted = list(entities) if entities is not None else None
        futures = []
        for job_pieces in pieces:
            future: concurrent.futures.Future = concurrent.futures.Future()
            texts_of_job = [p.text for p in job_pieces]
            cost = sum(len(t) + 200 for t in texts_of_job)
            self._dispatch(_Job(next(self._job_ids), texts_of_job, wanted, min_score, future, cost))
            futures.append(future)
        return pieces, futures

    def _lookup(
        self, texts: Sequence[str], entities: Sequence[str] | None, min_score: float
    ) -> tuple[list[list[Finding] | None], list[bytes]]:
        keys = [self.cache.key(self.version, entities, min_score, t) for t in texts]
        return [self.cache.get(k) for k in keys], keys

    def _store(self, keys: list[bytes], missing: list[int], found: list[list[Finding]]) -> None:
        for i, findings in zip(missing, found, strict=True):
            self.cache.put(keys[i], findings)

    async def scan(
        self,
        texts: list[str],
        entities: Sequence[str] | None = None,
        min_score: float = 0.0,
        timeout: float = 10.0,
    ) -> list[list[Finding]]:
        """Findings per text, from the cache or the workers; awaiting it never blocks the event loop.

        Raises :class:`ScanOverloaded` when the queue is full, :class:`ScanUnavailable` when no worker is
        ready, a worker crashed twice on this scan, or the scan did not finish within ``timeout`` seconds.
        """
        if not texts:
            return []
        results, keys = self._lookup(texts, entities, min_score)
        missing = [i for i, r in enumerate(results) if r is None]
        if not missing:
            return [r for r in results if r is not None]
        self._check_usable()
        self._admit()
        try:
            todo = [texts[i] for i in missing]
            if sum(len(t) for t in todo) > PLAN_IN_THREAD_CHARS:  # a table's header is looked for in Python
                pieces, futures = await asyncio.to_thread(self._submit, todo, entities, min_score)
            else:
                pieces, futures = self._submit(todo, entities, min_score)
            try:
                out = await asyncio.wait_for(
                    asyncio.gather(*(asyncio.wrap_future(f) for f in futures)), timeout
                )
            except TimeoutError:
                for f in futures:
                    f.cancel()
                raise ScanUnavailable(f"scan did not finish within {timeout:g} s") from None
        finally:
            self._release()
        found = self._assemble(len(todo), pieces, list(out))
        self._store(keys, missing, found)
        for i, findings in zip(missing, found, strict=True):
            results[i] = findings
        return [r if r is not None else [] for r in results]

    def scan_sync(
        self,
        texts: list[str],
        entities: Sequence[str] | None = None,
        min_score: float = 0.0,
        timeout: float | None = None,
    ) -> list[list[Finding]]:
        """Blocking variant of :meth:`scan` for the CLI (no deadline by default)."""
        if not texts:
            return []
        results, keys = self._lookup(texts, entities, min_score)
        missing = [i for i, r in enumerate(results) if r is None]
        if not missing:
            return [r for r in results if r is not None]
        self._check_usable()
        self._admit()
        try:
            todo = [texts[i] for i in missing]
            pieces, futures = self._submit(todo, entities, min_score)
            _, pending = concurrent.futures.wait(futures, timeout=timeout)
            if pending:
                for f in pending:
                    f.cancel()
                raise ScanUnavailable(f"scan did not finish within {timeout:g} s")
            out = [f.result() for f in futures]
        finally:
            self._release()
        found = self._assemble(len(todo), pieces, out)
        self._store(keys, missing, found)
        for i, findings in zip(missing, found, strict=True):
            results[i] = findings
        return [r if r is not None else [] for r in results]

    def worker_pids(self) -> tuple[int, ...]:
        """Process ids of the ready workers (for health checks and tests)."""
        with self._lock:
            return tuple(sorted(w.pid for w in self._slots if w is not None and w.state == "ready"))

    def all_pids(self) -> tuple[int, ...]:
        """Process ids of every live worker process, loading ones included (for the benches)."""
        with self._lock:
            return tuple(sorted(w.pid for w in self._slots if w is not None and w.state != "dead"))


def _fail(job: _Job, exc: Exception) -> None:
    try:
        if not job.future.done():
            job.future.set_exception(exc)
    except concurrent.futures.InvalidStateError:
        pass
