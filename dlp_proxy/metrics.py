"""Prometheus metrics and the orchestrator probes, on one small HTTP port.

Labels carry tool ids, decisions, rule ids and hook names only — never a user, a client address or
anything found in traffic, so dashboards can be shared without leaking personal data.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

#: What the detector reports at each scrape (see :meth:`Metrics.watch_detector`): name → (kind, help).
DETECTOR_METRICS: dict[str, tuple[str, str]] = {
    "dlp_proxy_scan_cache_hits": ("counter", "Texts whose findings came from the findings cache"),
    "dlp_proxy_scan_cache_misses": ("counter", "Texts scanned by a worker (not in the findings cache)"),
    "dlp_proxy_scan_cache_evictions": ("counter", "Findings-cache entries dropped to stay within bounds"),
    "dlp_proxy_scan_cache_invalidations": ("counter", "Findings cache emptied by a policy/detector reload"),
    "dlp_proxy_scan_cache_entries": ("gauge", "Texts in the findings cache"),
    "dlp_proxy_scan_cache_bytes": ("gauge", "Estimated memory of the findings cache"),
    "dlp_proxy_detector_workers": ("gauge", "Detection worker processes configured"),
    "dlp_proxy_detector_workers_ready": ("gauge", "Detection worker processes ready to scan now"),
    "dlp_proxy_detector_worker_restarts": ("counter", "Detection workers replaced after dying or hanging"),
    "dlp_proxy_scan_retries": ("counter", "Scans sent again to a live worker after theirs died"),
    "dlp_proxy_scan_lost": ("counter", "Scans failed closed because two workers died with them"),
    "dlp_proxy_scan_overloaded": ("counter", "Scans refused at once because the scan queue was full"),
    "dlp_proxy_scan_queue": ("gauge", "Scans admitted now (running or waiting for a worker)"),
    "dlp_proxy_scan_queue_limit": ("gauge", "Scans admitted at once before refusing (503)"),
}

#: What the in-memory pseudonym vaults report at each scrape (see :meth:`Metrics.watch_vaults`).
VAULT_METRICS: dict[str, tuple[str, str]] = {
    "dlp_proxy_vault_users": ("gauge", "Users with an in-memory pseudonym vault"),
    "dlp_proxy_vault_entries": ("gauge", "Pseudonyms held in memory, all users together"),
    "dlp_proxy_vault_entries_limit": ("gauge", "Bound on the in-memory pseudonyms (dlp_vault_entries)"),
    "dlp_proxy_vault_evictions": (
        "counter",
        "Pseudonyms evicted to stay within dlp_vault_entries (no longer restored in answers)",
    ),
}


class _DetectorCollector(Collector):
    """Reads the detector's counters at scrape time: they live in the pool, which is swapped on reload."""

    def __init__(
        self,
        snapshot: Callable[[], Mapping[str, float] | None],
        table: Mapping[str, tuple[str, str]] = DETECTOR_METRICS,
    ) -> None:
        self.snapshot = snapshot
        self.table = table

    def collect(self) -> Iterator[Metric]:
        values = self.snapshot()
        if values is None and self.table is not DETECTOR_METRICS:
            return  # e.g. vaults in Redis: nothing to report here
        values = values or {}
        for name, (kind, help_text) in self.table.items():
            family = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
            yield family(name, help_text, value=float(values.get(name, 0)))

    def describe(self) -> Iterator[Metric]:
        return iter(())


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes(pids: Iterable[int]) -> float:
    """Summed resident memory of processes (Linux ``/proc``); gone processes count 0."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as f:
                total += int(f.read().split()[1]) * _PAGE_SIZE
        except (OSError, ValueError, IndexError):
            continue
    return float(total)


class Metrics:
    """All of the proxy's metrics in their own registry (several proxies can live in one test process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "dlp_proxy_requests", "AI requests seen, by tool and decision", ["tool", "decision"], registry=r
        )
        self.blocked = Counter("dlp_proxy_blocked", "Requests blocked, by rule id", ["rule"], registry=r)
        self.passthrough = Counter(
            "dlp_proxy_passthrough_connections", "TLS connections tunnelled untouched (not AI)", registry=r
        )
        self.hook_latency = Histogram(
            "dlp_proxy_hook_duration_seconds",
            "Time spent in the proxy's hooks",
            ["hook"],
            buckets=(0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.policy_info = Gauge(
            "dlp_proxy_policy_info", "Policy in force (value 1)", ["version"], registry=r
        )
        self.policy_next_review = Gauge(
            "dlp_proxy_policy_next_review_timestamp_seconds", "Next policy review date", registry=r
        )
        self.review_overdue = Gauge(
            "dlp_proxy_policy_review_overdue",
            "1 when the policy's quarterly review date has passed",
            registry=r,
        )
        self.reload_failures = Counter(
            "dlp_proxy_policy_reload_failures",
            "Policy reloads refused because the new files are invalid",
            registry=r,
        )
        self.scan_latency = Histogram(
            "dlp_proxy_scan_duration_seconds",
            "Time to scan one request's texts in the detection workers",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.detector_ready = Gauge(
            "dlp_proxy_detector_ready", "1 when every detection worker is loaded", registry=r
        )
        self.unscannable = Counter(
            "dlp_proxy_unscannable_content",
            "Content the proxy cannot scan (image, audio, token ids…), by tool, kind and decision",
            ["tool", "kind", "decision"],
            registry=r,
        )
        self.chain_head = Gauge(
            "dlp_proxy_incident_chain_head",
            "First 52 bits of the latest incident hash (compare with `incidents verify --expected-latest`)",
            registry=r,
        )
        self.store_backlog = Gauge(
            "dlp_proxy_incident_backlog",
            "Incidents waiting to be written (store down: spooled on disk, else in memory)",
            registry=r,
        )
        self.store_up = Gauge(
            "dlp_proxy_incident_store_up", "1 when incidents reach the store, 0 while they wait", registry=r
        )
        self.store_errors = Counter(
            "dlp_proxy_incident_store_errors",
            "Failed incident writes: kind=store (the store refused or is unreachable), spool (disk too)",
            ["kind"],
            registry=r,
        )
        self.incidents_dropped = Counter(
            "dlp_proxy_incidents_dropped",
            "Incidents lost: store and spool unwritable and the memory buffer full",
            registry=r,
        )
        self.ready = Gauge(
            "dlp_proxy_ready", "1 when the policy is loaded and the detector ready", registry=r
        )
        self.fail_closed = Counter(
            "dlp_proxy_fail_closed",
            "Requests refused (503) or WebSocket messages dropped because of an internal error, by hook",
            ["hook"],
            registry=r,
        )
        self.upstream_errors = Counter(
            "dlp_proxy_upstream_errors",
            "Allowed AI requests whose provider failed (answered 502/504), by tool and kind",
            ["tool", "kind"],
            registry=r,
        )
        self.incidents = Counter(
            "dlp_proxy_incidents", "Incidents recorded, by decision", ["decision"], registry=r
        )
        self.chain_head_exported = Gauge(
            "dlp_proxy_incident_chain_head_exported_timestamp_seconds",
            "When the chain head was last read from the store and exported (0: never since start)",
            registry=r,
        )
        # Process health: process_resident_memory_bytes, process_cpu_seconds_total, process_open_fds…
        # of the proxy process; the detection workers are separate processes, reported apart.
        ProcessCollector(registry=r)
        self.workers_rss = Gauge(
            "dlp_proxy_detector_workers_resident_memory_bytes",
            "Resident memory of the detection worker processes, summed",
            registry=r,
        )
        self.event_loop_lag = Gauge(
            "dlp_proxy_event_loop_lag_seconds",
            "Worst delay of the proxy's event loop over the last 30 s: every flow waits that long",
            registry=r,
        )
        self.in_flight = Gauge(
            "dlp_proxy_in_flight_requests",
            "AI requests, streams and WebSockets being handled now (what a shutdown waits for)",
            registry=r,
        )
        self.draining = Gauge(
            "dlp_proxy_draining", "1 while the proxy finishes its in-flight requests, then exits", registry=r
        )

    def watch_detector(self, snapshot: Callable[[], Mapping[str, float] | None]) -> None:
        """Export the detector's cache, fault and queue figures (:data:`DETECTOR_METRICS`) at each scrape."""
        self.registry.register(_DetectorCollector(snapshot))

    def watch_vaults(self, snapshot: Callable[[], Mapping[str, float] | None]) -> None:
        """Export the in-memory vaults' figures (:data:`VAULT_METRICS`) at each scrape (``None``: none)."""
        self.registry.register(_DetectorCollector(snapshot, VAULT_METRICS))

    def set_policy(self, version: str, next_review_ts: float) -> None:
        self.policy_info.clear()
        self.policy_info.labels(version=version).set(1)
        self.policy_next_review.set(next_review_ts)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsServer:
    """Serves ``/metrics``, ``/healthz`` (process alive) and ``/readyz`` (policy loaded, detector ready)."""

    def __init__(self, metrics: Metrics, host: str, port: int, is_ready: Callable[[], tuple[bool, str]]):
        self.metrics = metrics
        self.is_ready = is_ready
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, outer.metrics.render(), CONTENT_TYPE_LATEST)
                elif path == "/healthz":
                    self._send(200, b"ok\n", "text/plain; charset=utf-8")
                elif path == "/readyz":
                    ok, why = outer.is_ready()
                    self._send(200 if ok else 503, (why + "\n").encode(), "text/plain; charset=utf-8")
                else:
                    self._send(404, b"not found\n", "text/plain; charset=utf-8")

            def _send(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence access logs
                return

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="dlp-metrics", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
