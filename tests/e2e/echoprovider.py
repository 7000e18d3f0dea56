"""A fake AI provider on 127.0.0.1 that echoes what it received, in each API's real answer format.

The answer's assistant text is the user's last text, verbatim; when the request offers tools, the
answer also holds one call of the first tool, whose arguments are ``{"texte": <the last tool result's
text>}`` (the user's last text when no tool result was sent yet). Pseudonyms the proxy put in the request
therefore come back in the answer — in prose and inside tool-call arguments — and the proxy must give the
client its original values back.

Streams send the text and the arguments in pieces of 1 to 3 characters, one event per piece, each
flushed as its own HTTP chunk, so a pseudonym is cut in many places on its way back.

The API is told by the path (any prefix that ``map_remote`` puts in front is ignored):

==============================================  =====================================================
``…/chat/completions``                          OpenAI Chat Completions (JSON, or SSE if ``stream``)
``…/responses``                                 OpenAI Responses (JSON, or SSE if ``stream``); a server-side
                                                conversation: with ``previous_response_id``, the answer is
                                                that response's text, a new line, then the user's last text
``…/v1/messages``                               Anthropic Messages (JSON, or SSE if ``stream``)
``…:generateContent`` / ``…:streamGenerateContent``  Gemini (JSON; SSE with ``?alt=sse``, else a JSON array)
``…/api/chat``                                  Ollama chat (NDJSON unless ``"stream": false``)
``…/v2/chat``                                   Cohere v2 chat (JSON, or SSE if ``stream``)
anything else                                   ``{"ok": true, "path": …, "echo": <the body as text>}``
==============================================  =====================================================

Every request is recorded (:attr:`EchoProvider.received` since the last reset, :attr:`EchoProvider.history`
since the start); :meth:`EchoProvider.all_bodies` joins every path and body received, resets
notwithstanding, for "the provider never saw this value" checks.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One request as the provider saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class Echo:
    """What the echo answer carries."""

    text: str  # the user's last text
    tool: str | None = None  # the first tool offered, if any
    tool_result: str | None = None  # the text of the last tool result, if any

    @property
    def arguments(self) -> dict[str, str] | None:
        if self.tool is None:
            return None
        return {"texte": self.tool_result if self.tool_result is not None else self.text}


def pieces(text: str) -> list[str]:
    """``text`` cut in pieces of 1 to 3 characters (the same cuts for the same text)."""
    rng = random.Random(len(text))
    out, i = [], 0
    while i < len(text):
        n = rng.randint(1, 3)
        out.append(text[i : i + n])
        i += n
    return out


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON value, in document order."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _text_of(content: Any, text_types: Iterable[str] = ("text", "input_text")) -> str | None:
    """A message content: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            p["text"]
            for p in content
            if isinstance(p, dict) and p.get("type") in text_types and isinstance(p.get("text"), str)
        ]
        return "".join(texts) if texts else None
    return None


def _result_text(content: Any) -> str:
    """A tool result: a string, else every string it holds (text blocks, documents), joined."""
    if isinstance(content, str):
        return content
    return " ".join(_strings(content))


# -- what each API asks ---------------------------------------------------------------------------------


def _chat_messages(payload: dict) -> Echo:
    """OpenAI Chat Completions, Ollama chat and Cohere v2: ``messages`` with ``tool`` messages."""
    echo = Echo(text="")
    for message in payload.get("messages") or []:
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if role == "user":
            text = _text_of(message.get("content"))
            if text is not None:
                echo.text = text
        elif role == "tool":
            echo.tool_result = _result_text(message.get("content"))
    echo.tool = next(
        (
            t["function"]["name"]
            for t in payload.get("tools") or []
            if isinstance(t, dict) and isinstance(t.get("function"), dict) and "name" in t["function"]
        ),
        None,
    )
    return echo


def _responses(payload: dict) -> Echo:
    echo = Echo(text="")
    items = payload.get("input")
    if isinstance(items, str):
        echo.text = items
        items = []
    for item in items or []:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "function_call_output":
            echo.tool_result = _result_text(item.get("output"))
        elif item.get("role") == "user" and item.get("type", "message") == "message":
            text = _text_of(item.get("content"))
            if text is not None:
                echo.text = text
    echo.tool = next(
        (
            t["name"]
            for t in payload.get("tools") or []
            if isinstance(t, dict) and t.get("type") == "function"
        ),
        None,
    )
    return echo


def _anthropic(payload: dict) -> Echo:
    echo = Echo(text="")
    for message in payload.get("messages") or []:
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            echo.text = content
            continue
        texts = []
        for block in content or []:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text" and isinstance(block.get("text"), str):
                texts.append(block["text"])
            elif block.get("type") == "tool_result":
                echo.tool_result = _result_text(block.get("content"))
        if texts:
            echo.text = "".join(texts)
    echo.tool = next(
        (t["name"] for t in payload.get("tools") or [] if isinstance(t, dict) and "name" in t), None
    )
    return echo


def _gemini(payload: dict) -> Echo:
    echo = Echo(text="")
    for content in payload.get("contents") or []:
        if not isinstance(content, dict) or content.get("role", "user") != "user":
            continue
        texts = []
        for part in content.get("parts") or []:
            if not isinstance(part, dict):
                continue
            if isinstance(part.get("text"), str):
                texts.append(part["text"])
            response = part.get("functionResponse", part.get("function_response"))
            if isinstance(response, dict):
                echo.tool_result = _result_text(response.get("response"))
        if texts:
            echo.text = "".join(texts)
    for tool in payload.get("tools") or []:
        decls = (
            tool.get("functionDeclarations", tool.get("function_declarations"))
            if isinstance(tool, dict)
            else None
        )
        if decls:
            echo.tool = decls[0]["name"]
            break
    return echo


# -- the server ---------------------------------------------------------------------------------------


@dataclass
class EchoProvider:
    """Threaded HTTP server that records every request and echoes it back."""

    received: list[Received] = field(default_factory=list)  # since the last reset()
    history: list[Received] = field(default_factory=list)  # every request since the start, never reset
    responses: dict[str, str] = field(default_factory=dict)  # Responses API id -> its text, never reset

    def __post_init__(self) -> None:
        provider = self
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

            def _body(self) -> bytes:
                if "chunked" in self.headers.get("transfer-encoding", "").lower():
                    out = bytearray()
                    while True:
                        size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return bytes(out)
                        out += self.rfile.read(size)
                        self.rfile.readline()
                n = int(self.headers.get("content-length") or 0)
                return self.rfile.read(n) if n else b""

            def do_GET(self) -> None:  # noqa: N802
                self._handle(b"")

            def do_POST(self) -> None:  # noqa: N802
                self._handle(self._body())

            def _handle(self, body: bytes) -> None:
                rec = Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with provider._lock:
                    provider.received.append(rec)
                    provider.history.append(rec)
                try:
                    payload = json.loads(body) if body else {}
                except ValueError:
                    payload = None
                route, _, query = self.path.partition("?")
                if not isinstance(payload, dict):
                    self._generic(body)
                elif route.endswith("/chat/completions"):
                    self._openai_chat(payload)
                elif route.endswith("/responses"):
                    self._openai_responses(payload)
                elif route.endswith("/v1/messages"):
                    self._anthropic(payload)
                elif route.endswith((":generateContent", ":streamGenerateContent")):
                    self._gemini(payload, stream=route.endswith(":streamGenerateContent"), query=query)
                elif route.endswith("/api/chat"):
                    self._ollama(payload)
                elif route.endswith("/v2/chat"):
                    self._cohere(payload)
                else:
                    self._generic(body)

            # -- writing -------------------------------------------------------------------------------

            def _json(self, obj: object, status: int = 200) -> None:
                data = json.dumps(obj, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, content_type: str, events: Iterable[bytes]) -> None:
                """Each event its own HTTP chunk, flushed at once."""
                self.send_response(200)
                self.send_header("content-type", content_type)
                self.send_header("cache-control", "no-cache")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for ev in events:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(ev), ev))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def _sse(self, events: Iterable[bytes]) -> None:
                self._stream("text/event-stream", events)

            def _generic(self, body: bytes) -> None:
                self._json({"ok": True, "path": self.path, "echo": body.decode("utf-8", "replace")})

            # -- OpenAI Chat Completions ---------------------------------------------------------------

            def _openai_chat(self, payload: dict) -> None:
                echo = _chat_messages(payload)
                model = payload.get("model", "gpt-4o-mini")
                args = echo.arguments
                args_text = json.dumps(args, ensure_ascii=False) if args is not None else None
                finish = "tool_calls" if args is not None else "stop"
                base = {
                    "id": "chatcmpl-echo",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": model,
                    "system_fingerprint": "fp_echo",
                }
                if not payload.get("stream"):
                    message: dict[str, Any] = {"role": "assistant", "content": echo.text, "refusal": None}
                    if args_text is not None:
                        message["tool_calls"] = [
                            {
                                "id": "call_echo_1",
                                "type": "function",
                                "function": {"name": echo.tool, "arguments": args_text},
                            }
                        ]
                    self._json(
                        {
                            **base,
                            "object": "chat.completion",
                            "choices": [
                                {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
                            ],
                            "usage": {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18},
                        }
                    )
                    return

                def chunk(delta: dict, finish_reason: str | None = None) -> bytes:
                    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
                    data = {**base, "choices": [choice]}
                    return b"data: " + json.dumps(data, ensure_ascii=False).encode() + b"\n\n"

                def events() -> Iterator[bytes]:
                    yield chunk({"role": "assistant", "content": "", "refusal": None})
                    for piece in pieces(echo.text):
                        yield chunk({"content": piece})
                    if args_text is not None:
                        call = {
                            "index": 0,
                            "id": "call_echo_1",
                            "type": "function",
                            "function": {"name": echo.tool, "arguments": ""},
                        }
                        yield chunk({"tool_calls": [call]})
                        for piece in pieces(args_text):
                            yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
                    yield chunk({}, finish)
                    if (payload.get("stream_options") or {}).get("include_usage"):
                        usage = {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18}
                        yield (
                            b"data: " + json.dumps({**base, "choices": [], "usage": usage}).encode() + b"\n\n"
                        )
                    yield b"data: [DONE]\n\n"

                self._sse(events())

            # -- OpenAI Responses ----------------------------------------------------------------------

            def _openai_responses(self, payload: dict) -> None:
                echo = _responses(payload)
                earlier = provider.responses.get(str(payload.get("previous_response_id")))
                if earlier is not None:  # the provider keeps the conversation: it recalls the last turn
                    echo.text = f"{earlier}\n{echo.text}"
                with provider._lock:
                    response_id = f"resp_echo_{len(provider.responses) + 1}"
                    provider.responses[response_id] = echo.text
                args = echo.arguments
                args_text = json.dumps(args, ensure_ascii=False) if args is not None else None
                response: dict[str, Any] = {
                    "id": response_id,
                    "object": "response",
                    "created_at": int(time.time()),
                    "status": "in_progress",
                    "model": payload.get("model", "gpt-4.1"),
                    "output": [],
                    "parallel_tool_calls": True,
                    "tool_choice": "auto",
                    "tools": [],
                    "instructions": payload.get("instructions"),
                }
                part = {"type": "output_text", "annotations": [], "logprobs": [], "text": echo.text}
                message = {
                    "id": "msg_echo",
                    "type": "message",
                    "status": "completed",
                    "role": "assistant",
                    "content": [part],
                }
                call = {
                    "id": "fc_echo",
                    "type": "function_call",
                    "call_id": "call_echo_1",
                    "name": echo.tool,
                    "arguments": args_text,
                    "status": "completed",
                }
                output = [message] + ([call] if args_text is not None else [])
                usage = {
                    "input_tokens": 9,
                    "input_tokens_details": {"cached_tokens": 0},
                    "output_tokens": 9,
                    "output_tokens_details": {"reasoning_tokens": 0},
                    "total_tokens": 18,
                }
                done = {**response, "status": "completed", "output": output, "usage": usage}
                if not payload.get("stream"):
                    self._json(done)
                    return
                seq = iter(range(1_000_000))

                def ev(kind: str, **fields: object) -> bytes:
                    data = json.dumps(
                        {"type": kind, "sequence_number": next(seq), **fields}, ensure_ascii=False
                    )
                    return f"event: {kind}\ndata: {data}\n\n".encode()

                def events() -> Iterator[bytes]:
                    yield ev("response.created", response=response)
                    yield ev("response.in_progress", response=response)
                    yield ev(
                        "response.output_item.added",
                        output_index=0,
                        item={**message, "status": "in_progress", "content": []},
                    )
                    yield ev(
                        "response.content_part.added",
                        item_id="msg_echo",
                        output_index=0,
                        content_index=0,
                        part={**part, "text": ""},
                    )
                    for piece in pieces(echo.text):
                        yield ev(
                            "response.output_text.delta",
                            item_id="msg_echo",
                            output_index=0,
                            content_index=0,
                            delta=piece,
                            logprobs=[],
                        )
                    yield ev(
                        "response.output_text.done",
                        item_id="msg_echo",
                        output_index=0,
                        content_index=0,
                        text=echo.text,
                        logprobs=[],
                    )
                    yield ev(
                        "response.content_part.done",
                        item_id="msg_echo",
                        output_index=0,
                        content_index=0,
                        part=part,
                    )
                    yield ev("response.output_item.done", output_index=0, item=message)
                    if args_text is not None:
                        yield ev(
                            "response.output_item.added",
                            output_index=1,
                            item={**call, "arguments": "", "status": "in_progress"},
                        )
                        for piece in pieces(args_text):
                            yield ev(
                                "response.function_call_arguments.delta",
                                item_id="fc_echo",
                                output_index=1,
                                delta=piece,
                            )
                        yield ev(
                            "response.function_call_arguments.done",
                            item_id="fc_echo",
                            output_index=1,
                            arguments=args_text,
                        )
                        yield ev("response.output_item.done", output_index=1, item=call)
                    yield ev("response.completed", response=done)

                self._sse(events())

            # -- Anthropic -----------------------------------------------------------------------------

            def _anthropic(self, payload: dict) -> None:
                echo = _anthropic(payload)
                args = echo.arguments
                model = payload.get("model", "claude-sonnet-5")
                stop = "tool_use" if args is not None else "end_turn"
                tool_block = {"type": "tool_use", "id": "toolu_echo_1", "name": echo.tool, "input": args}
                if not payload.get("stream"):
                    content: list[dict] = [{"type": "text", "text": echo.text}]
                    if args is not None:
                        content.append(tool_block)
                    self._json(
                        {
                            "id": "msg_echo",
                            "type": "message",
                            "role": "assistant",
                            "model": model,
                            "content": content,
                            "stop_reason": stop,
                            "stop_sequence": None,
                            "usage": {"input_tokens": 9, "output_tokens": 9},
                        }
                    )
                    return

                def ev(data: dict) -> bytes:
                    return f"event: {data['type']}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()

                def events() -> Iterator[bytes]:
                    message = {
                        "id": "msg_echo",
                        "type": "message",
                        "role": "assistant",
                        "model": model,
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": {"input_tokens": 9, "output_tokens": 1},
                    }
                    yield ev({"type": "message_start", "message": message})
                    yield ev(
                        {
                            "type": "content_block_start",
                            "index": 0,
                            "content_block": {"type": "text", "text": ""},
                        }
                    )
                    yield ev({"type": "ping"})
                    for piece in pieces(echo.text):
                        delta = {"type": "text_delta", "text": piece}
                        yield ev({"type": "content_block_delta", "index": 0, "delta": delta})
                    yield ev({"type": "content_block_stop", "index": 0})
                    if args is not None:
                        start = {**tool_block, "input": {}}
                        yield ev({"type": "content_block_start", "index": 1, "content_block": start})
                        for piece in pieces(json.dumps(args, ensure_ascii=False)):
                            delta = {"type": "input_json_delta", "partial_json": piece}
                            yield ev({"type": "content_block_delta", "index": 1, "delta": delta})
                        yield ev({"type": "content_block_stop", "index": 1})
                    yield ev(
                        {
                            "type": "message_delta",
                            "delta": {"stop_reason": stop, "stop_sequence": None},
                            "usage": {"output_tokens": 9},
                        }
                    )
                    yield ev({"type": "message_stop"})

                self._sse(events())

            # -- Gemini --------------------------------------------------------------------------------

            def _gemini(self, payload: dict, *, stream: bool, query: str) -> None:
                echo = _gemini(payload)
                args = echo.arguments
                meta = {"modelVersion": "gemini-2.5-flash", "responseId": "echo-gemini"}
                usage = {"promptTokenCount": 9, "candidatesTokenCount": 9, "totalTokenCount": 18}
                call_part = {"functionCall": {"name": echo.tool, "args": args}}

                def response(parts: list[dict], finish: bool) -> dict:
                    cand: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
                    if finish:
                        cand["finishReason"] = "STOP"
                    return {"candidates": [cand], "usageMetadata": usage, **meta}

                if not stream:
                    parts = [{"text": echo.text}] + ([call_part] if args is not None else [])
                    self._json(response(parts, True))
                    return
                chunks = [response([{"text": p}], False) for p in pieces(echo.text)]
                chunks.append(response([call_part] if args is not None else [{"text": ""}], True))
                if "alt=sse" not in query:
                    self._json(chunks)  # without alt=sse: one JSON array
                    return
                self._sse(
                    b"data: " + json.dumps(c, ensure_ascii=False).encode() + b"\r\n\r\n" for c in chunks
                )

            # -- Ollama --------------------------------------------------------------------------------

            def _ollama(self, payload: dict) -> None:
                echo = _chat_messages(payload)
                args = echo.arguments
                base = {
                    "model": payload.get("model", "llama3.2"),
                    "created_at": "2026-01-05T12:00:00.000000Z",
                }
                calls = [{"function": {"name": echo.tool, "arguments": args}}] if args is not None else None
                end = {
                    "done_reason": "stop",
                    "done": True,
                    "total_duration": 1000,
                    "prompt_eval_count": 9,
                    "eval_count": 9,
                }
                if payload.get("stream") is False:
                    message: dict[str, Any] = {"role": "assistant", "content": echo.text}
                    if calls:
                        message["tool_calls"] = calls
                    self._json({**base, "message": message, **end})
                    return

                def line(obj: dict) -> bytes:
                    return json.dumps(obj, ensure_ascii=False).encode() + b"\n"

                def events() -> Iterator[bytes]:
                    for piece in pieces(echo.text):
                        yield line(
                            {**base, "message": {"role": "assistant", "content": piece}, "done": False}
                        )
                    if calls:
                        message = {"role": "assistant", "content": "", "tool_calls": calls}
                        yield line({**base, "message": message, "done": False})
                    yield line({**base, "message": {"role": "assistant", "content": ""}, **end})

                self._stream("application/x-ndjson", events())

            # -- Cohere v2 -----------------------------------------------------------------------------

            def _cohere(self, payload: dict) -> None:
                echo = _chat_messages(payload)
                args = echo.arguments
                args_text = json.dumps(args, ensure_ascii=False) if args is not None else None
                finish = "TOOL_CALL" if args is not None else "COMPLETE"
                usage = {
                    "billed_units": {"input_tokens": 9, "output_tokens": 9},
                    "tokens": {"input_tokens": 9, "output_tokens": 9},
                }
                call = {"id": "echo_tc_1", "type": "function", "function": {"name": echo.tool}}
                if not payload.get("stream"):
                    message: dict[str, Any] = {
                        "role": "assistant",
                        "content": [{"type": "text", "text": echo.text}],
                    }
                    if args_text is not None:
                        message["tool_calls"] = [
                            {**call, "function": {**call["function"], "arguments": args_text}}
                        ]
                    self._json(
                        {"id": "echo-cohere", "finish_reason": finish, "message": message, "usage": usage}
                    )
                    return

                def ev(data: dict) -> bytes:
                    return f"event: {data['type']}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()

                def events() -> Iterator[bytes]:
                    start = {
                        "role": "assistant",
                        "content": [],
                        "tool_plan": "",
                        "tool_calls": [],
                        "citations": [],
                    }
                    yield ev({"id": "echo-cohere", "type": "message-start", "delta": {"message": start}})
                    yield ev(
                        {
                            "type": "content-start",
                            "index": 0,
                            "delta": {"message": {"content": {"type": "text", "text": ""}}},
                        }
                    )
                    for piece in pieces(echo.text):
                        content = {"content": {"text": piece}}
                        yield ev({"type": "content-delta", "index": 0, "delta": {"message": content}})
                    yield ev({"type": "content-end", "index": 0})
                    if args_text is not None:
                        first = {**call, "function": {**call["function"], "arguments": ""}}
                        yield ev(
                            {
                                "type": "tool-call-start",
                                "index": 0,
                                "delta": {"message": {"tool_calls": first}},
                            }
                        )
                        for piece in pieces(args_text):
                            delta = {"message": {"tool_calls": {"function": {"arguments": piece}}}}
                            yield ev({"type": "tool-call-delta", "index": 0, "delta": delta})
                        yield ev({"type": "tool-call-end", "index": 0})
                    yield ev({"type": "message-end", "delta": {"finish_reason": finish, "usage": usage}})

                self._sse(events())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="echo-provider", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        with self._lock:
            self.received.clear()

    def all_bodies(self, since: int = 0) -> bytes:
        """Every path and body received since the start (``since``: from that index of
        :attr:`history` on), joined, resets notwithstanding: query strings carry text too."""
        with self._lock:
            return b"\n".join(r.path.encode() + b"\n" + r.body for r in self.history[since:])

    def matching(self, pattern: str) -> list[Received]:
        """The requests whose path matches ``pattern`` (a regular expression)."""
        rx = re.compile(pattern)
        with self._lock:
            return [r for r in self.received if rx.search(r.path)]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
