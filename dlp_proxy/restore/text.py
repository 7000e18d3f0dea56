"""Replace pseudonyms (placeholders or surrogates) back by the original values, all at once or incrementally.

``Replacements`` compiles a pseudonym → original map once (an Aho–Corasick automaton over the pseudonyms
plus a sorted list for prefix look-ups); it is immutable, so one instance can serve many responses and
threads. ``TextRestorer`` restores a text that arrives in pieces: it emits everything it can and holds back
only a trailing fragment that is a proper prefix of some pseudonym — at most ``max_len - 1`` characters —
so a pseudonym split across stream chunks, down to one character per chunk, is still restored, and an
unrelated ``[`` is released as soon as the next character shows it cannot start a pseudonym.

Matching is leftmost-longest: at each position the longest pseudonym starting there wins, and the scan
goes on after it. The streaming result is byte-for-byte the one-shot result whatever the split, because a
decision at a position is only taken once the text reaches ``max_len`` characters past it (or the end).

No object here shows a value in its ``repr``.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Mapping
from typing import Any

import ahocorasick

#: Text a JSON encoder writes unchanged: no quote, backslash or control character; with
#: ``ensure_ascii``, printable ASCII only (it escapes DEL and everything above too).
_JSON_PLAIN = re.compile(r'[^"\\\x00-\x1f]*')
_JSON_PLAIN_ASCII = re.compile(r"[ !#-\[\]-~]*")


def json_escape(text: str, *, ascii_only: bool = False) -> str:
    """``text`` as it appears inside a JSON string literal (without the quotes).

    Most pseudonyms and values need no escaping; returning them as they are spares a ``json.dumps``
    call each, which made building a large vault's JSON map (``Replacements.json``) ~9× slower than
    the map itself. Same result as ``json.dumps`` in every case (tested)."""
    if (_JSON_PLAIN_ASCII if ascii_only else _JSON_PLAIN).fullmatch(text):
        return text
    return json.dumps(text, ensure_ascii=ascii_only)[1:-1]


class Replacements:
    """A compiled pseudonym → original map. Immutable; safe to share between threads."""

    __slots__ = ("_map", "_keys", "_automaton", "max_len", "_json")

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self._map: dict[str, str] = {k: v for k, v in mapping.items() if k}
        self._keys = sorted(self._map)
        self.max_len = max(map(len, self._keys), default=0)
        self._json: Replacements | None = None
        self._automaton: Any = None
        if self._map:
            automaton = ahocorasick.Automaton()
            for key in self._keys:
                automaton.add_word(key, key)
            automaton.make_automaton()
            self._automaton = automaton

    def __len__(self) -> int:
        return len(self._map)

    def __bool__(self) -> bool:
        return bool(self._map)

    def __repr__(self) -> str:
        return f"<Replacements pseudonyms={len(self._map)}>"

    def original(self, pseudonym: str) -> str:
        return self._map[pseudonym]

    @property
    def json(self) -> Replacements:
        """The same map for text inside a JSON document (tool-call arguments, ``partial_json``).

        Keys are the pseudonyms as a JSON encoder may write them (raw or ``\\u``-escaped); values are the
        originals escaped so that the document stays valid JSON (a quote in a value becomes ``\\"``).
        """
        if self._json is None:
            escaped: dict[str, str] = {}
            for key, value in self._map.items():
                out = json_escape(value)
                escaped[json_escape(key)] = out
                if not _JSON_PLAIN_ASCII.fullmatch(key):  # else written the same either way
                    escaped[json_escape(key, ascii_only=True)] = out
            self._json = Replacements(escaped)  # benign race: two threads build equal objects
        return self._json

    def is_proper_prefix(self, fragment: str) -> bool:
        """True if some pseudonym starts with ``fragment`` and is longer than it."""
        keys = self._keys
        i = bisect_left(keys, fragment)
        for j in (i, i + 1):
            if j < len(keys) and len(keys[j]) > len(fragment) and keys[j].startswith(fragment):
                return True
        return False

    def matches(self, text: str) -> list[tuple[int, int, str]]:
        """Every occurrence (overlapping too) as ``(start, end, pseudonym)``, by start then longest first."""
        if self._automaton is None:
            return []
        found = [(end + 1 - len(key), end + 1, key) for end, key in self._automaton.iter(text)]
        found.sort(key=lambda m: (m[0], m[0] - m[1]))
        return found

    def contains_any(self, text: str) -> bool:
        if self._automaton is None:
            return False
        for _ in self._automaton.iter(text):
            return True
        return False

    def restore(self, text: str) -> str:
        """``text`` with every pseudonym replaced (one-shot, nothing held back)."""
        out, _ = self.scan(text, final=True)
        return out

    def scan(self, buf: str, *, final: bool) -> tuple[str, str]:
        """Restore ``buf``; return ``(emitted, held)``. ``held`` is empty when ``final``."""
        if self._automaton is None:
            return buf, ""
        n = len(buf)
        safe = n if final else n - (self.max_len - 1)  # positions below ``safe`` are decidable now
        found = self.matches(buf)
        if not found and (final or not buf):
            return buf, ""
        out: list[str] = []
        pos = 0
        tail: dict[int, tuple[int, str]] = {}
        for start, end, key in found:
            if start < pos:
                continue
            if start >= safe:
                tail.setdefault(start, (end, key))  # first seen at a start is the longest
                continue
            out.append(buf[pos:start])
            out.append(self._map[key])
            pos = end
        if pos < safe:
            out.append(buf[pos:safe])
            pos = safe
        while pos < n:  # the last max_len - 1 characters, one position at a time
            if self.is_proper_prefix(buf[pos:]):
                break
            hit = tail.get(pos)
            if hit is not None:
                out.append(self._map[hit[1]])
                pos = hit[0]
            else:
                out.append(buf[pos])
                pos += 1
        return "".join(out), buf[pos:]


def as_replacements(mapping: Mapping[str, str] | Replacements) -> Replacements:
    return mapping if isinstance(mapping, Replacements) else Replacements(mapping)


class TextRestorer:
    """Restores one text that arrives in pieces (one stream field: a chat delta, tool arguments, …)."""

    __slots__ = ("_repl", "_held")

    def __init__(self, mapping: Mapping[str, str] | Replacements) -> None:
        self._repl = as_replacements(mapping)
        self._held = ""

    def __repr__(self) -> str:
        return f"<TextRestorer pseudonyms={len(self._repl)} held_chars={len(self._held)}>"

    @property
    def held(self) -> str:
        """The fragment held back so far (a proper prefix of some pseudonym, or empty)."""
        return self._held

    def feed(self, text: str) -> str:
        """What can be emitted now; a trailing possible start of a pseudonym is kept for later."""
        if not self._repl:
            return text
        out, self._held = self._repl.scan(self._held + text, final=False)
        return out

    def finish(self) -> str:
        """The end of the text: restore and release whatever was held."""
        out, self._held = self._repl.scan(self._held, final=True)
        return out


def restore_string(value: str, repl: Replacements) -> str:
    """One complete JSON string value: JSON text inside it (tool-call ``arguments``) is kept valid."""
    if not repl.contains_any(value):
        return value
    head = value.lstrip()[:1]
    if head in ("{", "["):
        try:
            json.loads(value)
        except ValueError:
            pass
        else:
            return repl.json.restore(value)
    return repl.restore(value)


def restore_value(obj: Any, repl: Replacements) -> tuple[Any, bool]:
    """``obj`` (parsed JSON) with pseudonyms restored in every string, keys included; and whether it changed.

    Containers are changed in place; a top-level string is returned anew.
    """
    if not repl:
        return obj, False
    if isinstance(obj, str):
        new = restore_string(obj, repl)
        return new, new != obj
    changed = False
    if isinstance(obj, dict):
        for key in list(obj):
            value, c1 = restore_value(obj[key], repl)
            new_key = restore_string(key, repl) if isinstance(key, str) else key
            if new_key != key:
                del obj[key]
                c1 = True
            if c1:
                obj[new_key] = value
                changed = True
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            value, c1 = restore_value(item, repl)
            if c1:
                obj[i] = value
                changed = True
    return obj, changed
