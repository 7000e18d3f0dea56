"""Restore pseudonyms in a whole (non-streamed) answer body, keeping every byte that holds none."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from dlp_proxy.restore.text import Replacements, as_replacements, restore_string

# A JSON string literal: quotes cannot appear outside strings in JSON, so a left-to-right scan is exact.
_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _reencode(value: str, like: str) -> str:
    """``value`` as a JSON literal, escaping non-ASCII only if the literal it replaces did."""
    ascii_only = "\\u" in like and like.isascii()
    return json.dumps(value, ensure_ascii=ascii_only)


def restore_json_text(text: str, mapping: Mapping[str, str] | Replacements) -> str:
    """A JSON document (as text) with every string literal holding a pseudonym restored.

    Only those literals are rewritten; numbers, spacing, key order and every other literal keep their
    bytes. A string that is itself JSON (a tool call's ``arguments``) keeps being valid JSON.
    """
    repl = as_replacements(mapping)
    if not repl.contains_any(text):
        return text

    def one(match: re.Match[str]) -> str:
        literal = match.group()
        if not repl.contains_any(literal):
            return literal
        try:
            value = json.loads(literal)
        except ValueError:
            return literal
        restored = restore_string(value, repl)
        return literal if restored == value else _reencode(restored, literal)

    return _STRING_LITERAL.sub(one, text)


def restore_json_body(body: bytes, mapping: Mapping[str, str] | Replacements) -> bytes:
    """A non-streamed answer body (JSON, UTF-8) with pseudonyms restored in every string value.

    Not JSON (an error page, plain text): restored as text. Not UTF-8: returned unchanged.
    Gemini's ``streamGenerateContent`` without ``alt=sse`` (a JSON array) is handled here too.
    """
    repl = as_replacements(mapping)
    if not repl or not body:
        return body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body
    if not repl.contains_any(text):
        return body
    try:
        json.loads(text)
    except ValueError:
        return repl.restore(text).encode("utf-8")
    return restore_json_text(text, repl).encode("utf-8")
