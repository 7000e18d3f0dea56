"""The request pipeline: one request (or WebSocket message) + the policy + a scanner → one verdict.

Pure: no mitmproxy import. The addon maps a flow to a :class:`RequestContext` and a
:class:`HttpRequest`, awaits :func:`evaluate_request` (or :func:`evaluate_message` for a WebSocket text
message) and applies the verdict — :class:`Allow`, :class:`Block` or :class:`Rewrite`. Everything that
decides lives here, once, for both paths:

* the body: size limits, decoding (fail closed on anything it cannot read);
* the tool decision (approved / pilot / forbidden, models) from :meth:`Policy.decide`;
* the entity selection (:func:`plan_scan`): the types the data rules and the tool's overrides act on,
  and the same plan is what :func:`~dlp_proxy.decide.decide_data` decides with, so the scan and the
  decision cannot disagree (a type named only by a tool override is scanned *and* acted on);
* extraction of every text, content the proxy cannot read (the policy decides), the scan, the data
  decision, and the rewrite plan (pseudonyms restored later, or irreversible markers).

The user-facing details (``types détectés : …``) are worded here, in French or English per the
policy, and never carry a detected value.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from dlp_proxy.body import DecodedBody, UndecodableBody, decode_body
from dlp_proxy.catalog import Service
from dlp_proxy.decide import DataDecision, FindingLike, decide_data
from dlp_proxy.detect.pool import ScanOverloaded, ScanUnavailable
from dlp_proxy.extract import Extraction, extract_request, extract_websocket_message
from dlp_proxy.extract.surface import keep_findings, surface
from dlp_proxy.logs import get_logger
from dlp_proxy.policy import Policy
from dlp_proxy.policy.model import DataRule
from dlp_proxy.portal.gate import Portal, View, data_gate, tool_gate, use_gate
from dlp_proxy.pseudonyms import Vaults
from dlp_proxy.redact import Redactor
from dlp_proxy.requestinfo import model_from_request, user_from_proxyauth
from dlp_proxy.responses import BlockInfo, api_shape, build_block_response, wants_html
from dlp_proxy.routing import Route
from dlp_proxy.state.errors import StateUnavailable

log = get_logger("dlp_proxy.pipeline")

#: Score from which a type named only by a tool override (no data rule names it) is acted on.
OVERRIDE_MIN_SCORE = 0.5
#: Bodies above this are parsed off the event loop (documents, long agent contexts).
THREAD_EXTRACT_BYTES = 64 * 1024


# ---------------------------------------------------------------------------------------- inputs
@dataclass
class RequestContext:
    """What the proxy learnt about one AI request. Kept with the flow; never logged wholesale.

    Filled in stages: the tool at ``requestheaders`` (:func:`new_context`), the user when the body is
    complete, the model and the observations (unscannable content, scan time) by the pipeline.
    """

    request_id: str
    host: str
    service: Service
    started: float = field(default_factory=time.perf_counter)
    model: str | None = None
    user: str | None = None
    client_ip: str | None = None
    groups: tuple[str, ...] = ()
    decision: str = "allowed"
    pseudonymized: bool = False  # a flag only: the values live in the user's vault, never here
    #: (kind, action) of each piece of content the proxy could not read, for the metrics.
    unscannable: list[tuple[str, str]] = field(default_factory=list)
    scan_seconds: float | None = None

    @property
    def service_id(self) -> str:
        return self.service.id

    @property
    def tool_name(self) -> str:
        return self.service.name

    @property
    def family(self) -> str:
        return self.service.family

    @property
    def hosting(self) -> str:
        return self.service.hosting

    @property
    def user_key(self) -> str:
        """Whose pseudonym vault: the proxy user, else the client address (never shared between users)."""
        return self.user or f"ip:{self.client_ip}"


def new_context(host: str, service: Service) -> RequestContext:
    """A context for a request to ``service``, with a fresh reference shown to the user if blocked."""
    return RequestContext(request_id=uuid.uuid4().hex[:16], host=host, service=service)


@dataclass(frozen=True)
class HttpRequest:
    """The parts of an HTTP request the pipeline reads (the addon copies them from the flow)."""

    method: str
    path: str
    headers: Mapping[str, str]
    raw_body: bytes


class Scanner(Protocol):
    """What the pipeline needs of the detector (:class:`~dlp_proxy.detect.pool.DetectorPool`)."""

    async def scan(
        self,
        texts: Sequence[str],
        *,
        entities: Sequence[str] | None = None,
        min_score: float = 0.5,
        timeout: float | None = None,
    ) -> list[list[FindingLike]]: ...


# -------------------------------------------------------------------------------------- verdicts
@dataclass(frozen=True)
class Allow:
    """Forward the request as the client sent it."""


@dataclass(frozen=True)
class Block:
    """Answer the client ourselves (API-shaped error or HTML page); nothing reaches the provider."""

    code: str
    rule_id: str
    reason: str | None = None
    detail: str | None = None
    groups: tuple[str, ...] = ()
    entity_counts: Mapping[str, int] = field(default_factory=dict)
    rule_ids: tuple[str, ...] = ()

    @property
    def all_rule_ids(self) -> tuple[str, ...]:
        return self.rule_ids or (self.rule_id,)


@dataclass(frozen=True)
class Rewrite:
    """Forward with values replaced: a new body and/or path (HTTP) or a new text (WebSocket).

    ``None`` for a part means unchanged. ``verdict`` is ``pseudonymized`` (restored in the answer) or
    ``redacted`` (typed markers, never restored).
    """

    verdict: str
    entity_counts: Mapping[str, int]
    rule_ids: tuple[str, ...]
    body: bytes | None = None
    path: str | None = None
    text: str | None = None


Verdict = Allow | Block | Rewrite


# ------------------------------------------------------------------------------------- scan plan
@dataclass(frozen=True)
class ScanPlan:
    """Which types to look for and how to decide on them, for one tool and hosting class."""

    rules: tuple[DataRule, ...]
    overrides: Mapping[str, str]
    entities: tuple[str, ...]  # the types some rule or override acts on (not "allow"), sorted
    min_score: float

    def decide(self, findings: Sequence[Sequence[FindingLike]]) -> DataDecision:
        """The data decision for these findings, with exactly the rules the scan was planned from."""
        return decide_data(self.rules, findings, self.overrides, override_min_score=OVERRIDE_MIN_SCORE)


def plan_scan(policy: Policy, service_id: str, hosting: str) -> ScanPlan:
    """The entity selection for a tool: data rules of its hosting class, then the tool's overrides."""
    rules = policy.data_rules_for(hosting)
    overrides = policy.tool_policy(service_id).data_overrides
    acted = {e for r in rules if r.action != "allow" for e in r.entities}
    acted |= {e for e, a in overrides.items() if a != "allow"}
    acted -= {e for e, a in overrides.items() if a == "allow"}
    named = {e for r in rules for e in r.entities}
    scores = [r.min_score for r in rules]
    if acted - named:
        scores.append(OVERRIDE_MIN_SCORE)
    return ScanPlan(rules, overrides, tuple(sorted(acted)), min(scores, default=OVERRIDE_MIN_SCORE))


# ------------------------------------------------------------------------------------- wording
def _fr(policy: Policy, fr: str, en: str) -> str:
    return fr if policy.language == "fr" else en


def _types(counts: Mapping[str, int], only: Sequence[str] | None = None) -> str:
    return ", ".join(f"{t} ({n})" for t, n in sorted(counts.items()) if only is None or t in only)


def types_detail(policy: Policy, decision: DataDecision) -> str:
    """Which types were found and how many — never the values."""
    parts = _types(decision.entity_counts, decision.blocked_types)
    return _fr(policy, f"types détectés : {parts}", f"types found: {parts}")


_LOCKED_WHY = {  # segment kind -> (French, English) reason it cannot be rewritten
    "surface": (
        "en-tête, chemin, clé ou champ de protocole de la requête, ou valeur coupée en deux",
        "request header, path, key or protocol field, or a value split in two",
    ),
}


def locked_detail(
    policy: Policy, decision: DataDecision, *, signed: bool, where: set[str] | frozenset[str] = frozenset()
) -> str:
    """Why values that would be replaced elsewhere block here: a document, a header, a signature…"""
    types = _types(decision.entity_counts)
    fr = policy.language == "fr"
    if signed:
        why = "requête signée par le client" if fr else "request signed by the client"
    else:
        reasons = [_LOCKED_WHY[k][0 if fr else 1] for k in sorted(where) if k in _LOCKED_WHY]
        if not reasons or where - set(_LOCKED_WHY):
            reasons.append("document joint" if fr else "attached document")
        why = ", ".join(reasons)
    if fr:
        return f"types détectés : {types} — {why}, impossible à modifier sans le casser"
    return f"types found: {types} — {why}, cannot be rewritten without breaking it"


def size_detail(policy: Policy) -> str:
    limit_mib = policy.body_size_limit / (1024 * 1024)
    return _fr(policy, f"limite : {limit_mib:g} Mio", f"limit: {limit_mib:g} MiB")


def too_large(policy: Policy) -> Block:
    """The refusal of a body over the policy's size limit (declared, received or inflated)."""
    return Block("body_too_large", "corps:taille-max", detail=size_detail(policy))


def declared_too_large(policy: Policy, content_length: str | None) -> Block | None:
    """Refuse at the headers when ``Content-Length`` already says the body is over the limit."""
    declared = (content_length or "").strip()
    if declared.isdigit() and int(declared) > policy.body_size_limit:
        return too_large(policy)
    return None


def identify(
    rc: RequestContext,
    policy: Policy,
    proxyauth: object,
    peer: tuple[str, int] | tuple[str, int, int, int] | None,
) -> None:
    """Who sends the request: the proxy user (the password is dropped) or the client address; groups."""
    rc.user = user_from_proxyauth(proxyauth)
    rc.client_ip = peer[0] if peer else None
    rc.groups = policy.directory.groups_for(rc.user, rc.client_ip)


def evaluate_headers(
    rc: RequestContext, route: Route, policy: Policy, content_length: str | None
) -> Block | None:
    """What can be refused before the body arrives: names that disagree, a declared size over the limit."""
    if route.mismatch:
        log.warning("destination_mismatch", request_id=rc.request_id, names=[r for r, _ in route.names])
        if policy.destination_mismatch == "block":
            return Block("destination_mismatch", "destination:incoherente")
    return declared_too_large(policy, content_length)


def internal_error() -> Block:
    """Fail closed on a bug: nothing unchecked goes out."""
    return Block("policy_unavailable", "erreur:interne")


# -------------------------------------------------------------------------------------- pipeline
async def evaluate_request(
    rc: RequestContext,
    request: HttpRequest,
    policy: Policy,
    scanner: Scanner | None,
    vaults: Vaults,
    workflows: View | None = None,
) -> Verdict:
    """The verdict for one HTTP request to an AI tool (see the module docstring for the steps).

    ``workflows`` is the portal state (justifications, grants, sanctions) the policy's ``warn`` and
    ``validation_manager`` decisions and the sanctions ladder read.
    """
    raw = request.raw_body
    if len(raw) > policy.body_size_limit:
        return too_large(policy)
    headers = request.headers
    try:
        body = decode_body(raw, headers.get("content-encoding"), headers.get("content-type"))
    except UndecodableBody as exc:
        return _undecodable(policy, exc)
    if len(body.content) > policy.body_size_limit:  # a small gzip can inflate past the limit
        return too_large(policy)
    rc.model = model_from_request(request.path, body.json)
    decision = policy.decide(rc.service, rc.groups, rc.model)
    if decision.action == "block":
        return Block(
            decision.code or "tool_forbidden",
            decision.rule_id,
            reason=decision.reason,
            groups=policy.tool_policy(rc.service_id).groups,
        )
    gate = tool_gate(workflows, rc.user, rc.service_id, rc.hosting, decision.action, decision.rule_id)
    if gate is not None:
        return Block(gate[0], gate[1], reason=decision.reason if gate[1] == decision.rule_id else None)
    plan = plan_scan(policy, rc.service_id, rc.hosting)
    if not plan.entities:  # e.g. a company-hosted tool: nothing to look for
        return Allow()
    try:
        extraction = await _extract(rc, request, body)
    except UndecodableBody as exc:
        return _undecodable(policy, exc)
    return await _scan_and_decide(
        rc, policy, plan, extraction, scanner, vaults, http=request, workflows=workflows
    )


async def evaluate_message(
    rc: RequestContext,
    text: str,
    policy: Policy,
    scanner: Scanner | None,
    vaults: Vaults,
    workflows: View | None = None,
) -> Verdict:
    """The verdict for one WebSocket text message a client sends to an AI host (same rules as HTTP)."""
    plan = plan_scan(policy, rc.service_id, rc.hosting)
    if not plan.entities:
        return Allow()
    extraction = extract_websocket_message(text)
    return await _scan_and_decide(rc, policy, plan, extraction, scanner, vaults, workflows=workflows)


def evaluate_binary_message(rc: RequestContext, policy: Policy) -> Verdict:
    """A binary WebSocket message cannot be scanned: the policy's ``unscannable`` rule decides."""
    action = policy.unscannable_action(rc.service_id, rc.hosting, "binary")
    rc.unscannable.append(("binary", action))
    if action == "allow":
        return Allow()
    return _unscannable_block(policy, ["binary"])


def _undecodable(policy: Policy, exc: UndecodableBody) -> Block:
    return Block("undecodable_body", "corps:illisible", detail=_fr(policy, exc.reason, exc.reason_en))


async def _extract(rc: RequestContext, request: HttpRequest, body: DecodedBody) -> Extraction:
    """The request's texts per its API; big bodies (documents) are parsed off the event loop."""
    args = (rc.family, request.method, request.path, request.headers, body.content)
    ctype = request.headers.get("content-type")
    if len(body.content) > THREAD_EXTRACT_BYTES:
        return await asyncio.to_thread(extract_request, *args, ctype)
    return extract_request(*args, ctype)


def _unscannable_block(policy: Policy, kinds: list[str]) -> Block:
    names = sorted(set(kinds))
    detail = _fr(
        policy,
        f"contenu non analysable : {', '.join(names)}",
        f"content that cannot be scanned: {', '.join(names)}",
    )
    counts = {f"NON_ANALYSABLE:{k}": kinds.count(k) for k in names}
    return Block("unscannable_content", "contenu:non-analysable", detail=detail, entity_counts=counts)


async def _scan_and_decide(
    rc: RequestContext,
    policy: Policy,
    plan: ScanPlan,
    extraction: Extraction,
    scanner: Scanner | None,
    vaults: Vaults,
    *,
    http: HttpRequest | None = None,
    workflows: View | None = None,
) -> Verdict:
    refused = []
    for item in extraction.unscannable:
        action = policy.unscannable_action(rc.service_id, rc.hosting, item.kind)
        rc.unscannable.append((item.kind, action))
        if action != "allow":
            refused.append(item.kind)
    if refused:
        return _unscannable_block(policy, refused)
    # Headers, path and the junctions between segments: read by the provider, never rewritten.
    extra = surface(
        extraction.segments,
        structure=extraction.structure,
        headers=http.headers if http is not None else None,
        path=http.path if http is not None else None,
    )
    segments = [*extraction.segments, *extra.segments]
    if not segments:
        return Allow()
    if scanner is None:
        return Block("scan_unavailable", "detection:indisponible")
    t0 = time.perf_counter()
    try:
        findings = await scanner.scan(
            [s.text for s in segments],
            entities=list(plan.entities),
            min_score=plan.min_score,
            timeout=policy.scan_timeout_seconds,
        )
    except ScanOverloaded:  # the queue is full: refused at once, never an unbounded wait
        log.warning("scan_overloaded", request_id=rc.request_id, tool=rc.service_id)
        return Block("scan_overloaded", "detection:surcharge")
    except ScanUnavailable as exc:
        log.warning("scan_unavailable", request_id=rc.request_id, tool=rc.service_id, why=str(exc))
        return Block("scan_unavailable", "detection:indisponible")
    rc.scan_seconds = time.perf_counter() - t0
    decision = plan.decide(keep_findings(extra, segments, findings))
    if decision.action != "block" and (decision.warn_rule_ids or decision.validation_rule_ids):
        ungranted = use_gate(workflows, rc.user, rc.service_id, decision.validation_rule_ids)
        unjustified = data_gate(workflows, rc.user, rc.service_id, decision.warn_rule_ids)
        if ungranted is not None or unjustified is not None:
            detail = _types(decision.warn_counts)
            code = "validation_required" if ungranted is not None else "justification_required"
            return Block(
                code,
                ungranted or unjustified or "",
                detail=_fr(policy, f"types détectés : {detail}", f"types found: {detail}"),
                entity_counts=dict(decision.warn_counts),
            )
    if decision.action == "block":
        return _data_block(decision, types_detail(policy, decision))
    if decision.action != "redact":
        return Allow()
    locked = [s for s, found in zip(segments, decision.to_redact, strict=True) if found and not s.rewritable]
    if locked or extraction.signed:
        # A document, a header, a value split over two parts, a signed body or signed reasoning cannot
        # be rewritten (safely): refuse instead.
        where = {s.kind for s in locked}
        return _data_block(decision, locked_detail(policy, decision, signed=extraction.signed, where=where))
    try:
        if vaults.remote:  # shared vaults (Redis): network I/O off the event loop
            return await asyncio.to_thread(_rewrite, rc, extraction, decision, vaults, http=http)
        return _rewrite(rc, extraction, decision, vaults, http=http)
    except StateUnavailable as exc:  # a new pseudonym could not be given: nothing goes out
        log.warning("state_unavailable", request_id=rc.request_id, tool=rc.service_id, why=str(exc))
        return Block("state_unavailable", "pseudonymes:indisponibles")


def _data_block(decision: DataDecision, detail: str) -> Block:
    return Block(
        "sensitive_data",
        decision.rule_ids[0],
        detail=detail,
        entity_counts=dict(decision.entity_counts),
        rule_ids=decision.rule_ids,
    )


def _rewrite(
    rc: RequestContext,
    extraction: Extraction,
    decision: DataDecision,
    vaults: Vaults,
    *,
    http: HttpRequest | None,
) -> Rewrite:
    """Replace values in place: pseudonyms (restored in the answer) or typed markers (not restored)."""
    vault = vaults.vault_for(rc.user_key)
    redactor = Redactor()
    avoid = "\n".join(s.text for s in extraction.segments)
    # Findings beyond the extraction's own segments (headers, joins) never reach here: they lock.
    segments = extraction.segments
    todo = [
        (s, found) for s, found in zip(segments, decision.to_redact[: len(segments)], strict=True) if found
    ]
    texts = vault.pseudonymize_all(
        [(s.text, found) for s, found in todo],
        redact_types=decision.redact_types,
        redactor=redactor,
        avoid=avoid,
    )
    replacements = {s.id: text for (s, _), text in zip(todo, texts, strict=True)}
    verdict = "pseudonymized" if decision.pseudonymized else "redacted"
    counts, rule_ids = dict(decision.entity_counts), decision.rule_ids
    if http is None:
        return Rewrite(verdict, counts, rule_ids, text=extraction.rewrite_text(replacements))
    return Rewrite(
        verdict,
        counts,
        rule_ids,
        body=extraction.rewrite(replacements),
        path=extraction.rewrite_query(replacements),
    )


def block_response(
    policy: Policy,
    rc: RequestContext,
    block: Block,
    *,
    path: str,
    accept: str | None,
    portal: Portal | None = None,
    url: str = "",
) -> tuple[int, dict[str, str], bytes]:
    """``(status, headers, body)`` of a refusal, in the client's API shape or as an HTML page.

    With a ``portal``, refusals the user can act on name its page, and a browser gets the portal's
    interstitial (justification form, access request, reminder) instead of the plain block page.
    """
    if portal is not None and wants_html(accept, api_shape(path, rc.family)):
        page = portal.interstitial(rc.user, rc.service_id, rc.tool_name, block.code, block.rule_id, url)
        if page is not None:
            return page
    info = BlockInfo(
        code=block.code,
        request_id=rc.request_id,
        policy_version=policy.version,
        language=policy.language,
        tool_name=rc.tool_name,
        model=rc.model,
        reason=block.reason,
        rule_id=block.rule_id,
        referents=policy.referents,
        alternatives=policy.approved_tools(),
        detail=block.detail,
        groups=block.groups,
        portal_url=portal.link(block.code, rc.service_id, block.rule_id) if portal is not None else None,
    )
    return build_block_response(info, path=path, family=rc.family, accept=accept)
