"""Refuse an over-limit request body the moment the limit is crossed, with the product's JSON 413.

mitmproxy buffers a request body whole before the ``request`` hook runs, and its own ``body_size_limit``
answers in English HTML (HTTP/2) or not at all while the client keeps uploading (HTTP/1.1 chunked): a
60 MB upload without ``Content-Length`` hung for minutes. Addons see no hook per received chunk (a
``request.stream`` callable would open the upstream connection and send the headers first, which the
proxy must not do before deciding), so this module wraps mitmproxy's per-chunk size check
(``HttpStream.check_body_size``, called for every chunk of a buffered request body).

For a flow the addon marked with a :class:`BodyGuard` (AI traffic), the wrapper answers now when:

* the bytes received so far exceed the policy's limit (chunked or not, HTTP/1.1 or HTTP/2), or
* the addon already decided at the headers (``Content-Length`` over the limit, names that disagree):
  the answer is sent at the first chunk instead of after the whole upload.

The answer is the addon's own refusal (``flow.response``, recorded as an incident by the addon), then
the stream is ended: over HTTP/1 the rest of the upload is read and dropped and the connection closed,
over HTTP/2 the stream is reset (other streams go on). A chunked HTTP/1 upload that goes on past
:data:`DRAIN_CAP` has its connection closed.
Nothing has been sent upstream: the decision comes before any connection (``connection_strategy``
lazy). Every other flow keeps mitmproxy's own behaviour. mitmproxy is pinned (pyproject), and
:func:`install` refuses to start on a version whose HTTP layer does not have the expected shape.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from mitmproxy.net.http.http1 import expected_http_body_size
from mitmproxy.proxy.layers import http as http_layer
from mitmproxy.proxy.layers.http import (
    ErrorCode,
    HttpRequestHeadersHook,
    RequestData,
    ResponseData,
    ResponseEndOfMessage,
    ResponseHeaders,
    ResponseProtocolError,
    SendHttp,
)
from mitmproxy.utils import human

GUARD_KEY = "dlp_proxy.body_guard"


@dataclass(frozen=True)
class BodyGuard:
    """The policy's limit for one flow and how the addon refuses it (sets ``flow.response``, records)."""

    limit: int
    refuse: Callable[[], None]


def _over_backstop(stream: Any) -> bool:
    """Whether mitmproxy's own limit would refuse the body from its headers alone."""
    limit = human.parse_size(stream.context.options.body_size_limit)
    if limit is None:
        return False
    try:
        expected = expected_http_body_size(stream.flow.request, None)
    except ValueError:
        return False
    return expected is not None and expected > limit


def _answer_now(stream: Any) -> Generator[Any, Any, None]:
    """Send ``flow.response`` to the client now, then end this request's stream."""
    flow = stream.flow
    response = flow.response
    stream.request_body_buf.clear()
    stream.client_state = stream.state_errored
    if not (flow.request.is_http2 or flow.request.is_http3):
        response.headers["connection"] = "close"
    yield SendHttp(ResponseHeaders(stream.stream_id, response, end_stream=False), stream.context.client)
    yield SendHttp(ResponseData(stream.stream_id, response.raw_content or b""), stream.context.client)
    yield SendHttp(ResponseEndOfMessage(stream.stream_id), stream.context.client)
    if flow.request.is_http2 or flow.request.is_http3:
        # The client may still be uploading: reset this stream (the connection's others go on).
        yield SendHttp(
            ResponseProtocolError(
                stream.stream_id, "request refused by dlp-proxy", ErrorCode.PASSTHROUGH_CLOSE
            ),
            stream.context.client,
        )
    else:
        # HTTP/1: the rest of the upload is read and dropped, then the connection closes
        # (``Connection: close``). Closing at once would leave a client that writes its whole body
        # before reading (most SDKs) blocked on a socket nobody reads, never seeing the answer. A
        # chunked upload has no end of its own: past DRAIN_CAP the connection is closed.
        stream.client_state = _drop_then_close(stream, _drain_cap(stream))
    flow.live = False


#: Least number of bytes of a refused HTTP/1 upload read and dropped before the connection is closed
#: (mitmproxy's ``body_size_limit`` when larger): enough for a client that declared its size and
#: writes it all before reading our 413, a bound for one that never stops.
DRAIN_CAP = 64 * 1024 * 1024


def _drain_cap(stream: Any) -> int:
    limit = human.parse_size(stream.context.options.body_size_limit)
    return max(DRAIN_CAP, limit or 0)


def _drop_then_close(stream: Any, cap: int) -> Callable[[Any], Generator[Any, Any, None]]:
    """A client state that drops what the client still uploads and closes its connection past ``cap``
    bytes (what mitmproxy's ``state_errored`` does, with a bound)."""
    dropped = 0

    def state_drop_then_close(event: Any) -> Generator[Any, Any, None]:
        nonlocal dropped
        if isinstance(event, RequestData):
            dropped += len(event.data)
            if dropped > cap:
                stream.client_state = stream.state_errored
                yield SendHttp(
                    ResponseProtocolError(
                        stream.stream_id, "refused upload went on", ErrorCode.PASSTHROUGH_CLOSE
                    ),
                    stream.context.client,
                )

    return state_drop_then_close


def _wrap(original: Callable[..., Any]) -> Callable[..., Any]:
    def check_body_size(self: Any, request: bool) -> Generator[Any, Any, bool]:
        flow = self.flow
        if not request or flow is None:
            return (yield from original(self, request))
        guard: BodyGuard | None = flow.metadata.get(GUARD_KEY)
        if guard is None and not self.request_body_buf and _over_backstop(self):
            # Declared past mitmproxy's own limit: let the addon classify and decide first.
            yield HttpRequestHeadersHook(flow)
            guard = flow.metadata.get(GUARD_KEY)
            if guard is None:
                return (yield from original(self, request))
            if flow.response is None:
                guard.refuse()
            if flow.response is not None:
                yield from _answer_now(self)
                return True
        if guard is not None:
            if flow.response is None and len(self.request_body_buf) > guard.limit:
                guard.refuse()
            if flow.response is not None:
                yield from _answer_now(self)
                return True
        return (yield from original(self, request))

    check_body_size.__wrapped__ = original  # type: ignore[attr-defined]
    return check_body_size


def install() -> None:
    """Wrap mitmproxy's body size check once (idempotent)."""
    stream_cls = http_layer.HttpStream
    current = stream_cls.check_body_size
    if getattr(current, "__wrapped__", None) is not None:
        return
    if not all(hasattr(stream_cls, name) for name in ("state_errored", "state_consume_request_body")):
        raise RuntimeError("unsupported mitmproxy version: its HTTP layer lacks the states dlp-proxy wraps")
    stream_cls.check_body_size = _wrap(current)  # type: ignore[method-assign]
