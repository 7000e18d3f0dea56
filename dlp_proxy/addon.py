"""mitmproxy hooks of dlp-proxy: thin, delegating every decision to pure modules.

Load it embedded (``dlp-proxy run``) or in stock mitmproxy::

    mitmdump -s dlp_proxy/addon.py --set dlp_rules=rules/

Flow of one request (see DESIGN.md): the TLS ClientHello decides interception (non-AI traffic is
tunnelled untouched); ``requestheaders`` classifies the tool from the host the client asked for,
before any other addon (``map_remote``) can rewrite it; ``request`` decodes the body (fail closed),
asks the policy, and answers blocked requests itself in the client's API shape.
"""

# No `from __future__ import annotations` here: `mitmdump -s` runs this file as a script that is not in
# sys.modules, and dataclasses cannot resolve string annotations there.
import asyncio
import os
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from mitmproxy import ctx, exceptions, http, tls
from mitmproxy.certs import CertStore

from dlp_proxy.body import DecodedBody, UndecodableBody, decode_body
from dlp_proxy.catalog import Service
from dlp_proxy.decide import DataDecision, decide_data
from dlp_proxy.detect.pool import DetectorPool, ScanUnavailable
from dlp_proxy.errors import ConfigError
from dlp_proxy.extract import Extraction, extract_request, extract_websocket_message
from dlp_proxy.incidents import (
    Incident,
    IncidentStore,
    StoreError,
    StoreMaintenance,
    chain_head_number,
    open_store,
)
from dlp_proxy.logs import get_logger
from dlp_proxy.metrics import Metrics, MetricsServer
from dlp_proxy.paths import default_data_dir, default_rules_dir
from dlp_proxy.policy import Policy, load_policy
from dlp_proxy.policy.review import review_status
from dlp_proxy.pseudonyms import VaultRegistry
from dlp_proxy.redact import Redactor
from dlp_proxy.requestinfo import host_without_port, model_from_request, user_from_proxyauth
from dlp_proxy.responses import STATUS_BY_CODE, BlockInfo, build_block_response
from dlp_proxy.restore import make_stream_restorer, restore_json_body, stream_kind
from dlp_proxy.shadow import ShadowRules, load_shadow_rules, sighting_for

log = get_logger("dlp_proxy.addon")

METADATA_KEY = "dlp_proxy"
# Files of the rules directory that the detection workers load (the rest is policy, read in-process).
DETECTOR_FILES = ("recognizers.yaml", "clients.txt", "allowlist.txt")
CA_FILE = "mitmproxy-ca-cert.pem"


@dataclass
class RequestContext:
    """What the addon learnt about one AI request; kept in ``flow.metadata`` (never logged wholesale)."""

    request_id: str
    host: str
    service_id: str
    tool_name: str
    family: str
    service: Service
    started: float = field(default_factory=time.perf_counter)
    model: str | None = None
    user: str | None = None
    client_ip: str | None = None
    groups: tuple[str, ...] = ()
    decision: str = "allowed"
    hosting: str = "outside_eu"
    pseudonymized: bool = False  # a flag only: the values live in the user's vault, never in metadata

    @property
    def user_key(self) -> str:
        """Whose pseudonym vault: the proxy user, else the client address (never shared between users)."""
        return self.user or f"ip:{self.client_ip}"


def _files_signature(paths) -> tuple:
    """(path, mtime, size) of each path, so a change to any of them is noticed by polling."""
    sig = []
    for path in paths:
        try:
            st = path.stat()
            sig.append((str(path), st.st_mtime_ns, st.st_size))
        except OSError:
            sig.append((str(path), None, None))
    return tuple(sig)


def _retention_days(policy: Policy | None) -> int | None:
    """The policy's incident retention in days (months of 365.25 / 12 days)."""
    return int(policy.retention_months * 365.25 / 12) if policy and policy.retention_months else None


def _watch_interval(value: str) -> float:
    """The rules-directory poll interval in seconds (mitmproxy options have no float type)."""
    try:
        interval = float(value)
    except ValueError:
        raise exceptions.OptionsError(
            f"dlp_watch_seconds must be a number of seconds, not {value!r}"
        ) from None
    if interval < 0:
        raise exceptions.OptionsError("dlp_watch_seconds must be 0 (off) or positive")
    return interval


class DlpProxy:
    """The dlp-proxy addon."""

    def __init__(self) -> None:
        self.policy: Policy | None = None
        self.metrics = Metrics()
        self.metrics_server: MetricsServer | None = None
        self.store: IncidentStore | None = None
        self.maintenance: StoreMaintenance | None = None
        self.pool: DetectorPool | None = None
        self._rules_dir: Path | None = None
        self._running = False
        self._detector_files: tuple = ()  # signature of the rules files the detection workers load
        self._review_warned_on: date | None = None
        self.shadow_rules: ShadowRules | None = None
        # Reversible pseudonyms, per user: bounded, expiring, in memory only.
        self.vaults = VaultRegistry(max_users=5000, max_entries_per_user=10_000, ttl_seconds=24 * 3600)

    # ------------------------------------------------------------------ set-up
    def load(self, loader: Any) -> None:
        loader.add_option(
            "dlp_rules", str, "", "Directory of the company AI policy (default: the shipped example policy)."
        )
        loader.add_option(
            "dlp_data_dir", str, "", "Directory for incidents and other records (default: ./dlp-proxy-data)."
        )
        loader.add_option(
            "dlp_store",
            str,
            "",
            "Incident store URL: sqlite:///path or postgresql://… (default: $DLP_PROXY_STORE, else "
            "incidents.sqlite3 in the data directory).",
        )
        loader.add_option("dlp_metrics_port", int, 0, "Port for /metrics, /healthz and /readyz (0: off).")
        loader.add_option("dlp_metrics_host", str, "127.0.0.1", "Address the metrics port listens on.")
        loader.add_option(
            "dlp_watch_seconds",
            str,
            "2",
            "Poll interval for changes to the rules directory, which reload the policy (0: only SIGHUP).",
        )
        loader.add_option(
            "dlp_workers", int, 2, "Detection worker processes (each loads the spaCy model, ~0.5 GB)."
        )

    def configure(self, updated: set[str]) -> None:
        if "dlp_watch_seconds" in updated:
            _watch_interval(ctx.options.dlp_watch_seconds)  # raises OptionsError when invalid
        if "stream_large_bodies" in updated and ctx.options.stream_large_bodies:
            raise exceptions.OptionsError(
                "stream_large_bodies cannot be used with dlp-proxy: bodies would reach AI providers "
                "before they are scanned. Use body_size_limit / the policy's body_size_limit instead."
            )
        if "confdir" in updated or self.policy is None:
            # mitmproxy creates its CA only in `running`; create it now so that it exists before the
            # proxy port listens and before /readyz says ready (IT distributes it first).
            CertStore.from_store(Path(ctx.options.confdir).expanduser(), "mitmproxy", ctx.options.key_size)
        if "dlp_rules" in updated or self.policy is None:
            rules_dir = Path(ctx.options.dlp_rules) if ctx.options.dlp_rules else default_rules_dir()
            try:
                policy = load_policy(rules_dir)
                shadow_rules = load_shadow_rules(rules_dir)
            except ConfigError as exc:
                raise exceptions.OptionsError(f"invalid policy in {rules_dir}:\n{exc}") from None
            self.shadow_rules = shadow_rules
            self._install_policy(policy, rules_dir)
        if {"dlp_data_dir", "dlp_store"} & updated or self.store is None:
            self._open_store()
        if {"dlp_metrics_port", "dlp_metrics_host"} & updated:
            self._start_metrics(ctx.options.dlp_metrics_host, ctx.options.dlp_metrics_port)

    def reload_policy(self) -> bool:
        """Reload the rules directory (SIGHUP). An invalid new policy is refused; the old one stays."""
        rules_dir = self._rules_dir or default_rules_dir()
        try:
            policy = load_policy(rules_dir)
            shadow_rules = load_shadow_rules(rules_dir)
        except ConfigError as exc:
            self.metrics.reload_failures.inc()
            log.error(
                "policy_reload_refused",
                rules_dir=str(rules_dir),
                problems=[str(p) for p in exc.problems],
                version_in_force=self.policy.version if self.policy else None,
            )
            return False
        self.shadow_rules = shadow_rules
        self._install_policy(policy, rules_dir)
        if self.maintenance is not None:
            self.maintenance.retention_days = _retention_days(policy)
        detector_files = self._detector_signature()
        if self._running and detector_files != self._detector_files:
            self._detector_files = detector_files
            self._start_pool()  # client list, allow-list or custom recognizers changed
        return True

    def _detector_signature(self) -> tuple:
        """What the detection workers read from the rules directory; a change needs new workers."""
        rules_dir = self._rules_dir or default_rules_dir()
        return _files_signature(rules_dir / name for name in DETECTOR_FILES)

    def _review_overdue(self) -> float:
        """Evaluated at each scrape, so the metric turns to 1 the day after the review date."""
        policy = self.policy
        return 1.0 if policy is not None and review_status(policy, date.today()).overdue else 0.0

    def _warn_if_review_overdue(self) -> None:
        policy = self.policy
        if policy is None:
            return
        status = review_status(policy, date.today())
        if status.overdue:
            log.warning(
                "policy_review_overdue",
                version=policy.version,
                next_review=policy.next_review.isoformat(),
                days_late=-status.days_left,
                message=status.message_fr if policy.language == "fr" else status.message_en,
            )
        self._review_warned_on = date.today()

    def _rules_signature(self) -> tuple:
        return _files_signature(sorted((self._rules_dir or default_rules_dir()).rglob("*")))

    def _watch_rules(self, loop: asyncio.AbstractEventLoop, interval: float) -> None:
        """Poll the rules directory; on a change, reload on the event loop (flows keep running)."""
        last = self._rules_signature()
        while self._running:
            time.sleep(interval)
            if self._review_warned_on != date.today():
                self._warn_if_review_overdue()  # once a day
            current = self._rules_signature()
            if current != last:
                last = current
                log.info("policy_files_changed", rules_dir=str(self._rules_dir))
                loop.call_soon_threadsafe(self.reload_policy)

    def _install_policy(self, policy: Policy, rules_dir: Path) -> None:
        self.policy = policy
        self._rules_dir = rules_dir
        next_review = time.mktime(policy.next_review.timetuple())
        self.metrics.set_policy(policy.version, next_review)
        self.metrics.review_overdue.set_function(self._review_overdue)
        self._warn_if_review_overdue()
        log.info(
            "policy_loaded",
            version=policy.version,
            rules_dir=str(rules_dir),
            tools=len(policy.tools),
            catalog_services=len(policy.catalog.services),
            next_review=policy.next_review.isoformat(),
        )

    def _open_store(self) -> None:
        """Open the incident store (SQLite by default, PostgreSQL for several replicas) and its upkeep."""
        data_dir = Path(ctx.options.dlp_data_dir) if ctx.options.dlp_data_dir else default_data_dir()
        url = ctx.options.dlp_store or os.environ.get("DLP_PROXY_STORE") or None
        key = os.environ.get("DLP_PROXY_INCIDENT_KEY")
        self._close_store()
        try:
            self.store = open_store(url, data_dir, hmac_key=key.encode() if key else None)
        except (ValueError, StoreError) as exc:
            raise exceptions.OptionsError(f"incident store: {exc}") from None
        self.maintenance = StoreMaintenance(
            self.store, retention_days=_retention_days(self.policy), on_latest_hash=self._chain_head
        ).start()

    def _chain_head(self, latest: str) -> None:
        """Logged and exported periodically: truncating the newest incidents becomes detectable."""
        log.info("incident_chain_head", hash=latest)
        self.metrics.chain_head.set(chain_head_number(latest))
        if self.store is not None:
            self.metrics.store_backlog.set(self.store.backlog())

    def _close_store(self) -> None:
        if self.maintenance is not None:
            self.maintenance.stop()
            self.maintenance = None
        if self.store is not None:
            self.store.close()
            self.store = None

    def _start_metrics(self, host: str, port: int) -> None:
        if self.metrics_server is not None:
            self.metrics_server.stop()
            self.metrics_server = None
        if port:
            try:
                self.metrics_server = MetricsServer(self.metrics, host, port, self.readiness)
            except OSError as exc:
                raise exceptions.OptionsError(
                    f"cannot listen for metrics on {host}:{port}: {exc.strerror}"
                ) from None
            self.metrics_server.start()
            log.info("metrics_listening", host=host, port=self.metrics_server.port)

    def readiness(self) -> tuple[bool, str]:
        """Ready when a policy is in force and every detection worker has loaded the model."""
        if self.policy is None:
            return False, "policy not loaded"
        if self.pool is None or not self.pool.ready:
            return False, "detector not ready"
        return True, f"ready (policy {self.policy.version})"

    def _start_pool(self) -> None:
        """Start detection workers for the rules in force; swap them in once they are ready.

        On a reload the old pool keeps serving until the new one has loaded its model, so no request
        waits; if the new one fails (broken recognizer files), the old one stays.
        """
        rules_dir = self._rules_dir or default_rules_dir()
        workers = max(1, ctx.options.dlp_workers) if self._running else 2
        new = DetectorPool(rules_dir, workers=workers)
        new.start()
        if self.pool is None:
            self.pool = new
            threading.Thread(
                target=self._report_ready, args=(new,), name="dlp-pool-ready", daemon=True
            ).start()
            return

        def swap() -> None:
            try:
                ok = new.wait_ready(new.start_timeout)
            except ConfigError as exc:
                ok = False
                log.error("detector_reload_refused", problems=[str(p) for p in exc.problems])
            if not ok:
                new.close()
                return
            old, self.pool = self.pool, new
            if old is not None:
                old.close()
            log.info("detector_reloaded", workers=new.workers)

        threading.Thread(target=swap, name="dlp-pool-swap", daemon=True).start()

    def _report_ready(self, pool: DetectorPool) -> None:
        t0 = time.monotonic()
        try:
            ok = pool.wait_ready(pool.start_timeout)
        except ConfigError as exc:
            log.error("detector_failed", problems=[str(p) for p in exc.problems])
            return
        if not ok and (pool is not self.pool or not self._running):
            return  # shutting down or replaced: not a failure worth reporting
        self.metrics.detector_ready.set(1 if ok else 0)
        self.metrics.ready.set(1 if ok and self.policy is not None else 0)
        log.info(
            "detector_ready" if ok else "detector_failed",
            workers=pool.workers,
            seconds=round(time.monotonic() - t0, 1),
        )

    def running(self) -> None:
        self._running = True
        self._detector_files = self._detector_signature()
        self._start_pool()
        interval = _watch_interval(ctx.options.dlp_watch_seconds)
        if interval > 0:
            loop = asyncio.get_running_loop()
            threading.Thread(
                target=self._watch_rules, args=(loop, interval), name="dlp-watch", daemon=True
            ).start()
        confdir = Path(ctx.options.confdir).expanduser()
        log.info(
            "ca_certificate",
            path=str(confdir / CA_FILE),
            how_to_trust="distribute this PEM to clients (system trust store, or SSL_CERT_FILE / "
            "REQUESTS_CA_BUNDLE / NODE_EXTRA_CA_CERTS); `dlp-proxy ca --pem` prints it",
        )

    def done(self) -> None:
        self._running = False
        if self.pool is not None:
            self.pool.close()
        self._close_store()
        if self.metrics_server is not None:
            self.metrics_server.stop()

    # ---------------------------------------------------------- interception
    def tls_clienthello(self, data: tls.ClientHelloData) -> None:
        """Decrypt only AI hosts: anything else is tunnelled with the real server's certificate."""
        if self.policy is None:
            return
        candidates = {host_without_port(data.client_hello.sni)}
        if data.context.server.address:
            candidates.add(host_without_port(data.context.server.address[0]))
        candidates.discard("")
        if not any(self.policy.intercepts(h) for h in candidates):
            data.ignore_connection = True
            self.metrics.passthrough.inc()

    def http_connect(self, flow: http.HTTPFlow) -> None:
        """Shadow AI: count AI hosts that are forbidden, unlisted or unknown, from the CONNECT alone.

        Nothing is decrypted for this: the host the client asks for is enough. Counted per group and
        per ISO week; no user and no address is kept with a sighting.
        """
        if self.policy is None or self.store is None:
            return
        host = host_without_port(flow.request.host)
        try:
            user = user_from_proxyauth(flow.metadata.get("proxyauth"))
            peer = flow.client_conn.peername
            groups = self.policy.directory.groups_for(user, peer[0] if peer else None)
            for sighting in sighting_for(host, self.policy, self.shadow_rules, groups, datetime.now(UTC)):
                self.store.record_sighting(sighting)
        except Exception:  # never let reporting break a connection
            log.exception("shadow_sighting_failed")

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        """Classify the tool from the host the client asked for, before other addons rewrite it."""
        if self.policy is None or flow.response is not None:
            return
        t0 = time.perf_counter()
        host = host_without_port(flow.client_conn.sni or flow.request.host_header or flow.request.host)
        service = self.policy.service_for(host, flow.request.path)
        if service is None:
            return
        rc = RequestContext(
            request_id=uuid.uuid4().hex[:16],
            host=host,
            service_id=service.id,
            tool_name=service.name,
            family=service.family,
            service=service,
        )
        flow.metadata[METADATA_KEY] = rc
        # Fail closed: never forward a body before it has been looked at.
        flow.request.stream = False
        declared = flow.request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.policy.body_size_limit:
            self._fill_identity(flow, rc)
            self._block(flow, rc, "body_too_large", rule_id="corps:taille-max")
        self.metrics.hook_latency.labels(hook="requestheaders").observe(time.perf_counter() - t0)

    async def request(self, flow: http.HTTPFlow) -> None:
        """Decode, decide, scan, then forward (possibly redacted) or answer blocked requests ourselves.

        Awaiting the scan pauses only this flow: the CPU work runs in the detector processes.
        """
        rc: RequestContext | None = flow.metadata.get(METADATA_KEY)
        if rc is None or flow.response is not None or self.policy is None:
            return
        t0 = time.perf_counter()
        try:
            await self._decide(flow, rc)
        except Exception as exc:  # fail closed: a bug must not let a request through unchecked
            # The exception's message may quote request content: log its type and place only.
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            log.error(
                "decision_failed",
                request_id=rc.request_id,
                tool=rc.service_id,
                error=type(exc).__name__,
                at=f"{Path(frame.filename).name}:{frame.lineno}",
            )
            self._block(flow, rc, "policy_unavailable", rule_id="erreur:interne")
        self.metrics.hook_latency.labels(hook="request").observe(time.perf_counter() - t0)

    def _fill_identity(self, flow: http.HTTPFlow, rc: RequestContext) -> None:
        assert self.policy is not None
        rc.user = user_from_proxyauth(flow.metadata.get("proxyauth"))
        peer = flow.client_conn.peername
        rc.client_ip = peer[0] if peer else None
        rc.groups = self.policy.directory.groups_for(rc.user, rc.client_ip)

    async def _decide(self, flow: http.HTTPFlow, rc: RequestContext) -> None:
        policy = self.policy
        assert policy is not None
        self._fill_identity(flow, rc)
        raw = flow.request.raw_content or b""
        if len(raw) > policy.body_size_limit:
            self._block(flow, rc, "body_too_large", rule_id="corps:taille-max")
            return
        try:
            body = decode_body(
                raw, flow.request.headers.get("content-encoding"), flow.request.headers.get("content-type")
            )
        except UndecodableBody as exc:
            detail = exc.reason if policy.language == "fr" else exc.reason_en
            self._block(flow, rc, "undecodable_body", rule_id="corps:illisible", detail=detail)
            return
        if len(body.content) > policy.body_size_limit:  # a small gzip can inflate past the limit
            self._block(flow, rc, "body_too_large", rule_id="corps:taille-max")
            return
        rc.model = model_from_request(flow.request.path, body.json)
        service = rc.service
        decision = policy.decide(service, rc.groups, rc.model)
        if decision.action == "block":
            self._block(
                flow,
                rc,
                decision.code or "tool_forbidden",
                rule_id=decision.rule_id,
                reason=decision.reason,
                groups=policy.tool_policy(rc.service_id).groups,
            )
            return
        rc.hosting = service.hosting
        await self._scan_data(flow, rc, policy, service.hosting, body)

    async def _scan_data(
        self, flow: http.HTTPFlow, rc: RequestContext, policy: Policy, hosting: str, body: DecodedBody
    ) -> None:
        """Scan every text of the request and apply the data rules (block, redact or allow)."""
        rules = policy.data_rules_for(hosting)
        overrides = policy.tool_policy(rc.service_id).data_overrides
        acted = {e for r in rules if r.action != "allow" for e in r.entities}
        acted |= {e for e, a in overrides.items() if a != "allow"}
        acted -= {e for e, a in overrides.items() if a == "allow"}
        if not acted:  # e.g. a company-hosted tool: nothing to look for
            self._allowed(rc)
            return
        try:
            extraction = await self._extract(flow, rc, body)
        except UndecodableBody as exc:
            detail = exc.reason if policy.language == "fr" else exc.reason_en
            self._block(flow, rc, "undecodable_body", rule_id="corps:illisible", detail=detail)
            return
        if self._refuse_unscannable(flow, rc, policy, hosting, extraction):
            return
        segments = extraction.segments
        if not segments:
            self._allowed(rc)
            return
        if self.pool is None:
            self._block(flow, rc, "scan_unavailable", rule_id="detection:indisponible")
            return
        t0 = time.perf_counter()
        try:
            findings = await self.pool.scan(
                [s.text for s in segments],
                entities=sorted(acted),
                min_score=min((r.min_score for r in rules), default=0.5),
                timeout=policy.scan_timeout_seconds,
            )
        except ScanUnavailable as exc:
            log.warning("scan_unavailable", request_id=rc.request_id, tool=rc.service_id, why=str(exc))
            self._block(flow, rc, "scan_unavailable", rule_id="detection:indisponible")
            return
        self.metrics.scan_latency.observe(time.perf_counter() - t0)
        decision = decide_data(rules, findings, overrides)
        if decision.action == "block":
            self._block(
                flow,
                rc,
                "sensitive_data",
                rule_id=decision.rule_ids[0],
                detail=self._types_detail(decision),
                entity_counts=dict(decision.entity_counts),
                rule_ids=decision.rule_ids,
            )
        elif decision.action == "redact":
            locked = [
                s.where
                for s, found in zip(segments, decision.to_redact, strict=True)
                if found and not s.rewritable
            ]
            if locked or extraction.signed:
                # A document, a signed body or signed reasoning cannot be rewritten: refuse instead.
                detail = self._locked_detail(decision, signed=extraction.signed)
                self._block(
                    flow,
                    rc,
                    "sensitive_data",
                    rule_id=decision.rule_ids[0],
                    detail=detail,
                    entity_counts=dict(decision.entity_counts),
                    rule_ids=decision.rule_ids,
                )
                return
            self._redact(flow, rc, policy, extraction, decision)
        else:
            self._allowed(rc)

    async def _extract(self, flow: http.HTTPFlow, rc: RequestContext, body: DecodedBody) -> Extraction:
        """The request's texts per its API; big bodies (documents) are parsed off the event loop."""
        args = (
            rc.family,
            flow.request.method,
            flow.request.path,
            flow.request.headers,
            body.content,
            flow.request.headers.get("content-type"),
        )
        if len(body.content) > 64 * 1024:
            return await asyncio.to_thread(extract_request, *args)
        return extract_request(*args)

    def _refuse_unscannable(
        self, flow: http.HTTPFlow, rc: RequestContext, policy: Policy, hosting: str, extraction: Extraction
    ) -> bool:
        """Content the proxy cannot read (images, audio, token ids, unreadable files): the policy decides."""
        refused = []
        for item in extraction.unscannable:
            action = policy.unscannable_action(rc.service_id, hosting, item.kind)
            self.metrics.unscannable.labels(tool=rc.service_id, kind=item.kind, decision=action).inc()
            if action != "allow":
                refused.append(item)
        if not refused:
            return False
        kinds = sorted({u.kind for u in refused})
        detail = (
            f"contenu non analysable : {', '.join(kinds)}"
            if policy.language == "fr"
            else f"content that cannot be scanned: {', '.join(kinds)}"
        )
        counts = {f"NON_ANALYSABLE:{k}": sum(1 for u in refused if u.kind == k) for k in kinds}
        self._block(
            flow,
            rc,
            "unscannable_content",
            rule_id="contenu:non-analysable",
            detail=detail,
            entity_counts=counts,
        )
        return True

    def _locked_detail(self, decision: DataDecision, *, signed: bool) -> str:
        assert self.policy is not None
        types = ", ".join(f"{t} ({n})" for t, n in sorted(decision.entity_counts.items()))
        if self.policy.language == "fr":
            why = "requête signée par le client" if signed else "document joint"
            return f"types détectés : {types} — {why}, impossible à modifier sans le casser"
        why = "request signed by the client" if signed else "attached document"
        return f"types found: {types} — {why}, cannot be rewritten without breaking it"

    def _types_detail(self, decision: DataDecision) -> str:
        """Which types were found and how many — never the values."""
        assert self.policy is not None
        parts = ", ".join(
            f"{t} ({n})" for t, n in sorted(decision.entity_counts.items()) if t in decision.blocked_types
        )
        return f"types détectés : {parts}" if self.policy.language == "fr" else f"types found: {parts}"

    def _redact(
        self,
        flow: http.HTTPFlow,
        rc: RequestContext,
        policy: Policy,
        extraction: Extraction,
        decision: DataDecision,
    ) -> None:
        """Replace values in place: pseudonyms (restored in the answer) or typed markers (not restored)."""
        vault = self.vaults.vault_for(rc.user_key)
        redactor = Redactor()
        avoid = "\n".join(s.text for s in extraction.segments)
        replacements = {
            seg.id: vault.pseudonymize(
                seg.text, found, redact_types=decision.redact_types, redactor=redactor, avoid=avoid
            )
            for seg, found in zip(extraction.segments, decision.to_redact, strict=True)
            if found
        }
        new_body = extraction.rewrite(replacements)
        if new_body is not None:
            flow.request.content = new_body  # re-encoded with the client's Content-Encoding
        new_path = extraction.rewrite_query(replacements)
        if new_path is not None:
            flow.request.path = new_path
        rc.pseudonymized = decision.pseudonymized
        verdict = "pseudonymized" if decision.pseudonymized else "redacted"
        rc.decision = verdict
        self.metrics.requests.labels(tool=rc.service_id, decision=verdict).inc()
        self.metrics.incidents.labels(decision=verdict).inc()
        self._record(rc, policy, verdict, verdict, decision.rule_ids, dict(decision.entity_counts))
        log.info(
            f"request_{verdict}",
            request_id=rc.request_id,
            tool=rc.service_id,
            entities=dict(decision.entity_counts),
            rules=list(decision.rule_ids),
        )

    def _allowed(self, rc: RequestContext) -> None:
        self.metrics.requests.labels(tool=rc.service_id, decision="allowed").inc()
        log.debug("request_allowed", request_id=rc.request_id, tool=rc.service_id, model=rc.model)

    def _block(
        self,
        flow: http.HTTPFlow,
        rc: RequestContext,
        code: str,
        *,
        rule_id: str,
        reason: str | None = None,
        detail: str | None = None,
        groups: tuple[str, ...] = (),
        entity_counts: dict[str, int] | None = None,
        rule_ids: tuple[str, ...] | None = None,
    ) -> None:
        policy = self.policy
        assert policy is not None
        if code == "body_too_large" and detail is None:
            limit_mib = policy.body_size_limit / (1024 * 1024)
            detail = f"limite : {limit_mib:g} Mio" if policy.language == "fr" else f"limit: {limit_mib:g} MiB"
        info = BlockInfo(
            code=code,
            request_id=rc.request_id,
            policy_version=policy.version,
            language=policy.language,
            tool_name=rc.tool_name,
            model=rc.model,
            reason=reason,
            rule_id=rule_id,
            referents=policy.referents,
            alternatives=policy.approved_tools(),
            detail=detail,
            groups=groups,
        )
        status, headers, body = build_block_response(
            info, path=flow.request.path, family=rc.family, accept=flow.request.headers.get("accept")
        )
        flow.response = http.Response.make(status, body, headers)
        rc.decision = "blocked"
        self.metrics.requests.labels(tool=rc.service_id, decision="blocked").inc()
        self.metrics.blocked.labels(rule=rule_id).inc()
        self.metrics.incidents.labels(decision="blocked").inc()
        self._record(rc, policy, "blocked", code, rule_ids or (rule_id,), entity_counts or {})
        log.info(
            "request_blocked",
            request_id=rc.request_id,
            tool=rc.service_id,
            model=rc.model,
            code=code,
            rule=rule_id,
            status=STATUS_BY_CODE.get(code, status),
        )

    def _record(
        self,
        rc: RequestContext,
        policy: Policy,
        decision: str,
        code: str,
        rule_ids: tuple[str, ...],
        entity_counts: dict[str, int],
    ) -> None:
        if self.store is None:
            return
        self.store.record(
            Incident(
                request_id=rc.request_id,
                user=rc.user,
                groups=rc.groups,
                client_ip=rc.client_ip,
                tool=rc.service_id,
                tool_name=rc.tool_name,
                host=rc.host,
                model=rc.model,
                decision=decision,
                code=code,
                rule_ids=rule_ids,
                policy_version=policy.version,
                entity_counts=entity_counts,
            )
        )

    # ------------------------------------------------------------ responses
    def _replacements(self, rc: RequestContext):  # -> Replacements | None
        vault = self.vaults.get(rc.user_key)
        return vault.replacements() if vault is not None and len(vault) else None

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        """Stream event streams and NDJSON as they come, restoring pseudonyms on the fly.

        Only a possible partial pseudonym at the end of a delta is held back, never the stream.
        """
        rc: RequestContext | None = flow.metadata.get(METADATA_KEY)
        if rc is None or flow.response is None:
            return
        kind = stream_kind(flow.request.path, flow.response.headers.get("content-type", ""))
        if kind is None:
            return  # a whole body: restored in `response`
        repl = self._replacements(rc)
        if not repl:
            flow.response.stream = True
            return
        try:
            restorer = make_stream_restorer(
                kind, repl, content_encoding=flow.response.headers.get("content-encoding")
            )
        except (
            ValueError
        ):  # unknown encoding: pass it on; the client may see pseudonyms, never real data leaks
            log.warning("stream_not_restored", request_id=rc.request_id, tool=rc.service_id, kind=kind)
            flow.response.stream = True
            return
        flow.response.headers.pop("content-encoding", None)  # the restorer emits identity bytes
        flow.response.headers.pop("content-length", None)
        flow.response.stream = restorer

    def response(self, flow: http.HTTPFlow) -> None:
        """Restore pseudonyms in a whole (non-streamed) answer: JSON strings, tool-call arguments, text."""
        rc: RequestContext | None = flow.metadata.get(METADATA_KEY)
        if rc is None or flow.response is None or flow.response.stream or rc.decision == "blocked":
            return
        ctype = flow.response.headers.get("content-type", "").lower()
        if not ("json" in ctype or ctype.startswith("text/")):
            return
        repl = self._replacements(rc)
        if not repl:
            return
        body = flow.response.get_content(strict=False) or b""
        restored = restore_json_body(body, repl)
        if restored != body:
            flow.response.set_content(restored)

    async def websocket_message(self, flow: http.HTTPFlow) -> None:
        """Text messages a client sends to an AI host over WebSocket are scanned like request bodies."""
        rc: RequestContext | None = flow.metadata.get(METADATA_KEY)
        policy = self.policy
        if rc is None or policy is None or flow.websocket is None or not flow.websocket.messages:
            return
        message = flow.websocket.messages[-1]
        if not message.from_client:
            repl = self._replacements(rc) if message.is_text else None
            if repl:
                restored = restore_json_body(message.content, repl)
                if restored != message.content:
                    message.content = restored
            return
        if not message.is_text:
            if policy.unscannable_action(rc.service_id, rc.hosting, "binary") != "allow":
                message.drop()
            return
        extraction = extract_websocket_message(message.text)
        rules = policy.data_rules_for(rc.hosting)
        overrides = policy.tool_policy(rc.service_id).data_overrides
        if not extraction.segments or not any(r.action != "allow" for r in rules):
            return
        try:
            assert self.pool is not None
            findings = await self.pool.scan(
                [s.text for s in extraction.segments], timeout=policy.scan_timeout_seconds
            )
        except (ScanUnavailable, AssertionError):
            message.drop()  # fail closed
            log.warning("websocket_message_dropped", request_id=rc.request_id, why="scan unavailable")
            return
        decision = decide_data(rules, findings, overrides)
        if decision.action == "block":
            message.drop()
            self._record(
                rc, policy, "blocked", "sensitive_data", decision.rule_ids, dict(decision.entity_counts)
            )
            log.info(
                "websocket_message_blocked", request_id=rc.request_id, entities=dict(decision.entity_counts)
            )
        elif decision.action == "redact":
            vault = self.vaults.vault_for(rc.user_key)
            replacements = {
                seg.id: vault.pseudonymize(
                    seg.text, found, redact_types=decision.redact_types, redactor=Redactor()
                )
                for seg, found in zip(extraction.segments, decision.to_redact, strict=True)
                if found
            }
            new_text = extraction.rewrite_text(replacements)
            if new_text is not None:
                message.text = new_text
            verdict = "pseudonymized" if decision.pseudonymized else "redacted"
            self._record(rc, policy, verdict, verdict, decision.rule_ids, dict(decision.entity_counts))


addons = [DlpProxy()]
