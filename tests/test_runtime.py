"""Runtime: options → settings and services (no mitmproxy), the detector metrics, and a PoolSupervisor
hot swap that empties the cache.

The swap test starts real one-worker pools (two model loads) on a private copy of the rules.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from dlp_proxy.metrics import DETECTOR_METRICS, Metrics
from dlp_proxy.runtime import OPTIONS, OptionRefused, PoolSettings, PoolSupervisor, Runtime, pool_settings

REPO = Path(__file__).resolve().parents[1]
CLIENT = "Transports Fictivalle"


def test_pool_settings_from_options() -> None:
    opts = SimpleNamespace(dlp_workers=3, dlp_scan_queue=5, dlp_scan_cache_entries=10, dlp_scan_cache_mb=1)
    assert pool_settings(opts) == PoolSettings(3, 5, 10, 1)
    assert PoolSettings(workers=0).resolved_workers() >= 1  # auto: the usable CPUs
    with pytest.raises(ValueError, match="workers"):
        pool_settings(SimpleNamespace(dlp_workers=-1))


def options(tmp_path: Path, **over: object) -> SimpleNamespace:
    """mitmproxy's options as the addon passes them (duck-typed): every dlp_* default, plus confdir."""
    values = {name: default for name, _, default, _ in OPTIONS}
    values.update(dlp_rules=str(REPO / "rules"), dlp_data_dir=str(tmp_path), confdir=str(tmp_path / "conf"))
    return SimpleNamespace(**{**values, **over})


def test_options_are_checked_then_kept_for_start(tmp_path: Path) -> None:
    runtime = Runtime(Metrics())
    assert runtime.check_options(options(tmp_path, dlp_upstream_timeout="30", dlp_watch_seconds="0.5")) == 30
    assert (runtime.watch_interval, runtime.pool_settings) == (0.5, PoolSettings())
    with pytest.raises(OptionRefused, match=r"^dlp_watch_seconds: must be a number of seconds, not 'x'$"):
        runtime.check_options(options(tmp_path, dlp_watch_seconds="x"))
    with pytest.raises(OptionRefused, match=r"^dlp_upstream_timeout: must be 0 \(off\) or positive$"):
        runtime.check_options(options(tmp_path, dlp_upstream_timeout="-1"))
    with pytest.raises(OptionRefused, match=r"^detection pool: workers must be 0 or more, not -2$"):
        runtime.check_options(options(tmp_path, dlp_workers=-2))
    assert runtime.watch_interval == 0.5  # what was refused is not kept


def test_rules_and_services_from_the_options(tmp_path: Path) -> None:
    runtime = Runtime(Metrics())
    everything = {name for name, *_ in OPTIONS}
    runtime.configure_rules(options(tmp_path), everything)
    assert runtime.policy is not None
    broken = tmp_path / "broken"
    shutil.copytree(REPO / "rules", broken)
    (broken / "policy.yaml").write_text("version: [\n", encoding="utf-8")
    with pytest.raises(OptionRefused, match=rf"^invalid policy in {broken}:\n"):
        runtime.configure_rules(options(tmp_path, dlp_rules=str(broken)), {"dlp_rules"})
    assert runtime.policy is not None  # the policy in force stays

    log = tmp_path / "logs" / "access.jsonl"
    runtime.configure_services(options(tmp_path, dlp_access_log=str(log)), everything)
    try:
        assert runtime.store is not None and runtime.access_log.path == log
        assert runtime.metrics_server is None and runtime.portals.server is None  # port 0: off
        assert not runtime.vaults.remote  # no dlp_state: in memory
        (tmp_path / "a-file").write_text("", encoding="utf-8")
        unwritable = str(tmp_path / "a-file" / "access.jsonl")
        with pytest.raises(
            OptionRefused, match=r"^cannot write the access log .*a-file/access\.jsonl: File exists$"
        ):
            runtime.configure_services(options(tmp_path, dlp_access_log=unwritable), {"dlp_access_log"})
    finally:
        runtime.stop()
    assert runtime.access_log.path is None  # closed with the rest


def test_vault_bound_from_the_option_and_its_metrics(tmp_path: Path) -> None:
    metrics = Metrics()
    runtime = Runtime(metrics)
    assert runtime.vaults.stats().max_entries == 20_000  # the default before any option is applied
    runtime.configure_services(options(tmp_path, dlp_vault_entries=2), {"dlp_vault_entries"})
    try:
        vault = runtime.vaults.vault_for("alice")
        for name in ("A", "B", "C"):
            vault.placeholder("PERSON", name)
        text = metrics.render().decode()
        assert "dlp_proxy_vault_entries 2.0" in text and "dlp_proxy_vault_entries_limit 2.0" in text
        assert "dlp_proxy_vault_evictions_total 1.0" in text and "dlp_proxy_vault_users 1.0" in text
        with pytest.raises(OptionRefused, match=r"^dlp_state \(--state\) / dlp_vault_entries: "):
            runtime.configure_services(options(tmp_path, dlp_vault_entries=-1), {"dlp_vault_entries"})
    finally:
        runtime.stop()


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
