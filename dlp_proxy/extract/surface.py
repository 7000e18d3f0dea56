"""What a provider reads besides the body's texts: request headers, the URL path, and the junctions
between adjacent segments where a value split in two becomes whole again.

Pure functions; the pipeline adds their segments to an extraction before the scan and filters the
findings afterwards (:func:`keep_findings`). None of these segments can be rewritten: a value found in a
header, in the path or across two segments blocks the request (a header is never rewritten, and a value
split over two places cannot be replaced without leaking one half).

* **Structure**: JSON object keys, protocol values (``model``, ids, enums) and numbers of 9+ digits
  (:attr:`~dlp_proxy.extract.model.Extraction.structure`), one segment.
* **Headers**: every value (and every name outside the standard vocabulary, which a client can choose
  freely), cookies included. Credentials (``Authorization``, ``Proxy-Authorization``, ``x-api-key``,
  ``api-key``, ``x-goog-api-key``) and cookies are scanned for everything but ``SECRET``: they carry the
  client's own API key or session token, which is how the call is authenticated, not a leak. In every
  header, ``IP_ADDRESS`` and ``URL`` are not acted on (version numbers, ``Referer``). Nothing of
  a header ever reaches a log: a segment's ``where`` is ``headers``, never a name or a value.
* **Path**: the URL path, percent-decoded (the query string is scanned by the extractor).
* **Joins**: the segments in request order are laid end to end; around each junction a window of
  :data:`JOIN_WINDOW` characters either side (whole segments when they are shorter) is scanned, and a
  finding counts only when it *crosses* a junction and is not just a value of one side glued to its
  neighbour (one side alone already shows it, with the same type).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import unquote

from .model import Segment

#: Characters taken on each side of a junction between two segments.
JOIN_WINDOW = 64
#: Headers that authenticate the client: their own key or token is not a leak (``SECRET`` is ignored).
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", "cookie"}
)
#: Entity types not acted on in any header: version numbers (``Chrome/120.0.0.0``), cookie values and
#: forwarding headers look like IP addresses, and ``Referer``/``Origin`` are URLs by definition.
HEADER_IGNORES = frozenset({"IP_ADDRESS", "URL"})
#: Entity types not acted on in credential headers, on top of :data:`HEADER_IGNORES`.
CREDENTIAL_IGNORES = HEADER_IGNORES | {"SECRET"}
#: Header names of the HTTP vocabulary: their names are not scanned (their values always are).
_STANDARD_NAMES = frozenset(
    """
    accept accept-charset accept-encoding accept-language authorization cache-control connection
    content-encoding content-length content-type cookie date expect host origin pragma proxy-authorization
    referer te transfer-encoding upgrade user-agent via x-api-key api-key x-goog-api-key x-request-id
    x-forwarded-for x-forwarded-proto priority keep-alive dnt sec-fetch-dest sec-fetch-mode sec-fetch-site
    sec-fetch-user sec-ch-ua sec-ch-ua-mobile sec-ch-ua-platform if-none-match if-modified-since range
    anthropic-version anthropic-beta openai-organization openai-project openai-beta x-stainless-lang
    x-stainless-package-version x-stainless-os x-stainless-arch x-stainless-runtime
    x-stainless-runtime-version x-stainless-retry-count x-stainless-read-timeout x-stainless-async
    x-stainless-timeout x-goog-api-client x-goog-user-project x-amz-date x-amz-content-sha256
    x-amz-security-token
    """.split()
)
#: Values of these are protocol framing, never content (scanning them only costs time).
_FRAMING = frozenset({"content-length", "connection", "te", "transfer-encoding", "keep-alive", "priority"})


class FindingLike(Protocol):
    entity_type: str
    start: int
    end: int


@dataclass(frozen=True)
class Junctions:
    """One join window: its text and where each segment's part of it starts."""

    #: (offset in the window, segment id, offset in that segment) of each piece, in order.
    pieces: tuple[tuple[int, int, int], ...]
    boundaries: tuple[int, ...]  # offsets in the window where one segment ends and the next begins


@dataclass
class Surface:
    """The extra segments of one request and what a finding in each of them must satisfy."""

    segments: list[Segment] = field(default_factory=list)
    ignores: dict[int, frozenset[str]] = field(default_factory=dict)
    joins: dict[int, Junctions] = field(default_factory=dict)


def header_texts(headers: Mapping[str, str] | Sequence[tuple[str, str]]) -> tuple[str, str]:
    """(text of ordinary headers, text of credential headers and cookies), one line per header."""
    fields = getattr(headers, "fields", None)  # mitmproxy's Headers: every field, repeated ones too
    if fields is not None:
        items: object = [(k.decode("latin-1"), v.decode("utf-8", "replace")) for k, v in fields]
    else:
        items = headers.items() if isinstance(headers, Mapping) else headers
    plain: list[str] = []
    creds: list[str] = []
    for name, value in items:  # type: ignore[attr-defined]
        low = name.lower()
        if low in _FRAMING:
            continue
        lines = creds if low in CREDENTIAL_HEADERS else plain
        if low not in _STANDARD_NAMES:
            plain.append(name)
        if value:
            lines.append(value)
            if "%" in value:
                decoded = unquote(value)
                if decoded != value:
                    lines.append(decoded)
    return "\n".join(plain), "\n".join(creds)


def path_text(path: str) -> str:
    """The URL path (no query), percent-decoded, segments one per line."""
    head = path.partition("?")[0].partition("#")[0]
    return "\n".join(p for p in unquote(head).split("/") if p)


def join_windows(segments: Sequence[Segment]) -> list[tuple[str, Junctions]]:
    """The segments laid end to end; the text around each junction, overlapping windows merged."""
    starts: list[int] = []
    pos = 0
    for seg in segments:
        starts.append(pos)
        pos += len(seg.text)
    concat_len = pos
    junctions = starts[1:]
    intervals: list[list[int]] = []
    for j in junctions:
        lo, hi = max(0, j - JOIN_WINDOW), min(concat_len, j + JOIN_WINDOW)
        if intervals and lo <= intervals[-1][1]:
            intervals[-1][1] = hi
        else:
            intervals.append([lo, hi])
    out: list[tuple[str, Junctions]] = []
    for lo, hi in intervals:
        parts: list[str] = []
        pieces: list[tuple[int, int, int]] = []
        for seg, start in zip(segments, starts, strict=True):
            end = start + len(seg.text)
            if end <= lo or start >= hi:
                continue
            a, b = max(lo, start), min(hi, end)
            pieces.append((a - lo, seg.id, a - start))
            parts.append(seg.text[a - start : b - start])
        bounds = tuple(j - lo for j in junctions if lo < j < hi)
        out.append(("".join(parts), Junctions(tuple(pieces), bounds)))
    return out


def surface(
    segments: Sequence[Segment],
    *,
    structure: str = "",
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    path: str | None = None,
) -> Surface:
    """The extra segments for a request whose extraction gave ``segments`` (ids continue after them)."""
    out = Surface()
    next_id = max((s.id for s in segments), default=-1) + 1

    def add(text: str, where: str, kind: str) -> int | None:
        nonlocal next_id
        if not text.strip():
            return None
        out.segments.append(Segment(next_id, text, where, rewritable=False, kind=kind))
        next_id += 1
        return next_id - 1

    add(structure, "json.structure", "structure")
    if headers is not None:
        plain, creds = header_texts(headers)
        seg_id = add(plain, "headers", "header")
        if seg_id is not None:
            out.ignores[seg_id] = HEADER_IGNORES
        seg_id = add(creds, "headers", "header")
        if seg_id is not None:
            out.ignores[seg_id] = CREDENTIAL_IGNORES
    if path is not None:
        add(path_text(path), "path", "header")
    content = [s for s in segments if s.text]
    for text, junctions in join_windows(content):
        seg_id = add(text, "join", "join")
        if seg_id is not None:
            out.joins[seg_id] = junctions
    return out


def keep_findings[F: FindingLike](
    extra: Surface, all_segments: Sequence[Segment], findings: Sequence[Sequence[F]]
) -> list[list[F]]:
    """Findings per segment with those that do not count removed (see the module docstring)."""
    by_id = {s.id: n for n, s in enumerate(all_segments)}
    out: list[list[F]] = [list(f) for f in findings]
    for seg_id, ignored in extra.ignores.items():
        n = by_id[seg_id]
        out[n] = [f for f in out[n] if f.entity_type not in ignored]
    for seg_id, junctions in extra.joins.items():
        n = by_id[seg_id]
        out[n] = [f for f in out[n] if _split_value(f, junctions, all_segments, findings, by_id)]
    return out


def _split_value(
    f: FindingLike,
    junctions: Junctions,
    all_segments: Sequence[Segment],
    findings: Sequence[Sequence[FindingLike]],
    by_id: Mapping[int, int],
) -> bool:
    if not any(f.start < b < f.end for b in junctions.boundaries):
        return False  # wholly inside one segment: that segment's own scan decides on it
    # A value of one side glued to its neighbour ("…jean@exemple.fr" + "Bonjour"): one side alone
    # already shows a value of this type where the finding overlaps it.
    for n, (start, seg_id, seg_off) in enumerate(junctions.pieces):
        end = junctions.pieces[n + 1][0] if n + 1 < len(junctions.pieces) else start + 10**9
        lo, hi = max(f.start, start), min(f.end, end)
        if lo >= hi:
            continue
        a, b = lo - start + seg_off, hi - start + seg_off
        own = findings[by_id[seg_id]]
        if any(g.entity_type == f.entity_type and g.start < b and a < g.end for g in own):
            return False
    return True
