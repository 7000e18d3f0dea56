"""What a provider reads besides the body's texts: request headers, the URL path, and the junctions
between adjacent segments where a value split in two becomes whole again.

Pure functions; the pipeline adds the surface segment to an extraction's segments before the scan and
filters the findings afterwards (:func:`keep_findings`). All of these texts form *one* segment, in
regions separated by a blank line: the detector pays its per-text cost once. That segment cannot be
rewritten: a value found in a header, in the path or across two segments blocks the request (a header
is never rewritten, and a value split over two places cannot be replaced without leaking one half).

* **Structure**: JSON object keys, protocol values (``model``, ids, enums) and numbers of 9+ digits
  (:attr:`~dlp_proxy.extract.model.Extraction.structure`).
* **Headers**: every value (and every name outside the standard vocabulary, which a client can choose
  freely), cookies included. Credentials (``Authorization``, ``Proxy-Authorization``, ``x-api-key``,
  ``api-key``, ``x-goog-api-key``) and cookies are scanned for everything but ``SECRET``: they carry the
  client's own API key or session token, which is how the call is authenticated, not a leak. In every
  header, ``IP_ADDRESS`` and ``URL`` are not acted on (version numbers, ``Referer``). Nothing of
  a header ever reaches a log: a segment's ``where`` is ``headers``, never a name or a value.
* **Path**: the URL path, percent-decoded (the query string is scanned by the extractor).
* **Joins**: the segments in request order are laid end to end; around each junction where a value
  could run across (:func:`_may_split`: digits on both sides, glued words, an ``@`` nearby) a window of
  :data:`JOIN_WINDOW` characters either side (whole segments when they are shorter) is scanned, and a
  finding counts only when it *crosses* a junction and is not just a value of one side glued to its
  neighbour (one side alone already shows it, with the same type).
* Exact words of the API and HTTP vocabulary (``messages``, ``application/json``, a path segment of
  plain lower-case words) are not scanned: they cannot carry a value, and scanning them costs time.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
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
#: Values of these are protocol framing, never content (scanning them only costs time); ``host`` is
#: classified by the routing check, which refuses a name that disagrees with the destination.
_FRAMING = frozenset(
    {"content-length", "connection", "te", "transfer-encoding", "keep-alive", "priority", "host"}
)
#: Exact header values of the HTTP vocabulary: they cannot carry a value.
_COMMON_VALUES = frozenset(
    """
    */* application/json text/event-stream text/plain gzip deflate br zstd identity keep-alive close
    no-cache trailers true false python node cors same-origin same-site cross-site empty ?0 ?1
    """.split()
    + ["gzip, deflate", "gzip, deflate, br", "gzip, deflate, br, zstd", "application/json, text/plain, */*"]
)
#: A path segment of plain lower-case words (``chat``, ``completions``, ``v1beta``): API vocabulary.
_PLAIN_SEGMENT = re.compile(r"(?:[a-z]+(?:[-_][a-z]+)*|v\d(?:beta|alpha)?\d?)")


class FindingLike(Protocol):
    entity_type: str
    start: int
    end: int


@dataclass(frozen=True)
class Junctions:
    """Where each segment's part of one join window starts, and where the junctions are."""

    #: (offset in the window, segment id, offset in that segment) of each piece, in order.
    pieces: tuple[tuple[int, int, int], ...]
    boundaries: tuple[int, ...]  # offsets in the window where one segment ends and the next begins


@dataclass(frozen=True)
class Region:
    """One part of the surface text: where it is, and what a finding in it must satisfy."""

    start: int
    end: int
    kind: str  # "structure" | "headers" | "credentials" | "path" | "join"
    ignore: frozenset[str] = frozenset()
    junctions: Junctions | None = None


@dataclass
class Surface:
    """The extra text of one request, as one segment (one scan unit: cheap), and its regions."""

    segments: list[Segment] = field(default_factory=list)  # none, or the one surface segment
    regions: list[Region] = field(default_factory=list)


#: Between two regions of the surface text: no value runs across it.
REGION_SEPARATOR = "\n\n"


def header_texts(headers: Mapping[str, str] | Sequence[tuple[str, str]]) -> tuple[str, str]:
    """(text of ordinary headers, text of credential headers and cookies), one line per header."""
    fields = getattr(headers, "fields", None)  # mitmproxy's Headers: every field, repeated ones too
    if fields is not None:
        items: Iterable[tuple[str, str]] = [
            (k.decode("latin-1"), v.decode("utf-8", "replace")) for k, v in fields
        ]
    elif isinstance(headers, Mapping):
        items = headers.items()
    else:
        items = headers
    plain: list[str] = []
    creds: list[str] = []
    for name, value in items:
        low = name.lower()
        if low in _FRAMING:
            continue
        lines = creds if low in CREDENTIAL_HEADERS else plain
        if low not in _STANDARD_NAMES:
            plain.append(name)
        if value and value.strip().lower() not in _COMMON_VALUES:
            lines.append(value)
            if "%" in value:
                decoded = unquote(value)
                if decoded != value:
                    lines.append(decoded)
    return "\n".join(plain), "\n".join(creds)


def path_text(path: str) -> str:
    """The URL path (no query), percent-decoded, segments one per line."""
    head = path.partition("?")[0].partition("#")[0]
    return "\n".join(p for p in unquote(head).split("/") if p and not _PLAIN_SEGMENT.fullmatch(p))


_SEPARATORS = " \t\n\r.-/_"
_GLUE = "-_@+"


def _may_split(left: str, right: str) -> bool:
    """Whether a value could run across this junction: digits on both sides (separators aside), a
    word glued to a word, or an ``@`` nearby. Two sentences ("…française." then "Bonjour") are not."""
    a, b = left.rstrip(_SEPARATORS), right.lstrip(_SEPARATORS)
    if a and b and a[-1].isdigit() and b[0].isdigit():
        return True
    if (
        left
        and right
        and (left[-1].isalnum() or left[-1] in _GLUE)
        and (right[0].isalnum() or right[0] in _GLUE)
    ):
        return True
    return "@" in left[-JOIN_WINDOW:] or "@" in right[:JOIN_WINDOW]


def join_windows(segments: Sequence[Segment]) -> list[tuple[str, Junctions]]:
    """The segments laid end to end; the text around each junction, overlapping windows merged."""
    starts: list[int] = []
    pos = 0
    for seg in segments:
        starts.append(pos)
        pos += len(seg.text)
    concat_len = pos
    junctions = [
        j
        for j, left, right in zip(starts[1:], segments, segments[1:], strict=False)
        if _may_split(left.text, right.text)
    ]
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
    """The surface segment for a request whose extraction gave ``segments`` (its id follows theirs).

    Every extra text (structure, headers, credentials, path, join windows) is one region of a single
    segment: the detector pays its per-text cost once.
    """
    parts: list[tuple[str, str, frozenset[str], Junctions | None]] = [
        (structure, "structure", frozenset(), None)
    ]
    if headers is not None:
        plain, creds = header_texts(headers)
        parts += [(plain, "headers", HEADER_IGNORES, None), (creds, "credentials", CREDENTIAL_IGNORES, None)]
    if path is not None:
        parts.append((path_text(path), "path", HEADER_IGNORES, None))
    parts += [(text, "join", frozenset(), j) for text, j in join_windows([s for s in segments if s.text])]
    out = Surface()
    texts: list[str] = []
    pos = 0
    for text, kind, ignore, junctions in parts:
        if not text.strip():
            continue
        if texts:
            texts.append(REGION_SEPARATOR)
            pos += len(REGION_SEPARATOR)
        out.regions.append(Region(pos, pos + len(text), kind, ignore, junctions))
        texts.append(text)
        pos += len(text)
    if texts:
        seg_id = max((s.id for s in segments), default=-1) + 1
        out.segments.append(Segment(seg_id, "".join(texts), "surface", rewritable=False, kind="surface"))
    return out


def keep_findings[F: FindingLike](
    extra: Surface, all_segments: Sequence[Segment], findings: Sequence[Sequence[F]]
) -> list[list[F]]:
    """Findings per segment with those that do not count removed (see the module docstring)."""
    out: list[list[F]] = [list(f) for f in findings]
    if not extra.segments:
        return out
    by_id = {s.id: n for n, s in enumerate(all_segments)}
    n = by_id[extra.segments[0].id]
    starts = [r.start for r in extra.regions]
    kept: list[F] = []
    for f in out[n]:
        region = extra.regions[max(0, bisect_right(starts, f.start) - 1)]
        if f.entity_type in region.ignore:
            continue
        if region.junctions is not None and not _split_value(
            f, region.start, region.junctions, findings, by_id
        ):
            continue
        kept.append(f)
    out[n] = kept
    return out


def _split_value(
    f: FindingLike,
    offset: int,
    junctions: Junctions,
    findings: Sequence[Sequence[FindingLike]],
    by_id: Mapping[int, int],
) -> bool:
    f_start, f_end = f.start - offset, f.end - offset  # in the window's coordinates
    if not any(f_start < b < f_end for b in junctions.boundaries):
        return False  # wholly inside one segment: that segment's own scan decides on it
    # A value of one side glued to its neighbour ("…jean@exemple.fr" + "Bonjour"): one side alone
    # already shows a value of this type where the finding overlaps it.
    for n, (start, seg_id, seg_off) in enumerate(junctions.pieces):
        end = junctions.pieces[n + 1][0] if n + 1 < len(junctions.pieces) else start + 10**9
        lo, hi = max(f_start, start), min(f_end, end)
        if lo >= hi:
            continue
        a, b = lo - start + seg_off, hi - start + seg_off
        own = findings[by_id[seg_id]]
        if any(g.entity_type == f.entity_type and g.start < b and a < g.end for g in own):
            return False
    return True
