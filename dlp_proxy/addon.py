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
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mitmproxy import ctx, exceptions, http, tls
from mitmproxy.certs import CertStore

from dlp_proxy import bodylimit, pipeline, upstream
from dlp_proxy.accounting import Accountant
from dlp_proxy.logs import get_logger
from dlp_proxy.metrics import Metrics
from dlp_proxy.pipeline import Block, RequestContext, Rewrite, Verdict
from dlp_proxy.restore import restore_json_body, stream_for, stream_kind
from dlp_proxy.routing import classify, intercepted
from dlp_proxy.runtime import OPTIONS, OptionRefused, Runtime
from dlp_proxy.serving import InFlight

log = get_logger("dlp_proxy.addon")

METADATA_KEY = "dlp_proxy"
CA_FILE = "mitmproxy-ca-cert.pem"


@contextmanager
def _refused() -> Iterator[None]:
    """mitmproxy's way: a setting that cannot be applied is an ``OptionsError`` naming it."""
    try:
        yield
    except OptionRefused as exc:
        raise exceptions.OptionsError(str(exc)) from None


class DlpProxy:
    """The dlp-proxy addon."""

    def __init__(self) -> None:
        self.metrics = Metrics()
        self.runtime = runtime = Runtime(self.metrics)
        self.accountant = Accountant(self.metrics, lambda: runtime.store, runtime.portals.note_block)
        self.upstream = upstream.UpstreamGuard(self.metrics, METADATA_KEY)
        self.in_flight = InFlight(self.metrics, METADATA_KEY)
        self.addons = [self.in_flight]  # child addon: its hooks run after this one's (dlp_proxy.serving)

    @property
    def policy(self):  # -> Policy | None (no annotations here: see the note on imports above)
        return self.runtime.policy

    @property
    def store(self):  # -> IncidentStore | None
        return self.runtime.store

    @property
    def pool(self):  # -> DetectorPool | None
        return self.runtime.pool

    @property
    def vaults(self):  # -> Vaults: in memory, or shared in Redis (dlp_state)
        return self.runtime.vaults

    # ------------------------------------------------------------------ set-up
    def load(self, loader: Any) -> None:
        bodylimit.install()  # an over-limit body is refused when the limit is crossed, with our 413
        for name, kind, default, help_text in OPTIONS:
            loader.add_option(name, kind, default, help_text)
        upstream.install()  # our 502/504 for AI flows whose provider fails

    def configure(self, updated: set[str]) -> None:
        """Our options go to the runtime, in this order; mitmproxy's own are checked and set here."""
        opts = ctx.options
        with _refused():
            self.upstream.timeout = self.runtime.check_options(opts)
        if "stream_large_bodies" in updated and opts.stream_large_bodies:
            raise exceptions.OptionsError(
                "stream_large_bodies cannot be used with dlp-proxy: bodies would reach AI providers "
                "before they are scanned. Use body_size_limit / the policy's body_size_limit instead."
            )
        if "connection_strategy" in opts and opts.connection_strategy != "lazy":
            # Decide before connecting: a forbidden tool is never contacted (no TCP, no TLS) and an
            # unreachable one still gets our block page and an incident; non-AI traffic is unaffected.
            if self.policy is not None:  # set by someone after start-up, not mitmproxy's default
                log.warning("connection_strategy_forced", asked=opts.connection_strategy, used="lazy")
            opts.update(connection_strategy="lazy")
        if "confdir" in updated or self.policy is None:
            # mitmproxy creates its CA only in `running`; create it now so that it exists before the
            # proxy port listens and before /readyz says ready (IT distributes it first).
            CertStore.from_store(Path(opts.confdir).expanduser(), "mitmproxy", opts.key_size)
        with _refused():
            self.runtime.configure_rules(opts, updated)
        if "body_size_limit" in opts and opts.body_size_limit is None:
            # Memory backstop for bodies without Content-Length (the policy's own limit answers our 413).
            opts.update(body_size_limit=str(self.policy.body_size_limit * 2 + 1024 * 1024))
        with _refused():
            self.runtime.configure_services(opts, updated, ctx.master.addons.get("proxyauth"))

    def running(self) -> None:
        self.runtime.start(asyncio.get_running_loop())  # with the options checked in `configure`
        log.info(
            "ca_certificate",
            path=str(Path(ctx.options.confdir).expanduser() / CA_FILE),
            how_to_trust="distribute this PEM to clients (system trust store, or SSL_CERT_FILE / "
            "REQUESTS_CA_BUNDLE / NODE_EXTRA_CA_CERTS); `dlp-proxy ca --pem` prints it",
        )

    def done(self) -> None:
        self.runtime.stop()

    # ---------------------------------------------------------- interception
    def tls_clienthello(self, data: tls.ClientHelloData) -> None:
        """Decrypt only AI hosts: anything else is tunnelled with the real server's certificate."""
        sni, address = data.client_hello.sni, data.context.server.address
        if self.policy is not None and not intercepted(self.policy, sni, address[0] if address else None):
            data.ignore_connection = True
            self.metrics.passthrough.inc()

    def http_connect(self, flow: http.HTTPFlow) -> None:
        """Shadow AI, counted from the CONNECT alone, per group and ISO week; no user or address kept."""
        try:
            peer = flow.client_conn.peername
            self.runtime.record_sightings(flow.request.host, flow.metadata.get("proxyauth"), peer)
        except Exception:  # never let reporting break a connection
            log.exception("shadow_sighting_failed")

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        """Classify the tool from every routing name, before other addons (map_remote) rewrite them."""
        policy = self.policy
        if policy is None or flow.response is not None:
            return
        t0 = time.perf_counter()
        if self.runtime.portals.is_portal(flow.request.host):
            flow.metadata["dlp_portal"] = True  # answered in `request`, never forwarded
            return
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
        flow.metadata["dlp_url"] = flow.request.pretty_url  # as the user asked (before map_remote)
        flow.request.stream = False  # fail closed: never forward a body before it has been looked at

        def refuse_too_large() -> None:  # called by bodylimit the moment the body crosses the limit
            self._identify(flow, rc)
            self._apply_http(flow, rc, pipeline.too_large(policy))

        flow.metadata[bodylimit.GUARD_KEY] = bodylimit.BodyGuard(policy.body_size_limit, refuse_too_large)
        verdict = pipeline.evaluate_headers(rc, route, policy, flow.request.headers.get("content-length"))
        if verdict is not None:
            self._identify(flow, rc)
            self._apply_http(flow, rc, verdict)
        self.metrics.hook_latency.labels(hook="requestheaders").observe(time.perf_counter() - t0)

    def _identify(self, flow: http.HTTPFlow, rc: RequestContext) -> None:
        pipeline.identify(rc, self.policy, flow.metadata.get("proxyauth"), flow.client_conn.peername)

    async def request(self, flow: http.HTTPFlow) -> None:
        """Hand the whole request to the pipeline; awaiting the scan pauses only this flow."""
        req = flow.request
        if flow.metadata.get("dlp_portal") and flow.response is None:
            status, headers, body = await self.runtime.portals.answer(
                req.method, req.path, req.headers, req.raw_content or b"", flow.metadata.get("proxyauth")
            )
            flow.response = http.Response.make(status, body, headers)
            return
        rc: RequestContext | None = flow.metadata.get(METADATA_KEY)
        if rc is None or flow.response is not None or self.policy is None:
            return
        t0 = time.perf_counter()

        async def evaluate() -> Verdict:
            self._identify(flow, rc)
            body = pipeline.HttpRequest(req.method, req.path, req.headers, req.raw_content or b"")
            workflows = self.runtime.portals.view
            return await pipeline.evaluate_request(rc, body, self.policy, self.pool, self.vaults, workflows)

        self._apply_http(flow, rc, await self._guard("request", rc, evaluate))
        self.upstream.arm(flow, lambda f: upstream.close_upstream(f, ctx.master.addons.get("proxyserver")))
        self.metrics.hook_latency.labels(hook="request").observe(time.perf_counter() - t0)

    def error(self, flow: http.HTTPFlow) -> None:
        """The provider of an allowed AI request failed: our 502/504 with the request id (AI flows only)."""
        self.upstream.on_error(flow, self.policy)

    async def _guard(self, hook: str, rc: RequestContext, evaluate) -> Verdict:
        """The one fail-closed guard: any exception becomes a refusal, counted, logged without content."""
        try:
            return await evaluate()
        except Exception as exc:
            self.accountant.fail_closed(hook, rc, exc)
            return pipeline.internal_error()

    def _apply_http(self, flow: http.HTTPFlow, rc: RequestContext, verdict: Verdict) -> None:
        if isinstance(verdict, Block):
            req = flow.request
            status, headers, body = pipeline.block_response(
                self.policy, rc, verdict, path=req.path, accept=req.headers.get("accept"),
                portal=self.runtime.portals.service, url=flow.metadata.get("dlp_url", ""),
            )  # fmt: skip
            flow.response = http.Response.make(status, body, headers)
        elif isinstance(verdict, Rewrite):
            if verdict.body is not None:
                flow.request.content = verdict.body  # re-encoded with the client's Content-Encoding
            if verdict.path is not None:
                flow.request.path = verdict.path
        self.accountant.account(rc, verdict, what="request", policy_version=self.policy.version)

    # ------------------------------------------------------------ responses
    async def responseheaders(self, flow: http.HTTPFlow) -> None:
        """Stream event streams and NDJSON as they come, restoring pseudonyms on the fly."""
        rc: RequestContext | None = flow.metadata.get(METADATA_KEY)
        self.upstream.disarm(flow)
        if rc is None or flow.response is None:
            return
        headers = flow.response.headers
        if stream_kind(flow.request.path, headers.get("content-type", ""), rc.family) is None:
            return  # a whole body: restored in `response`
        repl = await self.runtime.replacements(rc.user_key)
        stream = stream_for(
            flow.request.path, rc.family, headers.get("content-type", ""), headers.get("content-encoding"),
            lambda: repl,
        )  # fmt: skip
        if stream is None:
            return  # a whole body: restored in `response`
        if stream is not True:  # a restorer emits identity bytes of unknown length
            headers.pop("content-encoding", None)
            headers.pop("content-length", None)
        flow.response.stream = stream

    async def response(self, flow: http.HTTPFlow) -> None:
        """Restore pseudonyms in a whole (non-streamed) answer: JSON strings, tool-call arguments, text."""
        rc: RequestContext | None = flow.metadata.get(METADATA_KEY)
        self.runtime.access_log.record(flow, rc)
        if rc is None or flow.response is None or flow.response.stream or rc.decision == "blocked":
            return
        ctype = flow.response.headers.get("content-type", "").lower()
        if not ("json" in ctype or ctype.startswith("text/")):
            return
        repl = await self.runtime.replacements(rc.user_key)
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
            repl = await self.runtime.replacements(rc.user_key) if message.is_text else None
            restored = restore_json_body(message.content, repl) if repl else message.content
            if restored != message.content:
                message.content = restored
            return
        if message.is_text:
            text = message.text

            async def evaluate() -> Verdict:
                view = self.runtime.portals.view
                return await pipeline.evaluate_message(rc, text, self.policy, self.pool, self.vaults, view)

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
