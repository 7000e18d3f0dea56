"""LruDict: the order of an OrderedDict used as an LRU, in less memory (see dlp_proxy/lru.py)."""

from __future__ import annotations

import gc
import random
import tracemalloc
from collections import OrderedDict

from dlp_proxy.lru import LruDict


def test_same_order_as_an_ordered_dict_lru() -> None:
    """Random gets, puts, pops and evictions, checked step by step against the reference."""
    rng = random.Random(11)
    lru: LruDict[int, int] = LruDict()
    model: OrderedDict[int, int] = OrderedDict()
    for step in range(20_000):
        i, r = rng.randrange(150), rng.random()
        if r < 0.35:
            assert lru.get(i) == model.get(i)
            if i in model:
                model.move_to_end(i)
        elif r < 0.75:
            assert lru.put(i, step) == model.pop(i, None)
            model[i] = step
        elif r < 0.8:
            assert lru.pop(i) == model.pop(i, None)
        elif r < 0.85:
            assert lru.peek(i) == model.get(i)
        while len(model) > 60 or (r > 0.97 and model):
            assert lru.oldest() == next(iter(model.items()))
            assert lru.pop_oldest() == model.popitem(last=False)
        assert len(lru) == len(model) and list(lru.values()) == list(model.values())
        assert (i in lru) == (i in model)
    lru.clear()
    assert len(lru) == 0 and lru.oldest() is None and lru.pop_oldest() is None and not lru


def test_dropped_keys_are_not_kept_alive() -> None:
    """The old list forgets what it gave out: memory stays that of the live entries."""
    lru: LruDict[bytes, int] = LruDict()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for i in range(30_000):
            lru.put(f"{i:032d}".encode(), 1)
            if len(lru) > 1_000:
                lru.pop_oldest()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert len(lru) == 1_000
    assert held < 1_000 * 400, held  # ~1 000 keys of ~65 bytes and their slots, not 30 000
