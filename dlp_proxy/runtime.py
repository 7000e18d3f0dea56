"""Long-lived parts of a running proxy, each with start/stop and no mitmproxy import.

The addon owns one of each and only forwards mitmproxy's events to them:

* :class:`PolicyWatcher` polls the rules directory and asks for a reload when a file changes (SIGHUP
  asks directly); it also warns once a day when the policy review is overdue;
* :class:`PoolSupervisor` runs the detection workers, swaps in new ones when the files *they* read
  change (the detector says which: :func:`~dlp_proxy.detect.detector_files`), keeping the old pool
  serving until the new one is ready, and reports readiness;
* :class:`StoreSupervisor` opens the incident store and its upkeep (retention purge, chain head).

:class:`Runtime` holds them with the other long-lived parts (pseudonym vaults, access log, portal,
metrics listener) and applies the ``dlp_*`` options to them (:meth:`Runtime.configure_rules`,
:meth:`Runtime.configure_services`): what cannot be applied raises :class:`OptionRefused`, which the
addon turns into mitmproxy's ``OptionsError``.

Each can be tested on its own with a real rules directory, real workers and a real store.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from dlp_proxy.accesslog import AccessLog
from dlp_proxy.detect import detector_files
from dlp_proxy.detect.cache import FindingsCache
from dlp_proxy.detect.pool import DetectorPool, PoolCounters, default_workers
from dlp_proxy.errors import ConfigError
from dlp_proxy.incidents import IncidentStore, StoreError, StoreMaintenance, chain_head_number, open_store
from dlp_proxy.logs import get_logger
from dlp_proxy.metrics import Metrics, MetricsServer, resident_bytes
from dlp_proxy.paths import default_data_dir, default_rules_dir
from dlp_proxy.policy import Policy, load_policy
from dlp_proxy.policy.review import review_status
from dlp_proxy.portal import runtime as portal_runtime
from dlp_proxy.requestinfo import host_without_port, user_from_proxyauth
from dlp_proxy.restore.text import Replacements
from dlp_proxy.serving import EventLoopLag
from dlp_proxy.shadow import ShadowRules, load_shadow_rules, sighting_for
from dlp_proxy.state import open_vaults, state_url, vault_snapshot

log = get_logger("dlp_proxy.runtime")

#: The addon's mitmproxy options: (name, type, default, help).
OPTIONS: tuple[tuple[str, type, object, str], ...] = (
    ("dlp_rules", str, "", "Directory of the company AI policy (default: the shipped example policy)."),
    ("dlp_data_dir", str, "", "Directory for incidents and other records (default: ./dlp-proxy-data)."),
    ("dlp_store", str, "", "Incident store URL: sqlite:///path or postgresql://… (default: "
     "$DLP_PROXY_STORE, else incidents.sqlite3 in the data directory)."),
    ("dlp_metrics_port", int, 0, "Port for /metrics, /healthz and /readyz (0: off)."),
    ("dlp_metrics_host", str, "127.0.0.1", "Address the metrics port listens on."),
    ("dlp_watch_seconds", str, "2", "Rules directory poll interval in seconds (0: SIGHUP only)."),
    ("dlp_workers", int, 0, "Detection worker processes, each loading the spaCy model (~0.25 GB); 0: one "
     "per CPU this process may use (affinity and cgroup quota), no more than its memory limit holds."),
    ("dlp_scan_queue", int, 0, "Scans admitted at once, running or waiting (0: 8 per worker); past it, "
     "requests get 503 scan_overloaded with Retry-After."),
    ("dlp_scan_cache_entries", int, 100_000, "Texts whose findings are cached (0: no cache)."),
    ("dlp_scan_cache_mb", int, 64, "Memory bound of the findings cache in MB."),
    ("dlp_vault_entries", int, 0, "In-memory pseudonym vaults: entries of all users together, least recently "
     "used evicted beyond it (0: 20 000, ~20 MB); an evicted pseudonym is no longer restored in answers. "
     "With dlp_state: what this replica keeps of the shared maps."),
    ("dlp_access_log", str, "", "JSON-lines access log of allowed AI requests, rotated (no content; "
     "default: off)."),
    ("dlp_upstream_timeout", str, "590", "Seconds an allowed AI request waits for the provider's response "
     "headers before our 504 (0: no limit; a started stream is never cut). Default: just under "
     "mitmproxy's tcp_timeout (600 s), which would otherwise drop the connection without an answer."),
    ("dlp_state", str, "", "Pseudonym vaults shared by every replica: redis://… (default: $DLP_PROXY_STATE, "
     "else in memory); key in $DLP_PROXY_STATE_KEY."),
    ("dlp_portal_port", int, 0, "Port of the AI portal's direct HTTPS listener, HTTP Basic (0: off)."),
    ("dlp_portal_host", str, "127.0.0.1", "Address the AI portal's direct listener listens on."),
)  # fmt: skip


class OptionRefused(Exception):
    """An option that cannot be applied; the message names it and says why (the addon raises it again
    as mitmproxy's ``OptionsError``, so `mitmdump -s` and `dlp-proxy run` refuse it alike)."""


@contextmanager
def refused(what: str) -> Iterator[None]:
    """mitmproxy's way: a setting that cannot be applied is refused with a message naming it."""
    try:
        yield
    except (ValueError, ConfigError, StoreError, OSError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        sep = "\n" if isinstance(exc, ConfigError) else " "  # a policy's problems: one per line
        raise OptionRefused(f"{what}:{sep}{why}") from None


@dataclass(frozen=True)
class PoolSettings:
    """How many workers, how long a queue, how big a findings cache (from the options)."""

    workers: int = 0  # 0: default_workers()
    max_queue: int = 0  # 0: QUEUE_PER_WORKER per worker
    cache_entries: int = 100_000
    cache_mb: int = 64

    def resolved_workers(self) -> int:
        return self.workers if self.workers > 0 else default_workers()


def pool_settings(options: object) -> PoolSettings:
    """The pool settings from mitmproxy's options (duck-typed: no mitmproxy import here)."""
    values = {
        "workers": getattr(options, "dlp_workers", 0),
        "max_queue": getattr(options, "dlp_scan_queue", 0),
        "cache_entries": getattr(options, "dlp_scan_cache_entries", 100_000),
        "cache_mb": getattr(options, "dlp_scan_cache_mb", 64),
    }
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"{name} must be 0 or more, not {value}")
    return PoolSettings(**values)


def files_signature(paths: Iterable[Path]) -> tuple:
    """(path, mtime, size) of each path, so a change to any of them is noticed by polling."""
    sig = []
    for path in paths:
        try:
            st = path.stat()
            sig.append((str(path), st.st_mtime_ns, st.st_size))
        except OSError:
            sig.append((str(path), None, None))
    return tuple(sig)


def watch_seconds(value: str) -> float:
    """The rules-directory poll interval (mitmproxy options have no float type); ValueError if bad."""
    try:
        interval = float(value)
    except ValueError:
        raise ValueError(f"must be a number of seconds, not {value!r}") from None
    if interval < 0:
        raise ValueError("must be 0 (off) or positive")
    return interval


def store_settings(store_option: str, data_dir_option: str) -> tuple[str | None, Path, bytes | None]:
    """(URL, data directory, HMAC key) of the incident store, from the options and the environment."""
    key = os.environ.get("DLP_PROXY_INCIDENT_KEY")
    return (
        store_option or os.environ.get("DLP_PROXY_STORE") or None,
        Path(data_dir_option) if data_dir_option else default_data_dir(),
        key.encode() if key else None,
    )


def retention_days(policy: Policy | None) -> int | None:
    """The policy's incident retention in days (months of 365.25 / 12 days)."""
    return int(policy.retention_months * 365.25 / 12) if policy and policy.retention_months else None


@dataclass(frozen=True)
class Rules:
    """Everything read from a rules directory, validated together (one of them broken → none used)."""

    directory: Path
    policy: Policy
    shadow: ShadowRules


def load_rules(rules_dir: Path) -> Rules:
    """Load and validate the policy and the shadow-AI rules; raises :class:`ConfigError`."""
    return Rules(rules_dir, load_policy(rules_dir), load_shadow_rules(rules_dir))


class PolicyWatcher:
    """Polls a rules directory from a thread; a change calls ``on_change`` on the event loop.

    ``on_tick`` runs on the watcher thread once per poll (the daily review-overdue warning).
    """

    def __init__(
        self,
        rules_dir: Path,
        interval: float,
        on_change: Callable[[], object],
        on_tick: Callable[[], object] | None = None,
    ) -> None:
        self.rules_dir = rules_dir
        self.interval = interval
        self.on_change = on_change
        self.on_tick = on_tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def signature(self) -> tuple:
        return files_signature(sorted(self.rules_dir.rglob("*")))

    def start(self, loop: asyncio.AbstractEventLoop) -> PolicyWatcher:
        last = self.signature()

        def run() -> None:
            nonlocal last
            while not self._stop.wait(self.interval):
                if self.on_tick is not None:
                    self.on_tick()
                current = self.signature()
                if current != last:
                    last = current
                    log.info("policy_files_changed", rules_dir=str(self.rules_dir))
                    loop.call_soon_threadsafe(self.on_change)

        self._thread = threading.Thread(target=run, name="dlp-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


class PoolSupervisor:
    """The detection workers of a rules directory: start, hot-swap on detector-file changes, close.

    One findings cache and one set of fault counters outlive the successive pools; the cache is emptied
    at every policy reload (the entity selection may change) and when new workers take over.
    """

    def __init__(
        self,
        rules_dir: Path,
        settings: PoolSettings | int,
        on_ready: Callable[[bool], object] | None = None,
    ) -> None:
        if isinstance(settings, int):
            settings = PoolSettings(workers=settings)
        self.rules_dir = rules_dir
        self.settings = settings
        self.workers = settings.resolved_workers()
        self.on_ready = on_ready
        self.cache = FindingsCache(settings.cache_entries, settings.cache_mb * 1024 * 1024)
        self.counters = PoolCounters()
        self.pool: DetectorPool | None = None
        self._files = files_signature(detector_files(rules_dir))
        self._closed = False

    @property
    def ready(self) -> bool:
        return self.pool is not None and self.pool.ready

    def _new_pool(self, rules_dir: Path) -> DetectorPool:
        return DetectorPool(
            rules_dir,
            workers=self.workers,
            max_queue=self.settings.max_queue,
            cache=self.cache,
            counters=self.counters,
        )

    def start(self) -> PoolSupervisor:
        """Start the first pool; readiness is reported from a thread when the models have loaded."""
        pool = self._new_pool(self.rules_dir)
        pool.start()
        self.pool = pool
        threading.Thread(target=self._report_ready, args=(pool,), name="dlp-pool-ready", daemon=True).start()
        log.info("detector_starting", workers=self.workers, queue=pool.max_queue)
        return self

    def files_changed(self, rules_dir: Path) -> bool:
        """Whether the files the workers read differ from those the running pool loaded."""
        return files_signature(detector_files(rules_dir)) != self._files

    def reload(self, rules_dir: Path) -> threading.Thread | None:
        """New workers for new detector files; the old pool serves until they are ready.

        Cached findings are dropped in any case (a policy reload may change what is looked for). If the
        new pool fails (a broken custom recogniser), the old one stays. Returns the thread doing the swap
        (for tests), or ``None`` when nothing the workers read has changed.
        """
        self.cache.clear()
        if self._closed or not self.files_changed(rules_dir):
            return None
        self.rules_dir = rules_dir
        self._files = files_signature(detector_files(rules_dir))
        new = self._new_pool(rules_dir)
        new.start()

        def swap() -> None:
            try:
                ok = new.wait_ready(new.start_timeout)
            except ConfigError as exc:
                ok = False
                log.error("detector_reload_refused", problems=[str(p) for p in exc.problems])
            if not ok or self._closed:
                new.close()
                return
            old, self.pool = self.pool, new
            self.cache.clear()
            if old is not None:
                old.close(drain=30)  # scans already sent to the old workers finish there
            log.info("detector_reloaded", workers=new.workers)

        thread = threading.Thread(target=swap, name="dlp-pool-swap", daemon=True)
        thread.start()
        return thread

    def snapshot(self) -> dict[str, float]:
        """The figures of :data:`dlp_proxy.metrics.DETECTOR_METRICS`, read at each scrape."""
        stats, c, pool = self.cache.stats(), self.counters, self.pool
        return {
            "dlp_proxy_scan_cache_hits": stats.hits,
            "dlp_proxy_scan_cache_misses": stats.misses,
            "dlp_proxy_scan_cache_evictions": stats.evictions,
            "dlp_proxy_scan_cache_invalidations": stats.invalidations,
            "dlp_proxy_scan_cache_entries": stats.entries,
            "dlp_proxy_scan_cache_bytes": stats.bytes,
            "dlp_proxy_detector_workers": self.workers,
            "dlp_proxy_detector_workers_ready": len(pool.worker_pids()) if pool else 0,
            "dlp_proxy_detector_worker_restarts": c.restarts,
            "dlp_proxy_scan_retries": c.retried,
            "dlp_proxy_scan_lost": c.lost,
            "dlp_proxy_scan_overloaded": c.overloaded,
            "dlp_proxy_scan_queue": pool.queued if pool else 0,
            "dlp_proxy_scan_queue_limit": pool.max_queue if pool else 0,
        }

    def _report_ready(self, pool: DetectorPool) -> None:
        t0 = time.monotonic()
        try:
            ok = pool.wait_ready(pool.start_timeout)
        except ConfigError as exc:
            log.error("detector_failed", problems=[str(p) for p in exc.problems])
            if self.on_ready is not None:
                self.on_ready(False)
            return
        if not ok and (pool is not self.pool or self._closed):
            return  # shutting down or replaced: not a failure worth reporting
        if self.on_ready is not None:
            self.on_ready(ok)
        log.info(
            "detector_ready" if ok else "detector_failed",
            workers=pool.workers,
            seconds=round(time.monotonic() - t0, 1),
        )

    def close(self) -> None:
        self._closed = True
        if self.pool is not None:
            self.pool.close()
            self.pool = None


class StoreSupervisor:
    """The incident store and its upkeep thread (retention purge with checkpoints, chain head export)."""

    def __init__(
        self,
        url: str | None,
        data_dir: Path,
        *,
        hmac_key: bytes | None,
        retention: int | None,
        on_latest_hash: Callable[[str], object],
    ) -> None:
        self.url = url
        self.data_dir = data_dir
        self.hmac_key = hmac_key
        self.retention = retention
        self.on_latest_hash = on_latest_hash
        self.store: IncidentStore | None = None
        self.maintenance: StoreMaintenance | None = None

    def start(self) -> StoreSupervisor:
        """Open the store; raises ``ValueError`` for a bad URL. A store that cannot be opened yet (file
        unwritable, database down) starts degraded: the proxy runs, incidents wait (see ``health``)."""
        self.store = open_store(self.url, self.data_dir, hmac_key=self.hmac_key, fail_fast=False)
        self.maintenance = StoreMaintenance(
            self.store, retention_days=self.retention, on_latest_hash=self.on_latest_hash
        ).start()
        return self

    def set_retention(self, days: int | None) -> None:
        self.retention = days
        if self.maintenance is not None:
            self.maintenance.retention_days = days

    def stop(self) -> None:
        if self.maintenance is not None:
            self.maintenance.stop()
            self.maintenance = None
        if self.store is not None:
            self.store.close()
            self.store = None


def watch_store(metrics: Metrics, store: Callable[[], IncidentStore | None]) -> None:
    """Backlog and store state read at each scrape, so an outage shows at once, not at the next upkeep."""

    def backlog() -> float:
        s = store()
        return float(s.backlog()) if s is not None else 0.0

    def up() -> float:
        s = store()
        return 1.0 if s is not None and s.health() is None else 0.0

    metrics.store_backlog.set_function(backlog)
    metrics.store_up.set_function(up)


def store_event_counter(metrics: Metrics) -> Callable[[str], None]:
    """The store's ``on_event``: write errors, spool errors and dropped incidents become counters."""

    def on_event(kind: str) -> None:
        if kind == "dropped":
            metrics.incidents_dropped.inc()
        else:
            metrics.store_errors.labels(kind=kind.removesuffix("_error")).inc()

    return on_event


def review_overdue_today(policy: Policy | None) -> bool:
    """Evaluated at each metrics scrape, so the gauge turns to 1 the day after the review date."""
    return policy is not None and review_status(policy, date.today()).overdue


class Runtime:
    """Everything long-lived in one proxy: the rules in force, the store, the workers, the watcher, the
    pseudonym vaults, the access log, the portal and the metrics listener. The addon turns mitmproxy
    options and events into these calls."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.rules: Rules | None = None
        self.stores: StoreSupervisor | None = None
        self.pools: PoolSupervisor | None = None
        self.watcher: PolicyWatcher | None = None
        self.metrics_server: MetricsServer | None = None
        self.portals = portal_runtime.PortalSupervisor(lambda: self.policy, lambda: self.rules)
        self._review_warned_on: date | None = None
        self.draining = False  # SIGTERM under `dlp-proxy run`: /readyz says 503 (dlp_proxy.serving.drain)
        self.loop_lag: EventLoopLag | None = None
        # Reversible pseudonyms, per user: bounded, expiring; in memory, or in Redis (dlp_state).
        self.vaults = open_vaults(None)
        self.access_log = AccessLog()  # allowed AI requests, no content (dlp_access_log)
        self.pool_settings = PoolSettings()  # from the options, as last checked (check_options)
        self.watch_interval = 2.0
        metrics.watch_detector(lambda: self.pools.snapshot() if self.pools else None)
        metrics.watch_vaults(lambda: vault_snapshot(self.vaults))
        metrics.review_overdue.set_function(lambda: 1.0 if review_overdue_today(self.policy) else 0.0)
        metrics.workers_rss.set_function(lambda: resident_bytes(self.pool.all_pids() if self.pool else ()))
        watch_store(metrics, lambda: self.store)

    @property
    def policy(self) -> Policy | None:
        return self.rules.policy if self.rules else None

    @property
    def store(self) -> IncidentStore | None:
        return self.stores.store if self.stores else None

    @property
    def pool(self) -> DetectorPool | None:
        return self.pools.pool if self.pools else None

    # -- options (mitmproxy's ``ctx.options``, duck-typed), applied in the addon's ``configure`` order
    def check_options(self, options: Any) -> float:
        """Check the numeric options before anything is applied (kept for :meth:`start`); returns the
        upstream timeout in seconds."""
        with refused("dlp_watch_seconds"):
            watch_interval = watch_seconds(options.dlp_watch_seconds)
        with refused("dlp_upstream_timeout"):
            upstream_timeout = watch_seconds(options.dlp_upstream_timeout)
        with refused("detection pool"):
            self.pool_settings = pool_settings(options)
        self.watch_interval = watch_interval
        return upstream_timeout

    def configure_rules(self, options: Any, updated: set[str]) -> None:
        """Load and put in force the rules directory (first call, or ``dlp_rules`` changed)."""
        if "dlp_rules" in updated or self.policy is None:
            rules_dir = Path(options.dlp_rules) if options.dlp_rules else default_rules_dir()
            with refused(f"invalid policy in {rules_dir}"):
                self.install(load_rules(rules_dir))

    def configure_services(self, options: Any, updated: set[str], proxyauth: object = None) -> None:
        """(Re)open what the changed options name: store, vaults, access log, portal and metrics
        listeners. ``proxyauth`` is mitmproxy's proxyauth addon (its validator checks portal logins)."""
        if {"dlp_data_dir", "dlp_store"} & updated or self.stores is None:
            with refused("incident store"):
                self.open_store(*store_settings(options.dlp_store, options.dlp_data_dir))
        if {"dlp_state", "dlp_vault_entries"} & updated:
            with refused("dlp_state (--state) / dlp_vault_entries"):
                total = getattr(options, "dlp_vault_entries", 0)
                self.vaults = open_vaults(state_url(options.dlp_state), total)
        if "dlp_access_log" in updated:
            with refused(f"cannot write the access log {options.dlp_access_log}"):
                self.access_log.open(options.dlp_access_log)
        if {"dlp_portal_port", "dlp_portal_host"} & updated:
            host, port = options.dlp_portal_host, options.dlp_portal_port
            with refused(f"cannot listen for the portal on {host}:{port}"):
                self.portals.listen_on(options, proxyauth)
        if {"dlp_metrics_port", "dlp_metrics_host"} & updated:
            host, port = options.dlp_metrics_host, options.dlp_metrics_port
            with refused(f"cannot listen for metrics on {host}:{port}"):
                self.start_metrics(host, port)

    # -- policy
    def install(self, rules: Rules) -> None:
        """Put validated rules in force (start-up, option change or reload)."""
        self.rules = rules
        policy = rules.policy
        self.metrics.set_policy(policy.version, time.mktime(policy.next_review.timetuple()))
        self.warn_if_review_overdue(force=True)
        if self.stores is not None:
            self.stores.set_retention(retention_days(policy))
        log.info(
            "policy_loaded",
            version=policy.version,
            rules_dir=str(rules.directory),
            tools=len(policy.tools),
            catalog_services=len(policy.catalog.services),
            next_review=policy.next_review.isoformat(),
        )

    def reload_policy(self) -> bool:
        """Reload the rules directory (SIGHUP, file change). An invalid new policy is refused, logged
        and counted; the one in force stays. New workers only when the files they read changed."""
        rules_dir = self.rules.directory if self.rules else default_rules_dir()
        try:
            rules = load_rules(rules_dir)
        except ConfigError as exc:
            self.metrics.reload_failures.inc()
            log.error(
                "policy_reload_refused",
                rules_dir=str(rules_dir),
                problems=[str(p) for p in exc.problems],
                version_in_force=self.policy.version if self.policy else None,
            )
            return False
        self.install(rules)
        if self.pools is not None:
            self.pools.reload(rules_dir)
        return True

    def warn_if_review_overdue(self, *, force: bool = False) -> None:
        """A warning log when the policy review is overdue: at each load, then once a day."""
        policy, today = self.policy, date.today()
        if policy is None or (self._review_warned_on == today and not force):
            return
        self._review_warned_on = today
        status = review_status(policy, today)
        if status.overdue:
            log.warning(
                "policy_review_overdue",
                version=policy.version,
                next_review=policy.next_review.isoformat(),
                days_late=-status.days_left,
                message=status.message_fr if policy.language == "fr" else status.message_en,
            )

    # -- store
    def open_store(self, url: str | None, data_dir: Path, hmac_key: bytes | None) -> None:
        """(Re)open the incident store; raises ``ValueError`` / ``StoreError`` when it cannot."""
        if self.stores is not None:
            self.stores.stop()
            self.stores = None
        stores = StoreSupervisor(
            url, data_dir, hmac_key=hmac_key, retention=retention_days(self.policy), on_latest_hash=self._head
        )
        self.stores = stores.start()
        self.portals.open(self.stores.store)
        if self.stores.store is not None:
            self.stores.store.on_event = store_event_counter(self.metrics)

    def _head(self, latest: str) -> None:
        """Logged and exported periodically: truncating the newest incidents becomes detectable."""
        log.info("incident_chain_head", hash=latest)
        self.metrics.chain_head.set(chain_head_number(latest))
        self.metrics.chain_head_exported.set(time.time())

    # -- pseudonyms
    async def replacements(self, user_key: str) -> Replacements | None:
        """The pseudonyms to restore in an answer to ``user_key``; Redis I/O runs off the event loop."""
        if self.vaults.remote:
            return await asyncio.to_thread(self.vaults.replacements_for, user_key)
        return self.vaults.replacements_for(user_key)

    # -- shadow AI
    def record_sightings(self, host: str, proxyauth: object, peer: tuple | None) -> None:
        """Shadow AI from a CONNECT: forbidden, unlisted or unknown AI hosts, per group and ISO week
        (no user and no address is kept with a sighting)."""
        policy, store = self.policy, self.store
        if policy is None or store is None or self.rules is None:
            return
        groups = policy.directory.groups_for(user_from_proxyauth(proxyauth), peer[0] if peer else None)
        for sighting in sighting_for(
            host_without_port(host), policy, self.rules.shadow, groups, datetime.now(UTC)
        ):
            store.record_sighting(sighting)

    # -- metrics listener
    def start_metrics(self, host: str, port: int) -> None:
        """(Re)start /metrics, /healthz and /readyz (port 0: off); raises ``OSError`` when it cannot."""
        if self.metrics_server is not None:
            self.metrics_server.stop()
            self.metrics_server = None
        if port:
            self.metrics_server = MetricsServer(self.metrics, host, port, self.readiness)
            self.metrics_server.start()
            log.info("metrics_listening", host=host, port=self.metrics_server.port)

    def readiness(self) -> tuple[bool, str]:
        """Ready when a policy is in force and the detector can scan: every worker loaded at start-up,
        then at least one ready (a dead worker is being replaced while the others serve)."""
        if self.draining:
            return False, "draining (shutting down)"
        if self.policy is None:
            return False, "policy not loaded"
        if self.pools is None or not self.pools.ready:
            return False, "detector not ready"
        # A failing store does not stop decisions (incidents wait in the spool): ready, but said.
        degraded = self.store.health() if self.store is not None else None
        return True, f"ready (policy {self.policy.version})" + (f"; degraded: {degraded}" if degraded else "")

    def set_draining(self, draining: bool) -> None:
        self.draining = draining
        self.metrics.draining.set(1 if draining else 0)
        if draining:
            self.metrics.ready.set(0)

    def _on_pool_ready(self, ok: bool) -> None:
        self.metrics.detector_ready.set(1 if ok else 0)
        self.metrics.ready.set(1 if ok and self.policy is not None else 0)

    # -- life cycle
    def start(
        self,
        loop: asyncio.AbstractEventLoop,
        workers: PoolSettings | int | None = None,
        watch_seconds: float | None = None,
    ) -> None:
        """Start the workers, the rules watcher and SIGHUP (under `dlp-proxy run` and `mitmdump -s`);
        ``workers`` and ``watch_seconds`` default to the options last checked."""
        assert self.rules is not None
        workers = self.pool_settings if workers is None else workers
        watch_seconds = self.watch_interval if watch_seconds is None else watch_seconds
        self.pools = PoolSupervisor(self.rules.directory, workers, self._on_pool_ready).start()
        self.loop_lag = EventLoopLag(self.metrics).start(loop)
        if watch_seconds > 0:
            self.watcher = PolicyWatcher(
                self.rules.directory, watch_seconds, self.reload_policy, self.warn_if_review_overdue
            ).start(loop)
        try:
            loop.add_signal_handler(signal.SIGHUP, self.reload_policy)
        except (RuntimeError, ValueError, NotImplementedError):  # not the main thread (embedded in tests)
            log.debug("sighup_not_installed")

    def stop(self) -> None:
        self.portals.stop()
        if self.loop_lag is not None:
            self.loop_lag.stop()
        if self.watcher is not None:
            self.watcher.stop()
        if self.pools is not None:
            self.pools.close()
        if self.stores is not None:
            self.stores.stop()
        if self.metrics_server is not None:
            self.metrics_server.stop()
        self.access_log.close()
