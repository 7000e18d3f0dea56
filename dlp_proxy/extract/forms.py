"""Non-JSON carriers of text: query strings, url-encoded forms, multipart bodies, whole text bodies.

Each is a container whose ``render`` splices new values into the original text (or bytes) and keeps
everything else: parameter order, the other parameters' exact encoding, multipart boundaries and headers.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

from dlp_proxy.body import UndecodableBody

# -- url-encoded pairs (query strings and forms) -------------------------------------------------


@dataclass(frozen=True)
class Pair:
    """One ``name=value`` of a query string or form; ``span`` is where the raw value sits."""

    index: int
    name: str
    value: str
    span: tuple[int, int]
    raw: str


def parse_pairs(text: str) -> list[Pair]:
    """The pairs of ``a=1&b=2`` with their raw value spans (a bare ``word`` is a value too)."""
    pairs: list[Pair] = []
    pos = 0
    for piece in text.split("&"):
        start = pos
        pos += len(piece) + 1
        if not piece:
            continue
        if "=" in piece:
            raw_name, raw_value = piece.split("=", 1)
            vstart = start + len(raw_name) + 1
        else:
            raw_name, raw_value, vstart = "", piece, start
        pairs.append(
            Pair(
                index=len(pairs),
                name=unquote_plus(raw_name),
                value=unquote_plus(raw_value),
                span=(vstart, vstart + len(raw_value)),
                raw=raw_value,
            )
        )
    return pairs


def encode_pair_value(value: str, original_raw: str) -> str:
    """Percent-encode ``value`` like the original: ``+`` for spaces unless it used ``%20``."""
    if "%20" in original_raw and "+" not in original_raw:
        return quote(value, safe="")
    return quote_plus(value, safe="")


class PairsContainer:
    """A query string (``head`` is the path before ``?``) or a url-encoded form body (``head`` None)."""

    def __init__(self, text: str, head: str | None = None, parent: tuple[Any, Hashable] | None = None):
        self.text = text
        self.head = head
        self.parent = parent
        self.pairs = parse_pairs(text)

    def render(self, changes: dict[Hashable, str]) -> str:
        pieces: list[str] = []
        last = 0
        for pair in self.pairs:
            if pair.index in changes:
                start, end = pair.span
                pieces.append(self.text[last:start])
                pieces.append(encode_pair_value(changes[pair.index], pair.raw))
                last = end
        pieces.append(self.text[last:])
        query = "".join(pieces)
        return query if self.head is None else f"{self.head}?{query}"


# -- a whole text body ------------------------------------------------------------------------------


class WholeText:
    """A body that is one text (``text/plain`` …): the new text replaces it."""

    parent = None

    def render(self, changes: dict[Hashable, str]) -> str:
        return changes[None]


# -- multipart/form-data ----------------------------------------------------------------------------

_PARAM = re.compile(rb';\s*([A-Za-z0-9_*.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\r\n]*)')


@dataclass(frozen=True)
class Part:
    index: int
    headers: dict[str, str]
    name: str | None
    filename: str | None
    filename_span: tuple[int, int] | None  # bytes of the quoted filename's inside, in the whole body
    content_type: str | None
    charset: str
    span: tuple[int, int]  # the part's content, in the whole body


def _invalid(detail: str) -> UndecodableBody:
    return UndecodableBody(f"corps multipart illisible ({detail})", f"unreadable multipart body ({detail})")


def boundary_of(content_type: str) -> str | None:
    m = re.search(r'boundary\s*=\s*("([^"]+)"|[^;\s]+)', content_type, re.IGNORECASE)
    if m is None:
        return None
    return m.group(2) or m.group(1)


def parse_multipart(body: bytes, boundary: str) -> list[Part]:
    """The parts of a multipart body, each with its content's byte span; malformed bodies are refused."""
    delim = b"--" + boundary.encode("latin-1")
    parts: list[Part] = []
    pos = body.find(delim)
    while pos > 0 and body[pos - 1 : pos] != b"\n":
        pos = body.find(delim, pos + 1)
    if pos < 0:
        raise _invalid("délimiteur absent")
    while True:
        after = pos + len(delim)
        if body.startswith(b"--", after):
            return parts
        line_end = body.find(b"\n", after)
        if line_end < 0:
            raise _invalid("partie tronquée")
        head_start = line_end + 1
        if body.startswith(b"\r\n", head_start) or body.startswith(b"\n", head_start):
            head_end = head_start
            content_start = head_start + (2 if body.startswith(b"\r\n", head_start) else 1)
        else:
            crlf = body.find(b"\r\n\r\n", head_start)
            lf = body.find(b"\n\n", head_start)
            if crlf < 0 and lf < 0:
                raise _invalid("en-têtes de partie tronqués")
            if crlf >= 0 and (lf < 0 or crlf <= lf):
                head_end, content_start = crlf, crlf + 4
            else:
                head_end, content_start = lf, lf + 2
        nxt = body.find(b"\n" + delim, content_start - 1)
        if nxt < 0:
            raise _invalid("délimiteur de fin absent")
        content_end = nxt - 1 if body[nxt - 1 : nxt] == b"\r" and nxt - 1 >= content_start else nxt
        parts.append(_part(len(parts), body, head_start, head_end, (content_start, content_end)))
        pos = nxt + 1


def _part(index: int, body: bytes, head_start: int, head_end: int, span: tuple[int, int]) -> Part:
    headers: dict[str, str] = {}
    name = filename = None
    filename_span = None
    offset = head_start
    for line in body[head_start:head_end].split(b"\n"):
        stripped = line.rstrip(b"\r")
        if b":" in stripped:
            key, _, value = stripped.partition(b":")
            hname = key.strip().decode("latin-1").lower()
            headers[hname] = value.strip().decode("utf-8", errors="replace")
            if hname == "content-disposition":
                value_start = offset + len(key) + 1
                for m in _PARAM.finditer(value):
                    pname = m.group(1).lower()
                    raw = m.group(2)
                    quoted = raw.startswith(b'"')
                    inner = raw[1:-1] if quoted else raw.strip()
                    text = inner.decode("utf-8", errors="replace")
                    if pname == b"name":
                        name = text
                    elif pname == b"filename":
                        filename = text
                        if quoted:
                            start = value_start + m.start(2) + 1
                            filename_span = (start, start + len(inner))
                    elif pname == b"filename*" and filename is None:
                        filename = _rfc5987(text)
        offset += len(line) + 1
    ctype = headers.get("content-type")
    charset = "utf-8"
    if ctype:
        m = re.search(r'charset\s*=\s*"?([\w.:-]+)', ctype, re.IGNORECASE)
        if m:
            charset = m.group(1).lower()
    return Part(index, headers, name, filename, filename_span, ctype, charset, span)


def _rfc5987(value: str) -> str:
    from urllib.parse import unquote

    if "''" in value:
        charset, _, encoded = value.partition("''")
        try:
            return unquote(encoded, encoding=charset or "utf-8")
        except LookupError:
            return unquote(encoded)
    return value


def encode_filename(name: str) -> bytes:
    """A filename as browsers write it inside the quotes of Content-Disposition."""
    return name.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22").encode("utf-8")


class MultipartContainer:
    """A multipart body; keys are ``("content", i)`` or ``("filename", i)``."""

    parent = None

    def __init__(self, body: bytes, parts: list[Part]):
        self.body = body
        self.parts = parts

    def render(self, changes: dict[Hashable, str]) -> bytes:
        edits: list[tuple[int, int, bytes]] = []
        for (what, index), text in changes.items():  # type: ignore[misc]
            part = self.parts[index]
            if what == "content":
                edits.append((*part.span, text.encode(part.charset)))
            else:
                assert part.filename_span is not None
                edits.append((*part.filename_span, encode_filename(text)))
        out = bytearray()
        last = 0
        for start, end, new in sorted(edits):
            out += self.body[last:start]
            out += new
            last = end
        out += self.body[last:]
        return bytes(out)
