"""Decode request bodies bound for AI providers, refusing anything we cannot read.

Fail closed: a body we cannot decode cannot be scanned, so it must not be forwarded. The proxy
turns :class:`UndecodableBody` into a 400 answer that says why, in the client's API shape.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from typing import Any

from mitmproxy.net import encoding

SUPPORTED_ENCODINGS = ("gzip", "deflate", "br", "zstd", "identity")


class UndecodableBody(ValueError):
    """The body cannot be decoded; ``reason`` is safe to show (it never quotes the body)."""

    def __init__(self, reason: str, reason_en: str):
        super().__init__(reason_en)
        self.reason = reason
        self.reason_en = reason_en


@dataclass(frozen=True)
class DecodedBody:
    """A body made readable: ``text`` when it is text, ``json`` when it parsed as JSON."""

    content: bytes
    text: str | None
    json: Any = None
    is_json: bool = False


def decode_content(raw: bytes, content_encoding: str | None) -> bytes:
    """Undo one ``Content-Encoding``; stacked or unknown encodings are refused."""
    if not content_encoding or not content_encoding.strip():
        return raw
    parts = [p.strip().lower() for p in content_encoding.split(",") if p.strip()]
    if len(parts) > 1:
        raise UndecodableBody(
            f"encodages de contenu empilés non pris en charge ({', '.join(parts)})",
            f"stacked content encodings are not supported ({', '.join(parts)})",
        )
    enc = parts[0]
    if enc not in SUPPORTED_ENCODINGS:
        raise UndecodableBody(
            f"encodage de contenu inconnu ({enc[:40]})", f"unknown content encoding ({enc[:40]})"
        )
    if enc == "identity":
        return raw
    try:
        out = encoding.decode(raw, enc)
    except ValueError:
        raise UndecodableBody(
            f"corps compressé illisible ({enc})", f"compressed body cannot be decoded ({enc})"
        ) from None
    if not isinstance(out, bytes):  # pragma: no cover - encoding.decode returns bytes for these
        raise UndecodableBody("encodage invalide", "invalid encoding")
    return out


def _media_type_and_charset(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    parts = [p.strip() for p in content_type.split(";")]
    media = parts[0].lower()
    charset = None
    for p in parts[1:]:
        if p.lower().startswith("charset="):
            charset = p.split("=", 1)[1].strip().strip('"').lower()
    return media, charset


def is_json_media(media: str) -> bool:
    """``application/json``, ``application/x-ndjson`` and any ``+json`` type."""
    return media in ("application/json", "text/json") or media.endswith("+json") or media.endswith("/json")


def decode_body(raw: bytes | None, content_encoding: str | None, content_type: str | None) -> DecodedBody:
    """Decode ``raw`` per its headers. JSON bodies must parse; declared charsets must decode."""
    if not raw:
        return DecodedBody(content=b"", text="")
    content = decode_content(raw, content_encoding)
    media, charset = _media_type_and_charset(content_type)
    textual = (
        is_json_media(media)
        or media.startswith("text/")
        or media
        in (
            "application/x-www-form-urlencoded",
            "application/x-ndjson",
        )
    )
    if not textual and not charset:
        # Binary or unknown media: readable text only if it is valid UTF-8.
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            return DecodedBody(content=content, text=None)
    else:
        name = charset or "utf-8"
        try:
            codecs.lookup(name)
        except LookupError:
            raise UndecodableBody(
                f"jeu de caractères inconnu ({name[:40]})", f"unknown charset ({name[:40]})"
            ) from None
        try:
            text = content.decode(name)
        except (UnicodeDecodeError, ValueError):
            raise UndecodableBody(
                f"le corps n'est pas un texte valide en {name[:40]}",
                f"body is not valid {name[:40]} text",
            ) from None
    if is_json_media(media):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise UndecodableBody("le corps JSON est invalide", "the JSON body is invalid") from None
        return DecodedBody(content=content, text=text, json=parsed, is_json=True)
    return DecodedBody(content=content, text=text)
