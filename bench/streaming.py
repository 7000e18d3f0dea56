"""Streaming through dlp-proxy: time to first token and total time, next to the same stream direct.

One run, two paths, measured alternately in small batches (order swapped every round) so that machine
noise hits both alike:

- ``direct``: plain HTTP straight to the echo provider (``tests/e2e/echoprovider.py``) on 127.0.0.1;
- ``dlp-proxy``: HTTPS to ``https://api.openai.com`` through ``dlp-proxy run`` (shipped policy, one
  detection worker, ``map_remote`` to the same echo provider).

Each request is an OpenAI chat completion with ``"stream": true`` whose user message is a ~1 KB French
prompt holding two values the shipped policy pseudonymizes (an e-mail address and a phone number). The
echo provider streams the user's text back, 1 to 3 characters per SSE event, each event flushed on its
own; through dlp-proxy the pseudonyms it echoes are restored on the fly. Every answer, on both paths,
must be the prompt itself, byte for byte (so no answer can come from anywhere else, and the proxy's
restoration is checked on every request).

- **TTFT**: from just before the request is sent to the first SSE event carrying answer text, parsed.
- **total**: until the stream has ended (``[DONE]`` and the end of the body).
- **scan**: dlp-proxy's own ``dlp_proxy_scan_duration_seconds`` histogram (the detection of the
  request's texts in the worker), read from ``/metrics`` before and after the measured requests: its exact
  mean, and p50 / p99 interpolated inside the histogram's buckets. "TTFT added beyond the scan" is the
  TTFT p50 added over ``direct`` minus the scan's mean: what the proxy itself adds (TLS interception,
  decoding, extraction, rewriting, restoring the first event). Target: ≤ 10 ms.
- **rewrite cost**: in this process, ``extract_request`` + pseudonymize + ``Extraction.rewrite`` of a
  20-message OpenAI conversation (values already found), median of ``timeit`` repeats.

Run from the repository root::

    .venv/bin/python bench/streaming.py [--requests 100] [--json results.json]

All traffic stays on 127.0.0.1 (``connection_strategy=lazy``: the proxy opens no upstream connection
before ``map_remote`` has rewritten the request). Every process started here is stopped on exit, errors,
Ctrl-C and SIGTERM included; on Linux they also get SIGTERM if the bench itself is killed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import ssl
import statistics
import sys
import tempfile
import time
import timeit
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = str(Path(__file__).resolve().parent)
if BENCH_DIR not in sys.path:  # for bench/harness.py when imported rather than run as a script
    sys.path.insert(0, BENCH_DIR)
from harness import (  # noqa: E402
    API_PATH,
    HOST,
    OPENAI_HOST,
    REPO,
    UPSTREAM_PREFIX,
    BenchError,
    Proc,
    make_ca,
    map_remote,
    percentile,
    proxy_run_meta,
    run_interruptible,
    start_dlp_proxy,
    start_port_reporter,
)

PATHS = ("direct", "dlp-proxy")
BATCH = 5  # requests per path per round
TARGET_BEYOND_SCAN_P50_MS = 10.0

EMAIL = "claire.moreau@transports-vidal.fr"
PHONE = "06 71 42 85 19"
PROMPT = (
    "Bonjour, peux-tu m'aider à répondre à la réclamation d'un distributeur reçue ce matin par le "
    "service après-vente ? La responsable logistique signale que sa commande de douze palettes de "
    "cartons, prévue pour le 14 mars, n'a été livrée que partiellement et que la facture ne tient pas "
    "compte de l'avoir promis par notre commercial. Elle demande un rappel rapide au "
    f"{PHONE} ou une réponse écrite à {EMAIL} avant vendredi. Rédige une réponse courtoise et "
    "factuelle : reconnais le retard, propose une livraison du complément sous cinq jours ouvrés, "
    "confirme que l'avoir sera déduit de la prochaine facture et indique le nom d'un interlocuteur "
    "unique pour le suivi. Termine par une formule de politesse sobre, sans promesse que nous ne "
    "pourrions pas tenir. Merci d'écrire en français, sans jargon ni abréviation, en trois paragraphes "
    "courts au plus, et de garder le numéro de commande dans l'objet du message."
)


def request_body() -> bytes:
    payload = {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Tu es un assistant de rédaction pour une PME française."},
            {"role": "user", "content": PROMPT},
        ],
        "stream": True,
    }
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


# ------------------------------------------------------------------------------------------ processes
def serve_echo() -> int:  # pragma: no cover - runs in the child
    """The echo provider in its own process (so it does not share the client's GIL); prints its port."""
    sys.path.insert(0, str(REPO))
    from tests.e2e.echoprovider import EchoProvider

    provider = EchoProvider()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(provider.port, flush=True)
    try:
        while True:
            time.sleep(3600)
            provider.reset()  # it records every request: keep the memory bounded
            provider.history.clear()
    finally:
        provider.stop()


def start_echo(stack: contextlib.ExitStack, timeout: float) -> tuple[Proc, int]:
    return start_port_reporter(stack, "echo provider", __file__, ["--serve-echo"], timeout, cwd=REPO)


# --------------------------------------------------------------------------------------------- metrics
_SAMPLE = re.compile(r"^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$")


def read_metrics(metrics_port: int) -> dict[str, float]:
    """Every sample of dlp-proxy's /metrics: ``name{labels}`` -> value."""
    with urllib.request.urlopen(f"http://{HOST}:{metrics_port}/metrics", timeout=5) as r:
        text = r.read().decode()
    out: dict[str, float] = {}
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m and not line.startswith("#"):
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def _labels(text: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="([^"]*)"', text))


def sample(metrics: dict[str, float], name: str, labels: dict[str, str]) -> float:
    """The value of ``name`` with exactly these labels (in whatever order /metrics writes them)."""
    for key, value in metrics.items():
        head, _, rest = key.partition("{")
        if head == name and _labels(rest) == labels:
            return value
    return 0.0


def histogram(before: dict[str, float], after: dict[str, float], name: str, labels: str = "") -> dict:
    """The observations of one histogram between two snapshots: count, mean, bucket-interpolated p50/p99."""

    def delta(key: str) -> float:
        return after.get(key, 0.0) - before.get(key, 0.0)

    sel = f"{{{labels}}}" if labels else ""
    count = delta(f"{name}_count{sel}")
    total = delta(f"{name}_sum{sel}")
    buckets = []
    for key in after:
        m = re.fullmatch(re.escape(name) + r"_bucket\{(.*)\}", key)
        if not m:
            continue
        pairs = _labels(m.group(1))
        le = pairs.pop("le")
        if _labels(labels) != pairs:
            continue
        buckets.append((float("inf") if le == "+Inf" else float(le), delta(key)))
    buckets.sort()

    def quantile(q: float) -> float | None:
        if count <= 0:
            return None
        rank, lo, below = q * count, 0.0, 0.0
        for le, cum in buckets:
            if cum >= rank:
                if le == float("inf"):
                    return lo
                inside = cum - below
                return lo + (le - lo) * ((rank - below) / inside if inside else 1.0)
            lo, below = le, cum
        return lo

    return {
        "count": int(count),
        "mean_ms": total / count * 1000 if count else None,
        "p50_ms": (quantile(0.5) or 0) * 1000 if count else None,
        "p99_ms": (quantile(0.99) or 0) * 1000 if count else None,
    }


# ---------------------------------------------------------------------------------------- measurement
@dataclass
class Series:
    ttft_ms: list[float] = field(default_factory=list)
    total_ms: list[float] = field(default_factory=list)
    events: int = 0  # SSE events carrying text, in the last answer

    def stats(self) -> dict:
        out: dict = {"n": len(self.ttft_ms), "text_events_per_answer": self.events}
        for name, values in (("ttft", self.ttft_ms), ("total", self.total_ms)):
            s = sorted(values)
            if s:
                out[f"{name}_p50_ms"] = percentile(s, 50)
                out[f"{name}_p99_ms"] = percentile(s, 99)
                out[f"{name}_mean_ms"] = statistics.fmean(s)
        return out


HEADERS = {"content-type": "application/json", "authorization": "Bearer sk-bench-not-a-real-key"}


def one_stream(client, url: str, body: bytes) -> tuple[float, float, int]:
    """One streamed chat completion: (TTFT ms, total ms, text events); the answer must be the prompt."""
    import httpx

    pieces: list[str] = []
    ttft = None
    buf = b""
    t0 = time.perf_counter_ns()
    try:
        with client.stream("POST", url, content=body, headers=HEADERS) as r:
            if r.status_code != 200:
                r.read()
                raise BenchError(f"{url}: answer {r.status_code}: {r.content[:300]!r}")
            for chunk in r.iter_raw():
                buf += chunk
                while b"\n\n" in buf:
                    event, buf = buf.split(b"\n\n", 1)
                    for line in event.splitlines():
                        if not line.startswith(b"data:") or line[5:].strip() == b"[DONE]":
                            continue
                        for choice in json.loads(line[5:]).get("choices") or []:
                            text = (choice.get("delta") or {}).get("content")
                            if text:
                                if ttft is None:
                                    ttft = time.perf_counter_ns()
                                pieces.append(text)
    except httpx.HTTPError as exc:
        raise BenchError(f"{url}: {type(exc).__name__}: {exc}") from exc
    end = time.perf_counter_ns()
    if "".join(pieces) != PROMPT or ttft is None:
        raise BenchError(f"{url}: the answer is not the prompt echoed back: {''.join(pieces)[:200]!r}")
    return (ttft - t0) / 1e6, (end - t0) / 1e6, len(pieces)


def open_clients(urls: dict[str, tuple[str, str | None]], bundle: Path) -> dict:
    """One keep-alive httpx client per path (through the proxy, trusting its CA, for ``dlp-proxy``)."""
    import httpx

    ctx = ssl.create_default_context(cafile=str(bundle))
    return {
        path: httpx.Client(proxy=proxy, verify=ctx, trust_env=False, timeout=30)
        for path, (_url, proxy) in urls.items()
    }


def warm_up(clients: dict, urls: dict[str, tuple[str, str | None]], warmup: int) -> None:
    """Uncounted streams first: TLS handshake, certificate generation, first imports."""
    body = request_body()
    for path, client in clients.items():
        for _ in range(warmup):
            one_stream(client, urls[path][0], body)


def measure(
    clients: dict,
    urls: dict[str, tuple[str, str | None]],
    requests: int,
    deadline: float,
    procs: list[Proc],
) -> dict[str, Series]:
    """``requests`` streams per path, in rounds of ``BATCH`` per path, the order swapped every round."""
    body = request_body()
    series = {path: Series() for path in urls}
    done, rnd = 0, 0
    while done < requests:
        n = min(BATCH, requests - done)
        order = list(urls) if rnd % 2 == 0 else list(reversed(urls))
        for path in order:
            for _ in range(n):
                ttft, total, events = one_stream(clients[path], urls[path][0], body)
                s = series[path]
                s.ttft_ms.append(ttft)
                s.total_ms.append(total)
                s.events = events
        done += n
        rnd += 1
        for proc in procs:
            proc.check_alive()
        if time.monotonic() > deadline:
            raise BenchError("time limit reached (--max-seconds)")
        if rnd % 4 == 0 or done == requests:
            print(f"  {done}/{requests} streams per path", file=sys.stderr)
    return series


# ------------------------------------------------------------------------------------ rewrite cost
def conversation_body(messages: int = 20) -> bytes:
    """An OpenAI chat body: a system prompt and ``messages`` user/assistant turns, with values in them."""
    turns: list[dict] = [{"role": "system", "content": "Tu es l'assistant du service client d'une PME."}]
    for i in range(messages):
        if i % 2 == 0:
            text = (
                f"Point {i} du dossier : le client demande un rappel au {PHONE} ou un courriel à {EMAIL}. "
                "Il attend une réponse sur le délai de livraison, le montant de l'avoir et la date de la "
                "prochaine facture ; résume sa demande en deux phrases."
            )
            turns.append({"role": "user", "content": text})
        else:
            text = (
                f"Réponse {i} : j'ai noté la demande ; je propose d'écrire à {EMAIL} pour confirmer la "
                "livraison du complément sous cinq jours ouvrés et la déduction de l'avoir."
            )
            turns.append({"role": "assistant", "content": text})
    return json.dumps({"model": "gpt-4o-mini", "messages": turns}, ensure_ascii=False).encode("utf-8")


def rewrite_cost(repeat: int = 7, number: int = 50) -> dict:
    """Median time per request of what the proxy does around the scan for a 20-message conversation:
    ``extract_request``, then pseudonymizing the found values and ``Extraction.rewrite``."""
    sys.path.insert(0, str(REPO))
    from dlp_proxy.detect.findings import Finding
    from dlp_proxy.extract import extract_request
    from dlp_proxy.pseudonyms import PseudonymVault

    body = conversation_body(20)
    headers = {"content-type": "application/json"}
    args = ("openai", "POST", API_PATH, headers, body, "application/json")
    first = extract_request(*args)
    found: dict[int, list[Finding]] = {}
    for seg in first.segments:  # what the detector would report, found once
        hits = []
        for value, etype in ((EMAIL, "EMAIL_ADDRESS"), (PHONE, "PHONE_NUMBER")):
            start = seg.text.find(value)
            while start >= 0:
                hits.append(Finding(etype, start, start + len(value), 1.0, "bench"))
                start = seg.text.find(value, start + 1)
        if hits:
            found[seg.id] = hits
    vault = PseudonymVault()

    def extract():
        return extract_request(*args)

    def replace(extraction):
        avoid = "\n".join(s.text for s in extraction.segments)
        replacements = {
            seg.id: vault.pseudonymize(seg.text, found[seg.id], avoid=avoid)
            for seg in extraction.segments
            if seg.id in found
        }
        return extraction.rewrite(replacements)

    new = replace(extract())
    assert new is not None and EMAIL.encode() not in new and PHONE.encode() not in new
    ex = extract()

    def per_request_us(fn) -> float:
        return statistics.median(timeit.repeat(fn, repeat=repeat, number=number)) / number * 1e6

    extract_us = per_request_us(extract)
    replace_us = per_request_us(lambda: replace(ex))
    total_us = per_request_us(lambda: replace(extract()))
    return {
        "messages": 20,
        "body_bytes": len(body),
        "segments": len(first.segments),
        "values_replaced": sum(len(v) for v in found.values()),
        "extract_us": extract_us,
        "pseudonymize_rewrite_us": replace_us,
        "total_us": total_us,
        "repeat": repeat,
        "number": number,
    }


# -------------------------------------------------------------------------------------------- report
def summarise(series: dict[str, Series], scan: dict, hook: dict) -> dict:
    stats = {path: s.stats() for path, s in series.items()}
    direct, proxied = stats["direct"], stats["dlp-proxy"]
    added = {
        f"{k}_{p}_ms": proxied[f"{k}_{p}_ms"] - direct[f"{k}_{p}_ms"]
        for k in ("ttft", "total")
        for p in ("p50", "p99")
    }
    beyond = added["ttft_p50_ms"] - scan["mean_ms"] if scan.get("mean_ms") is not None else None
    return {
        "paths": stats,
        "added": added,
        "scan": scan,
        "request_hook": hook,
        "ttft_added_beyond_scan_p50_ms": beyond,
        "target_beyond_scan_p50_ms": TARGET_BEYOND_SCAN_P50_MS,
        "target_met": beyond is not None and beyond <= TARGET_BEYOND_SCAN_P50_MS,
    }


def _ms(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def render(summary: dict, rewrite: dict, meta: dict) -> str:
    paths, added, scan, hook = summary["paths"], summary["added"], summary["scan"], summary["request_hook"]
    lines = [
        f"streamed OpenAI chat completion, {meta['prompt_chars']}-character French prompt "
        f"({meta['request_bytes']} B request, 2 values pseudonymized through dlp-proxy), "
        f"answer echoed in {paths['direct']['text_events_per_answer']} SSE events of 1-3 characters",
        "",
        f"{'path':<10} {'n':>5} {'TTFT p50':>9} {'TTFT p99':>9} {'total p50':>10} {'total p99':>10}   (ms)",
    ]
    for path in PATHS:
        s = paths[path]
        lines.append(
            f"{path:<10} {s['n']:>5} {s['ttft_p50_ms']:>9.2f} {s['ttft_p99_ms']:>9.2f} "
            f"{s['total_p50_ms']:>10.2f} {s['total_p99_ms']:>10.2f}"
        )
    lines.append(
        f"{'added':<10} {'':>5} {added['ttft_p50_ms']:>+9.2f} {added['ttft_p99_ms']:>+9.2f} "
        f"{added['total_p50_ms']:>+10.2f} {added['total_p99_ms']:>+10.2f}"
    )
    beyond = summary["ttft_added_beyond_scan_p50_ms"]
    verdict = "met" if summary["target_met"] else "NOT met"
    lines += [
        "",
        f"scan of the request (dlp-proxy /metrics, {scan['count']} requests): "
        f"mean {_ms(scan['mean_ms'])} ms, "
        f"p50 ≈ {_ms(scan['p50_ms'])} ms, p99 ≈ {_ms(scan['p99_ms'])} ms (interpolated in histogram buckets)",
        f"request hook (decode, extract, scan, pseudonymize, rewrite): mean {_ms(hook['mean_ms'])} ms",
        f"TTFT added beyond the scan: p50 {_ms(beyond, signed=True)} ms (added TTFT p50 − scan mean); "
        f"target ≤ {TARGET_BEYOND_SCAN_P50_MS:g} ms: {verdict}",
        "",
        f"rewrite cost per request, {rewrite['messages']}-message OpenAI conversation "
        f"({rewrite['body_bytes']} B, "
        f"{rewrite['segments']} segments, {rewrite['values_replaced']} values), in-process, "
        f"median of {rewrite['repeat']}×{rewrite['number']}:",
        f"  extract_request           {rewrite['extract_us']:>9.1f} µs",
        f"  pseudonymize + rewrite    {rewrite['pseudonymize_rewrite_us']:>9.1f} µs",
        f"  total                     {rewrite['total_us']:>9.1f} µs",
        "",
        f"{meta['cpus']} CPUs, Python {meta['python']}, mitmproxy {meta['mitmproxy']}, "
        f"{meta['elapsed_s']:.0f} s, load average {meta['load_average_1min'][0]:.2f} → "
        f"{meta['load_average_1min'][1]:.2f}",
    ]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=100, help="measured streams per path (default 100)")
    p.add_argument("--warmup", type=int, default=5, help="uncounted streams per path first (default 5)")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the results here")
    p.add_argument("--max-seconds", type=float, default=600, help="abort if the run takes longer (600)")
    p.add_argument("--serve-echo", action="store_true", help=argparse.SUPPRESS)
    return p


def run(args: argparse.Namespace) -> int:
    if args.requests < 1 or args.warmup < 1:
        print("--requests and --warmup must be at least 1", file=sys.stderr)
        return 2
    started = time.monotonic()
    load_start = os.getloadavg()[0]
    deadline = started + args.max_seconds
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory(prefix="dlp-bench-stream-") as tmpname:
        tmp = Path(tmpname)
        try:
            print("starting the echo provider and dlp-proxy on 127.0.0.1 …", file=sys.stderr)
            confdir = tmp / "conf"
            bundle = make_ca(confdir)
            echo, echo_port = start_echo(stack, 30)
            dlp_sets = ["dlp_workers=1", map_remote(echo_port)]
            dlp, dlp_port, metrics_port = start_dlp_proxy(stack, tmp, confdir, dlp_sets, 90)
            urls = {
                "direct": (f"http://{HOST}:{echo_port}{UPSTREAM_PREFIX}{API_PATH}", None),
                "dlp-proxy": (f"https://{OPENAI_HOST}{API_PATH}", f"http://{HOST}:{dlp_port}"),
            }
            clients = open_clients(urls, bundle)
            for client in clients.values():
                stack.callback(client.close)
            warm_up(clients, urls, args.warmup)
            before = read_metrics(metrics_port)  # the warm-up is not counted
            series = measure(clients, urls, args.requests, deadline, [echo, dlp])
            after = read_metrics(metrics_port)
            wanted = {"tool": "openai-api", "decision": "pseudonymized"}
            counted = sample(after, "dlp_proxy_requests_total", wanted) - sample(
                before, "dlp_proxy_requests_total", wanted
            )
            if counted != args.requests:
                raise BenchError(
                    f"dlp-proxy counted {counted:g} pseudonymized openai-api requests, the bench sent "
                    f"{args.requests}: the policy did not decide them as intended"
                )
            scan = histogram(before, after, "dlp_proxy_scan_duration_seconds")
            hook = histogram(before, after, "dlp_proxy_hook_duration_seconds", 'hook="request"')
        except BenchError as exc:
            print(f"bench failed: {exc}", file=sys.stderr)
            return 1
        finally:
            stack.close()  # stop the processes before the temporary directory goes
    print("timing extract_request + rewrite in-process …", file=sys.stderr)
    rewrite = rewrite_cost()
    meta = {
        "requests": args.requests,
        "warmup": args.warmup,
        "batch": BATCH,
        "prompt_chars": len(PROMPT),
        "request_bytes": len(request_body()),
        **proxy_run_meta(started, load_start),
    }
    summary = summarise(series, scan, hook)
    print(render(summary, rewrite, meta))
    if args.json is not None:
        out = {"meta": meta, **summary, "rewrite_cost": rewrite}
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.serve_echo:
        return serve_echo()
    return run_interruptible(run, args)


if __name__ == "__main__":
    sys.exit(main())
