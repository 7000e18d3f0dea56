"""Findings cache: a text segment already scanned costs a hash lookup, not a second pass of spaCy.

Why: chat clients and coding agents re-send the whole conversation at every turn (system prompt, tool
definitions, every earlier message). Without a cache every request re-scans all of it, so the work of
a conversation grows with the square of its length. The adapters already cut a request into segments
(one message, one tool result, one document); a join window of two neighbours is just another text.
So the unit cached here is "one text → its findings": a new turn scans only what is new.

What is stored, and what is not:

* the key is a keyed BLAKE2b digest of (detector version, entity selection, minimum score, text), with
  a secret drawn at random for each process: the cache cannot be used to test guesses ("was this NIR
  seen?") by anyone who reads memory dumps or metrics, and two processes never share keys;
* the value is the findings only — types, offsets, scores, recognizer names — never the text or a
  value found in it; packed in one ``bytes`` per text (18 bytes a finding, names as indexes into a
  small table), so a text with three findings costs ~0.25 KB rather than ~0.65 KB of Python objects;
* it is bounded by entries and by bytes, least recently used first out; the byte count is an upper
  bound of what the entries really hold (measured with ``tracemalloc``, ``tests/test_cache.py``);
  everything is dropped when the policy or the detector is reloaded (:meth:`FindingsCache.clear`).

The map is a :class:`dlp_proxy.lru.LruDict` (two plain dicts) rather than an ``OrderedDict``: an
entry without findings holds ~105 bytes while the cache fills and ~127 once full and evicting, against
~158 and ~232 (tracemalloc, 100 000 texts), so the 160-byte estimate is an upper bound in both states.
"""

from __future__ import annotations

import hashlib
import os
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from dlp_proxy.detect.findings import Finding
from dlp_proxy.lru import LruDict

#: Upper bounds of the memory of one entry without findings (20-byte key, its dict slots and its place in
#: the old list, the shared empty value), of the packed value's object, and per finding, measured with
#: tracemalloc on CPython 3.12 (up to 100 000 entries: the dicts' tables grow in steps).
ENTRY_BYTES = 160
VALUE_BYTES = 40
FINDING_BYTES = 18

#: One finding: (index of its (type, recognizer) names, start, end, score).
_RECORD = struct.Struct("<HIId")


@dataclass(frozen=True)
class CacheStats:
    """Counters since start-up and the current size, for the metrics endpoint."""

    hits: int
    misses: int
    evictions: int
    invalidations: int
    entries: int
    bytes: int


class FindingsCache:
    """A bounded LRU map from keyed hashes of texts to their findings; thread-safe."""

    def __init__(
        self, max_entries: int = 100_000, max_bytes: int = 64 * 1024 * 1024, *, secret: bytes | None = None
    ) -> None:
        if max_entries < 0 or max_bytes < 0:
            raise ValueError("cache bounds must be positive (0 disables the cache)")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._secret = secret if secret is not None else os.urandom(32)
        self._data: LruDict[bytes, bytes] = LruDict()
        self._names: list[tuple[str, str]] = []  # (entity type, recognizer) by index
        self._name_index: dict[tuple[str, str], int] = {}
        self._bytes = 0
        self._prefixes: dict[tuple[str, tuple[str, ...] | None, float], hashlib.blake2b] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = self.evictions = self.invalidations = 0

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0 and self.max_bytes > 0

    def key(self, version: str, entities: Sequence[str] | None, min_score: float, text: str) -> bytes:
        """The keyed digest for one text scanned with one selection by one detector version."""
        plan = (version, None if entities is None else tuple(entities), min_score)
        prefix = self._prefixes.get(plan)
        if prefix is None:  # once per scan plan: the keyed hash state after the plan's bytes
            prefix = hashlib.blake2b(key=self._secret, digest_size=20, person=b"dlp-findings")
            selection = "*" if entities is None else ",".join(sorted(entities))
            prefix.update(f"{version}\x00{selection}\x00{min_score!r}\x00".encode())
            if len(self._prefixes) >= 64:  # a few plans per policy; reloads make new ones
                self._prefixes.clear()
            self._prefixes[plan] = prefix
        h = prefix.copy()
        h.update(text.encode("utf-8", "surrogatepass"))
        return h.digest()

    @staticmethod
    def _size(packed: bytes) -> int:
        return ENTRY_BYTES + (VALUE_BYTES + len(packed) if packed else 0)

    def _pack(self, findings: Sequence[Finding]) -> bytes | None:
        """The findings as one ``bytes`` (``None`` if an offset does not fit: not cached)."""
        out = bytearray()
        for f in findings:
            names = (f.entity_type, f.recognizer)
            index = self._name_index.get(names)
            if index is None:
                if len(self._names) >= 0xFFFF:
                    return None
                index = self._name_index[names] = len(self._names)
                self._names.append(names)
            if not (0 <= f.start < 2**32 and 0 <= f.end < 2**32):
                return None
            out += _RECORD.pack(index, f.start, f.end, f.score)
        return bytes(out)

    def _unpack(self, packed: bytes) -> list[Finding]:
        names = self._names
        return [
            Finding(names[i][0], start, end, score, names[i][1])
            for i, start, end, score in _RECORD.iter_unpack(packed)
        ]

    def get(self, key: bytes) -> list[Finding] | None:
        """The findings cached under ``key`` (a new list), or ``None``; counts a hit or a miss."""
        if not self.enabled:
            return None
        with self._lock:
            found = self._data.get(key)
            if found is None:
                self.misses += 1
                return None
            self.hits += 1
            return self._unpack(found) if found else []

    def put(self, key: bytes, findings: Sequence[Finding]) -> None:
        """Remember ``findings`` (offsets, types, scores, recognizers: no text) under ``key``."""
        if not self.enabled:
            return
        with self._lock:
            value = self._pack(findings)
            if value is None:
                return
            size = self._size(value)
            if size > self.max_bytes:
                return
            old = self._data.pop(key)
            if old is not None:
                self._bytes -= self._size(old)
            while len(self._data) >= self.max_entries or self._bytes + size > self.max_bytes:
                item = self._data.pop_oldest()
                if item is None:
                    break
                self._bytes -= self._size(item[1])
                self.evictions += 1
            self._data.put(key, value)
            self._bytes += size

    def clear(self) -> None:
        """Forget everything (the policy or the detector changed)."""
        with self._lock:
            if self._data:
                self.invalidations += 1
            self._data.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._data)

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                self.hits, self.misses, self.evictions, self.invalidations, len(self), self._bytes
            )
