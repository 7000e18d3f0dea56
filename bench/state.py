"""Latency that shared pseudonym vaults (``--state redis://…``) add, next to the in-memory vaults.

Two parts, both against a real ``redis-server`` on 127.0.0.1 (a private one started by the bench on a
free port, unless ``--redis URL`` names one):

1. **Vault operations**, in this process, as the proxy makes them: Redis calls from a thread
   (``asyncio.to_thread``, so the event loop never waits on the network), in-memory calls directly.
   One request with 3 values already pseudonymized (the common case: a conversation's next turn), with
   3 new values, a 30-message history with 2 known values each, and the answer-side read of the map
   (unchanged, then just changed).
2. **End to end**: ``dlp-proxy run`` in memory and ``dlp-proxy run --state`` side by side, same fake
   upstream, same ~1 KB French prompt with a name, an e-mail address and a phone number
   (``proxy_overhead.py``'s ``dlp-scan-replace`` request), batches interleaved, concurrency 1 and 8.

Prints p50/p99 per path and what Redis adds over memory. Exit 0 when the run completed, whatever the
numbers; 1 if it failed. ``--skip-proxies`` runs part 1 only (a few seconds).

    .venv/bin/python bench/state.py
    .venv/bin/python bench/state.py --requests 100 --skip-proxies
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = str(Path(__file__).resolve().parent)
if BENCH_DIR not in sys.path:
    sys.path.insert(0, BENCH_DIR)
from harness import (  # noqa: E402
    API_PATH,
    HOST,
    OPENAI_HOST,
    UPSTREAM_PREFIX,
    BenchError,
    free_port,
    make_ca,
    map_remote,
    percentile,
    proxy_run_meta,
    run_interruptible,
    start_dlp_proxy,
)
from proxy_overhead import (  # noqa: E402
    PROMPT_WITH_DATA,
    Target,
    measure,
    request_body,
    start_upstream,
)

KEY_ENV = "DLP_PROXY_STATE_KEY"


# --------------------------------------------------------------------------------------- redis
@contextlib.contextmanager
def redis_server(url: str | None, tmp: Path):
    """``url`` if given, else a private ``redis-server`` (no persistence) for the run."""
    if url:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise BenchError("redis-server is not installed (Debian package redis-server), or pass --redis URL")
    port = free_port()
    cmd = [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no", "--dir", str(tmp)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                if redis.Redis(host=HOST, port=port).ping():
                    break
            except redis.RedisError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise BenchError("redis-server did not start") from None
                time.sleep(0.02)
        yield f"redis://{HOST}:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


# ------------------------------------------------------------------------------ part 1: vaults
@dataclass
class Finding:
    entity_type: str
    start: int
    end: int
    score: float = 0.9


def request(i: int | None = None) -> tuple[str, list[Finding]]:
    """A message with a name, an e-mail and a phone; ``i`` makes them new values."""
    suffix = "" if i is None else f"{i:05d}"
    name, email, phone = (
        f"Claire Moreau{suffix}",
        f"claire.moreau{suffix}@transports-vidal.fr",
        "06 71 42 85 19",
    )
    if i is not None:
        phone = f"06 71 {i % 100:02d} {i // 100 % 100:02d} 19"
    text = f"Mme {name} demande un rappel au {phone} ou une réponse à {email} avant vendredi."
    found = []
    for etype, value in (("PERSON", name), ("PHONE_NUMBER", phone), ("EMAIL_ADDRESS", email)):
        start = text.index(value)
        found.append(Finding(etype, start, start + len(value)))
    return text, found


def history(turns: int = 30) -> list[tuple[str, list[Finding]]]:
    out = []
    for t in range(turns):
        text, found = request()
        out.append(
            (
                f"Tour {t} : {text}",
                [
                    Finding(f.entity_type, f.start + len(f"Tour {t} : "), f.end + len(f"Tour {t} : "))
                    for f in found[:2]
                ],
            )
        )
    return out


async def timed(n: int, op: Callable[[int], Awaitable[object]]) -> list[float]:
    samples = []
    for i in range(n):
        t0 = time.perf_counter_ns()
        await op(i)
        samples.append((time.perf_counter_ns() - t0) / 1000)
    return samples


async def one_kind(registry, label: str, n: int) -> list[dict]:
    """The operations on one kind of vaults; Redis ones from a thread, as the proxy makes them."""

    async def call(fn, *args, **kw):
        return await asyncio.to_thread(fn, *args, **kw) if registry.remote else fn(*args, **kw)

    user = f"bench-{label}"
    vault = registry.vault_for(user)
    known = [request()]
    turns = history()
    await call(vault.pseudonymize_all, known, avoid=known[0][0])
    await call(registry.replacements_for, user)
    ops: dict[str, Callable[[int], Awaitable[object]]] = {
        "3 known values": lambda i: call(vault.pseudonymize_all, known, avoid=known[0][0]),
        "30 messages, 2 known values each": lambda i: call(vault.pseudonymize_all, turns, avoid=""),
        "answer: map unchanged": lambda i: call(registry.replacements_for, user),
    }
    rows = []
    for name, op in ops.items():
        await timed(max(5, n // 10), op)  # warm-up
        rows.append({"op": name, "vaults": label, "us": await timed(n, op)})
    new_us, read_us = [], []
    for i in range(n):
        other = f"bench-{label}-{i // 10}"  # maps of up to 30 entries, as in a long conversation
        item = [request(i)]
        t0 = time.perf_counter_ns()
        await call(registry.vault_for(other).pseudonymize_all, item, avoid=item[0][0])
        t1 = time.perf_counter_ns()
        await call(registry.replacements_for, other)
        t2 = time.perf_counter_ns()
        new_us.append((t1 - t0) / 1000)
        read_us.append((t2 - t1) / 1000)
    rows.append({"op": "3 new values", "vaults": label, "us": new_us})
    rows.append({"op": "answer: map just changed", "vaults": label, "us": read_us})
    return rows


async def vault_ops(url: str, n: int) -> list[dict]:
    from dlp_proxy.pseudonyms import VaultRegistry
    from dlp_proxy.state.keys import StateKeys
    from dlp_proxy.state.redis_vaults import RedisVaultRegistry

    shared = RedisVaultRegistry(url, StateKeys.from_secret(secrets.token_bytes(32)))
    try:
        return await one_kind(VaultRegistry(), "memory", n) + await one_kind(shared, "redis", n)
    finally:
        keys = list(shared.client.scan_iter(match=f"dlp:ps:{{{shared.keys.key_id}:*", count=1000))
        if keys:
            shared.client.delete(*keys)
        shared.close()


def render_ops(rows: list[dict]) -> tuple[str, list[dict]]:
    table = []
    for op in dict.fromkeys(r["op"] for r in rows):
        mem = next(r["us"] for r in rows if r["op"] == op and r["vaults"] == "memory")
        red = next(r["us"] for r in rows if r["op"] == op and r["vaults"] == "redis")
        table.append(
            {
                "op": op,
                "n": len(red),
                "memory_p50_us": percentile(mem, 50),
                "memory_p99_us": percentile(mem, 99),
                "redis_p50_us": percentile(red, 50),
                "redis_p99_us": percentile(red, 99),
            }
        )
    head = ("vault operation", "n", "memory p50", "p99", "redis p50", "p99", "added p50")
    lines = ["{:34} {:>5} {:>10} {:>8} {:>10} {:>8} {:>10}".format(*head)]
    for t in table:
        lines.append(
            "{:34} {:5d} {:8.0f}µs {:6.0f}µs {:8.0f}µs {:6.0f}µs {:+8.0f}µs".format(
                t["op"], t["n"], t["memory_p50_us"], t["memory_p99_us"], t["redis_p50_us"], t["redis_p99_us"],
                t["redis_p50_us"] - t["memory_p50_us"],
            )
        )  # fmt: skip
    return "\n".join(lines), table


# ------------------------------------------------------------------------------- part 2: proxies
def proxies(url: str, tmp: Path, requests: int, warmup: int, deadline: float) -> tuple[str, list[dict]]:
    token = secrets.token_hex(8)
    with contextlib.ExitStack() as stack:
        confdir = tmp / "conf"
        bundle = make_ca(confdir)
        upstream, up_port = start_upstream(stack, token, 30)
        sets = [map_remote(up_port)]
        (tmp / "memory").mkdir()
        (tmp / "redis").mkdir()
        mem, mem_port, _ = start_dlp_proxy(stack, tmp / "memory", confdir, sets, 120)
        red, red_port, _ = start_dlp_proxy(stack, tmp / "redis", confdir, [*sets, f"dlp_state={url}"], 120)
        api = f"https://{OPENAI_HOST}{API_PATH}"
        body = request_body(PROMPT_WITH_DATA)
        targets = [
            Target("direct", f"http://{HOST}:{up_port}{UPSTREAM_PREFIX}{API_PATH}"),
            Target("dlp-memory", api, f"http://{HOST}:{mem_port}", body),
            Target("dlp-redis", api, f"http://{HOST}:{red_port}", body),
        ]
        results = asyncio.run(
            measure(targets, bundle, token, requests, warmup, deadline, [upstream, mem, red])
        )
        import redis

        logged = red.log.read_text(encoding="utf-8", errors="replace") if red.log else ""
        stored = sum(1 for _ in redis.Redis.from_url(url).scan_iter(match="dlp:ps:*", count=1000))
        if "state_connected" not in logged or not stored:
            raise BenchError("the --state proxy did not keep its vaults in Redis:\n" + red.tail())
    head = ("path", "conc", "n", "p50 ms", "p99 ms", "added p50", "added p99")
    rows, lines = [], ["{:12} {:>4} {:>5} {:>8} {:>8} {:>10} {:>10}".format(*head)]
    for conc, series in results.items():
        stats = {path: s.stats() for path, s in series.items()}
        direct = stats["direct"]
        for path, s in stats.items():
            rows.append({"path": path, "concurrency": conc, **s})
            a50 = "" if path == "direct" else f"{s['p50_ms'] - direct['p50_ms']:+.2f}"
            a99 = "" if path == "direct" else f"{s['p99_ms'] - direct['p99_ms']:+.2f}"
            lines.append(
                f"{path:12} {conc:4d} {s['n']:5d} {s['p50_ms']:8.2f} {s['p99_ms']:8.2f} {a50:>10} {a99:>10}"
            )
        red, mem = stats["dlp-redis"], stats["dlp-memory"]
        lines.append(
            f"  concurrency {conc}: Redis adds {red['p50_ms'] - mem['p50_ms']:+.2f} ms p50, "
            f"{red['p99_ms'] - mem['p99_ms']:+.2f} ms p99 over in-memory vaults"
        )
    return "\n".join(lines), rows


# --------------------------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--redis", default=None, help="a Redis URL to use (default: a private redis-server)")
    p.add_argument("--requests", type=int, default=300, help="measured operations / requests per path")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--skip-proxies", action="store_true", help="vault operations only")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--max-seconds", type=float, default=900)
    return p


def run(args: argparse.Namespace) -> int:
    started, load_start = time.monotonic(), os.getloadavg()[0]
    os.environ.setdefault(KEY_ENV, base64.b64encode(secrets.token_bytes(32)).decode())
    out: dict = {}
    try:
        with tempfile.TemporaryDirectory(prefix="dlp-bench-state-") as tmpname:
            tmp = Path(tmpname)
            with redis_server(args.redis, tmp) as url:
                print("vault operations …", file=sys.stderr)
                text, out["vault_ops"] = render_ops(asyncio.run(vault_ops(url, args.requests)))
                print(text)
                if not args.skip_proxies:
                    print("dlp-proxy run, in memory and --state, side by side …", file=sys.stderr)
                    text, out["proxies"] = proxies(
                        url, tmp, args.requests, args.warmup, started + args.max_seconds
                    )
                    print(text)
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    out["meta"] = {"requests": args.requests, **proxy_run_meta(started, load_start)}
    if args.json is not None:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_interruptible(run, build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
