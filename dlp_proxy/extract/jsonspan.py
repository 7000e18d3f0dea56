"""A small JSON scanner that keeps, for every string value, where its literal sits in the raw text.

Why not ``json.loads`` + ``json.dumps``: re-serialising changes bytes the client chose (spacing, key
order, escaping), breaks signatures and makes a diff of "what the proxy changed" unreadable. Here the
document is parsed once, each string value's literal span is recorded by path, and a rewrite splices a
new literal into that span, encoded in the style the original used (raw UTF-8 or ``\\u`` escapes,
``\\/``, HTML-safe escapes as Go writes them). Every other byte is kept.

The string literals are decoded by the standard library's C ``scanstring``; numbers by its ``NUMBER_RE``.
Duplicate keys are refused: parsers disagree on which one wins, so one of them would go unscanned.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]
from json.scanner import NUMBER_RE  # type: ignore[attr-defined]
from typing import Any

from dlp_proxy.body import UndecodableBody

JsonPath = tuple[str | int, ...]
Span = tuple[int, int]

MAX_DEPTH = 128  # deeper than any API body; the parser and the walk recurse
_WS = re.compile(r"[ \t\n\r]*")
_CONSTANTS = {"null": None, "true": True, "false": False, "NaN": float("nan")}
_CONSTANTS_NEG = {"Infinity": float("inf"), "-Infinity": float("-inf")}
# A \u escape of a character outside ASCII (what json.dumps writes with ensure_ascii=True).
_NON_ASCII_ESCAPE = re.compile(
    r"\\u(?:00[89a-fA-F][0-9a-fA-F]|0[1-9a-fA-F][0-9a-fA-F]{2}|[1-9a-fA-F][0-9a-fA-F]{3})"
)
_UPPER_HEX_ESCAPE = re.compile(r"\\u[0-9A-F]{0,3}[A-F][0-9A-F]{0,3}")
_LOWER_HEX_ESCAPE = re.compile(r"\\u[0-9a-f]{0,3}[a-f][0-9a-f]{0,3}")
_HTML_ESCAPE = re.compile(r"\\u00(?:3[cCeE]|26)")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _invalid(detail: str) -> UndecodableBody:
    return UndecodableBody(f"le corps JSON est invalide ({detail})", f"the JSON body is invalid ({detail})")


@dataclass(frozen=True)
class Style:
    """How the client escaped its strings, so a rewritten value looks like its neighbours."""

    ascii: bool = False  # non-ASCII written as \\uXXXX
    slash: bool = False  # "/" written as "\\/"
    html: bool = False  # "<", ">", "&" written as \\u003c … (Go's encoding/json)
    upper_hex: bool = False  # \\u00E9 rather than \\u00e9
    force_ascii: bool = False  # the body's charset is not Unicode: new characters must be escaped

    @classmethod
    def of(cls, text: str) -> Style:
        return cls(
            ascii=_NON_ASCII.search(text) is None and _NON_ASCII_ESCAPE.search(text) is not None,
            slash="\\/" in text,
            html=_HTML_ESCAPE.search(text) is not None,
            upper_hex=_UPPER_HEX_ESCAPE.search(text) is not None and _LOWER_HEX_ESCAPE.search(text) is None,
        )

    def for_literal(self, literal: str) -> Style:
        """The document's style, corrected by what this very literal shows."""
        if self.force_ascii:
            ascii_ = True
        elif _NON_ASCII.search(literal):
            ascii_ = False
        elif _NON_ASCII_ESCAPE.search(literal):
            ascii_ = True
        else:
            ascii_ = self.ascii
        return Style(ascii_, self.slash or "\\/" in literal, self.html, self.upper_hex, self.force_ascii)


def encode_string(value: str, style: Style) -> str:
    """``value`` as a JSON string literal (with its quotes) in ``style``."""
    out = json.dumps(value, ensure_ascii=style.ascii)
    if style.html:
        out = out.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        out = out.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if style.slash:
        out = out.replace("/", "\\/")
    if style.upper_hex:
        out = re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), out)
    return out


class JsonDocument:
    """A parsed JSON text: its value, and the span of every string value's literal by path."""

    def __init__(self, text: str):
        self.text = text
        self.spans: dict[JsonPath, Span] = {}
        self._text = text
        pos = _WS.match(text, 0).end()  # type: ignore[union-attr]
        self.value, pos = self._value(pos, (), 0)
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if pos != len(text):
            raise _invalid(f"données en trop à la position {pos}")
        self.style = Style.of(text)

    # -- parsing ---------------------------------------------------------------------------------
    def _value(self, pos: int, path: JsonPath, depth: int) -> tuple[Any, int]:
        s = self._text
        if pos >= len(s):
            raise _invalid("fin inattendue")
        ch = s[pos]
        if ch == '"':
            try:
                value, end = scanstring(s, pos + 1, True)
            except ValueError:
                raise _invalid(f"chaîne invalide à la position {pos}") from None
            self.spans[path] = (pos, end)
            return value, end
        if ch == "{":
            return self._object(pos, path, depth + 1)
        if ch == "[":
            return self._array(pos, path, depth + 1)
        m = NUMBER_RE.match(s, pos)
        if m is not None:
            integer, frac, exp = m.groups()
            if frac or exp:
                return float(integer + (frac or "") + (exp or "")), m.end()
            return int(integer), m.end()
        for word, value in (*_CONSTANTS.items(), *_CONSTANTS_NEG.items()):
            if s.startswith(word, pos):
                return value, pos + len(word)
        raise _invalid(f"valeur inattendue à la position {pos}")

    def _object(self, pos: int, path: JsonPath, depth: int) -> tuple[dict[str, Any], int]:
        if depth > MAX_DEPTH:
            raise _invalid("imbrication trop profonde")
        s = self._text
        out: dict[str, Any] = {}
        pos = _WS.match(s, pos + 1).end()  # type: ignore[union-attr]
        if s.startswith("}", pos):
            return out, pos + 1
        while True:
            if not s.startswith('"', pos):
                raise _invalid(f"clé attendue à la position {pos}")
            try:
                key, pos = scanstring(s, pos + 1, True)
            except ValueError:
                raise _invalid(f"clé invalide à la position {pos}") from None
            if key in out:
                raise _invalid("clé en double")
            pos = _WS.match(s, pos).end()  # type: ignore[union-attr]
            if not s.startswith(":", pos):
                raise _invalid(f"« : » attendu à la position {pos}")
            pos = _WS.match(s, pos + 1).end()  # type: ignore[union-attr]
            out[key], pos = self._value(pos, (*path, key), depth)
            pos = _WS.match(s, pos).end()  # type: ignore[union-attr]
            if s.startswith(",", pos):
                pos = _WS.match(s, pos + 1).end()  # type: ignore[union-attr]
                continue
            if s.startswith("}", pos):
                return out, pos + 1
            raise _invalid(f"« , » ou « }} » attendu à la position {pos}")

    def _array(self, pos: int, path: JsonPath, depth: int) -> tuple[list[Any], int]:
        if depth > MAX_DEPTH:
            raise _invalid("imbrication trop profonde")
        s = self._text
        out: list[Any] = []
        pos = _WS.match(s, pos + 1).end()  # type: ignore[union-attr]
        if s.startswith("]", pos):
            return out, pos + 1
        while True:
            value, pos = self._value(pos, (*path, len(out)), depth)
            out.append(value)
            pos = _WS.match(s, pos).end()  # type: ignore[union-attr]
            if s.startswith(",", pos):
                pos = _WS.match(s, pos + 1).end()  # type: ignore[union-attr]
                continue
            if s.startswith("]", pos):
                return out, pos + 1
            raise _invalid(f"« , » ou « ] » attendu à la position {pos}")

    # -- writing back ----------------------------------------------------------------------------
    def render(self, new_values: dict[JsonPath, str]) -> str:
        """The text with the string values at ``new_values``' paths replaced; all else kept."""
        if not new_values:
            return self.text
        pieces: list[str] = []
        last = 0
        for path in sorted(new_values, key=lambda p: self.spans[p][0]):
            start, end = self.spans[path]
            pieces.append(self.text[last:start])
            pieces.append(encode_string(new_values[path], self.style.for_literal(self.text[start:end])))
            last = end
        pieces.append(self.text[last:])
        return "".join(pieces)
