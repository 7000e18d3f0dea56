"""Structured JSON logs on stderr, for our events and mitmproxy's alike.

Why one pipeline: an operator ships stderr to a SIEM and expects one JSON object per line.
Why a scrubber: mitmproxy's own messages start with the client's ``ip:port``; client addresses
and credentials must never reach our logs (they identify employees), so they are masked here,
whatever logger emitted them.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from pathlib import Path
from typing import Any

import structlog

_IPV4_PORT = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b")
_IPV6_BRACKET = re.compile(r"\[[0-9a-fA-F:]{2,}\](?::\d{1,5})?")
_CREDENTIAL = re.compile(
    r"(?i)\b(authorization|proxy-authorization|x-api-key|api-key|api_key|key|password|token)"
    r"(\s*[:=]\s*)(\"?)(?:(?:Bearer|Basic|Token|Digest)\s+)?[^\s\",;&]+"
)


def scrub(text: str) -> str:
    """Mask client addresses and credential-looking values in a free-text log message."""
    text = _IPV4_PORT.sub("<addr>", text)
    text = _IPV6_BRACKET.sub("<addr>", text)
    return _CREDENTIAL.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}<masked>", text)


def _scrub_event(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    event = event_dict.get("event")
    if isinstance(event, str) and event_dict.get("_foreign"):
        event_dict["event"] = scrub(event)
    event_dict.pop("_foreign", None)
    return event_dict


def _safe_exc_info(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Render an exception as its type and stack only: its message may quote request content."""
    exc_info = event_dict.pop("exc_info", None)
    if not exc_info:
        return event_dict
    if exc_info is True:
        exc_info = sys.exc_info()
    elif isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    exc_type, _exc, tb = exc_info
    if exc_type is None:
        return event_dict
    frames = " <- ".join(
        f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in reversed(traceback.extract_tb(tb))
    )
    event_dict["exception"] = f"{exc_type.__name__} (message not logged) at {frames}"
    return event_dict


def _mark_foreign(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    event_dict["_foreign"] = True
    return event_dict


_configured = False


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at emit time (redirections and test captures included)."""

    @property  # type: ignore[override]
    def stream(self):  # noqa: ANN201 - logging's attribute
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # StreamHandler.__init__ assigns it
        pass


def configure_logging(level: str = "info") -> None:
    """Route structlog and stdlib logging (mitmproxy's) to JSON lines on stderr."""
    global _configured
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name, _mark_foreign],
        processors=[
            _scrub_event,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _safe_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_dlp_proxy", False):
            root.removeHandler(h)
    handler._dlp_proxy = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    # mitmproxy logs every client connect/disconnect with the client's address at INFO:
    # keep only its warnings and errors.
    logging.getLogger("mitmproxy").setLevel(logging.WARNING)
    for noisy in ("hpack", "asyncio", "urllib3", "presidio-analyzer", "spacy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured = True


def where(exc: BaseException) -> str:
    """``file:line`` where an exception was raised — never its message, which may quote request content."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else type(exc).__name__


def get_logger(name: str = "dlp_proxy") -> structlog.stdlib.BoundLogger:
    """The project logger; events are key/value pairs, never raw request content."""
    return structlog.get_logger(name)
