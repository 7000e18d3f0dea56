"""Optional access log of the AI requests the proxy let through, for investigations.

One JSON line per allowed (or pseudonymized) request that went to a provider: when, the request id
(the reference users see), tool, host, user, groups, model, decision, response status, sizes and
durations. Never content, never a header, never the URL path or query (they can carry values —
the path is scanned, not logged), never a credential. Blocked requests are not here: they are
incidents. Written through :class:`logging.handlers.RotatingFileHandler` (``dlp_access_log``, or
``dlp-proxy run --access-log FILE``), rotated at :data:`MAX_BYTES` with :data:`BACKUPS` old files,
created readable by the proxy's user only.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from dlp_proxy.logs import get_logger

log = get_logger("dlp_proxy.accesslog")

MAX_BYTES = 50 * 1024 * 1024
BACKUPS = 10
_MODEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,119}$")  # a model name, nothing free-form


class _PrivateRotatingFileHandler(RotatingFileHandler):
    """Every file it creates (the first and each one after a rotation) is mode 0600."""

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)  # noqa: SIM115 - the handler owns it


def _ms(start: float | None, end: float | None) -> float | None:
    return round((end - start) * 1000, 1) if start and end and end >= start else None


def access_entry(flow: Any, rc: Any) -> dict[str, Any] | None:
    """The line for one finished HTTP flow (mitmproxy ``HTTPFlow``) and its request context; None when
    the request is not an allowed AI request (blocked: an incident instead)."""
    response = flow.response
    if rc is None or response is None or rc.decision == "blocked" or flow.websocket is not None:
        return None
    request = flow.request
    streamed = bool(response.stream)
    raw = None if streamed else response.raw_content
    model = rc.model if isinstance(rc.model, str) and _MODEL.match(rc.model) else None
    return {
        "time": datetime.fromtimestamp(request.timestamp_start, UTC).isoformat(timespec="milliseconds"),
        "request_id": rc.request_id,
        "tool": rc.service_id,
        "host": rc.host,
        "user": rc.user,
        "groups": list(rc.groups),
        "model": model,
        "decision": rc.decision,
        "method": request.method,
        "status": response.status_code,
        "request_bytes": len(request.raw_content or b""),
        "response_bytes": len(raw) if raw is not None else None,
        "streamed": streamed,
        "ttfb_ms": _ms(request.timestamp_start, response.timestamp_start),
        "duration_ms": _ms(request.timestamp_start, response.timestamp_end),
    }


class AccessLog:
    """The rotating JSON-lines file; ``open("")`` turns it off. Writes never raise into the proxy."""

    def __init__(self, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> None:
        self.max_bytes, self.backups = max_bytes, backups
        self.path: Path | None = None
        self._logger = logging.getLogger(f"dlp_proxy.access.{id(self)}")
        self._logger.propagate = False  # never mixed with the operational logs
        self._logger.setLevel(logging.INFO)
        self._handler: RotatingFileHandler | None = None
        self._lock = threading.Lock()

    def open(self, path: str) -> None:
        """(Re)open at ``path``; raises OSError when the file cannot be created."""
        with self._lock:
            self._close()
            if not path:
                return
            target = Path(path).expanduser()
            target.parent.mkdir(parents=True, exist_ok=True)
            handler = _PrivateRotatingFileHandler(
                target, maxBytes=self.max_bytes, backupCount=self.backups, encoding="utf-8"
            )
            handler.setFormatter(logging.Formatter("%(message)s"))
            self._logger.addHandler(handler)
            self._handler, self.path = handler, target
        log.info("access_log_open", path=str(target), max_bytes=self.max_bytes, backups=self.backups)

    def record(self, flow: Any, rc: Any) -> None:
        if self._handler is None:
            return
        try:
            entry = access_entry(flow, rc)
            if entry is not None:
                self._logger.info(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))
        except Exception as exc:  # the access log must never break a response
            log.error("access_log_failed", error=type(exc).__name__)

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._handler is not None:
            self._logger.removeHandler(self._handler)
            self._handler.close()
            self._handler, self.path = None, None
