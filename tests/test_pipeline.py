"""The pure request pipeline, with the real detection engine behind a tiny in-process scanner."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from dlp_proxy.pipeline import (
    OVERRIDE_MIN_SCORE,
    Allow,
    Block,
    HttpRequest,
    Rewrite,
    block_response,
    declared_too_large,
    evaluate_request,
    new_context,
    plan_scan,
)
from dlp_proxy.pseudonyms import VaultRegistry
from dlp_proxy.runtime import load_rules

REPO = Path(__file__).resolve().parents[1]
EMAIL = "jeanne.moreau@exemple-client.fr"
NIR = "1 85 05 78 006 084 91"


class EngineScanner:
    """The Scanner protocol over the shared in-process engine (the proxy uses worker processes)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.calls: list[tuple[list[str], tuple[str, ...], float]] = []

    async def scan(self, texts, *, entities=None, min_score=0.5, timeout=None):
        self.calls.append((list(texts), tuple(entities or ()), min_score))
        return self.engine.analyze_batch(texts, entities, min_score)


def rules_with(tmp_path: Path, tool: str, extra: str):
    rules_dir = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules_dir)
    policy = rules_dir / "policy.yaml"
    text = policy.read_text()
    assert f"\n  {tool}:\n" in text
    policy.write_text(text.replace(f"\n  {tool}:\n", f"\n  {tool}:\n{extra}", 1))
    return load_rules(rules_dir)


def chat(content: str, model: str = "gpt-4o-mini") -> HttpRequest:
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": content}]}).encode()
    return HttpRequest("POST", "/v1/chat/completions", {"content-type": "application/json"}, body)


def evaluate(policy, tool: str, request: HttpRequest, scanner, host: str = "api.openai.com"):
    rc = new_context(host, policy.catalog.services[tool])
    return rc, asyncio.run(evaluate_request(rc, request, policy, scanner, VaultRegistry()))


def test_plan_includes_types_named_only_by_a_tool_override(tmp_path) -> None:
    rules = rules_with(tmp_path, "openai-api", "    data: {URL: block}\n")
    plan = plan_scan(rules.policy, "openai-api", "outside_eu")
    assert "URL" in plan.entities
    assert plan.min_score <= OVERRIDE_MIN_SCORE
    shipped = plan_scan(load_rules(REPO / "rules").policy, "openai-api", "outside_eu")
    assert "URL" not in shipped.entities


def test_company_tool_plans_nothing_and_is_allowed_without_scanning() -> None:
    policy = load_rules(REPO / "rules").policy

    class NoScan:
        async def scan(self, *a, **k):
            raise AssertionError("nothing should be scanned for a tool whose rules all allow")

    rc, verdict = evaluate(policy, "llm-interne", chat(f"NIR {NIR}"), NoScan(), host="llm.interne.example.fr")
    assert isinstance(verdict, Allow)


@pytest.mark.model
def test_tool_override_on_a_type_no_rule_names_blocks(tmp_path, engine) -> None:
    """Was a fail-open bug: the proxy scanned for URL because of the override, then allowed it."""
    rules = rules_with(tmp_path, "openai-api", "    data: {URL: block}\n")
    scanner = EngineScanner(engine)
    text = f"Résume la fiche https://crm.example.fr/fiche?email={EMAIL}&id=42 pour moi"
    _, verdict = evaluate(rules.policy, "openai-api", chat(text), scanner)
    assert isinstance(verdict, Block), verdict
    assert verdict.code == "sensitive_data" and "donnees:outil:URL" in verdict.all_rule_ids
    assert "URL" in scanner.calls[0][1]  # scanned for, and decided on: by construction


@pytest.mark.model
def test_pseudonymized_request_is_a_rewrite_without_the_value(engine) -> None:
    policy = load_rules(REPO / "rules").policy
    rc, verdict = evaluate(policy, "openai-api", chat(f"Écris à {EMAIL} demain."), EngineScanner(engine))
    assert isinstance(verdict, Rewrite) and verdict.verdict == "pseudonymized"
    assert verdict.body is not None and EMAIL.encode() not in verdict.body
    assert rc.model == "gpt-4o-mini" and verdict.entity_counts == {"EMAIL_ADDRESS": 1}


@pytest.mark.model
def test_blocked_type_gives_types_never_values(engine) -> None:
    policy = load_rules(REPO / "rules").policy
    _, verdict = evaluate(policy, "openai-api", chat(f"Le NIR est {NIR}."), EngineScanner(engine))
    assert isinstance(verdict, Block) and verdict.entity_counts == {"FR_NIR": 1}
    assert NIR not in (verdict.detail or "") and "FR_NIR (1)" in (verdict.detail or "")


def test_no_scanner_fails_closed() -> None:
    policy = load_rules(REPO / "rules").policy
    _, verdict = evaluate(policy, "openai-api", chat("Bonjour"), None)
    assert isinstance(verdict, Block) and verdict.code == "scan_unavailable"


def test_full_scan_queue_is_its_own_refusal() -> None:
    from dlp_proxy.detect.pool import ScanOverloaded

    class Full:
        async def scan(self, *a, **k):
            raise ScanOverloaded("scan queue full (16 scans admitted)")

    policy = load_rules(REPO / "rules").policy
    _, verdict = evaluate(policy, "openai-api", chat("Bonjour"), Full())
    assert isinstance(verdict, Block)
    assert (verdict.code, verdict.rule_id) == ("scan_overloaded", "detection:surcharge")


def test_undecodable_and_oversized_bodies_are_refused() -> None:
    policy = load_rules(REPO / "rules").policy
    bad = HttpRequest("POST", "/v1/chat/completions", {"content-encoding": "gzip"}, b"not gzip")
    assert evaluate(policy, "openai-api", bad, None)[1].code == "undecodable_body"
    huge = HttpRequest("POST", "/v1/chat/completions", {}, b"x" * (policy.body_size_limit + 1))
    assert evaluate(policy, "openai-api", huge, None)[1].code == "body_too_large"
    assert declared_too_large(policy, str(policy.body_size_limit + 1)).code == "body_too_large"
    assert declared_too_large(policy, "12") is None and declared_too_large(policy, None) is None


def test_forbidden_tool_is_blocked_before_any_scan() -> None:
    policy = load_rules(REPO / "rules").policy
    _, verdict = evaluate(policy, "deepseek-api", chat("Bonjour"), None, host="api.deepseek.com")
    assert isinstance(verdict, Block) and verdict.code == "tool_forbidden"


def test_block_response_is_shaped_for_the_client() -> None:
    policy = load_rules(REPO / "rules").policy
    rc = new_context("api.openai.com", policy.catalog.services["openai-api"])
    status, headers, body = block_response(
        policy, rc, Block("destination_mismatch", "destination:incoherente"), path="/v1/chat/completions",
        accept="application/json",
    )  # fmt: skip
    error = json.loads(body)["error"]
    assert status == 403 and rc.request_id in error["message"] and "destinations" in error["message"]
