"""The findings cache: bounded, keyed, never holding a text or a value, emptied on demand."""

from __future__ import annotations

import hashlib
import pickle

import pytest

from dlp_proxy.detect.cache import ENTRY_BYTES, FINDING_BYTES, VALUE_BYTES, FindingsCache
from dlp_proxy.detect.findings import Finding

NIR = "2 84 05 75 115 428 31"
TEXT = f"Mon numéro de sécurité sociale est {NIR}, merci de le noter."
FOUND = [Finding("FR_NIR", 36, 36 + len(NIR), 1.0, "NirRecognizer")]


def test_hit_after_put_miss_before() -> None:
    cache = FindingsCache()
    key = cache.key("v1", ["FR_NIR"], 0.5, TEXT)
    assert cache.get(key) is None
    cache.put(key, FOUND)
    assert cache.get(key) == FOUND
    got = cache.get(key)
    assert got is not None
    got.clear()  # callers get their own list
    assert cache.get(key) == FOUND
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.entries) == (3, 1, 1)


def test_key_depends_on_version_selection_threshold_and_text_not_on_entity_order() -> None:
    cache = FindingsCache()
    base = cache.key("v1", ["FR_NIR", "PERSON"], 0.5, TEXT)
    assert cache.key("v1", ["PERSON", "FR_NIR"], 0.5, TEXT) == base
    others = {
        cache.key("v2", ["FR_NIR", "PERSON"], 0.5, TEXT),
        cache.key("v1", ["FR_NIR"], 0.5, TEXT),
        cache.key("v1", None, 0.5, TEXT),
        cache.key("v1", ["FR_NIR", "PERSON"], 0.6, TEXT),
        cache.key("v1", ["FR_NIR", "PERSON"], 0.5, TEXT + " "),
    }
    assert base not in others and len(others) == 5


def test_keys_are_keyed_per_process_so_guesses_cannot_be_tested() -> None:
    one, two = FindingsCache(), FindingsCache()
    assert one.key("v", None, 0.5, TEXT) != two.key("v", None, 0.5, TEXT)
    fixed = FindingsCache(secret=b"k" * 32)
    assert fixed.key("v", None, 0.5, TEXT) == FindingsCache(secret=b"k" * 32).key("v", None, 0.5, TEXT)


def test_never_stores_the_text_the_value_or_an_unkeyed_hash_of_them() -> None:
    cache = FindingsCache()
    cache.put(cache.key("v1", None, 0.5, TEXT), FOUND)
    dumped = pickle.dumps(cache._data)
    digits = NIR.replace(" ", "")
    for secret in (TEXT, NIR, digits):
        raw = secret.encode()
        assert raw not in dumped and secret.encode("utf-16-le") not in dumped
        for algo in ("md5", "sha1", "sha256", "blake2b", "blake2s"):
            assert hashlib.new(algo, raw).digest() not in dumped
            assert hashlib.new(algo, raw).hexdigest().encode() not in dumped


def test_bounded_by_entries_least_recently_used_first_out() -> None:
    cache = FindingsCache(max_entries=3)
    keys = [cache.key("v", None, 0.5, f"texte {i}") for i in range(4)]
    for key in keys[:3]:
        cache.put(key, [])
    assert cache.get(keys[0]) == []  # now the most recently used
    cache.put(keys[3], [])
    assert len(cache) == 3 and cache.get(keys[1]) is None and cache.get(keys[0]) == []
    assert cache.stats().evictions == 1


def test_bounded_by_bytes() -> None:
    many = [Finding("EMAIL_ADDRESS", i, i + 5, 1.0, "EmailRecognizer") for i in range(10)]
    size = ENTRY_BYTES + VALUE_BYTES + 10 * FINDING_BYTES
    cache = FindingsCache(max_entries=1000, max_bytes=size * 2)
    for i in range(5):
        cache.put(cache.key("v", None, 0.5, f"texte {i}"), many)
    stats = cache.stats()
    assert stats.entries == 2 and stats.bytes == size * 2 and stats.evictions == 3
    cache.put(cache.key("v", None, 0.5, "énorme"), many * 10)  # larger than the whole bound: skipped
    assert cache.stats().entries == 2


def test_clear_empties_and_counts_an_invalidation() -> None:
    cache = FindingsCache()
    key = cache.key("v", None, 0.5, TEXT)
    cache.put(key, FOUND)
    cache.clear()
    assert cache.get(key) is None and cache.stats().invalidations == 1 and cache.stats().bytes == 0


def test_zero_disables_and_negative_is_refused() -> None:
    cache = FindingsCache(max_entries=0)
    key = cache.key("v", None, 0.5, TEXT)
    cache.put(key, FOUND)
    assert cache.get(key) is None and len(cache) == 0
    with pytest.raises(ValueError):
        FindingsCache(max_entries=-1)


def test_findings_come_back_exactly() -> None:
    cache = FindingsCache()
    found = [
        Finding("PERSON", 0, 12, 0.8512345678901234, "SpacyRecognizer"),
        Finding("EMAIL_ADDRESS", 70_000, 70_030, 1.0, "EmailRecognizer"),
        Finding("PERSON", 3, 4, 0.5, "OtherRecognizer"),
    ]
    key = cache.key("v", None, 0.5, TEXT)
    cache.put(key, found)
    assert cache.get(key) == found and cache.get(key) is not cache.get(key)


@pytest.mark.parametrize("rounds", [1, 3])
@pytest.mark.parametrize("per_text", [0, 1, 3])
def test_the_byte_count_bounds_the_real_memory(per_text: int, rounds: int) -> None:
    """The estimate the byte bound uses is never below what the entries really hold (tracemalloc):
    filling the cache once, and in the steady state of a full cache that evicts and gets hits (where an
    ``OrderedDict`` held ~230 bytes an entry against 160 counted)."""
    import gc
    import tracemalloc

    n = 20_000
    founds = [
        [Finding("PERSON", i, i + 300 + j, 0.85 + j / 100, "SpacyRecognizer") for j in range(per_text)]
        for i in range(n)
    ]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        cache = FindingsCache(max_entries=n)
        for i in range(n * rounds):  # the key is part of the entry: made inside the trace
            cache.put(cache.key("v", None, 0.5, f"t{i}"), founds[i % n])
            if i % 3 == 0:
                cache.get(cache.key("v", None, 0.5, f"t{i // 2}"))
        gc.collect()
        real = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert cache.stats().entries == n
    assert cache.stats().evictions == n * (rounds - 1)
    assert real <= cache.stats().bytes, (real / n, cache.stats().bytes / n)


def test_eviction_order_is_least_recently_used_across_generations() -> None:
    """Same order as an exact LRU, whatever the young/old split: checked against a reference model."""
    import random
    from collections import OrderedDict

    rng = random.Random(7)
    cache = FindingsCache(max_entries=50)
    model: OrderedDict[int, None] = OrderedDict()
    for _ in range(5_000):
        i = rng.randrange(120)
        key = cache.key("v", None, 0.5, f"t{i}")
        if rng.random() < 0.5:
            assert (cache.get(key) is not None) == (i in model)
            if i in model:
                model.move_to_end(i)
        else:
            cache.put(key, [])
            model[i] = None
            model.move_to_end(i)
            while len(model) > 50:
                model.popitem(last=False)
        assert len(cache) == len(model)


def test_key_is_the_keyed_digest_of_plan_and_text_whatever_the_plans_seen_before() -> None:
    secret = b"s" * 32
    cache = FindingsCache(secret=secret)

    def expected(version: str, entities: list[str] | None, min_score: float, text: str) -> bytes:
        h = hashlib.blake2b(key=secret, digest_size=20, person=b"dlp-findings")
        selection = "*" if entities is None else ",".join(sorted(entities))
        h.update(f"{version}\x00{selection}\x00{min_score!r}\x00".encode() + text.encode())
        return h.digest()

    for n in range(100):  # more plans than it keeps
        entities = None if n % 7 == 0 else ["PERSON", f"T{n % 9}", "EMAIL_ADDRESS"]
        for text in ("", TEXT, f"texte {n}"):
            assert cache.key(f"v{n % 3}", entities, 0.5 + n % 2 / 10, text) == expected(
                f"v{n % 3}", entities, 0.5 + n % 2 / 10, text
            )
