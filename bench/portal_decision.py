"""What the AI portal's state adds to the decision path, next to the policy-only path, in one run.

The portal's grants, justifications and sanctions are read by the decision path from an in-memory view
(refreshed from the store by a thread), never from the database. This bench measures
:func:`dlp_proxy.pipeline.evaluate_request` in-process for a ~1 KB OpenAI chat completion to the OpenAI
API (hosted outside the EU, so the sanctions are looked up), with the shipped policy's data rules set
aside so that nothing is scanned (the policy-only path: decode, classify the model, decide), three ways,
interleaved in round-robin batches so machine noise hits them alike:

- ``policy-only``: no portal view (the path before the portal existed);
- ``portal-view``: the same request with a portal view holding ``--users`` users' active grants,
  justifications and sanctions (the requesting user among them, neither suspended nor reminded);
- ``validation-granted``: the tool switched to ``validation_manager`` and the user holding a grant, so
  the decision reads the grant on every request.

Run from the repository root::

    .venv/bin/python bench/portal_decision.py [--requests 20000] [--users 10000]

It prints p50 and p99 per path and the p50 each portal path adds to ``policy-only`` (target: at most
0.3 ms). Exit code 0 when the run completed, whatever the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from dlp_proxy import pipeline  # noqa: E402
from dlp_proxy.policy import load_policy  # noqa: E402
from dlp_proxy.portal.view import WorkflowView, snapshot_of  # noqa: E402
from dlp_proxy.pseudonyms import VaultRegistry  # noqa: E402

TARGET_ADDED_P50_MS = 0.3
TOOL = "openai-api"
USER = "lpetit"


def request_body() -> bytes:
    prompt = "Rédige un plan de présentation pour le comité de pilotage du projet de migration. " * 10
    return json.dumps(
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt[:900]}]}, ensure_ascii=False
    ).encode()


def loaded_view(users: int) -> WorkflowView:
    """A view as the refresher leaves it: many users' grants, justifications and sanctions."""
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat(timespec="microseconds")
    names = [f"user{i:05d}" for i in range(users)] + [USER]
    state = {
        "justifications": [(u, "chatgpt-web", "outil:chatgpt-web:avertissement", later) for u in names],
        "grants": [(u, TOOL, later) for u in names],
        "sanctions": [(u, "suspension", later, i) for i, u in enumerate(names[: users // 10])],
    }
    view = WorkflowView()
    view.snapshot = snapshot_of(state)
    return view


async def one(policy, service, body: bytes, vaults: VaultRegistry, view) -> float:
    rc = pipeline.new_context("api.openai.com", service)
    rc.user = USER
    req = pipeline.HttpRequest("POST", "/v1/chat/completions", {"content-type": "application/json"}, body)
    t0 = time.perf_counter()
    verdict = await pipeline.evaluate_request(rc, req, policy, None, vaults, view)
    elapsed = time.perf_counter() - t0
    if not isinstance(verdict, pipeline.Allow):
        raise SystemExit(f"unexpected verdict {verdict}")
    return elapsed


async def run(requests: int, users: int, batch: int) -> dict[str, list[float]]:
    policy = replace(load_policy(REPO / "rules"), data_rules=())
    service = policy.catalog.get(TOOL)
    assert service is not None and service.hosting == "outside_eu"
    tool = policy.tool_policy(TOOL)
    gated = replace(policy, tools={**policy.tools, TOOL: replace(tool, status="validation_manager")})
    view = loaded_view(users)
    body = request_body()
    vaults = VaultRegistry(max_users=10, max_entries_per_user=10, ttl_seconds=60)
    paths = {
        "policy-only": (policy, None),
        "portal-view": (policy, view),
        "validation-granted": (gated, view),
    }
    times: dict[str, list[float]] = {name: [] for name in paths}
    for pol, v in paths.values():  # warm-up
        for _ in range(200):
            await one(pol, service, body, vaults, v)
    done = 0
    while done < requests:
        for name, (pol, v) in paths.items():
            for _ in range(batch):
                times[name].append(await one(pol, service, body, vaults, v))
        done += batch
    return times


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=20000, help="measured requests per path")
    p.add_argument("--users", type=int, default=10000, help="users with grants in the portal view")
    p.add_argument("--batch", type=int, default=200, help="requests per path per round-robin batch")
    args = p.parse_args(argv)
    times = asyncio.run(run(args.requests, args.users, args.batch))
    base = statistics.median(times["policy-only"]) * 1000
    print(f"{'path':<20} {'p50 ms':>8} {'p99 ms':>8} {'added p50 ms':>13}")
    for name, values in times.items():
        values.sort()
        p50 = statistics.median(values) * 1000
        p99 = values[int(len(values) * 0.99) - 1] * 1000
        added = "" if name == "policy-only" else f"{p50 - base:+.4f}"
        print(f"{name:<20} {p50:>8.4f} {p99:>8.4f} {added:>13}")
    worst = max(statistics.median(times[n]) * 1000 - base for n in times if n != "policy-only")
    verdict = "within" if worst <= TARGET_ADDED_P50_MS else "OVER"
    print(f"portal adds at most {worst:+.4f} ms p50 ({verdict} the {TARGET_ADDED_P50_MS} ms target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
