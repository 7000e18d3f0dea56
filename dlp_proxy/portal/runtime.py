"""The portal's long-lived parts in a running proxy: the service over the store, its direct listener.

:class:`PortalSupervisor` is owned by :class:`dlp_proxy.runtime.Runtime`; the addon only forwards to
it: requests to the portal's reserved host, refusals (for the sanctions ladder), the listener option.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dlp_proxy.incidents import IncidentStore
from dlp_proxy.logs import get_logger
from dlp_proxy.requestinfo import host_without_port, user_from_proxyauth

from .app import PortalRequest, PortalService, security_headers
from .server import PortalServer, Validator, tls_files
from .store import PortalStore

log = get_logger("dlp_proxy.portal")


class PortalSupervisor:
    """Opens the portal over each incident store; serves the reserved host and the direct listener."""

    def __init__(self, policy: Callable[[], Any], rules: Callable[[], Any]) -> None:
        self._policy = policy
        self._rules = rules
        self.service: PortalService | None = None
        self.server: PortalServer | None = None

    def open(self, store: IncidentStore | None) -> None:
        """(Re)open over a new store; without a SQL store the portal is off (its host answers 503)."""
        self._close_service()
        if store is None:
            return
        try:
            portal_store = PortalStore(store, policy_version=getattr(self._policy(), "version", ""))
        except ValueError as exc:
            log.warning("portal_unavailable", why=str(exc))
            return
        self.service = PortalService(
            portal_store,
            store,
            self._policy,
            lambda: self._rules().directory if self._rules() is not None else None,
        ).start()

    @property
    def view(self):  # -> WorkflowView | None: what the decision path reads
        return self.service.view if self.service is not None else None

    def is_portal(self, host: str | None) -> bool:
        policy = self._policy()
        return policy is not None and host_without_port(host) == policy.portal.host

    async def answer(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes, proxyauth: object
    ) -> tuple[int, dict[str, str], bytes]:
        """A request to the reserved host, answered here (never forwarded); off the event loop."""
        service = self.service
        if service is None:
            h = security_headers()
            h["content-type"] = "text/plain; charset=utf-8"
            return 503, h, b"Portail IA indisponible / AI portal unavailable"
        req = PortalRequest(
            method,
            target,
            {k.lower(): v for k, v in headers.items()},
            body,
            user_from_proxyauth(proxyauth),
            base=service.base_url(),
        )
        try:
            return await asyncio.to_thread(service.handle, req)
        except Exception as exc:  # never forwarded, even on a bug: the portal host does not exist
            log.error("portal_answer_failed", error=type(exc).__name__)
            return 500, security_headers(), b"Erreur interne du portail / portal internal error"

    def note_block(self, user: str | None, code: str) -> None:
        if self.service is not None:
            self.service.note_block(user, code)

    def listen_on(self, options: Any, proxyauth: object = None) -> None:
        """The direct listener from mitmproxy's options (``dlp_portal_host``/``_port``, ``confdir``).
        Logins are checked by ``proxyauth``'s validator (mitmproxy's proxyauth addon), read at each
        request so that a change of ``proxyauth`` applies at once; without it, the portal refuses them."""
        confdir = Path(options.confdir).expanduser()
        validator = lambda: getattr(proxyauth, "validator", None)  # noqa: E731 - read at each request
        self.listen(options.dlp_portal_host, options.dlp_portal_port, validator, confdir)

    def listen(self, host: str, port: int, validator: Callable[[], Validator | None], confdir: Path) -> None:
        """(Re)start the direct listener (port 0: off), over TLS with a certificate from the proxy's CA."""
        if self.server is not None:
            self.server.stop()
            self.server = None
        if port:
            tls = tls_files(confdir, host)
            self.server = PortalServer(lambda: self.service, validator, host, port, tls).start()
            log.info("portal_listening", host=host, port=self.server.port)

    def _close_service(self) -> None:
        if self.service is not None:
            self.service.stop()
            self.service = None

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        self._close_service()
