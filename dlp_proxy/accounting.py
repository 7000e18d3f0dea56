"""What every verdict leaves behind: metrics, an incident, one log line — in one place for HTTP and
WebSocket, so the two paths cannot count differently. Pure (no mitmproxy import).

Only types, counts, rule ids and the request reference are recorded; never a detected value.
"""

from __future__ import annotations

from collections.abc import Callable

from dlp_proxy.incidents import Incident, IncidentStore
from dlp_proxy.logs import get_logger, where
from dlp_proxy.metrics import Metrics
from dlp_proxy.pipeline import Allow, Block, RequestContext, Verdict

log = get_logger("dlp_proxy.addon")


class Accountant:
    """Counts and records verdicts; ``store`` is read at each call (it can be reopened)."""

    def __init__(
        self,
        metrics: Metrics,
        store: Callable[[], IncidentStore | None],
        on_block: Callable[[str | None, str], object] | None = None,
    ) -> None:
        self.metrics = metrics
        self.store = store
        self.on_block = on_block  # the sanctions ladder counts refusals (user, code)

    def account(self, rc: RequestContext, verdict: Verdict, *, what: str, policy_version: str) -> None:
        """``what``: ``request`` or ``websocket_message`` (only requests count in ``dlp_proxy_requests``)."""
        m = self.metrics
        for kind, action in rc.unscannable:
            m.unscannable.labels(tool=rc.service_id, kind=kind, decision=action).inc()
        rc.unscannable.clear()
        if rc.scan_seconds is not None:
            m.scan_latency.observe(rc.scan_seconds)
            rc.scan_seconds = None
        if isinstance(verdict, Allow):
            if what == "request":
                m.requests.labels(tool=rc.service_id, decision="allowed").inc()
            log.debug(f"{what}_allowed", request_id=rc.request_id, tool=rc.service_id, model=rc.model)
            return
        if isinstance(verdict, Block):
            decision, code = "blocked", verdict.code
            counts, rule_ids = dict(verdict.entity_counts), verdict.all_rule_ids
            m.blocked.labels(rule=verdict.rule_id).inc()
            if self.on_block is not None:
                self.on_block(rc.user, verdict.code)
        else:
            decision = code = verdict.verdict
            counts, rule_ids = dict(verdict.entity_counts), verdict.rule_ids
            rc.pseudonymized = rc.pseudonymized or decision == "pseudonymized"
        rc.decision = decision
        if what == "request":
            m.requests.labels(tool=rc.service_id, decision=decision).inc()
        m.incidents.labels(decision=decision).inc()
        store = self.store()
        if store is not None:
            store.record(
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
                    policy_version=policy_version,
                    entity_counts=counts,
                )
            )
        log.info(
            f"{what}_{decision}",
            request_id=rc.request_id,
            tool=rc.service_id,
            model=rc.model,
            code=code,
            entities=counts,
            rules=list(rule_ids),
        )

    def fail_closed(self, hook: str, rc: RequestContext, exc: BaseException) -> None:
        """An exception in a hook's decision (the addon then refuses): counted, and logged with the
        exception's type and place only — its message may quote content."""
        self.metrics.fail_closed.labels(hook=hook).inc()
        log.error(
            "decision_failed",
            hook=hook,
            request_id=rc.request_id,
            tool=rc.service_id,
            error=type(exc).__name__,
            at=where(exc),
        )
