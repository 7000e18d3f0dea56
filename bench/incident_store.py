"""Cost of the SQLite incident store's rollback journal, against WAL measured in the same run.

The store left WAL (its memory-mapped ``-shm`` killed the proxy with SIGBUS when the disk became
unwritable) for ``journal_mode=DELETE`` with ``synchronous=FULL``: more fsyncs per committed batch.
This bench writes the same incidents through the real store (writer thread, batches, chain) in both
modes, interleaved round by round on the same disk, and prints committed incidents per second and the
time of one ``flush()`` (one transaction) for batches of 1 (one incident at a time: the worst case)
and of 50 (a busy proxy), with the ratio DELETE / WAL.

    .venv/bin/python bench/incident_store.py [--incidents 400] [--rounds 3] [--json FILE]

Exit 0 when the run completed, whatever the numbers. All files live in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dlp_proxy.incidents import Incident, open_store  # noqa: E402
from dlp_proxy.incidents import sqlite as sqlite_store  # noqa: E402
from dlp_proxy.logs import configure_logging  # noqa: E402

MODES = ("WAL", "DELETE", "TRUNCATE", "PERSIST")  # reference first
BATCHES = (1, 50)


def incident(i: int) -> Incident:
    return Incident(
        request_id=f"bench{i}", user="alice", groups=("rh",), client_ip="10.0.0.1", tool="openai-api",
        tool_name="OpenAI API", host="api.openai.com", model="gpt-4o-mini", decision="pseudonymized",
        code="pseudonymized", rule_ids=("donnees:pseudo",), policy_version="bench",
        entity_counts={"PERSON": 1, "EMAIL_ADDRESS": 1}, time=datetime.now(UTC),
    )  # fmt: skip


def run_once(directory: Path, mode: str, batch: int, count: int) -> tuple[float, float]:
    """(incidents per second, ms per flush) for ``count`` incidents flushed every ``batch``."""
    sqlite_store.JOURNAL_MODE = mode
    store = open_store(None, directory, replica="bench")
    try:
        flushes: list[float] = []
        t0 = time.perf_counter()
        for start in range(0, count, batch):
            for i in range(start, min(start + batch, count)):
                store.record(incident(i))
            f0 = time.perf_counter()
            if not store.flush(timeout=60):
                raise RuntimeError("flush failed")
            flushes.append(time.perf_counter() - f0)
        elapsed = time.perf_counter() - t0
        return count / elapsed, 1000 * sum(flushes) / len(flushes)
    finally:
        store.close()
        sqlite_store.JOURNAL_MODE = "DELETE"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=400, help="incidents per mode, batch and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    configure_logging("warning")
    results: dict[str, dict[str, list[tuple[float, float]]]] = {
        str(b): {m: [] for m in MODES} for b in BATCHES
    }
    with tempfile.TemporaryDirectory(prefix="dlp-bench-store-") as tmp:
        for r in range(args.rounds):
            for batch in BATCHES:
                order = MODES[r % len(MODES) :] + MODES[: r % len(MODES)]  # rotate who goes first
                for mode in order:
                    d = Path(tmp) / f"{mode}-{batch}-{r}"
                    results[str(batch)][mode].append(run_once(d, mode, batch, args.incidents))
                    print(f"round {r + 1} batch {batch} {mode} done", file=sys.stderr)
    summary = {}
    print(f"{'batch':>5}  {'mode':<8}  {'incidents/s':>11}  {'ms/flush':>8}")
    for batch in BATCHES:
        rows = {}
        for mode in MODES:
            runs = results[str(batch)][mode]
            rate = sorted(x for x, _ in runs)[len(runs) // 2]
            flush_ms = sorted(y for _, y in runs)[len(runs) // 2]
            rows[mode] = {"incidents_per_s": round(rate, 1), "ms_per_flush": round(flush_ms, 2)}
            print(f"{batch:>5}  {mode:<8}  {rate:>11.1f}  {flush_ms:>8.2f}")
        for mode in MODES[1:]:
            ratio = rows[mode]["incidents_per_s"] / rows["WAL"]["incidents_per_s"]
            rows[f"throughput_ratio_{mode.lower()}_over_wal"] = round(ratio, 2)
            print(f"{batch:>5}  ratio {mode}/WAL throughput: {ratio:.2f}")
        summary[str(batch)] = rows
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
