"""Turn a request body into the text segments a prompt carries, and put rewritten text back.

Every text the request carries is scanned — system prompt, the whole history, tool-call arguments,
tool results — not only the last message (a trap other proxies fell into). This module starts with a
conservative walker over every string of a JSON body; API-specific adapters refine it per family.
"""

from __future__ import annotations

from .generic import Segment, json_segments, write_back

__all__ = ["Segment", "json_segments", "write_back"]
