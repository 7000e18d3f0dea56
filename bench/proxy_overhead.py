"""Latency that dlp-proxy adds to an AI request, next to what plain mitmproxy adds.

Five paths are measured in the same run, interleaved in round-robin batches so that machine noise
(other processes, CPU frequency, thermal throttling) hits all of them alike:

- ``direct``: plain HTTP straight to a minimal fake OpenAI upstream on 127.0.0.1;
- ``mitmproxy``: HTTPS to ``https://api.openai.com`` through ``mitmdump -q`` (TLS interception,
  ``map_remote`` to the fake upstream, no addon of ours);
- ``dlp-policy-only``: the same prompt through ``dlp-proxy run`` (shipped example policy) to the
  company-hosted tool ``llm.interne.example.fr``, whose data rules are all "allow": classification,
  body decoding and the policy decision, but no scan;
- ``dlp-scan-clean``: the same prompt through dlp-proxy to ``api.openai.com`` (hosted outside the EU):
  every text of the request is scanned by the detector pool, nothing is found, the request is allowed;
- ``dlp-scan-replace``: a ~1 KB French prompt with a name, an e-mail address and a phone number to
  ``api.openai.com``: scanned, the values replaced as the shipped policy says (pseudonyms restored in
  the answer, or typed markers), the body re-encoded, then forwarded.

Every request is a ~1 KB OpenAI chat completion (``POST /v1/chat/completions``, model ``gpt-4o-mini``,
which the shipped policy allows). Keep-alive connections, one httpx client per worker; concurrency 1
and 8. Warm-up requests (TLS handshakes, certificate generation, first imports) are not counted.
dlp-proxy is measured only once its ``/readyz`` answers 200 (its detector workers have loaded the model).

With ``--baseline REV`` (a git revision of this repository), a sixth path ``dlp-scan-before`` sends
the ``dlp-scan-clean`` prompt through a second dlp-proxy running that revision's code and rules, in the
same interleaved rounds: the difference of the two scan-clean paths is what the code since REV costs on
clean traffic (target: at most +1 ms p50, e.g. for scanning headers, JSON keys and segment junctions).

Run from the repository root::

    .venv/bin/python bench/proxy_overhead.py [--requests 300] [--json results.json] [--baseline REV]

All traffic stays on 127.0.0.1: the proxies rewrite api.openai.com to the local upstream before
any upstream connection is opened (``connection_strategy=lazy``), and every answer is checked to
carry this run's token, so an answer from anywhere else would abort the run. Every process started
here is stopped on exit, Ctrl-C and errors included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import ssl
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = str(Path(__file__).resolve().parent)
if BENCH_DIR not in sys.path:  # for bench/harness.py when imported rather than run as a script
    sys.path.insert(0, BENCH_DIR)
from harness import (  # noqa: E402
    API_PATH,
    BIN,
    HOST,
    OPENAI_HOST,
    UPSTREAM_PREFIX,
    BenchError,
    Proc,
    free_port,
    make_ca,
    map_remote,
    percentile,
    proxy_run_meta,
    run_interruptible,
    spawn,
    start_dlp_proxy,
    start_port_reporter,
    wait_port,
)

POLICY_ONLY, SCAN_CLEAN, SCAN_REPLACE = "dlp-policy-only", "dlp-scan-clean", "dlp-scan-replace"
SCAN_BEFORE = "dlp-scan-before"  # --baseline: the scan-clean prompt through the baseline revision
PATHS = ("direct", "mitmproxy", POLICY_ONLY, SCAN_CLEAN, SCAN_REPLACE, SCAN_BEFORE)
TARGET_BASELINE_MS = 1.0  # dlp-scan-clean may add at most this much p50 over dlp-scan-before
SCAN_PATHS = (SCAN_CLEAN, SCAN_REPLACE)
CONCURRENCIES = (1, 8)
TARGET_RATIO = 1.5  # dlp-policy-only added / mitmproxy added
TARGET_SCAN_P50_MS, TARGET_SCAN_P99_MS = 10.0, 30.0  # a 1 KB French prompt with full scan, over direct

PROMPT = (
    "Bonjour, je prépare la revue trimestrielle de notre activité commerciale pour le comité de "
    "direction de jeudi. Peux-tu m'aider à structurer une note de synthèse de deux pages ? Les points "
    "à couvrir : l'évolution du chiffre d'affaires par région (Île-de-France, Auvergne-Rhône-Alpes, "
    "Occitanie), la progression du panier moyen, le taux de renouvellement des contrats annuels et "
    "les retards de livraison constatés sur les commandes de matériel. Je souhaite un ton factuel, "
    "des intertitres courts et, pour chaque partie, une recommandation concrète pour le trimestre "
    "suivant. Propose aussi trois indicateurs simples à suivre chaque mois et une conclusion qui "
    "rappelle les priorités : fidéliser les clients existants, réduire les délais de traitement et "
    "mieux préparer les appels d'offres publics. Merci de rédiger en français, sans jargon."
)


#: The prompt of ``dlp-scan-replace``: the shipped policy replaces the name, the e-mail and the phone
#: (pseudonyms today; typed markers if a policy says "redact").
DATA_EMAIL = "claire.moreau@transports-vidal.fr"
PROMPT_WITH_DATA = (
    "Bonjour, peux-tu m'aider à répondre à la réclamation d'un client reçue ce matin par le service "
    "après-vente ? Mme Claire Moreau, responsable logistique chez un de nos distributeurs, signale que "
    "sa commande de douze palettes de cartons, prévue pour le 14 mars, n'a été livrée que partiellement "
    "et que la facture ne tient pas compte de l'avoir promis par notre commercial. Elle demande un "
    f"rappel rapide au 06 71 42 85 19 ou une réponse écrite à {DATA_EMAIL} avant "
    "vendredi. Rédige une réponse courtoise et factuelle : reconnais le retard, propose une livraison "
    "du complément sous cinq jours ouvrés, confirme que l'avoir sera déduit de la prochaine facture et "
    "indique le nom d'un interlocuteur unique pour le suivi. Termine par une formule de politesse "
    "sobre, sans promesse que nous ne pourrions pas tenir. Merci d'écrire en français, sans jargon."
)


def request_body(prompt: str = PROMPT) -> bytes:
    """A ~1 KB chat-completion request (the clean prompt unless told otherwise)."""
    payload = {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Tu es un assistant de rédaction pour une PME française."},
            {"role": "user", "content": prompt},
        ],
        "temperature": 0.2,
        "max_tokens": 800,
    }
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


# --------------------------------------------------------------------------------------- upstream
def upstream_response(token: str) -> bytes:
    body = json.dumps(
        {
            "id": f"chatcmpl-bench-{token}",
            "object": "chat.completion",
            "created": 1767225600,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "Voici une proposition de plan pour votre note de synthèse.",
                    },
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 260, "completion_tokens": 14, "total_tokens": 274},
        },
        ensure_ascii=False,
    ).encode("utf-8")
    head = (
        "HTTP/1.1 200 OK\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: keep-alive\r\n\r\n"
    ).encode("ascii")
    return head + body


NOT_FOUND = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
#: Answered when a body still carries the e-mail address that dlp-proxy must have replaced.
LEAKED = b"HTTP/1.1 409 Conflict\r\ncontent-length: 6\r\nconnection: close\r\n\r\nleaked"


async def _serve_upstream(token: str) -> None:
    """Minimal keep-alive HTTP/1.1 server answering one fixed chat completion."""
    ok = upstream_response(token)
    expected = (UPSTREAM_PREFIX + API_PATH).encode()
    leaked = DATA_EMAIL.encode()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.split(b"\r\n")
                parts = lines[0].split(b" ")
                length, close = 0, False
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"connection" and value.strip().lower() == b"close":
                        close = True
                body = await reader.readexactly(length) if length else b""
                if len(parts) < 2 or parts[0] != b"POST" or parts[1] != expected:
                    writer.write(NOT_FOUND)
                    await writer.drain()
                    return
                if leaked in body:  # dlp-scan-replace's data reached the provider: fail the run
                    writer.write(LEAKED)
                    await writer.drain()
                    return
                writer.write(ok)
                await writer.drain()
                if close:
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()

    server = await asyncio.start_server(handle, HOST, 0, backlog=128)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def serve_upstream(token: str) -> int:
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_upstream(token))
    return 0


# -------------------------------------------------------------------------------------- processes
def start_upstream(stack: contextlib.ExitStack, token: str, timeout: float) -> tuple[Proc, int]:
    return start_port_reporter(stack, "upstream", __file__, ["--serve-upstream", token], timeout)


#: Besides the OpenAI API (``OPENAI_HOST``), dlp-proxy also sends to the fake upstream the company-hosted
#: LLM of the shipped catalog (``llm-interne``), whose data rules are all "allow" (no scan).
INTERNAL_HOST = "llm.interne.example.fr"


def start_mitmdump(
    stack: contextlib.ExitStack, tmp: Path, confdir: Path, upstream_port: int, timeout: float
) -> tuple[Proc, int]:
    port = free_port()
    cmd = [
        str(BIN / "mitmdump"),
        "-q",
        "--listen-host", HOST,
        "--listen-port", str(port),
        "--set", f"confdir={confdir}",
        "--set", "connection_strategy=lazy",
        "--set", map_remote(upstream_port),
    ]  # fmt: skip
    proc = spawn("mitmdump", cmd, tmp / "mitmdump.log", tmp)
    stack.callback(proc.stop)
    wait_port(proc, port, time.monotonic() + timeout)
    return proc, port


def decisions(metrics_port: int) -> dict[tuple[str, str], int]:
    """dlp-proxy's own request counts, by (tool, decision), from its /metrics."""
    import re

    with urllib.request.urlopen(f"http://{HOST}:{metrics_port}/metrics", timeout=5) as r:
        text = r.read().decode()
    counts: dict[tuple[str, str], int] = {}
    for line in text.splitlines():
        if line.startswith("dlp_proxy_requests_total{"):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}", 1)[0]))
            counts[(labels.get("tool", ""), labels.get("decision", ""))] = int(float(line.rsplit(" ", 1)[1]))
    return counts


#: What dlp-proxy's policy must have decided for each of its paths: (tool, accepted decisions).
EXPECTED_DECISION = {
    POLICY_ONLY: ("llm-interne", ("allowed",)),
    SCAN_CLEAN: ("openai-api", ("allowed",)),
    SCAN_REPLACE: ("openai-api", ("pseudonymized", "redacted")),
}


# ------------------------------------------------------------------------------------ measurement
@dataclass
class Target:
    path: str
    url: str
    proxy: str | None = None
    body: bytes = field(default_factory=request_body)


@dataclass
class Series:
    samples_ms: list[float] = field(default_factory=list)
    busy_s: float = 0.0  # wall time of this path's batches only

    def stats(self) -> dict[str, float | int]:
        s = sorted(self.samples_ms)
        out: dict[str, float | int] = {"n": len(s)}
        if not s:
            return out
        out.update(
            p50_ms=percentile(s, 50),
            p99_ms=percentile(s, 99),
            mean_ms=statistics.fmean(s),
            min_ms=s[0],
            max_ms=s[-1],
            throughput_rps=len(s) / self.busy_s if self.busy_s else 0.0,
        )
        return out


async def _batch(clients: list, target: Target, count: int, token: bytes) -> list[float]:
    """``count`` requests spread over the workers (one client each); latencies in ms."""
    import httpx

    remaining = count
    samples: list[float] = []
    headers = {"content-type": "application/json", "authorization": "Bearer sk-bench-not-a-real-key"}

    async def worker(client) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            t0 = time.perf_counter_ns()
            try:
                r = await client.post(target.url, content=target.body, headers=headers)
            except httpx.HTTPError as exc:
                raise BenchError(f"{target.path}: {type(exc).__name__}: {exc}") from exc
            dt = (time.perf_counter_ns() - t0) / 1e6
            if r.status_code != 200 or token not in r.content:
                raise BenchError(f"{target.path}: unexpected answer {r.status_code}: {r.content[:300]!r}")
            samples.append(dt)

    await asyncio.gather(*(worker(c) for c in clients))
    return samples


def warmups(warmup: int, conc: int) -> int:
    """Warm-up requests per path at this concurrency: at least two per worker."""
    return max(warmup, 2 * conc)


async def measure(
    targets: list[Target],
    bundle: Path,
    token: str,
    requests: int,
    warmup: int,
    deadline: float,
    procs: list[Proc],
) -> dict[int, dict[str, Series]]:
    import httpx

    tok = token.encode()
    ctx = ssl.create_default_context(cafile=str(bundle))
    results: dict[int, dict[str, Series]] = {}
    for conc in CONCURRENCIES:
        batch = max(25, 5 * conc)  # requests per path per round: 12 rounds at c=1, 8 at c=8 (n=300)
        clients: dict[str, list[httpx.AsyncClient]] = {}
        try:
            for t in targets:
                clients[t.path] = [
                    httpx.AsyncClient(
                        proxy=t.proxy,
                        verify=ctx,
                        trust_env=False,
                        timeout=httpx.Timeout(10.0),
                        limits=httpx.Limits(max_connections=1, keepalive_expiry=300),
                    )
                    for _ in range(conc)
                ]
            # Warm-up: every worker's connection (TCP + TLS through the proxies) and the code paths.
            for t in targets:
                await _batch(clients[t.path], t, warmups(warmup, conc), tok)
            series = {t.path: Series() for t in targets}
            done, rnd = 0, 0
            print(f"  concurrency {conc}: {requests} requests per path, batches of {batch}", file=sys.stderr)
            while done < requests:
                n = min(batch, requests - done)
                order = targets[rnd % len(targets) :] + targets[: rnd % len(targets)]
                for t in order:  # rotate who goes first, so no path is always right after another
                    for p in procs:
                        p.check_alive()
                    if time.monotonic() > deadline:
                        raise BenchError("time limit reached (--max-seconds)")
                    t0 = time.perf_counter()
                    series[t.path].samples_ms += await _batch(clients[t.path], t, n, tok)
                    series[t.path].busy_s += time.perf_counter() - t0
                done += n
                rnd += 1
            results[conc] = series
        finally:
            for cs in clients.values():
                for c in cs:
                    await c.aclose()
    return results


# ---------------------------------------------------------------------------------------- report
def summarise(results: dict[int, dict[str, Series]]) -> dict:
    out: dict = {"rows": [], "ratios": [], "scan_targets": [], "baseline": []}
    for conc, series in results.items():
        stats = {path: s.stats() for path, s in series.items()}
        direct = stats["direct"]
        if SCAN_BEFORE in stats:
            d50 = stats[SCAN_CLEAN]["p50_ms"] - stats[SCAN_BEFORE]["p50_ms"]
            d99 = stats[SCAN_CLEAN]["p99_ms"] - stats[SCAN_BEFORE]["p99_ms"]
            out["baseline"].append(
                {
                    "concurrency": conc,
                    "p50_ms": d50,
                    "p99_ms": d99,
                    "p50_target_met": d50 <= TARGET_BASELINE_MS,
                }
            )
        for path in (p for p in PATHS if p in stats):
            row = {"path": path, "concurrency": conc, **stats[path]}
            if path != "direct":
                row["added_p50_ms"] = row["p50_ms"] - direct["p50_ms"]
                row["added_p99_ms"] = row["p99_ms"] - direct["p99_ms"]
            out["rows"].append(row)
        ratio: dict = {"concurrency": conc, "path": POLICY_ONLY}
        for q in ("p50", "p99"):
            mitm = stats["mitmproxy"][f"{q}_ms"] - direct[f"{q}_ms"]
            dlp = stats[POLICY_ONLY][f"{q}_ms"] - direct[f"{q}_ms"]
            value = dlp / mitm if mitm > 0 else None
            ratio[q] = value
            ratio[f"{q}_target_met"] = None if value is None else value <= TARGET_RATIO
        out["ratios"].append(ratio)
        for path in SCAN_PATHS:
            a50 = stats[path]["p50_ms"] - direct["p50_ms"]
            a99 = stats[path]["p99_ms"] - direct["p99_ms"]
            out["scan_targets"].append(
                {
                    "concurrency": conc,
                    "path": path,
                    "added_p50_ms": a50,
                    "added_p99_ms": a99,
                    "p50_target_met": a50 <= TARGET_SCAN_P50_MS,
                    "p99_target_met": a99 <= TARGET_SCAN_P99_MS,
                }
            )
    return out


def render(summary: dict, meta: dict) -> str:
    head = ("path", "conc", "n", "p50 ms", "p99 ms", "added p50", "added p99")
    load0, load1 = meta.get("load_average_1min", (0.0, 0.0))
    lines = [
        f"proxy overhead — 1 KB OpenAI chat completions, {meta['requests']} measured requests "
        f"per path per concurrency (+ warm-up), interleaved batches",
        f"python {meta['python']}, mitmproxy {meta['mitmproxy']}, {meta['cpus']} CPU(s), "
        f"{meta['elapsed_s']:.1f} s, load average {load0:.1f} → {load1:.1f}",
        "",
        "{:<16} {:>4} {:>5} {:>8} {:>8} {:>10} {:>10}".format(*head),
    ]
    fmt = "{:<16} {:>4} {:>5} {:>8.2f} {:>8.2f} {:>10} {:>10}"
    prev = None
    for r in summary["rows"]:
        if prev is not None and r["concurrency"] != prev:
            lines.append("")
        prev = r["concurrency"]
        a50 = f"{r['added_p50_ms']:+.2f}" if "added_p50_ms" in r else "—"
        a99 = f"{r['added_p99_ms']:+.2f}" if "added_p99_ms" in r else "—"
        lines.append(fmt.format(r["path"], r["concurrency"], r["n"], r["p50_ms"], r["p99_ms"], a50, a99))
    lines += [
        "",
        f"{POLICY_ONLY}: company-hosted tool ({INTERNAL_HOST}), data rules all allow: policy, no scan;",
        f"{SCAN_CLEAN}: same prompt to {OPENAI_HOST}: full scan, nothing found, allowed "
        "(texts already scanned come from the findings cache unless dlp_scan_cache_entries=0);",
        f"{SCAN_REPLACE}: ~1 KB prompt with a name, an e-mail and a phone to {OPENAI_HOST}: "
        f"full scan, values replaced ({meta.get('replace_decision') or '?'} by the shipped policy).",
    ]
    if meta.get("dlp_proxy_sets"):
        lines += [f"measured dlp-proxy (not the baseline) run with: {' '.join(meta['dlp_proxy_sets'])}"]
    if meta.get("baseline_sets"):
        lines += [f"baseline dlp-proxy run with: {' '.join(meta['baseline_sets'])}"]
    if meta.get("dlp_proxy_decisions_checked"):
        lines += ["dlp-proxy's /metrics confirm its policy decided every request as expected."]
    else:
        lines += ["warning: could not confirm from dlp-proxy's /metrics that its policy saw every request."]
    lines += ["", f"target: {POLICY_ONLY} adds no more than {TARGET_RATIO}× what plain mitmproxy adds"]
    for r in summary["ratios"]:
        parts = []
        for q in ("p50", "p99"):
            v = r[q]
            if v is None:
                parts.append(f"{q} n/a (mitmproxy adds nothing measurable)")
            else:
                shown = f"{v:.2f}"
                if (float(shown) <= TARGET_RATIO) != r[f"{q}_target_met"]:  # 1.504 is not "1.50 met"
                    shown = f"{v:.3f}"
                parts.append(f"{q} {shown}× ({'met' if r[f'{q}_target_met'] else 'NOT met'})")
        label = f"  concurrency {r['concurrency']}: {POLICY_ONLY} added / mitmproxy added:"
        lines.append(f"{label} {', '.join(parts)}")
    lines += [
        f"target: a 1 KB French prompt with full scan adds ≤ {TARGET_SCAN_P50_MS:g} ms p50 and "
        f"≤ {TARGET_SCAN_P99_MS:g} ms p99 over direct"
    ]
    for r in summary["scan_targets"]:
        p50 = f"p50 {r['added_p50_ms']:+.2f} ms ({'met' if r['p50_target_met'] else 'NOT met'})"
        p99 = f"p99 {r['added_p99_ms']:+.2f} ms ({'met' if r['p99_target_met'] else 'NOT met'})"
        lines.append(f"  concurrency {r['concurrency']}: {r['path']:<16} {p50}, {p99}")
    if summary.get("baseline"):
        lines += [
            f"target: {SCAN_CLEAN} adds ≤ {TARGET_BASELINE_MS:g} ms p50 over {SCAN_BEFORE} "
            f"(revision {meta.get('baseline')})"
        ]
        for r in summary["baseline"]:
            met = "met" if r["p50_target_met"] else "NOT met"
            lines.append(
                f"  concurrency {r['concurrency']}: {SCAN_CLEAN} − {SCAN_BEFORE}: "
                f"p50 {r['p50_ms']:+.2f} ms ({met}), p99 {r['p99_ms']:+.2f} ms"
            )
    return "\n".join(lines)


def baseline_tree(rev: str, dest: Path) -> Path:
    """The repository's files at ``rev`` (git archive), to run as the baseline proxy."""
    import subprocess
    import tarfile

    repo = Path(__file__).resolve().parents[1]
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", rev], capture_output=True, check=False
    )
    if archive.returncode != 0:
        raise BenchError(f"--baseline {rev}: {archive.stderr.decode(errors='replace').strip()}")
    import io

    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return dest


# ------------------------------------------------------------------------------------------ main
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=300, help="measured requests per path per concurrency")
    p.add_argument("--warmup", type=int, default=20, help="warm-up requests per path per concurrency")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the results here")
    p.add_argument("--max-seconds", type=float, default=900, help="abort if the run takes longer")
    p.add_argument(
        "--baseline", metavar="REV", default=None, help="also measure scan-clean through this git revision"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra option of the measured dlp-proxy only, not the baseline (repeatable), e.g. "
        "dlp_scan_cache_entries=0 to compare full scans with a baseline that has no findings cache",
    )
    p.add_argument(
        "--baseline-set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra option of the baseline dlp-proxy (repeatable), e.g. dlp_scan_cache_entries=0 with the "
        "same --set, so that both proxies scan every request in full",
    )
    p.add_argument("--serve-upstream", metavar="TOKEN", help=argparse.SUPPRESS)
    return p


def run(args: argparse.Namespace) -> int:
    if args.requests < 1:
        print("--requests must be at least 1", file=sys.stderr)
        return 2
    started = time.monotonic()
    load_start = os.getloadavg()[0]
    deadline = started + args.max_seconds
    token = secrets.token_hex(8)
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory(prefix="dlp-bench-") as tmpname:
        tmp = Path(tmpname)
        try:
            print("starting the fake upstream, mitmdump and dlp-proxy on 127.0.0.1 …", file=sys.stderr)
            confdir = tmp / "conf"
            bundle = make_ca(confdir)
            upstream, up_port = start_upstream(stack, token, 30)
            mitm, mitm_port = start_mitmdump(stack, tmp, confdir, up_port, 60)
            dlp_sets = [map_remote(up_port), map_remote(up_port, INTERNAL_HOST)]
            dlp, dlp_port, dlp_metrics = start_dlp_proxy(stack, tmp, confdir, [*dlp_sets, *args.set], 60)
            api = f"https://{OPENAI_HOST}{API_PATH}"
            dlp_url = f"http://{HOST}:{dlp_port}"
            targets = [
                Target("direct", f"http://{HOST}:{up_port}{UPSTREAM_PREFIX}{API_PATH}"),
                Target("mitmproxy", api, f"http://{HOST}:{mitm_port}"),
                Target(POLICY_ONLY, f"https://{INTERNAL_HOST}{API_PATH}", dlp_url),
                Target(SCAN_CLEAN, api, dlp_url),
                Target(SCAN_REPLACE, api, dlp_url, request_body(PROMPT_WITH_DATA)),
            ]
            procs = [upstream, mitm, dlp]
            if args.baseline:
                before_tmp = tmp / "baseline"
                before_tmp.mkdir()
                source = baseline_tree(args.baseline, before_tmp / "src")
                before, before_port, _ = start_dlp_proxy(
                    stack, before_tmp, confdir, [*dlp_sets, *args.baseline_set], 120, source=source
                )
                targets.append(Target(SCAN_BEFORE, api, f"http://{HOST}:{before_port}"))
                procs.append(before)
            results = asyncio.run(
                measure(targets, bundle, token, args.requests, args.warmup, deadline, procs)
            )
            # The dlp-proxy numbers only mean something if its policy really decided every request
            # as expected (no scan; scanned and allowed; scanned and values replaced).
            seen = decisions(dlp_metrics)
            for path, (tool, accepted) in EXPECTED_DECISION.items():
                sent = sum(len(r[path].samples_ms) + warmups(args.warmup, c) for c, r in results.items())
                counted = sum(seen.get((tool, d), 0) for d in accepted)
                if counted != sent:
                    raise BenchError(
                        f"dlp-proxy counted {counted} {tool} requests {' or '.join(accepted)}, "
                        f"the bench sent {sent} on {path} (its counts: {seen})"
                    )
            replace_decision = " + ".join(
                d for d in EXPECTED_DECISION[SCAN_REPLACE][1] if seen.get(("openai-api", d))
            )
            checked = True
        except BenchError as exc:
            print(f"bench failed: {exc}", file=sys.stderr)
            return 1
        finally:
            stack.close()  # stop the processes before the temporary directory goes
    meta = {
        "requests": args.requests,
        "warmup": args.warmup,
        "concurrencies": list(CONCURRENCIES),
        "request_bytes": len(request_body()),
        "request_bytes_replace": len(request_body(PROMPT_WITH_DATA)),
        "replace_decision": replace_decision,
        **proxy_run_meta(started, load_start),
        "target_ratio": TARGET_RATIO,
        "target_scan_added_p50_ms": TARGET_SCAN_P50_MS,
        "target_scan_added_p99_ms": TARGET_SCAN_P99_MS,
        "dlp_proxy_decisions_checked": checked,
        "baseline": args.baseline,
        "dlp_proxy_sets": args.set,
        "baseline_sets": args.baseline_set,
    }
    summary = summarise(results)
    print(render(summary, meta))
    if args.json is not None:
        args.json.write_text(json.dumps({"meta": meta, **summary}, indent=2) + "\n", encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.serve_upstream:
        return serve_upstream(args.serve_upstream)
    return run_interruptible(run, args)


if __name__ == "__main__":
    sys.exit(main())
