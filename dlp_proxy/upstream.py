"""When an allowed AI request cannot reach its provider: our 502/504 instead of mitmproxy's page.

mitmproxy answers an upstream failure (refused connection, unknown host, TLS failure, server gone)
with an English HTML 502 that it builds itself; an addon's ``error`` hook sees the failure but, in
mitmproxy 12, cannot replace that answer. For flows the addon classified as AI (and only those), the
``error`` hook here sets ``flow.response`` to the product's API-shaped (or HTML) ``upstream_unreachable``
502 / ``upstream_timeout`` 504 with the request id, counts it and logs it; :func:`install` makes
mitmproxy send a response set by the ``error`` hook — the behaviour proposed upstream in
mitmproxy PR #7999 — and changes nothing for other flows (non-AI traffic keeps mitmproxy's page).

mitmproxy has no upstream response timeout: a provider that accepts the connection and never answers
holds the client until the TCP idle timeout (600 s). :class:`UpstreamGuard` arms a timer when an
allowed request leaves (``dlp_upstream_timeout`` seconds, 0: off) and disarms it on the response
headers; when it fires, the upstream connection is closed, which mitmproxy reports as an upstream
failure — answered here with the 504. Only the wait for the response *headers* is bounded: a stream
that has started is never cut.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from mitmproxy import flow as mflow
from mitmproxy import http, version
from mitmproxy.connection import Server
from mitmproxy.proxy.layers import http as http_layer
from mitmproxy.proxy.layers.http import HttpErrorHook, ResponseProtocolError

from dlp_proxy import pipeline
from dlp_proxy.logs import get_logger
from dlp_proxy.metrics import Metrics
from dlp_proxy.pipeline import Block, RequestContext

log = get_logger("dlp_proxy.upstream")

#: flow.metadata key: the guard closed the upstream connection because it did not answer in time.
TIMED_OUT = "dlp_proxy_upstream_timed_out"
#: The mitmproxy versions whose HttpStream.handle_protocol_error the patch below mirrors.
PATCHED_FOR = ("12.3.",)

KINDS = ("timeout", "refused", "dns", "tls", "closed", "other")


def failure_kind(message: str, timed_out: bool) -> str:
    """A fixed label for a mitmproxy error message (metrics labels never carry free text)."""
    if timed_out:
        return "timeout"
    text = message.lower()
    if "refused" in text or "connect call failed" in text:
        return "refused"
    if "name or service" in text or "nodename" in text or "getaddrinfo" in text or "name resolution" in text:
        return "dns"
    if "tls" in text or "ssl" in text or "certificate" in text:
        return "tls"
    if "timed out" in text or "timeout" in text:
        return "timeout"
    if "closed" in text or "disconnect" in text or "reset" in text:
        return "closed"
    return "other"


class UpstreamGuard:
    """Per-flow deadline for the provider's response headers, and the answer to upstream failures."""

    def __init__(self, metrics: Metrics, metadata_key: str) -> None:
        self.metrics = metrics
        self.key = metadata_key
        self.timeout = 0.0
        self._timers: dict[str, asyncio.TimerHandle] = {}

    # ---------------------------------------------------------------- the deadline
    def arm(self, flow: http.HTTPFlow, close: Callable[[http.HTTPFlow], bool]) -> None:
        """After an allowed request: if no response headers in ``timeout`` s, ``close`` its upstream."""
        if self.timeout <= 0 or flow.response is not None or flow.metadata.get(self.key) is None:
            return
        self.disarm(flow)
        loop = asyncio.get_running_loop()
        self._timers[flow.id] = loop.call_later(self.timeout, self._expire, flow, close)

    def disarm(self, flow: http.HTTPFlow) -> None:
        timer = self._timers.pop(flow.id, None)
        if timer is not None:
            timer.cancel()

    def _expire(self, flow: http.HTTPFlow, close: Callable[[http.HTTPFlow], bool]) -> None:
        self._timers.pop(flow.id, None)
        if flow.response is not None or flow.error is not None or not flow.live:
            return
        flow.metadata[TIMED_OUT] = True
        if not close(flow):  # no open upstream connection found: let mitmproxy carry on
            flow.metadata.pop(TIMED_OUT, None)

    # ---------------------------------------------------------------- the answer
    def on_error(self, flow: http.HTTPFlow, policy: Any) -> None:
        """mitmproxy's ``error`` hook: an AI flow whose provider failed gets our 502/504."""
        self.disarm(flow)
        rc: RequestContext | None = flow.metadata.get(self.key)
        if rc is None or policy is None or flow.response is not None or flow.error is None:
            return
        if flow.error.msg == mflow.Error.KILLED_MESSAGE or rc.decision == "blocked":
            return
        timed_out = bool(flow.metadata.pop(TIMED_OUT, False))
        kind = failure_kind(flow.error.msg, timed_out)
        code = "upstream_timeout" if kind == "timeout" else "upstream_unreachable"
        status, headers, body = pipeline.block_response(
            policy,
            rc,
            Block(code, f"amont:{kind}"),
            path=flow.request.path,
            accept=flow.request.headers.get("accept"),
        )
        flow.response = http.Response.make(status, body, headers)
        self.metrics.upstream_errors.labels(tool=rc.service_id, kind=kind).inc()
        log.warning(
            "upstream_failed",
            request_id=rc.request_id,
            tool=rc.service_id,
            host=rc.host,
            kind=kind,
            status=status,
            seconds=round(time.time() - flow.request.timestamp_start, 3),
        )


def close_upstream(flow: http.HTTPFlow, proxyserver: Any) -> bool:
    """Close the server connection a waiting flow uses (its reader task is cancelled; mitmproxy then
    reports "server closed" to the flow). False when no such connection is open."""
    handler = getattr(proxyserver, "connections", {}).get(flow.client_conn.id)
    if handler is None:
        return False
    wanted = (flow.request.host, flow.request.port)
    for conn, io in list(handler.transports.items()):
        if not isinstance(conn, Server) or io.handler is None:
            continue
        if conn is flow.server_conn or conn.address == wanted:
            io.handler.cancel("dlp-proxy: upstream timeout")
            return True
    return False


# -------------------------------------------------------------------------- the mitmproxy patch

_original = http_layer.HttpStream.handle_protocol_error


def _handle_protocol_error(self: Any, event: Any) -> Any:
    """mitmproxy 12.3's ``HttpStream.handle_protocol_error``, plus: a response set by the ``error``
    hook on an upstream failure is sent to the client instead of mitmproxy's error page."""
    if not isinstance(event, ResponseProtocolError) or self.flow.response is not None:
        return (yield from _original(self, event))
    need_error_hook = not (
        self.client_state == self.state_errored or self.server_state in (self.state_done, self.state_errored)
    )
    if not need_error_hook:
        return (yield from _original(self, event))
    self.flow.error = mflow.Error(event.message)
    yield HttpErrorHook(self.flow)
    if (yield from self.check_killed(False)):
        return None
    if self.flow.response is not None and self.client_state == self.state_done:
        self.server_state = self.state_errored
        self.flow.response.timestamp_start = self.flow.response.timestamp_start or time.time()
        yield from self.send_response()
        return None
    if self.client_state != self.state_errored:
        yield http_layer.SendHttp(event, self.context.client)
    self.server_state = self.state_errored
    self.flow.live = False
    yield http_layer.DropStream(self.stream_id)
    return None


def install() -> bool:
    """Patch mitmproxy (once) so that the ``error`` hook can answer; False on an unknown version,
    where mitmproxy's own error page stays (logged once)."""
    if http_layer.HttpStream.handle_protocol_error is _handle_protocol_error:
        return True
    if not version.VERSION.startswith(PATCHED_FOR):
        log.warning("upstream_errors_not_answered", mitmproxy=version.VERSION, known=PATCHED_FOR)
        return False
    http_layer.HttpStream.handle_protocol_error = _handle_protocol_error  # type: ignore[method-assign]
    return True


__all__ = ["KINDS", "TIMED_OUT", "UpstreamGuard", "close_upstream", "failure_kind", "install"]
