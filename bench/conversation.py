"""Conversation-scale cost of dlp-proxy, next to plain mitmproxy measured in the same run.

Chat clients and coding agents re-send the whole conversation at every turn. With the findings cache
(``dlp_proxy/detect/cache.py``) a text already scanned costs a hash lookup, so the latency dlp-proxy
adds should stay flat along a conversation instead of growing with its length. Three parts:

1. **Conversation**: ``--conversations`` conversations of ``--turns`` turns; each turn adds a
   ``--turn-bytes`` user message and the previous ~same-size assistant answer (as a client re-sends
   it), all clean French business text, different in every conversation (so nothing is cached from
   another one). Each turn is sent through dlp-proxy and through plain mitmproxy, alternately first;
   *added* = dlp-proxy − mitmproxy for that turn. Targets: added p50 at the last turn ≤ 1.3 × the
   first turn's, and ≤ 30 ms.
2. **Agent**: a ``--agent-kb`` context (system prompt, tool definitions, history) re-sent with 2 KB new
   at each of ``--agent-calls`` calls. The first call scans everything (reported); target: added p50
   ≤ 30 ms on the later calls.
3. **Capacity**: concurrency 8, 1 KB prompts, every prompt different (the full scan path: no cache
   hit): p50/p99 of dlp-proxy and mitmproxy; then an open-loop ramp of request rates through dlp-proxy
   alone, each step ``--step-seconds`` long, until the scan queue refuses (503 ``scan_overloaded``):
   the highest rate served without refusal, and p50/p99 at each step (refusal, not a growing queue).

All traffic stays on 127.0.0.1 (``map_remote`` to the fake upstream of ``proxy_overhead.py``), HTTPS
with interception through both proxies. Progress on stderr, tables on stdout; exit code 0 when the run
completed whatever the numbers (1 if the run failed, 130 on Ctrl-C).
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
from proxy_overhead import start_mitmdump, start_upstream  # noqa: E402

TARGET_RATIO, TARGET_ADDED_MS = 1.3, 30.0

# Clean French business sentences (no personal data): texts are drawn from them, seeded.
SENTENCES = (
    "Le comité de direction examinera la revue trimestrielle jeudi prochain.",
    "Les ventes de la région Occitanie progressent plus vite que prévu sur le semestre.",
    "Il faut harmoniser les modèles de devis entre les agences avant la fin du mois.",
    "Le délai moyen de traitement des commandes est passé de six à quatre jours ouvrés.",
    "Propose un plan en trois parties pour la note de synthèse destinée au conseil.",
    "Les retards de livraison concernent surtout le matériel informatique importé.",
    "Nous devons préparer la réponse à l'appel d'offres public avant vendredi midi.",
    "Le taux de renouvellement des contrats annuels reste stable autour de quatre-vingts pour cent.",
    "La formation des nouveaux commerciaux commencera la deuxième semaine de septembre.",
    "Le budget de communication sera réduit au profit des salons professionnels.",
    "Peux-tu reformuler ce paragraphe avec un ton plus factuel et moins de jargon ?",
    "Ajoute trois indicateurs simples à suivre chaque mois dans le tableau de bord.",
    "Les stocks de cartons d'emballage couvrent environ cinq semaines d'activité.",
    "La migration de l'outil de facturation est prévue pendant les congés d'hiver.",
    "Une recommandation concrète doit accompagner chaque partie du rapport.",
    "Le panier moyen augmente légèrement depuis la refonte du catalogue en ligne.",
    "Il faudrait comparer les coûts logistiques des deux entrepôts sur l'année écoulée.",
    "Le service après-vente souhaite un modèle de réponse plus court et plus courtois.",
    "Les priorités restent la fidélisation des clients existants et la réduction des délais.",
    "Résume les points d'accord et les points ouverts de la réunion de lundi.",
    "La procédure d'achat impose trois devis au-delà d'un certain montant.",
    "Les équipes de production demandent un planning plus lisible pour les week-ends.",
    "Le rapport annuel doit être relu par le service juridique avant publication.",
    "Nous envisageons d'ouvrir une nouvelle agence dans le Grand Est l'an prochain.",
)
WORDS = (
    "analyse", "synthèse", "objectif", "calendrier", "budget", "fournisseur", "projet", "indicateur",
    "processus", "qualité", "délai", "contrat", "agence", "stock", "catalogue", "planning", "revue",
)  # fmt: skip


def clean_text(rng: random.Random, size: int) -> str:
    """About ``size`` bytes of clean French text, different for every seed (a few random words mixed in)."""
    parts: list[str] = []
    total = 0
    while total < size:
        sentence = rng.choice(SENTENCES)
        if rng.random() < 0.5:
            sentence = sentence[:-1] + f", volet {rng.choice(WORDS)} {rng.randint(2, 99)}" + sentence[-1]
        parts.append(sentence)
        total += len(sentence.encode()) + 1
    return " ".join(parts)


def chat_body(messages: list[dict], tools: list[dict] | None = None) -> bytes:
    payload: dict = {"model": "gpt-4o-mini", "messages": messages, "temperature": 0.2}
    if tools:
        payload["tools"] = tools
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


SYSTEM = "Tu es un assistant de rédaction pour une PME française. Réponds en français, sans jargon."


def conversation(seed: int, turns: int, turn_bytes: int) -> list[bytes]:
    """The request body of every turn: the whole history, then the new user message."""
    rng = random.Random(seed)
    messages: list[dict] = [{"role": "system", "content": SYSTEM + f" Dossier {seed}."}]
    bodies = []
    for _ in range(turns):
        messages.append({"role": "user", "content": clean_text(rng, turn_bytes)})
        bodies.append(chat_body(messages))
        messages.append({"role": "assistant", "content": clean_text(rng, turn_bytes)})
    return bodies


def agent_calls(seed: int, context_kb: int, calls: int) -> list[bytes]:
    """An agent's requests: a large context (system prompt, tools, history) plus 2 KB new per call."""
    rng = random.Random(seed)
    system = SYSTEM + " " + clean_text(rng, 8 * 1024)
    tools = [
        {
            "type": "function",
            "function": {
                "name": f"outil_{i}",
                "description": clean_text(rng, 1500),
                "parameters": {"type": "object", "properties": {"requete": {"type": "string"}}},
            },
        }
        for i in range(8)
    ]
    messages: list[dict] = [{"role": "system", "content": system}]
    while len(chat_body(messages, tools)) < context_kb * 1024:
        messages.append({"role": "user", "content": clean_text(rng, 2048)})
        messages.append({"role": "assistant", "content": clean_text(rng, 4096)})
    bodies = []
    for _ in range(calls):
        messages.append({"role": "user", "content": clean_text(rng, 2048)})
        bodies.append(chat_body(messages, tools))
    return bodies


HEADERS = {"content-type": "application/json", "authorization": "Bearer sk-bench-not-a-real-key"}
URL = f"https://{OPENAI_HOST}{API_PATH}"


async def post(client, body: bytes, token: bytes) -> tuple[int, float]:
    """(status, latency in ms); a 200 must be the fake upstream's answer."""
    t0 = time.perf_counter_ns()
    r = await client.post(URL, content=body, headers=HEADERS)
    ms = (time.perf_counter_ns() - t0) / 1e6
    if r.status_code == 200 and token not in r.content:
        raise BenchError(f"a 200 that is not the upstream's answer: {r.content[:200]!r}")
    return r.status_code, ms


async def pair(clients: dict, body: bytes, token: bytes, dlp_first: bool) -> tuple[float, float]:
    """The same request through both proxies, one after the other: (dlp ms, mitmproxy ms)."""
    out = {}
    for name in ("dlp", "mitm") if dlp_first else ("mitm", "dlp"):
        status, ms = await post(clients[name], body, token)
        if status != 200:
            raise BenchError(f"{name}: answer {status}")
        out[name] = ms
    return out["dlp"], out["mitm"]


def scrape(metrics_port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://{HOST}:{metrics_port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^(dlp_proxy_scan_\w+) (\S+)$", text, re.M)}


def p(values: list[float], q: float) -> float:
    return percentile(values, q) if values else float("nan")


async def measure(args: argparse.Namespace, ports: dict, bundle: Path, token: str) -> dict:
    import httpx

    tok = token.encode()
    ctx = ssl.create_default_context(cafile=str(bundle))

    def client(proxy: str, conns: int = 1) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            proxy=proxy,
            verify=ctx,
            trust_env=False,
            timeout=httpx.Timeout(60.0),
            limits=httpx.Limits(max_connections=conns, keepalive_expiry=600),
        )

    dlp_url, mitm_url = f"http://{HOST}:{ports['dlp']}", f"http://{HOST}:{ports['mitm']}"
    result: dict = {}
    clients = {"dlp": client(dlp_url), "mitm": client(mitm_url)}
    try:
        for i in range(5):  # warm-up: connections, TLS through the proxies, code paths
            await pair(clients, conversation(10_000 + i, 1, 1024)[0], tok, i % 2 == 0)

        # 1. Conversations
        per_turn: dict[int, dict[str, list[float]]] = {}
        for k in range(args.conversations):
            print(f"  conversation {k + 1}/{args.conversations}: {args.turns} turns", file=sys.stderr)
            for t, body in enumerate(conversation(args.seed + k, args.turns, args.turn_bytes), start=1):
                dlp, mitm = await pair(clients, body, tok, (t + k) % 2 == 0)
                row = per_turn.setdefault(t, {"dlp": [], "mitm": [], "added": [], "bytes": []})
                row["dlp"].append(dlp)
                row["mitm"].append(mitm)
                row["added"].append(dlp - mitm)
                row["bytes"].append(len(body))
        result["conversation"] = {
            t: {
                "bytes": int(sum(r["bytes"]) / len(r["bytes"])),
                "mitm_p50_ms": p(r["mitm"], 50),
                "dlp_p50_ms": p(r["dlp"], 50),
                "added_p50_ms": p(r["added"], 50),
            }
            for t, r in per_turn.items()
        }

        # 2. Agent
        first: list[float] = []
        later: list[float] = []
        first_mitm: list[float] = []
        later_mitm: list[float] = []
        size = 0
        for a in range(args.agents):
            print(f"  agent {a + 1}/{args.agents}: {args.agent_calls} calls", file=sys.stderr)
            for c, body in enumerate(agent_calls(args.seed + 1000 + a, args.agent_kb, args.agent_calls)):
                size = max(size, len(body))
                dlp, mitm = await pair(clients, body, tok, (c + a) % 2 == 0)
                (first if c == 0 else later).append(dlp - mitm)
                (first_mitm if c == 0 else later_mitm).append(mitm)
        result["agent"] = {
            "max_bytes": size,
            "first_added_p50_ms": p(first, 50),
            "first_mitm_p50_ms": p(first_mitm, 50),
            "later_added_p50_ms": p(later, 50),
            "later_added_p99_ms": p(later, 99),
            "later_mitm_p50_ms": p(later_mitm, 50),
            "later_n": len(later),
        }
        result["cache_after_agent"] = scrape(ports["dlp_metrics"])
    finally:
        for c in clients.values():
            await c.aclose()

    # 3. Capacity: concurrency 8, every prompt different (a full scan each time)
    rng = random.Random(args.seed + 5000)
    counter = iter(range(10**9))

    def fresh() -> bytes:
        n = next(counter)
        return chat_body(
            [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": f"Demande {n}. " + clean_text(rng, 1024)},
            ]
        )

    conc = {name: [client(u) for _ in range(8)] for name, u in (("dlp", dlp_url), ("mitm", mitm_url))}
    try:
        samples: dict[str, list[float]] = {"dlp": [], "mitm": []}
        refused = 0
        print(f"  concurrency 8: {args.capacity_requests} requests per proxy", file=sys.stderr)
        for rnd in range(max(1, args.capacity_requests // 40)):
            for name in ("dlp", "mitm") if rnd % 2 == 0 else ("mitm", "dlp"):
                remaining = 40

                async def worker(cl, name=name) -> None:
                    nonlocal remaining, refused
                    while remaining > 0:
                        remaining -= 1
                        status, ms = await post(cl, fresh(), tok)
                        if status == 200:
                            samples[name].append(ms)
                        else:
                            refused += 1

                await asyncio.gather(*(worker(cl) for cl in conc[name]))
        result["concurrency8"] = {
            name: {"n": len(v), "p50_ms": p(v, 50), "p99_ms": p(v, 99)} for name, v in samples.items()
        }
        result["concurrency8"]["refused"] = refused
    finally:
        for cs in conc.values():
            for c in cs:
                await c.aclose()

    # Open-loop ramp through dlp-proxy: a request every 1/rate s whatever the answers.
    ramp = []
    big = client(dlp_url, conns=400)
    try:
        for rate in args.rates:
            statuses: list[int] = []
            lat: list[float] = []
            tasks = []
            started = time.perf_counter()
            n = int(rate * args.step_seconds)

            async def one(statuses: list[int] = statuses, lat: list[float] = lat) -> None:
                try:
                    status, ms = await post(big, fresh(), tok)
                except httpx.HTTPError:
                    statuses.append(0)
                    return
                statuses.append(status)
                if status == 200:
                    lat.append(ms)

            for i in range(n):
                await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
                tasks.append(asyncio.create_task(one()))
            await asyncio.gather(*tasks)
            elapsed = time.perf_counter() - started
            step = {
                "rate": rate,
                "sent": n,
                "ok": statuses.count(200),
                "refused_503": statuses.count(503),
                "other": sum(1 for s in statuses if s not in (200, 503)),
                "p50_ms": p(lat, 50),
                "p99_ms": p(lat, 99),
                "served_rps": statuses.count(200) / elapsed,
            }
            ramp.append(step)
            print(
                f"  rate {rate}/s: {step['ok']} ok, {step['refused_503']} refused, "
                f"p99 {step['p99_ms']:.0f} ms",
                file=sys.stderr,
            )
            if step["refused_503"] > n * 0.2:
                break
            await asyncio.sleep(2)  # let the queue drain between steps
    finally:
        await big.aclose()
    result["ramp"] = ramp
    result["metrics_end"] = scrape(ports["dlp_metrics"])
    return result


def render(result: dict, meta: dict, args: argparse.Namespace) -> str:
    out = [
        f"dlp-proxy conversation bench — {meta['cpus']} CPUs, load {meta['load_average_1min'][0]:.2f} → "
        f"{meta['load_average_1min'][1]:.2f}, {meta['elapsed_s']:.0f} s, mitmproxy {meta['mitmproxy']}",
        "",
        f"1. Conversation: {args.conversations} conversations × {args.turns} turns, "
        f"{args.turn_bytes} B user message + previous answer per turn (p50 over conversations, ms)",
        f"{'turn':>5} {'body KB':>8} {'mitmproxy':>10} {'dlp-proxy':>10} {'added':>8}",
    ]
    conv = result["conversation"]
    last = max(conv)
    shown = sorted({1, 2, 3, 5, 10, 15, 20, 25, last} & set(conv))
    for t in shown:
        r = conv[t]
        out.append(
            f"{t:>5} {r['bytes'] / 1024:>8.1f} {r['mitm_p50_ms']:>10.2f} {r['dlp_p50_ms']:>10.2f} "
            f"{r['added_p50_ms']:>+8.2f}"
        )
    a1, an = conv[1]["added_p50_ms"], conv[last]["added_p50_ms"]
    ratio = an / a1 if a1 > 0 else float("inf")
    out.append(
        f"turn {last} added / turn 1 added = {ratio:.2f} (target ≤ {TARGET_RATIO}: "
        f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}); turn {last} added p50 {an:.1f} ms "
        f"(target ≤ {TARGET_ADDED_MS:.0f}: {'met' if an <= TARGET_ADDED_MS else 'NOT met'})"
    )
    ag = result["agent"]
    out += [
        "",
        f"2. Agent: {args.agents} agents × {args.agent_calls} calls, "
        f"{ag['max_bytes'] / 1024:.0f} KB requests, 2 KB new per call",
        f"   first call: added p50 {ag['first_added_p50_ms']:+.1f} ms "
        f"(mitmproxy {ag['first_mitm_p50_ms']:.1f} ms)",
        f"   later calls (n={ag['later_n']}): added p50 {ag['later_added_p50_ms']:+.1f} ms, "
        f"p99 {ag['later_added_p99_ms']:+.1f} ms (mitmproxy p50 {ag['later_mitm_p50_ms']:.1f} ms); "
        f"target p50 ≤ {TARGET_ADDED_MS:.0f}: "
        f"{'met' if ag['later_added_p50_ms'] <= TARGET_ADDED_MS else 'NOT met'}",
    ]
    c8 = result["concurrency8"]
    out += [
        "",
        "3. Capacity, 1 KB prompts all different (full scan each time)",
        f"   concurrency 8: mitmproxy p50 {c8['mitm']['p50_ms']:.1f} / p99 {c8['mitm']['p99_ms']:.1f} ms; "
        f"dlp-proxy p50 {c8['dlp']['p50_ms']:.1f} / p99 {c8['dlp']['p99_ms']:.1f} ms; "
        f"added p50 {c8['dlp']['p50_ms'] - c8['mitm']['p50_ms']:+.1f} / p99 "
        f"{c8['dlp']['p99_ms'] - c8['mitm']['p99_ms']:+.1f} ms; refused {c8['refused']}",
        f"   open-loop ramp through dlp-proxy ({args.step_seconds:g} s per step):",
        f"   {'rate/s':>7} {'sent':>5} {'ok':>5} {'503':>5} {'served/s':>9} {'p50 ms':>8} {'p99 ms':>8}",
    ]
    best = 0.0
    for s in result["ramp"]:
        out.append(
            f"   {s['rate']:>7} {s['sent']:>5} {s['ok']:>5} {s['refused_503']:>5} {s['served_rps']:>9.1f} "
            f"{s['p50_ms']:>8.1f} {s['p99_ms']:>8.1f}"
        )
        if s["refused_503"] == 0 and s["other"] == 0:
            best = max(best, s["served_rps"])
    out.append(f"   sustained without refusal: {best:.1f} requests/s ({meta['workers']} workers)")
    m = result["metrics_end"]
    out += [
        "",
        f"findings cache at the end: {m.get('dlp_proxy_scan_cache_hits_total', 0):.0f} hits, "
        f"{m.get('dlp_proxy_scan_cache_misses_total', 0):.0f} misses, "
        f"{m.get('dlp_proxy_scan_cache_entries', 0):.0f} entries, "
        f"{m.get('dlp_proxy_scan_cache_bytes', 0) / 1024:.0f} KiB; "
        f"scans refused (queue full): {m.get('dlp_proxy_scan_overloaded_total', 0):.0f}",
    ]
    return "\n".join(out)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--conversations", type=int, default=5)
    p.add_argument("--turns", type=int, default=30)
    p.add_argument("--turn-bytes", type=int, default=2048)
    p.add_argument("--agents", type=int, default=3)
    p.add_argument("--agent-calls", type=int, default=8)
    p.add_argument("--agent-kb", type=int, default=200)
    p.add_argument("--capacity-requests", type=int, default=320, help="per proxy at concurrency 8")
    p.add_argument(
        "--rates", type=lambda s: [float(x) for x in s.split(",")], default=[10, 20, 30, 40, 60, 80]
    )
    p.add_argument("--step-seconds", type=float, default=8)
    p.add_argument("--workers", type=int, default=0, help="dlp_workers (0: the CPUs the proxy may use)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", type=Path)
    p.add_argument("--max-seconds", type=float, default=1800)
    return p


def run(args: argparse.Namespace) -> int:
    started, load_start = time.monotonic(), os.getloadavg()[0]
    token = secrets.token_hex(8)
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory(prefix="dlp-bench-") as tmpname:
        tmp = Path(tmpname)
        try:
            print("starting the fake upstream, mitmdump and dlp-proxy on 127.0.0.1 …", file=sys.stderr)
            confdir = tmp / "conf"
            bundle = make_ca(confdir)
            _, up_port = start_upstream(stack, token, 30)
            _, mitm_port = start_mitmdump(stack, tmp, confdir, up_port, 60)
            sets = [map_remote(up_port), f"dlp_workers={args.workers}"]
            _, dlp_port, dlp_metrics = start_dlp_proxy(stack, tmp, confdir, sets, 120)
            workers = int(scrape_all(dlp_metrics).get("dlp_proxy_detector_workers", 0))
            ports = {"dlp": dlp_port, "mitm": mitm_port, "dlp_metrics": dlp_metrics}
            result = asyncio.run(asyncio.wait_for(measure(args, ports, bundle, token), args.max_seconds))
        except (BenchError, TimeoutError) as exc:
            print(f"bench failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        finally:
            stack.close()
    meta = {**proxy_run_meta(started, load_start), "workers": workers, "args": vars(args) | {"json": None}}
    print(render(result, meta, args))
    if args.json is not None:
        args.json.write_text(json.dumps({"meta": meta, **result}, indent=2, default=str) + "\n")
    return 0


def scrape_all(metrics_port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://{HOST}:{metrics_port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^(dlp_proxy_\w+) (\S+)$", text, re.M)}


def main(argv: list[str] | None = None) -> int:
    return run_interruptible(run, build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
