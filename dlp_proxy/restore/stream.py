"""Restore pseudonyms in a streamed answer chunk by chunk, as mitmproxy forwards it.

``make_stream_restorer(kind, mapping)`` returns a ``StreamRestorer``: give it to mitmproxy as
``flow.response.stream`` in ``responseheaders``. mitmproxy calls it with each body chunk as it arrives and
with ``b""`` at the end; it returns what to send to the client now.

Framing: bytes are buffered only up to the end of the current SSE event (blank line) or NDJSON line —
chunks may split anything, a ``data:`` line, a ``\\r\\n``, a UTF-8 sequence. Every complete event goes out
at once: unchanged events byte for byte (``event:``, ``id:``, comments and all), changed ones with only
their ``data:`` re-serialised. What to restore inside an event is the handler's business (``formats.py``).
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from dlp_proxy.dialects import dialect_for
from dlp_proxy.logs import get_logger
from dlp_proxy.restore.formats import HANDLERS, Extra, Handler
from dlp_proxy.restore.text import Replacements, as_replacements

STREAM_KINDS = tuple(HANDLERS)
SSE_CONTENT_TYPES = frozenset({"text/event-stream"})
NDJSON_CONTENT_TYPES = frozenset(
    {"application/x-ndjson", "application/ndjson", "application/jsonl", "application/jsonlines"}
)

_EOL = re.compile(rb"\r\n|\r|\n")
_NOT_JSON = object()

log = get_logger("dlp_proxy.restore")


def _handle(handler: Handler, obj: Any, name: str | None) -> tuple[Any, bool, list[Extra]]:
    """The handler's answer for one event; on a bug, the event as it came (restoring fails open: the
    client then sees a placeholder, never another user's value) and a log line without any value."""
    try:
        return handler.on_json(obj, name)
    except Exception as exc:  # one odd event must not cut the stream
        log.warning("stream_restore_failed", handler=type(handler).__name__, error=type(exc).__name__)
        return obj, False, []


def _loads(text: str) -> Any:
    head = text.lstrip()[:1]
    if head not in ("{", "[", '"'):
        return _NOT_JSON
    try:
        return json.loads(text)
    except ValueError:
        return _NOT_JSON


def _dumps(obj: Any) -> bytes:
    try:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a split emoji: keep it escaped
        return json.dumps(obj, separators=(",", ":")).encode("ascii")


class _SseFramer:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self._buf = bytearray()
        self._scan = 0  # start of the next unread line in _buf
        self._lines: list[tuple[bytes, bytes]] = []  # (line, its terminator) of the event being read
        self._eol = b"\n"

    def feed(self, chunk: bytes) -> bytes:
        self._buf += chunk
        return self._drain(final=False)

    def finish(self) -> bytes:
        out = self._drain(final=True)
        tail = b""
        if self._scan < len(self._buf):  # a last line without terminator
            self._lines.append((bytes(self._buf[self._scan :]), b""))
        if self._lines:
            raw = bytes(self._buf)
            tail = self._event(self._lines, raw, b"")
        self._buf.clear()
        self._scan = 0
        self._lines = []
        extras = self.handler.on_end()
        if extras and tail:
            if not tail.endswith((b"\n", b"\r")):
                tail += self._eol
            if not tail.endswith((b"\n\n", b"\r\n\r\n", b"\r\r", b"\n\r\n")):
                tail += self._eol
        return out + tail + self._serialise(extras)

    def _drain(self, *, final: bool) -> bytes:
        out: list[bytes] = []
        buf = self._buf
        start = 0  # where the event being read begins
        while True:
            m = _EOL.search(buf, self._scan)
            if m is None:
                break
            term = m.group()
            if term == b"\r" and m.end() == len(buf) and not final:
                break  # perhaps the first half of \r\n
            line = bytes(buf[self._scan : m.start()])
            self._scan = m.end()
            if line:
                self._lines.append((line, term))
                continue
            raw = bytes(buf[start : self._scan])
            start = self._scan
            lines, self._lines = self._lines, []
            self._eol = term
            out.append(self._event(lines, raw, term))
        if start:
            del buf[:start]  # once per chunk, not once per event
            self._scan -= start
        return b"".join(out)

    def _event(self, lines: list[tuple[bytes, bytes]], raw: bytes, end: bytes) -> bytes:
        name: str | None = None
        data: list[bytes] = []
        for line, _term in lines:
            if line.startswith(b":"):
                continue
            field, _, value = line.partition(b":")
            if value.startswith(b" "):
                value = value[1:]
            if field == b"event":
                name = value.decode("utf-8", "replace")
            elif field == b"data":
                data.append(value)
        if not data:
            return raw
        try:
            text = b"\n".join(data).decode("utf-8")
        except UnicodeDecodeError:
            return raw
        obj = _loads(text)
        if obj is _NOT_JSON:
            return self._serialise(self.handler.on_text(text, name)) + raw
        obj, changed, extras = _handle(self.handler, obj, name)
        head = self._serialise(extras)
        if not changed:
            return head + raw
        out: list[bytes] = []
        written = False
        for line, term in lines:
            if line.startswith(b"data:"):
                if not written:
                    prefix = b"data: " if line.startswith(b"data: ") else b"data:"
                    out.append(prefix + _dumps(obj) + term)
                    written = True
                continue
            out.append(line + term)
        out.append(end)
        return head + b"".join(out)

    def _serialise(self, extras: list[Extra]) -> bytes:
        eol = self._eol
        out = []
        for name, obj in extras:
            if name:
                out.append(b"event: " + name.encode("utf-8") + eol)
            out.append(b"data: " + _dumps(obj) + eol + eol)
        return b"".join(out)


class _NdjsonFramer:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self._buf = bytearray()

    def feed(self, chunk: bytes) -> bytes:
        self._buf += chunk
        out: list[bytes] = []
        end = self._buf.rfind(b"\n")
        if end < 0:
            return b""
        block = bytes(self._buf[: end + 1])
        del self._buf[: end + 1]
        for line in block.splitlines(keepends=True):
            out.append(self._line(line))
        return b"".join(out)

    def finish(self) -> bytes:
        tail = self._line(bytes(self._buf)) if self._buf else b""
        self._buf.clear()
        extras = self.handler.on_end()
        if extras and tail and not tail.endswith(b"\n"):
            tail += b"\n"
        return tail + b"".join(_dumps(obj) + b"\n" for _name, obj in extras)

    def _line(self, raw: bytes) -> bytes:
        content = raw.rstrip(b"\r\n")
        term = raw[len(content) :]
        if not content.strip():
            return raw
        try:
            obj = _loads(content.decode("utf-8"))
        except UnicodeDecodeError:
            return raw
        if obj is _NOT_JSON:
            return raw
        obj, changed, extras = _handle(self.handler, obj, None)
        head = b"".join(_dumps(o) + b"\n" for _name, o in extras)
        return head + (_dumps(obj) + term if changed else raw)


class _Decoder:
    """Undoes a ``Content-Encoding`` chunk by chunk (gzip, deflate, br, zstd)."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        if encoding in ("gzip", "x-gzip"):
            self._obj: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._obj = None  # zlib-wrapped or raw: decided on the first bytes
            self._first = b""
        elif encoding == "br":
            import brotli

            self._obj = brotli.Decompressor()
        elif encoding == "zstd":
            try:
                from compression import zstd  # type: ignore[import-not-found]
            except ImportError:
                from backports import zstd  # type: ignore[import-not-found,no-redef]
            self._obj = zstd.ZstdDecompressor()
        else:
            raise ValueError(f"unsupported content-encoding: {encoding}")

    def feed(self, data: bytes) -> bytes:
        if self.encoding == "deflate" and self._obj is None:
            self._first += data
            if len(self._first) < 2:
                return b""
            wrapped = (self._first[0] & 0x0F) == 8 and int.from_bytes(self._first[:2], "big") % 31 == 0
            self._obj = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            data, self._first = self._first, b""
        if hasattr(self._obj, "process"):
            return self._obj.process(data)
        return self._obj.decompress(data)

    def finish(self) -> bytes:
        if self.encoding == "deflate" and self._obj is None:
            data, self._first = self._first, b""
            return zlib.decompress(data, -zlib.MAX_WBITS) if data else b""
        if hasattr(self._obj, "flush"):
            return self._obj.flush()
        return b""


class StreamRestorer:
    """Restores one streamed answer. ``feed``/``finish`` for tests; mitmproxy calls the object itself."""

    def __init__(
        self,
        kind: str,
        mapping: Mapping[str, str] | Replacements,
        *,
        content_encoding: str | None = None,
    ) -> None:
        if kind not in HANDLERS:
            raise ValueError(f"unknown stream kind {kind!r}; expected one of {', '.join(STREAM_KINDS)}")
        self.kind = kind
        self.replacements = as_replacements(mapping)
        handler = HANDLERS[kind](self.replacements)
        self._framer = _NdjsonFramer(handler) if kind == "ndjson" else _SseFramer(handler)
        encoding = (content_encoding or "").strip().lower()
        self._decoder = _Decoder(encoding) if encoding not in ("", "identity") else None
        self._finished = False

    def __repr__(self) -> str:
        return f"<StreamRestorer kind={self.kind} pseudonyms={len(self.replacements)}>"

    @property
    def held_chars(self) -> int:
        """The longest fragment any field holds back right now (at most the longest pseudonym − 1)."""
        return self._framer.handler.fields.held_chars()

    def feed(self, chunk: bytes) -> bytes:
        """Bytes to send to the client now for this chunk of the upstream body."""
        self._finished = False
        if self._decoder is not None:
            chunk = self._decoder.feed(chunk)
        return self._framer.feed(chunk) if chunk else b""

    def finish(self) -> bytes:
        """The end of the body: whatever was still held."""
        if self._finished:
            return b""
        self._finished = True
        out = b""
        if self._decoder is not None:
            rest = self._decoder.finish()
            out = self._framer.feed(rest) if rest else b""
        return out + self._framer.finish()

    def __call__(self, chunk: bytes) -> list[bytes]:
        """mitmproxy's ``flow.response.stream`` hook: ``b""`` marks the end of the body.

        Answers a list, never ``b""`` for a chunk whose output is held back: over HTTP/1.1 chunked
        encoding mitmproxy writes an empty chunk as ``0\\r\\n\\r\\n``, which would end the client's body.
        """
        out = self.finish() if chunk == b"" else self.feed(chunk)
        return [out] if out else []


def make_stream_restorer(
    kind: str, mapping: Mapping[str, str] | Replacements, *, content_encoding: str | None = None
) -> StreamRestorer:
    """A restorer for one streamed answer: ``kind`` is one of ``STREAM_KINDS`` (see ``stream_kind``).

    With ``content_encoding`` (the response's ``Content-Encoding``) the body is decoded on the way: the
    caller must then drop that header, since the client receives identity-encoded bytes.
    """
    return StreamRestorer(kind, mapping, content_encoding=content_encoding)


def stream_kind(path: str, content_type: str, family: str | None = None) -> str | None:
    """The stream kind for a response, from the response ``Content-Type`` and the request's dialect.

    ``None`` when the response is not a stream (restore it whole with ``restore_json_body``).
    """
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype in NDJSON_CONTENT_TYPES:
        return "ndjson"
    if ctype not in SSE_CONTENT_TYPES:
        return None
    return dialect_for(path, family).sse


def stream_for(
    path: str,
    family: str | None,
    content_type: str,
    content_encoding: str | None,
    replacements: Callable[[], Replacements | None],
) -> StreamRestorer | bool | None:
    """What ``flow.response.stream`` should be for an answer.

    ``None``: not a stream (the whole body is restored at the end); ``True``: stream it as it comes
    (nothing to restore, or an encoding we cannot decode — the client may then see pseudonyms, never
    real data leaks); else a restorer that emits identity bytes.
    """
    kind = stream_kind(path, content_type, family)
    if kind is None:
        return None
    repl = replacements()
    if not repl:
        return True
    try:
        return make_stream_restorer(kind, repl, content_encoding=content_encoding)
    except ValueError:
        log.warning("stream_not_restored", kind=kind, content_encoding=content_encoding)
        return True
