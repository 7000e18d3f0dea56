"""In-flight AI flows, event-loop lag and the drain that SIGTERM runs (dlp_proxy.serving).

Flows are real mitmproxy flows (mitmproxy.test.tflow); the e2e proof that a SIGTERM lets a stream finish
is in tests/e2e/test_drain.py.
"""

from __future__ import annotations

import asyncio
import gc
import time

import pytest
from mitmproxy.test import tflow

from dlp_proxy.metrics import Metrics
from dlp_proxy.serving import DEFAULT_DRAIN_SECONDS, EventLoopLag, InFlight, drain, drain_seconds

KEY = "dlp_proxy"


def _sample(metrics: Metrics, name: str) -> float:
    value = metrics.registry.get_sample_value(name)
    assert value is not None, name
    return value


def test_drain_seconds_from_the_environment():
    assert drain_seconds({}) == DEFAULT_DRAIN_SECONDS
    assert drain_seconds({"DLP_PROXY_DRAIN_SECONDS": " 300 "}) == 300.0
    assert drain_seconds({"DLP_PROXY_DRAIN_SECONDS": "0"}) == 0.0
    with pytest.raises(ValueError, match="DLP_PROXY_DRAIN_SECONDS must be a number"):
        drain_seconds({"DLP_PROXY_DRAIN_SECONDS": "5min"})
    with pytest.raises(ValueError, match="0 \\(no wait\\) or positive"):
        drain_seconds({"DLP_PROXY_DRAIN_SECONDS": "-1"})


def test_in_flight_counts_ai_flows_until_their_closing_hook():
    metrics = Metrics()
    tracker = InFlight(metrics, KEY)
    ai, other, failed = tflow.tflow(), tflow.tflow(), tflow.tflow()
    for flow in (ai, failed):
        flow.metadata[KEY] = object()
    for flow in (ai, other, failed):
        tracker.requestheaders(flow)
    assert len(tracker) == 2  # the non-AI flow is not the proxy's business
    assert _sample(metrics, "dlp_proxy_in_flight_requests") == 2
    tracker.error(failed)
    ai.response = tflow.tresp()
    tracker.response(ai)
    assert len(tracker) == 0
    tracker.response(ai)  # a second closing hook changes nothing
    assert _sample(metrics, "dlp_proxy_in_flight_requests") == 0


def test_a_websocket_stays_in_flight_until_it_ends():
    tracker = InFlight(Metrics(), KEY)
    ws = tflow.twebsocketflow()
    ws.metadata[KEY] = object()
    tracker.requestheaders(ws)
    tracker.response(ws)  # the 101 answer: the conversation only starts
    assert len(tracker) == 1
    tracker.websocket_end(ws)
    assert len(tracker) == 0


def test_a_flow_forgotten_without_closing_hook_is_not_counted_forever():
    tracker = InFlight(Metrics(), KEY)
    flow = tflow.tflow()
    flow.metadata[KEY] = object()
    tracker.requestheaders(flow)
    assert len(tracker) == 1
    del flow
    gc.collect()
    assert len(tracker) == 0


def test_event_loop_lag_sees_a_blocked_loop():
    metrics = Metrics()

    async def scenario() -> float:
        monitor = EventLoopLag(metrics, interval=0.05).start(asyncio.get_running_loop())
        await asyncio.sleep(0.12)
        time.sleep(0.4)  # something blocks the loop: every flow would wait as long
        await asyncio.sleep(0.12)
        monitor.stop()
        return _sample(metrics, "dlp_proxy_event_loop_lag_seconds")

    assert asyncio.run(scenario()) >= 0.3


def test_drain_waits_for_in_flight_flows_then_reports():
    states: list[bool] = []
    remaining = [3]

    async def finishing() -> bool:
        async def flows_end() -> None:
            while remaining[0]:
                await asyncio.sleep(0.05)
                remaining[0] -= 1

        task = asyncio.create_task(flows_end())
        done = await drain(lambda: remaining[0], 10, set_draining=states.append, poll=0.01)
        await task
        return done

    assert asyncio.run(finishing()) is True
    assert states == [True] and remaining == [0]


def test_drain_gives_up_at_the_deadline():
    async def stuck() -> tuple[bool, float]:
        t0 = time.monotonic()
        done = await drain(lambda: 1, 0.3, set_draining=lambda _: None, poll=0.05)
        return done, time.monotonic() - t0

    done, took = asyncio.run(stuck())
    assert done is False and 0.3 <= took < 5


def test_draining_runtime_is_not_ready():
    from dlp_proxy.runtime import Runtime

    metrics = Metrics()
    runtime = Runtime(metrics)
    runtime.set_draining(True)
    assert runtime.readiness() == (False, "draining (shutting down)")
    assert _sample(metrics, "dlp_proxy_draining") == 1
