"""mitmproxy hooks of dlp-proxy: map a flow to the pure pipeline, apply its verdict, account for it.

Load it embedded (``dlp-proxy run``) or in stock mitmproxy, with the same behaviour::

    mitmdump -s dlp_proxy/addon.py --set dlp_rules=rules/

Flow of one request (docs/architecture.md): the TLS ClientHello decides interception (non-AI traffic
is tunnelled untouched); ``requestheaders`` classifies the tool from every name that routes the request
(:mod:`dlp_proxy.routing`); ``request`` hands the body to :func:`dlp_proxy.pipeline.evaluate_request`
and applies the verdict; answers get their pseudonyms restored. Decisions live in the pipeline, the
long-lived parts in :mod:`dlp_proxy.runtime`; nothing here decides.
"""

# No `from __future__ import annotations` here: `mitmdump -s` runs this file as a script that is not in
# sys.modules, and dataclasses cannot resolve string annotations there.
import asyncio
import os
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mitmproxy import ctx, exceptions, http, tls
from mitmproxy.certs import CertStore

from dlp_proxy import pipeline
from dlp_proxy.accounting import Accountant
from dlp_proxy.errors import ConfigError
from dlp_proxy.incidents import StoreError
from dlp_proxy.logs import get_logger
from dlp_proxy.metrics import Metrics
from dlp_proxy.paths import default_data_dir, default_rules_dir
from dlp_proxy.pipeline import Block, RequestContext, Rewrite, Verdict
from dlp_proxy.pseudonyms import VaultRegistry
from dlp_proxy.requestinfo import host_without_port, user_from_proxyauth
from dlp_proxy.restore import make_stream_restorer, restore_json_body, stream_kind
from dlp_proxy.routing import classify
from dlp_proxy.runtime import Runtime, load_rules
from dlp_proxy.shadow import sighting_for

log = get_logger("dlp_proxy.addon")

METADATA_KEY = "dlp_proxy"
CA_FILE = "mitmproxy-ca-cert.pem"
OPTIONS: tuple[tuple[str, type, Any, str], ...] = (
    ("dlp_rules", str, "", "Directory of the company AI policy (default: the shipped example policy)."),
    ("dlp_data_dir", str, "", "Directory for incidents and other records (default: ./dlp-proxy-data)."),
    ("dlp_store", str, "", "Incident store URL: sqlite:///path or postgresql://… (default: "
     "$DLP_PROXY_STORE, else incidents.sqlite3 in the data directory)."),
    ("dlp_metrics_port", int, 0, "Port for /metrics, /healthz and /readyz (0: off)."),
    ("dlp_metrics_host", str, "127.0.0.1", "Address the metrics port listens on."),
    ("dlp_watch_seconds", str, "2", "Rules directory poll interval in seconds (0: SIGHUP only)."),
    ("dlp_workers", int, 2, "Detection worker processes (each loads the spaCy model, ~0.5 GB)."),
)  # fmt: skip


def _where(exc: BaseException) -> str:
    """``file:line`` of an exception — never its message, which may quote request content."""
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{Path(frame.filename).name}:{frame.lineno}"


class DlpProxy:
    """The dlp-proxy addon."""

    def __init__(self) -> None:
        self.metrics = Metrics()
        self.runtime = Runtime(self.metrics)
        # Reversible pseudonyms, per user: bounded, expiring, in memory only.
        self.vaults = VaultRegistry(max_users=5000, max_entries_per_user=10_000, ttl_seconds=24 * 3600)
        self.accountant = Accountant(self.metrics, lambda: self.runtime.store)

    @property
    def rules(self):  # -> Rules | None (no annotations here: see the note on imports above)
        return self.runtime.rules

    @property
    def policy(self):  # -> Policy | None
        return self.runtime.policy

    @property
    def store(self):  # -> IncidentStore | None
        return self.runtime.store

    @property
    def pool(self):  # -> DetectorPool | None
        return self.runtime.pool

    # ------------------------------------------------------------------ set-up
    def load(self, loader: Any) -> None:
        for name, kind, default, help_text in OPTIONS:
            loader.add_option(name, kind, default, help_text)

    def configure(self, updated: set[str]) -> None:
        opts = ctx.options
        if "dlp_watch_seconds" in updated:
            self._watch_interval()  # raises OptionsError when invalid
        if "stream_large_bodies" in updated and opts.stream_large_bodies:
            raise exceptions.OptionsError(
                "stream_large_bodies cannot be used with dlp-proxy: bodies would reach AI providers "
                "before they are scanned. Use body_size_limit / the policy's body_size_limit instead."
            )
        if "connection_strategy" in opts and opts.connection_strategy != "lazy":
            # Decide before connecting: a forbidden tool is never contacted (no TCP, no TLS), and an
            # unreachable one still gets our block page and an incident. Non-AI traffic is tunnelled
            # untouched either way.
            if self.rules is not None:  # set by someone after start-up, not mitmproxy's default
                log.warning("connection_strategy_forced", asked=opts.connection_strategy, used="lazy")
            opts.update(connection_strategy="lazy")
        if "confdir" in updated or self.rules is None:
            # mitmproxy creates its CA only in `running`; create it now so that it exists before the
            # proxy port listens and before /readyz says ready (IT distributes it first).
            CertStore.from_store(Path(opts.confdir).expanduser(), "mitmproxy", opts.key_size)
        if "dlp_rules" in updated or self.rules is None:
            rules_dir = Path(opts.dlp_rules) if opts.dlp_rules else default_rules_dir()
            try:
                self.runtime.install(load_rules(rules_dir))
            except ConfigError as exc:
                raise exceptions.OptionsError(f"invalid policy in {rules_dir}:\n{exc}") from None
        if "body_size_limit" in opts and opts.body_size_limit is None and self.policy is not None:
            # Memory backstop for bodies without Content-Length (the policy's own limit answers our 413).
            opts.update(body_size_limit=str(self.policy.body_size_limit * 2 + 1024 * 1024))
        if {"dlp_data_dir", "dlp_store"} & updated or self.runtime.stores is None:
            key = os.environ.get("DLP_PROXY_INCIDENT_KEY")
            try:
                self.runtime.open_store(
                    opts.dlp_store or os.environ.get("DLP_PROXY_STORE") or None,
                    Path(opts.dlp_data_dir) if opts.dlp_data_dir else default_data_dir(),
                    key.encode() if key else None,
                )
            except (ValueError, StoreError) as exc:
                raise exceptions.OptionsError(f"incident store: {exc}") from None
        if {"dlp_metrics_port", "dlp_metrics_host"} & updated:
            host, port = opts.dlp_metrics_host, opts.dlp_metrics_port
            try:
                self.runtime.start_metrics(host, port)
            except OSError as exc:
                why = f"cannot listen for metrics on {host}:{port}: {exc.strerror}"
                raise exceptions.OptionsError(why) from None

    def _watch_interval(self) -> float:
        try:
            interval = float(ctx.options.dlp_watch_seconds)
        except ValueError:
            raise exceptions.OptionsError(
                f"dlp_watch_seconds must be a number of seconds, not {ctx.options.dlp_watch_seconds!r}"
            ) from None
        if interval < 0:
            raise exceptions.OptionsError("dlp_watch_seconds must be 0 (off) or positive")
        return interval

    def running(self) -> None:
        self.runtime.start(asyncio.get_running_loop(), ctx.options.dlp_workers, self._watch_interval())
        log.info(
            "ca_certificate",
            path=str(Path(ctx.options.confdir).expanduser() / CA_FILE),
            how_to_trust="distribute this PEM to clients (system trust store, or SSL_CERT_FILE / "
            "REQUESTS_CA_BUNDLE / NODE_EXTRA_CA_CERTS); `dlp-proxy ca --pem` prints it",
        )

    def done(self) -> None:
        self.runtime.stop()

    def reload_policy(self) -> bool:
        """Reload the rules directory (SIGHUP, file change). An invalid new policy is refused."""
        return self.runtime.reload_policy()

    def readiness(self) -> tuple[bool, str]:
        return self.runtime.readiness()

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
        """Shadow AI, counted from the CONNECT alone, per group and ISO week; no user or address kept."""
        if self.policy is None or self.store is None:
            return
        try:
            user = user_from_proxyauth(flow.metadata.get("proxyauth"))
            peer = flow.client_conn.peername
            groups = self.policy.directory.groups_for(user, peer[0] if peer else None)
            host = host_without_port(flow.request.host)
            for sighting in sighting_for(host, self.policy, self.rules.shadow, groups, datetime.now(UTC)):
                self.store.record_sighting(sighting)
        except Exception:  # never let reporting break a connection
            log.exception("shadow_sighting_failed")

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        """Classify the tool from every routing name, before other addons (map_remote) rewrite them."""
        policy = self.policy
        if policy is None or flow.response is not None:
            return
        t0 = time.perf_counter()
        # Where mitmproxy will connect: the CONNECT target inside a tunnel, the URL's authority for
        # plain HTTP; the client's own claims (TLS name, Host header) must agree with it.
        names = {
            "destination": flow.request.host,
            "sni": flow.client_conn.sni,
            "host_header": flow.request.host_header,
        }
        route = classify(policy, names, flow.request.path)
        if route.service is None:
            return
        rc = pipeline.new_context(route.host, route.service)
        flow.metadata[METADATA_KEY] = rc
        flow.request.stream = False  # fail closed: never forward a body before it has been looked at
        if route.mismatch:
            log.warning("destination_mismatch", request_id=rc.request_id, names=[r for r, _ in route.names])
        verdict = None
        if route.mismatch and policy.destination_mismatch == "block":
            verdict = Block("destination_mismatch", "destination:incoherente")
        else:
            verdict = pipeline.declared_too_large(policy, flow.request.headers.get("content-length"))
        if verdict is not None:
            self._identify(flow, rc)
            self._apply_http(flow, rc, verdict)
        self.metrics.hook_latency.labels(hook="requestheaders").observe(time.perf_counter() - t0)

    def _identify(self, flow: http.HTTPFlow, rc: RequestContext) -> None:
        rc.user = user_from_proxyauth(flow.metadata.get("proxyauth"))
        peer = flow.client_conn.peername
        rc.client_ip = peer[0] if peer else None
        rc.groups = self.policy.directory.groups_for(rc.user, rc.client_ip)

    async def request(self, flow: http.HTTPFlow) -> None:
        """Hand the whole request to the pipeline; awaiting the scan pauses only this flow."""
        rc: RequestContext | None = flow.metadata.get(METADATA_KEY)
        if rc is None or flow.response is not None or self.policy is None:
            return
        t0 = time.perf_counter()
        req = flow.request

        async def evaluate() -> Verdict:
            self._identify(flow, rc)
            body = pipeline.HttpRequest(req.method, req.path, req.headers, req.raw_content or b"")
            return await pipeline.evaluate_request(rc, body, self.policy, self.pool, self.vaults)

        self._apply_http(flow, rc, await self._guard("request", rc, evaluate))
        self.metrics.hook_latency.labels(hook="request").observe(time.perf_counter() - t0)

    async def _guard(self, hook: str, rc: RequestContext, evaluate) -> Verdict:
        """The one fail-closed guard: any exception becomes a refusal, counted, logged without content."""
        try:
            return await evaluate()
        except Exception as exc:
            self.metrics.fail_closed.labels(hook=hook).inc()
            log.error(
                "decision_failed",
                hook=hook,
                request_id=rc.request_id,
                tool=rc.service_id,
                error=type(exc).__name__,
                at=_where(exc),
            )
            return pipeline.internal_error()

    def _apply_http(self, flow: http.HTTPFlow, rc: RequestContext, verdict: Verdict) -> None:
        if isinstance(verdict, Block):
            req = flow.request
            status, headers, body = pipeline.block_response(
                self.policy, rc, verdict, path=req.path, accept=req.headers.get("accept")
            )
            flow.response = http.Response.make(status, body, headers)
        elif isinstance(verdict, Rewrite):
            if verdict.body is not None:
                flow.request.content = verdict.body  # re-encoded with the client's Content-Encoding
            if verdict.path is not None:
                flow.request.path = verdict.path
        self.accountant.account(rc, verdict, what="request", policy_version=self.policy.version)

    # ------------------------------------------------------------ responses
    def _replacements(self, rc: RequestContext):  # -> Replacements | None
        vault = self.vaults.get(rc.user_key)
        return vault.replacements() if vault is not None and len(vault) else None

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        """Stream event streams and NDJSON as they come, restoring pseudonyms on the fly."""
        rc: RequestContext | None = flow.metadata.get(METADATA_KEY)
        if rc is None or flow.response is None:
            return
        kind = stream_kind(flow.request.path, flow.response.headers.get("content-type", ""), rc.family)
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
        except ValueError:  # unknown encoding: passed on; the client may see pseudonyms, never real data
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
        if repl:
            body = flow.response.get_content(strict=False) or b""
            restored = restore_json_body(body, repl)
            if restored != body:
                flow.response.set_content(restored)

    async def websocket_message(self, flow: http.HTTPFlow) -> None:
        """Client messages to an AI host go through the same pipeline as request bodies."""
        rc: RequestContext | None = flow.metadata.get(METADATA_KEY)
        if rc is None or self.policy is None or flow.websocket is None or not flow.websocket.messages:
            return
        message = flow.websocket.messages[-1]
        if not message.from_client:
            repl = self._replacements(rc) if message.is_text else None
            restored = restore_json_body(message.content, repl) if repl else message.content
            if restored != message.content:
                message.content = restored
            return
        if message.is_text:
            text = message.text

            async def evaluate() -> Verdict:
                return await pipeline.evaluate_message(rc, text, self.policy, self.pool, self.vaults)

            verdict = await self._guard("websocket_message", rc, evaluate)
        else:
            verdict = pipeline.evaluate_binary_message(rc, self.policy)
        if isinstance(verdict, Block):
            message.drop()
            if verdict.code == "policy_unavailable":
                flow.kill()  # an internal error: close the connection rather than guess
        elif isinstance(verdict, Rewrite) and verdict.text is not None:
            message.text = verdict.text
        self.accountant.account(rc, verdict, what="websocket_message", policy_version=self.policy.version)


addons = [DlpProxy()]
