"""A least-recently-used ordered map in two plain dicts, for the proxy's long-lived bounded maps.

Why not ``collections.OrderedDict``: the findings cache and the pseudonym vaults hold up to 100 000
entries each for the life of the process, and an ``OrderedDict`` adds a linked-list node and a second
table to every entry. Measured with tracemalloc on CPython 3.12 (100 000 entries of a 20-byte key and
a shared value), an entry held ~158 bytes while the map filled and ~232 bytes once it was full and
evicting (the churn leaves slack in its tables); in this structure ~105 and ~127.

How: a *young* dict in order of last use (a hit pops the entry and inserts it again, at the end) and an
*old* dict, which is the young one as it was when it was last asked for its oldest entry, with its keys
listed in that order. The oldest entry is the first key of the list still in the old dict; once the old
dict is empty the young one becomes the old one. A hit in the old dict moves the entry to the young one.
The order of eviction is exactly that of an ``OrderedDict`` used as an LRU (``tests/test_lru.py``
checks it against one). Not thread-safe: the owners hold their own lock.
"""

from __future__ import annotations

from collections.abc import Iterator


class LruDict[K, V]:
    """Map with least-recently-used order: :meth:`get` and :meth:`put` make a key the most recent."""

    __slots__ = ("_young", "_old", "_order", "_next")

    def __init__(self) -> None:
        self._young: dict[K, V] = {}  # in order of last use
        self._old: dict[K, V] = {}
        self._order: list[K | None] = []  # the old dict's keys, least recently used first
        self._next = 0  # index in _order of the oldest key not yet consumed

    def __len__(self) -> int:
        return len(self._young) + len(self._old)

    def __bool__(self) -> bool:
        return bool(self._young) or bool(self._old)

    def __contains__(self, key: object) -> bool:
        return key in self._young or key in self._old

    def get(self, key: K) -> V | None:
        """The value of ``key`` (now the most recently used), or None."""
        value = self._young.pop(key, None)
        if value is None:
            value = self._old.pop(key, None)
            if value is None:
                return None
        self._young[key] = value
        return value

    def peek(self, key: K) -> V | None:
        """The value of ``key`` without changing the order, or None."""
        value = self._young.get(key)
        return self._old.get(key) if value is None else value

    def put(self, key: K, value: V) -> V | None:
        """Set ``key`` (now the most recently used); returns the value it replaced, if any."""
        previous = self.pop(key)
        self._young[key] = value
        return previous

    def pop(self, key: K) -> V | None:
        """Remove ``key``; returns its value, or None."""
        value = self._young.pop(key, None)
        if value is None:
            value = self._old.pop(key, None)
        return value

    def oldest(self) -> tuple[K, V] | None:
        """The least recently used (key, value), left in place; None when empty."""
        if not self._old:
            if not self._young:
                return None
            self._old, self._young = self._young, {}
            self._order, self._next = list(self._old), 0
        order, old = self._order, self._old
        while True:  # skip keys that a hit moved back to the young dict
            key = order[self._next]
            if key is not None and key in old:
                return key, old[key]
            order[self._next] = None  # the list must not keep dropped keys alive
            self._next += 1

    def pop_oldest(self) -> tuple[K, V] | None:
        """Remove and return the least recently used (key, value); None when empty."""
        item = self.oldest()
        if item is None:
            return None
        self._order[self._next] = None
        self._next += 1
        del self._old[item[0]]
        if not self._old:
            self._order, self._next = [], 0
        return item

    def values(self) -> Iterator[V]:
        """Values from the least to the most recently used (do not change the map while iterating)."""
        old = self._old
        for key in self._order[self._next :]:
            if key is not None and key in old:
                yield old[key]
        yield from self._young.values()

    def clear(self) -> None:
        self._young, self._old, self._order, self._next = {}, {}, [], 0
