"""A fake AI provider on 127.0.0.1 that records what it receives and answers like the real APIs.

It speaks plain HTTP; the proxy under test reaches it through mitmproxy's ``map_remote``, so clients
still talk to ``https://api.openai.com`` etc. with the default ``base_url``. Routes:

- ``/openai/...``: OpenAI chat completions (JSON or SSE when ``stream`` is true),
- ``/anthropic/...``: Anthropic messages (JSON or SSE),
- anything else: ``{"ok": true}``.

The SSE answers send one chunk, then wait for :attr:`FakeProvider.release` (set by the test once the
client has seen that first chunk) before sending the rest: a proxy that buffered the stream would
never let the client see the first chunk in time, and the test would notice.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    """One request as the provider saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class FakeProvider:
    """Threaded HTTP server recording requests."""

    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    release_timed_out: bool = False

    def __post_init__(self) -> None:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

            def _body(self) -> bytes:
                n = int(self.headers.get("content-length") or 0)
                return self.rfile.read(n) if n else b""

            def do_GET(self) -> None:  # noqa: N802
                self._handle(b"")

            def do_POST(self) -> None:  # noqa: N802
                self._handle(self._body())

            def _handle(self, body: bytes) -> None:
                rec = Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                provider.received.append(rec)
                try:
                    payload = json.loads(body) if body else {}
                except ValueError:
                    payload = {}
                if self.path.startswith("/openai/"):
                    self._openai(payload)
                elif self.path.startswith("/anthropic/"):
                    self._anthropic(payload)
                else:
                    self._json({"ok": True, "path": self.path})

            def _json(self, obj: object, status: int = 200) -> None:
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _sse(self, events: list[bytes]) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("cache-control", "no-cache")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for i, ev in enumerate(events):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(ev), ev))
                    self.wfile.flush()
                    if i == 0 and not provider.release.wait(10):
                        provider.release_timed_out = True
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def _openai(self, payload: dict) -> None:
                model = payload.get("model", "gpt-4o-mini")
                text = "Bonjour, voici ma réponse."
                if payload.get("stream"):
                    events = []
                    for i, piece in enumerate(["Bonjour", ", voici", " ma réponse."]):
                        chunk = {
                            "id": "chatcmpl-fake",
                            "object": "chat.completion.chunk",
                            "created": int(time.time()),
                            "model": model,
                            "choices": [
                                {
                                    "index": 0,
                                    "delta": {"role": "assistant", "content": piece}
                                    if i == 0
                                    else {"content": piece},
                                    "finish_reason": None,
                                }
                            ],
                        }
                        events.append(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                    events.append(b"data: [DONE]\n\n")
                    self._sse(events)
                    return
                self._json(
                    {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": text},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10},
                    }
                )

            def _anthropic(self, payload: dict) -> None:
                model = payload.get("model", "claude-sonnet-5")
                if payload.get("stream"):

                    def ev(name: str, data: dict) -> bytes:
                        return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()

                    msg = {
                        "id": "msg_fake",
                        "type": "message",
                        "role": "assistant",
                        "model": model,
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": {"input_tokens": 5, "output_tokens": 1},
                    }
                    events = [
                        ev("message_start", {"type": "message_start", "message": msg}),
                        ev(
                            "content_block_start",
                            {
                                "type": "content_block_start",
                                "index": 0,
                                "content_block": {"type": "text", "text": ""},
                            },
                        ),
                        ev(
                            "content_block_delta",
                            {
                                "type": "content_block_delta",
                                "index": 0,
                                "delta": {"type": "text_delta", "text": "Bonjour"},
                            },
                        ),
                        ev("content_block_stop", {"type": "content_block_stop", "index": 0}),
                        ev(
                            "message_delta",
                            {
                                "type": "message_delta",
                                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                "usage": {"output_tokens": 2},
                            },
                        ),
                        ev("message_stop", {"type": "message_stop"}),
                    ]
                    self._sse(events)
                    return
                self._json(
                    {
                        "id": "msg_fake",
                        "type": "message",
                        "role": "assistant",
                        "model": model,
                        "content": [{"type": "text", "text": "Bonjour, voici ma réponse."}],
                        "stop_reason": "end_turn",
                        "stop_sequence": None,
                        "usage": {"input_tokens": 5, "output_tokens": 5},
                    }
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def reset(self) -> None:
        self.received.clear()
        self.release.clear()
        self.release_timed_out = False

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
