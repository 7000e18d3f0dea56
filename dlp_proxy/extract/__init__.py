"""Turn a request into the text segments it carries, and put rewritten text back.

Every text the request carries is scanned — system prompt, the whole history, tool-call arguments,
tool results, documents — not only the last message (a trap other proxies fell into). One adapter per
API family refines a shared walk over every JSON string (so a new field is never a blind spot);
rewriting splices new values into the original bytes and keeps every other byte.

    extraction = extract_request(family, method, path, headers, decoded_body, content_type)
    extraction.segments      # [Segment(id, text, where, rewritable, kind)]
    extraction.unscannable   # [Unscannable(kind, where)]: images, audio, token ids, unreadable files
    extraction.signed        # the client signed the body (SigV4 …): it cannot be rewritten
    extraction.rewrite_body({segment_id: new_text})   # the original bytes object when nothing changes
    extraction.rewrite_query({segment_id: new_text})  # new path, or None
"""

from __future__ import annotations

from .model import KINDS, UNSCANNABLE_KINDS, Extraction, Segment, Unscannable
from .request import ADAPTERS, adapter_for, extract_request, extract_websocket_message

__all__ = [
    "ADAPTERS",
    "KINDS",
    "UNSCANNABLE_KINDS",
    "Extraction",
    "Segment",
    "Unscannable",
    "adapter_for",
    "extract_request",
    "extract_websocket_message",
]
