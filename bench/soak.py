"""Soak: dlp-proxy under steady mixed traffic for minutes; errors, latency and memory of every process.

A fixed request rate (``--rate``, default 20/s, open loop: a request every 1/rate s whatever the
answers) of OpenAI chat completions through ``dlp-proxy run`` (HTTPS, interception, shipped policy,
``map_remote`` to the fake upstream of ``proxy_overhead.py``), bounded by time (``--minutes``) and by
count (``--max-requests``). The mix (``--mix clean,pseudonymized,blocked`` weights, default 6,3,1):

- clean: a ~1 KB French business prompt, every one different → 200;
- pseudonymized: a name, an e-mail address and a phone number, all different each time → 200, the
  values replaced (the shipped policy pseudonymizes them);
- blocked: a valid NIR → 403 ``sensitive_data``.

Every ``--sample-seconds`` the bench reads the RSS of the proxy and of each detection worker
(``/proc``) and the proxy's ``/metrics`` (findings cache entries and bytes). It prints the RSS at the
end of the warm-up (``--warmup-minutes``, default 5: "minute 5") and at the end, the growth of each
process (target < 10 %), the linear slope over the measured part, and errors by kind (any answer other
than the expected one counts, a 503 included). Exit code 0 when the run completed, whatever the
figures (1 if it failed, 130 on Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import ssl
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH_DIR = str(Path(__file__).resolve().parent)
if BENCH_DIR not in sys.path:
    sys.path.insert(0, BENCH_DIR)
from conversation import SYSTEM, chat_body, clean_text  # noqa: E402
from harness import (  # noqa: E402
    API_PATH,
    HOST,
    OPENAI_HOST,
    BenchError,
    make_ca,
    map_remote,
    percentile,
    proxy_run_meta,
    run_interruptible,
    start_dlp_proxy,
)
from proxy_overhead import start_upstream  # noqa: E402

TARGET_GROWTH = 0.10
KINDS = ("clean", "pseudonymized", "blocked")
EXPECTED = {"clean": 200, "pseudonymized": 200, "blocked": 403}
FIRST = ("Camille", "Julien", "Sophie", "Antoine", "Léa", "Nicolas", "Manon", "Thomas", "Chloé", "Hugo")
LAST = ("Martin", "Bernard", "Dubois", "Lefèvre", "Garnier", "Rousseau", "Fontaine", "Chevalier", "Morel")
#: Valid NIRs (checksum), from the detection tests' vectors: the shipped policy blocks them.
NIRS = ("1 85 05 78 006 084 91", "2 84 05 75 115 428 49")


def prompt(kind: str, n: int, rng: random.Random) -> bytes:
    text = f"Demande {n}. " + clean_text(rng, 900)
    if kind == "pseudonymized":
        first, last = rng.choice(FIRST), rng.choice(LAST)
        phone = "06 " + " ".join(f"{rng.randint(10, 99)}" for _ in range(4))
        email = f"{first.lower()}.{last.lower()}{n}@exemple-client.fr".replace("é", "e").replace("è", "e")
        text += f" Merci de répondre à {first} {last} ({email}, {phone}) avant jeudi."
    elif kind == "blocked":
        text += f" Son numéro de sécurité sociale est {rng.choice(NIRS)}."
    return chat_body([{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}])


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def worker_pids(parent: int) -> list[int]:
    """The proxy's detection workers (spawned Python children), from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"spawn_main" in cmd:
            pids.append(int(entry.name))
    return sorted(pids)


def scrape(metrics_port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://{HOST}:{metrics_port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^(dlp_proxy_\w+) (\S+)$", text, re.M)}


async def drive(
    args: argparse.Namespace, port: int, metrics_port: int, proxy_pid: int, bundle: Path, token: str
):
    import httpx

    rng = random.Random(args.seed)
    weights = args.mix
    ctx = ssl.create_default_context(cafile=str(bundle))
    client = httpx.AsyncClient(
        proxy=f"http://{HOST}:{port}",
        verify=ctx,
        trust_env=False,
        timeout=httpx.Timeout(30.0),
        limits=httpx.Limits(max_connections=64, keepalive_expiry=600),
    )
    headers = {"content-type": "application/json", "authorization": "Bearer sk-bench-not-a-real-key"}
    url = f"https://{OPENAI_HOST}{API_PATH}"
    lat: dict[str, list[float]] = {k: [] for k in KINDS}
    errors: dict[str, dict[str, int]] = {k: {} for k in KINDS}
    sent = {k: 0 for k in KINDS}
    samples: list[dict] = []
    tok = token.encode()

    async def one(kind: str, body: bytes) -> None:
        t0 = time.perf_counter()
        try:
            r = await client.post(url, content=body, headers=headers)
            status = r.status_code
            if status == 200 and tok not in r.content:
                status = -1
        except httpx.HTTPError as exc:
            status = type(exc).__name__  # type: ignore[assignment]
        if status == EXPECTED[kind]:
            lat[kind].append((time.perf_counter() - t0) * 1000)
        else:
            errors[kind][str(status)] = errors[kind].get(str(status), 0) + 1

    def sample(t: float) -> None:
        workers = worker_pids(proxy_pid)
        m = scrape(metrics_port)
        samples.append(
            {
                "t_s": t,
                "proxy_rss_mb": rss_mb(proxy_pid),
                "workers_rss_mb": {str(w): rss_mb(w) for w in workers},
                "cache_entries": m.get("dlp_proxy_scan_cache_entries", 0),
                "cache_bytes": m.get("dlp_proxy_scan_cache_bytes", 0),
                "sent": sum(sent.values()),
            }
        )

    tasks: set[asyncio.Task] = set()
    started = time.perf_counter()
    end = started + args.minutes * 60
    next_sample = started
    n = 0
    try:
        while n < args.max_requests and time.perf_counter() < end:
            now = time.perf_counter()
            if now >= next_sample:
                sample(now - started)
                s = samples[-1]
                print(
                    f"  {s['t_s'] / 60:5.1f} min: {s['sent']} sent, proxy RSS {s['proxy_rss_mb']:.1f} MB, "
                    f"workers {[round(v or 0, 1) for v in s['workers_rss_mb'].values()]} MB, "
                    f"cache {s['cache_entries']:.0f} entries, "
                    f"errors {sum(sum(e.values()) for e in errors.values())}",
                    file=sys.stderr,
                )
                next_sample += args.sample_seconds
            kind = rng.choices(KINDS, weights)[0]
            sent[kind] += 1
            task = asyncio.create_task(one(kind, prompt(kind, n, rng)))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
            await asyncio.sleep(max(0.0, started + n / args.rate - time.perf_counter()))
        await asyncio.gather(*tasks)
        sample(time.perf_counter() - started)
    finally:
        await client.aclose()
    return {
        "sent": sent,
        "errors": errors,
        "latency": lat,
        "samples": samples,
        "seconds": time.perf_counter() - started,
    }


def slope_mb_per_min(points: list[tuple[float, float]]) -> float:
    if len(points) < 2:
        return 0.0
    xs, ys = [p[0] / 60 for p in points], [p[1] for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0


def analyse(result: dict, warmup_s: float) -> dict:
    samples = result["samples"]
    after = [s for s in samples if s["t_s"] >= warmup_s] or samples[-1:]
    base, last = after[0], samples[-1]
    procs: dict[str, dict] = {}
    series: dict[str, list[tuple[float, float]]] = {"proxy": []}
    for s in after:
        if s["proxy_rss_mb"]:
            series["proxy"].append((s["t_s"], s["proxy_rss_mb"]))
        for pid, v in s["workers_rss_mb"].items():
            if v:
                series.setdefault(f"worker {pid}", []).append((s["t_s"], v))
    for name, pts in series.items():
        if not pts:
            continue
        start_v, end_v = pts[0][1], pts[-1][1]
        procs[name] = {
            "at_warmup_mb": start_v,
            "at_end_mb": end_v,
            "from_min": pts[0][0] / 60,
            "to_min": pts[-1][0] / 60,
            "growth": (end_v - start_v) / start_v if start_v else 0.0,
            "slope_mb_per_min": slope_mb_per_min(pts),
        }
    return {
        "processes": procs,
        "cache": {
            "entries": [base["cache_entries"], last["cache_entries"]],
            "bytes": [base["cache_bytes"], last["cache_bytes"]],
        },
    }


def render(result: dict, analysis: dict, meta: dict, args: argparse.Namespace) -> str:
    out = [
        f"dlp-proxy soak — {meta['cpus']} CPUs, load {meta['load_average_1min'][0]:.2f} → "
        f"{meta['load_average_1min'][1]:.2f}, {result['seconds'] / 60:.1f} min at {args.rate:g} requests/s "
        f"(open loop), mitmproxy {meta['mitmproxy']}",
        "",
        f"{'kind':<14} {'sent':>6} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8}",
    ]
    for k in KINDS:
        lat = result["latency"][k]
        errs = sum(result["errors"][k].values())
        p50 = percentile(lat, 50) if lat else float("nan")
        p99 = percentile(lat, 99) if lat else float("nan")
        out.append(f"{k:<14} {result['sent'][k]:>6} {errs:>7} {p50:>8.1f} {p99:>8.1f}")
    all_errors = {k: v for k, v in result["errors"].items() if v}
    out.append(f"errors by kind and answer: {all_errors or 'none'}")
    out += [
        "",
        f"RSS (MB) from minute {args.warmup_minutes:g} (end of warm-up) to the end; target growth < "
        f"{TARGET_GROWTH:.0%}",
        f"{'process':<16} {'from':>6} {'to':>6} {'start':>8} {'end':>8} {'growth':>8} {'MB/min':>8}",
    ]
    for name, p in analysis["processes"].items():
        verdict = "ok" if p["growth"] < TARGET_GROWTH else "NOT met"
        out.append(
            f"{name:<16} {p['from_min']:>6.1f} {p['to_min']:>6.1f} {p['at_warmup_mb']:>8.1f} "
            f"{p['at_end_mb']:>8.1f} "
            f"{p['growth']:>+8.1%} {p['slope_mb_per_min']:>+8.2f}  {verdict}"
        )
    c = analysis["cache"]
    out.append(
        f"findings cache: {c['entries'][0]:.0f} → {c['entries'][1]:.0f} entries, "
        f"{c['bytes'][0] / 1048576:.1f} → {c['bytes'][1] / 1048576:.1f} MiB (estimated; bounded by "
        "dlp_scan_cache_entries / dlp_scan_cache_mb)"
    )
    return "\n".join(out)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=30)
    p.add_argument("--warmup-minutes", type=float, default=5)
    p.add_argument("--rate", type=float, default=20)
    p.add_argument("--max-requests", type=int, default=10**7)
    p.add_argument("--mix", type=lambda s: [float(x) for x in s.split(",")], default=[6, 3, 1])
    p.add_argument("--sample-seconds", type=float, default=15)
    p.add_argument("--workers", type=int, default=0, help="dlp_workers (0: the CPUs the proxy may use)")
    p.add_argument("--set", action="append", default=[], help="extra dlp-proxy --set NAME=VALUE")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--json", type=Path)
    return p


def run(args: argparse.Namespace) -> int:
    started, load_start = time.monotonic(), os.getloadavg()[0]
    token = secrets.token_hex(8)
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory(prefix="dlp-soak-") as tmpname:
        tmp = Path(tmpname)
        try:
            confdir = tmp / "conf"
            bundle = make_ca(confdir)
            _, up_port = start_upstream(stack, token, 30)
            sets = [map_remote(up_port), f"dlp_workers={args.workers}", *args.set]
            proc, port, metrics_port = start_dlp_proxy(stack, tmp, confdir, sets, 120)
            print(f"dlp-proxy pid {proc.popen.pid}, workers {worker_pids(proc.popen.pid)}", file=sys.stderr)
            result = asyncio.run(drive(args, port, metrics_port, proc.popen.pid, bundle, token))
            proc.check_alive()
        except BenchError as exc:
            print(f"bench failed: {exc}", file=sys.stderr)
            return 1
        finally:
            stack.close()
    analysis = analyse(result, args.warmup_minutes * 60)
    meta = proxy_run_meta(started, load_start)
    print(render(result, analysis, meta, args))
    if args.json is not None:
        result = {**result, "latency": {k: sorted(v) for k, v in result["latency"].items()}}
        args.json.write_text(json.dumps({"meta": meta, "analysis": analysis, **result}, indent=1) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_interruptible(run, build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
