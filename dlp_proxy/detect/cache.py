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
  value found in it;
* it is bounded by entries and by (estimated) bytes, least recently used first out; everything is
  dropped when the policy or the detector is reloaded (:meth:`FindingsCache.clear`).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from dlp_proxy.detect.findings import Finding

#: Estimated memory of one entry without findings (key bytes, OrderedDict node, tuple) and per finding.
ENTRY_BYTES = 160
FINDING_BYTES = 120


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
        self._data: OrderedDict[bytes, tuple[Finding, ...]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = self.evictions = self.invalidations = 0

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0 and self.max_bytes > 0

    def key(self, version: str, entities: Sequence[str] | None, min_score: float, text: str) -> bytes:
        """The keyed digest for one text scanned with one selection by one detector version."""
        h = hashlib.blake2b(key=self._secret, digest_size=20, person=b"dlp-findings")
        selection = "*" if entities is None else ",".join(sorted(entities))
        h.update(f"{version}\x00{selection}\x00{min_score!r}\x00".encode())
        h.update(text.encode("utf-8", "surrogatepass"))
        return h.digest()

    @staticmethod
    def _size(findings: tuple[Finding, ...]) -> int:
        return ENTRY_BYTES + FINDING_BYTES * len(findings)

    def get(self, key: bytes) -> list[Finding] | None:
        """The findings cached under ``key`` (a new list), or ``None``; counts a hit or a miss."""
        if not self.enabled:
            return None
        with self._lock:
            found = self._data.get(key)
            if found is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return list(found)

    def put(self, key: bytes, findings: Sequence[Finding]) -> None:
        """Remember ``findings`` (offsets, types, scores, recognizers: no text) under ``key``."""
        if not self.enabled:
            return
        value = tuple(findings)
        size = self._size(value)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= self._size(old)
            self._data[key] = value
            self._bytes += size
            while len(self._data) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._data.popitem(last=False)
                self._bytes -= self._size(evicted)
                self.evictions += 1

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
                self.hits, self.misses, self.evictions, self.invalidations, len(self._data), self._bytes
            )
