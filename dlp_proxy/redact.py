"""Replace detected values with typed placeholders, consistently within one request.

The same value gets the same placeholder everywhere in the request (``[EMAIL_ADDRESS_1]`` twice for one
address), so the model can still follow who is who. Placeholders use only ASCII letters, digits,
underscores and brackets — models copy them faithfully — and never contain the value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from dlp_proxy.decide import FindingLike


@dataclass(repr=False)  # the maps hold detected values: never in a repr, a log or a traceback
class Redactor:
    """Numbers values per entity type for one request."""

    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    _count: dict[str, int] = field(default_factory=dict)

    def placeholder(self, entity_type: str, value: str) -> str:
        key = (entity_type, value.casefold())
        if key not in self._by_value:
            n = self._count.get(entity_type, 0) + 1
            self._count[entity_type] = n
            self._by_value[key] = f"[{entity_type}_{n}]"
        return self._by_value[key]

    def redact(self, text: str, findings: Sequence[FindingLike]) -> str:
        """``text`` with every finding's span replaced; overlapping spans are merged first."""
        spans = sorted(((f.start, f.end, f.entity_type) for f in findings), key=lambda s: (s[0], -s[1]))
        merged: list[tuple[int, int, str]] = []
        for start, end, etype in spans:
            if merged and start < merged[-1][1]:
                ps, pe, pt = merged[-1]
                merged[-1] = (ps, max(pe, end), pt)
            else:
                merged.append((start, end, etype))
        out: list[str] = []
        pos = 0
        for start, end, etype in merged:
            out.append(text[pos:start])
            out.append(self.placeholder(etype, text[start:end]))
            pos = end
        out.append(text[pos:])
        return "".join(out)
