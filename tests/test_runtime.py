"""PoolSupervisor: options → pool settings, the detector metrics, and a hot swap that empties the cache.

The swap test starts real one-worker pools (two model loads) on a private copy of the rules.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from dlp_proxy.metrics import DETECTOR_METRICS, Metrics
from dlp_proxy.runtime import PoolSettings, PoolSupervisor, Runtime, pool_settings

REPO = Path(__file__).resolve().parents[1]
CLIENT = "Transports Fictivalle"


def test_pool_settings_from_options() -> None:
    opts = SimpleNamespace(dlp_workers=3, dlp_scan_queue=5, dlp_scan_cache_entries=10, dlp_scan_cache_mb=1)
    assert pool_settings(opts) == PoolSettings(3, 5, 10, 1)
    assert PoolSettings(workers=0).resolved_workers() >= 1  # auto: the usable CPUs
    with pytest.raises(ValueError, match="workers"):
        pool_settings(SimpleNamespace(dlp_workers=-1))


def test_detector_metrics_are_exported_before_and_after_the_pool_starts() -> None:
    metrics = Metrics()
    runtime = Runtime(metrics)
    text = metrics.render().decode()
    assert "dlp_proxy_scan_cache_hits_total 0.0" in text  # no pool yet: zeros, not missing series
    runtime.pools = PoolSupervisor(REPO / "rules", PoolSettings(workers=2, max_queue=7))
    snapshot = runtime.pools.snapshot()
    assert set(snapshot) == set(DETECTOR_METRICS)
    assert snapshot["dlp_proxy_detector_workers"] == 2
    text = metrics.render().decode()
    assert "dlp_proxy_detector_workers 2.0" in text


@pytest.mark.model
def test_reload_swaps_workers_for_new_detector_files_and_empties_the_cache(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    ready: list[bool] = []
    sup = PoolSupervisor(rules, PoolSettings(workers=1), on_ready=ready.append).start()
    try:
        assert sup.pool is not None and sup.pool.wait_ready(180)
        first = sup.pool
        text = f"Le contrat avec {CLIENT} est à renouveler."
        assert not first.scan_sync([text], ["CLIENT_NAME"], 0.5)[0]
        assert len(sup.cache) == 1
        assert sup.reload(rules) is None  # nothing the workers read changed: same pool
        assert sup.pool is first and len(sup.cache) == 0  # but a policy reload empties the cache
        first.scan_sync([text], ["CLIENT_NAME"], 0.5)

        clients = rules / "clients.txt"
        clients.write_text(clients.read_text(encoding="utf-8") + f"\n{CLIENT}\n", encoding="utf-8")
        time.sleep(0.01)
        swap = sup.reload(rules)
        assert swap is not None
        swap.join(240)
        assert sup.pool is not first and sup.pool.ready
        assert not first.ready  # the old workers are gone
        assert [f.entity_type for f in sup.pool.scan_sync([text], ["CLIENT_NAME"], 0.5)[0]] == ["CLIENT_NAME"]
        assert sup.cache.stats().invalidations >= 2
        assert ready == [True]
    finally:
        sup.close()
