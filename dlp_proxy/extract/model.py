"""What an extraction hands to the proxy: segments to scan, what could not be scanned, how to write back.

A segment is bound to a *container* (the JSON document of the body, a JSON text nested in a string such
as tool-call ``arguments``, the query string, a url-encoded form, a multipart body, a whole text body)
and a key inside it. Rewriting renders the innermost containers first and hands each result to its
parent as a new value, so only the bytes of changed values move and a request with nothing to change is
returned as the very same bytes object.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

#: Segment kinds the proxy may weigh differently (all are scanned).
KINDS = (
    "text",
    "tool_arguments",
    "tool_result",
    "system",
    "document",
    "query",
    "form",
    "multipart",
    "structure",  # JSON keys, protocol values (model, ids…), long numbers: never rewritten
    "header",  # request headers and the URL path (pipeline): never rewritten
    "join",  # the junction of two adjacent segments (pipeline): never rewritten
)
#: Kinds of content that cannot be scanned; the policy decides per tool.
UNSCANNABLE_KINDS = ("image", "audio", "video", "token_ids", "document_unreadable", "binary")


@dataclass(frozen=True)
class Segment:
    """One text of the request. ``where`` says where it sits (for incidents) and never quotes it."""

    id: int
    text: str
    where: str
    rewritable: bool = True
    kind: str = "text"


@dataclass(frozen=True)
class Unscannable:
    """Content the request carries that cannot be read as text (``kind`` in UNSCANNABLE_KINDS)."""

    kind: str
    where: str


class Container(Protocol):
    """Something segments live in, that can render itself with some values replaced."""

    parent: tuple[Container, Hashable] | None

    def render(self, changes: dict[Hashable, str]) -> str | bytes: ...


@dataclass
class _Binding:
    container: Container
    key: Hashable


def _depth(container: Container) -> int:
    depth = 0
    node = container
    while node.parent is not None:
        node = node.parent[0]
        depth += 1
    return depth


@dataclass
class Extraction:
    """The segments of one request (or one WebSocket message) and the way back into its bytes."""

    family: str
    segments: list[Segment]
    unscannable: list[Unscannable]
    signed: bool
    #: JSON keys, protocol values (``model``, ids…) and long numbers, one per line: the provider reads
    #: them, so they are scanned (the pipeline adds this as one segment), but never rewritten.
    structure: str = ""
    _original: bytes = field(default=b"", repr=False, compare=False)
    _bindings: dict[int, _Binding] = field(default_factory=dict, repr=False, compare=False)
    _body_root: Container | None = field(default=None, repr=False, compare=False)
    _query_root: Container | None = field(default=None, repr=False, compare=False)
    _encoding: str = field(default="utf-8", repr=False, compare=False)

    def _render_roots(self, replacements: Mapping[int, str]) -> dict[int, str | bytes]:
        """Rendered output of every root container that changes, keyed by ``id(container)``."""
        changes: dict[int, dict[Hashable, str]] = {}
        containers: dict[int, Container] = {}
        by_id = {s.id: s for s in self.segments}
        for seg_id, new_text in replacements.items():
            seg = by_id.get(seg_id)
            if seg is None:
                raise KeyError(f"no segment {seg_id}")
            if new_text == seg.text:
                continue
            if not seg.rewritable:
                raise ValueError(f"segment {seg_id} ({seg.where}) cannot be rewritten in place")
            binding = self._bindings[seg_id]
            node: Container | None = binding.container
            while node is not None:  # register the whole chain up to the root
                containers[id(node)] = node
                node = node.parent[0] if node.parent else None
            changes.setdefault(id(binding.container), {})[binding.key] = new_text
        out: dict[int, str | bytes] = {}
        for container in sorted(containers.values(), key=_depth, reverse=True):
            own = changes.get(id(container))
            if not own:
                continue
            rendered = container.render(own)
            if container.parent is None:
                out[id(container)] = rendered
            else:
                parent, key = container.parent
                assert isinstance(rendered, str)
                changes.setdefault(id(parent), {})[key] = rendered
        return out

    def rewrite(self, replacements: Mapping[int, str]) -> bytes | None:
        """The new (Content-Encoding-decoded) body, or None when the body does not change.

        ``replacements`` maps segment ids to their new text; a query-string segment is applied by
        :meth:`rewrite_query`, not here. Raises ValueError for a segment that is not rewritable.
        """
        if self._body_root is None:
            self._render_roots(replacements)  # still validates the ids
            return None
        rendered = self._render_roots(replacements).get(id(self._body_root))
        if rendered is None:
            return None
        new = rendered if isinstance(rendered, bytes) else rendered.encode(self._encoding)
        return None if new == self._original else new

    def rewrite_body(self, replacements: Mapping[int, str]) -> bytes:
        """The body to forward: the original bytes object itself when nothing changes."""
        new = self.rewrite(replacements)
        return self._original if new is None else new

    def rewrite_query(self, replacements: Mapping[int, str]) -> str | None:
        """The new request path (with its query string) when a query segment changed, else None."""
        if self._query_root is None:
            self._render_roots(replacements)
            return None
        rendered = self._render_roots(replacements).get(id(self._query_root))
        assert rendered is None or isinstance(rendered, str)
        return rendered

    def rewrite_text(self, replacements: Mapping[int, str]) -> str | None:
        """For a WebSocket text message: the new message, or None when it does not change."""
        new = self.rewrite(replacements)
        return None if new is None else new.decode(self._encoding)


#: JSON numbers with at least this many digits are scanned (a card, a NIR or a phone sent as a number).
LONG_NUMBER_DIGITS = 9


def number_text(value: int | float) -> str:
    """The digits of a JSON number as the provider reads them (no exponent for integral floats)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e300:
        return str(int(value))
    return str(value)


def long_number(value: int | float) -> bool:
    return sum(c.isdigit() for c in number_text(value)) >= LONG_NUMBER_DIGITS


_IDENT = re.compile(r"[A-Za-z_$@][\w$@:-]{0,63}")


def format_path(path: tuple[str | int, ...], prefix: str = "") -> str:
    """``messages[2].content[0].text``; keys that do not look like identifiers are not spelled out."""
    out = prefix
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif _IDENT.fullmatch(step):
            out += f".{step}" if out else step
        else:
            out += "[…]"
    return out or "$"


class Builder:
    """Collects segments and unscannable content while an adapter walks a request."""

    def __init__(self, family: str, signed: bool = False):
        self.family = family
        self.signed = signed
        self.segments: list[Segment] = []
        self.unscannable: list[Unscannable] = []
        self.bindings: dict[int, _Binding] = {}
        #: Object keys, protocol values and long numbers: read by the provider, scanned, never rewritten.
        self._structure: dict[str, None] = {}

    def structure(self, *texts: str) -> None:
        for text in texts:
            if text and not text.isspace():
                self._structure[text] = None

    def number(self, value: int | float) -> None:
        if long_number(value):
            self._structure[number_text(value)] = None

    def segment(
        self,
        text: str,
        where: str,
        container: Container | None,
        key: Hashable = None,
        *,
        kind: str = "text",
        rewritable: bool = True,
    ) -> None:
        if not text.strip():
            return
        seg_id = len(self.segments)
        can_rewrite = rewritable and container is not None and not self.signed
        self.segments.append(Segment(seg_id, text, where, can_rewrite, kind))
        if container is not None:
            self.bindings[seg_id] = _Binding(container, key)

    def cannot_scan(self, kind: str, where: str) -> None:
        self.unscannable.append(Unscannable(kind, where))

    def build(
        self,
        original: bytes,
        body_root: Container | None,
        query_root: Container | None = None,
        encoding: str = "utf-8",
        family: str | None = None,
    ) -> Extraction:
        return Extraction(
            structure="\n".join(self._structure),
            family=family or self.family,
            segments=self.segments,
            unscannable=self.unscannable,
            signed=self.signed,
            _original=original,
            _bindings=self.bindings,
            _body_root=body_root,
            _query_root=query_root,
            _encoding=encoding,
        )
