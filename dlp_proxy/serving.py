"""What the proxy is serving right now, for operators: in-flight AI flows, event-loop lag, graceful drain.

* :class:`InFlight` counts the AI requests, streams and WebSockets being handled (``requestheaders`` to
  ``response`` / ``error`` / ``websocket_end``). It is a child addon of the main one (mitmproxy calls a
  parent's hook before its children's, so the flow is already classified when it looks). Flows are held
  weakly: a flow that mitmproxy forgets without a closing hook cannot stay counted forever.
* :class:`EventLoopLag` samples how late the event loop runs a timer: every flow (TLS, scans, streams)
  shares that loop, so a blocked loop delays them all, which neither CPU nor latency histograms show.
* :func:`drain` is what SIGTERM does under ``dlp-proxy run``: answer ``/readyz`` 503, wait until no AI
  flow is in flight (or the deadline), then stop. Kubernetes' ``preStop`` + ``terminationGracePeriodSeconds``
  are sized for it (deploy/kubernetes/base/deployment.yaml), so a rollout does not cut a streamed answer.

No mitmproxy import: flows are used through ``metadata`` and ``websocket`` only.
"""

from __future__ import annotations

import asyncio
import os
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from dlp_proxy.logs import get_logger
from dlp_proxy.metrics import Metrics

log = get_logger("dlp_proxy.serving")

#: Environment variable: the longest a SIGTERM waits for in-flight flows, in seconds.
DRAIN_ENV = "DLP_PROXY_DRAIN_SECONDS"
DEFAULT_DRAIN_SECONDS = 30.0


def drain_seconds(environ: dict[str, str] | os._Environ[str] = os.environ) -> float:
    """The drain deadline from ``$DLP_PROXY_DRAIN_SECONDS`` (default 30); ValueError when unusable."""
    raw = environ.get(DRAIN_ENV, "").strip()
    if not raw:
        return DEFAULT_DRAIN_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{DRAIN_ENV} must be a number of seconds, not {raw!r}") from None
    if value < 0:
        raise ValueError(f"{DRAIN_ENV} must be 0 (no wait) or positive")
    return value


class InFlight:
    """Child addon counting the AI flows being handled; ``len()`` is the number now."""

    def __init__(self, metrics: Metrics, metadata_key: str) -> None:
        self.key = metadata_key
        self._flows: weakref.WeakSet[Any] = weakref.WeakSet()
        metrics.in_flight.set_function(lambda: float(len(self._flows)))

    def __len__(self) -> int:
        return len(self._flows)

    def requestheaders(self, flow: Any) -> None:
        if self.key in flow.metadata:
            self._flows.add(flow)

    def response(self, flow: Any) -> None:
        if flow.websocket is None:  # a WebSocket stays in flight until websocket_end
            self._flows.discard(flow)

    def error(self, flow: Any) -> None:
        self._flows.discard(flow)

    def websocket_end(self, flow: Any) -> None:
        self._flows.discard(flow)


class EventLoopLag:
    """A task that sleeps ``interval`` seconds and records how much later than asked it woke up.

    The gauge shows the worst lag of the last ``window`` seconds (longer than a scrape interval), so a
    loop blocked between two scrapes is still seen.
    """

    def __init__(self, metrics: Metrics, interval: float = 1.0, window: float = 30.0) -> None:
        self.metrics = metrics
        self.interval = interval
        self.window = window
        self._samples: deque[tuple[float, float]] = deque()
        self._task: asyncio.Task[None] | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> EventLoopLag:
        self._task = loop.create_task(self._run(), name="dlp-event-loop-lag")
        return self

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            t0 = loop.time()
            await asyncio.sleep(self.interval)
            now = loop.time()
            self._samples.append((now, max(0.0, now - t0 - self.interval)))
            while self._samples[0][0] < now - self.window:
                self._samples.popleft()
            self.metrics.event_loop_lag.set(max(lag for _, lag in self._samples))

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None


async def drain(
    in_flight: Callable[[], int],
    deadline_seconds: float,
    *,
    set_draining: Callable[[bool], object],
    poll: float = 0.2,
) -> bool:
    """Mark the proxy draining, then wait for ``in_flight()`` to reach 0; False if the deadline came.

    The caller stops the proxy afterwards either way: what is still running past the deadline is cut.
    """
    set_draining(True)
    started = time.monotonic()
    waiting = in_flight()
    log.info("drain_started", in_flight=waiting, deadline_seconds=deadline_seconds)
    while waiting and time.monotonic() - started < deadline_seconds:
        await asyncio.sleep(min(poll, max(0.0, deadline_seconds - (time.monotonic() - started))))
        waiting = in_flight()
    took = round(time.monotonic() - started, 1)
    if waiting:
        log.warning("drain_deadline_reached", still_in_flight=waiting, seconds=took)
        return False
    log.info("drain_done", seconds=took)
    return True
