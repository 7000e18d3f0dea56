"""Fuzz the request extractors and body decoders (Hypothesis), with an oracle of what must be scanned.

    python bench/fuzz.py [--minutes 10] [--seed N] [--examples N]

Two properties, over generated API-shaped JSON bodies (every adapter, random paths, content encodings,
charsets, nested JSON in strings, data: URLs, base64 blobs, media parts, huge and odd numbers) and over
raw bytes:

1. **No crash**: ``decode_body`` and ``extract_request`` either return or raise ``UndecodableBody``
   (which the proxy turns into a 400); anything else is a bug.
2. **The oracle**: :func:`reference_items`, a walker written independently of the extractor, lists every
   string, every object key and every number of 9+ digits of the generated body. Each must be *covered*
   by what the extractor hands to the scanner — its segments and its structure text — verbatim (an exact
   word of the APIs' vocabulary, ``PROTOCOL_WORDS``, is exempt: it cannot carry a value), or (for a
   JSON text inside a string) through its own items, or (for base64 / a ``data:`` URL) through the text it
   decodes to; a blob that decodes to no text is covered only when the extraction reports content that
   cannot be scanned (which the policy then decides on).

Bounded by ``--minutes`` (default 10) and ``--examples``; prints one line per property and exits 1 on the
first failure, with Hypothesis's minimal example. ``tests/test_fuzz.py`` runs a short seeded version.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import gzip
import json
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dlp_proxy.body import UndecodableBody, decode_body  # noqa: E402
from dlp_proxy.extract import ADAPTERS, Extraction, extract_request  # noqa: E402
from dlp_proxy.extract.model import PROTOCOL_WORDS  # noqa: E402

MIN_DIGITS = 9
FAMILIES = sorted(ADAPTERS)
PATHS = [
    "/v1/chat/completions",
    "/v1/responses",
    "/v1/messages",
    "/v1beta/models/gemini-pro:generateContent",
    "/model/anthropic.claude/converse",
    "/api/chat",
    "/backend-api/conversation",
    "/v2/chat",
    "/v1/embeddings",
    "/anything",
]
# Keys and values of the APIs, so that generated bodies take the adapters' special paths.
API_KEYS = [
    "model", "messages", "role", "content", "type", "text", "input", "prompt", "system", "tools",
    "function", "name", "arguments", "tool_calls", "image_url", "url", "input_audio", "data", "format",
    "audio", "inlineData", "mimeType", "parts", "contents", "source", "media_type", "file_data", "file_url",
    "signature", "thinking", "tokens", "input_ids", "id", "seed", "metadata", "documents", "filename",
]  # fmt: skip
API_VALUES = [
    "user", "system", "assistant", "tool", "text", "image_url", "input_image", "input_audio", "tool_use",
    "tool_result", "thinking", "redacted_thinking", "document", "base64", "function", "image/png",
    "text/plain", "application/pdf", "function_call", "function_call_output",
]  # fmt: skip


# -------------------------------------------------------------------------------------------- oracle
def _digits(n: int | float) -> str | None:
    text = str(int(n)) if isinstance(n, float) and n.is_integer() and abs(n) < 1e300 else str(n)
    return text if sum(c.isdigit() for c in text) >= MIN_DIGITS else None


def reference_items(value: Any) -> Iterator[str]:
    """Every string, key and long number of a JSON value, depth first (independent of the extractor)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, int | float):
            if (text := _digits(node)) is not None:
                yield text
        elif isinstance(node, dict):
            for k, v in node.items():
                yield k
                stack.append(v)
        elif isinstance(node, list):
            stack.extend(node)


def _b64(text: str) -> bytes | None:
    compact = "".join(text.split())
    alt = b"-_" if "-" in compact or "_" in compact else None
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), altchars=alt, validate=True)
    except (binascii.Error, ValueError):
        return None


def _decoded_text(item: str) -> tuple[bool, str | None]:
    """(is a blob, its text or None): base64 or a ``data:`` URL, as any reader would decode it."""
    raw: bytes | None
    if item[:5].lower() == "data:" and "," in item:
        head, _, payload = item.partition(",")
        if ";base64" in head.lower():
            raw = _b64(payload)
        else:
            from urllib.parse import unquote_to_bytes

            raw = unquote_to_bytes(payload)
    else:
        raw = _b64(item)
    if raw is None:
        return False, None
    try:
        return True, raw.decode("utf-8")
    except UnicodeDecodeError:
        # a file declared as text may be Windows-1252 (French files saved by Windows tools)
        return True, raw.decode("cp1252", "replace") if raw else None


def covered(item: str, scanned: str, extraction: Extraction, depth: int = 0) -> bool:
    if not item.strip() or item in PROTOCOL_WORDS:
        return True  # nothing to read, or an exact word of the APIs' vocabulary (cannot carry a value)
    if item in scanned:
        return True
    stripped = item.strip()
    if depth < 3 and stripped[:1] in "{[":
        try:
            inner = json.loads(stripped)
        except ValueError:
            inner = None
        if isinstance(inner, dict | list):
            return all(covered(i, scanned, extraction, depth + 1) for i in reference_items(inner))
    is_blob, text = _decoded_text(item)
    if is_blob:
        if text is not None and not text.strip():
            return True  # decodes to blanks: nothing to read
        if text is not None and (text.strip() in scanned or text.strip()[:64] in scanned):
            return True
        return bool(extraction.unscannable)
    return False


def scanned_text(extraction: Extraction) -> str:
    return "\n".join([s.text for s in extraction.segments] + [extraction.structure])


def check_body(family: str, path: str, value: Any, raw: bytes, content_type: str) -> None:
    """Decode and extract one body; every reference item must be covered."""
    try:
        body = decode_body(raw, None, content_type)
        extraction = extract_request(family, "POST", path, {"content-type": content_type}, body.content)
    except UndecodableBody:
        return  # refused with a 400: nothing reaches the provider
    scanned = scanned_text(extraction)
    for item in reference_items(value):
        if not covered(item, scanned, extraction):
            raise AssertionError(f"not scanned: {item!r} ({family} {path})")


# -------------------------------------------------------------------------------------- strategies
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(API_VALUES),
    st.text(alphabet="0123456789 -.", min_size=9, max_size=30),
    st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode()),
    st.builds(
        lambda media, t: f"data:{media};base64," + base64.b64encode(t.encode()).decode(),
        st.sampled_from(["text/plain", "image/png", "audio/wav", "application/pdf"]),
        st.text(min_size=1, max_size=30),
    ),
)
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=10**8, max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
)
keys = st.one_of(st.sampled_from(API_KEYS), st.text(max_size=20))
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(keys, children, max_size=6),
        # a JSON text inside a string (tool-call arguments, form fields)
        st.dictionaries(keys, children, max_size=4).map(lambda d: json.dumps(d)),
    ),
    max_leaves=40,
)
bodies = st.one_of(
    st.dictionaries(keys, json_values, max_size=8),
    st.builds(
        lambda model, msgs, extra: {"model": model, "messages": msgs, **extra},
        texts,
        st.lists(
            st.fixed_dictionaries({"role": st.sampled_from(API_VALUES), "content": json_values}), max_size=4
        ),
        st.dictionaries(keys, json_values, max_size=3),
    ),
)  # fmt: skip


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, Any, bytes, str]:
    value = draw(bodies)
    charset = draw(st.sampled_from(["", "; charset=utf-8", "; charset=utf-16"]))
    encoding = "utf-16" if "16" in charset else "utf-8"
    raw = json.dumps(value, ensure_ascii=draw(st.booleans())).encode(encoding)
    return (
        draw(st.sampled_from(FAMILIES)),
        draw(st.sampled_from(PATHS)),
        value,
        raw,
        f"application/json{charset}",
    )


@st.composite
def raw_bodies(draw: st.DrawFn) -> tuple[bytes, str | None, str | None]:
    data = draw(st.one_of(st.binary(max_size=512), st.text(max_size=200).map(str.encode)))
    enc = draw(st.sampled_from([None, "gzip", "deflate", "identity", "br", "gzip, deflate", "x-unknown"]))
    if enc == "gzip" and draw(st.booleans()):
        data = gzip.compress(data)
    elif enc == "deflate" and draw(st.booleans()):
        data = zlib.compress(data)
    ctype = draw(
        st.sampled_from(
            [
                None,
                "application/json",
                "text/plain; charset=latin-1",
                "multipart/form-data; boundary=x",
                "application/x-www-form-urlencoded",
                "image/png",
                "text/plain; charset=bogus",
            ]
        )
    )
    return data, enc, ctype


def check_raw(data: bytes, enc: str | None, ctype: str | None, family: str, path: str) -> None:
    """Raw bytes through the decoders and the extractor: a result or UndecodableBody, nothing else."""
    try:
        body = decode_body(data, enc, ctype)
        extract_request(family, "POST", path, {"content-type": ctype or ""}, body.content, ctype)
    except UndecodableBody:
        pass


# ------------------------------------------------------------------------------------------ running
#: Examples per Hypothesis round: rounds repeat (with the next seed) until the time or count is spent.
ROUND = 400


def run(minutes: float, examples: int, seed_value: int | None, *, quiet: bool = False) -> None:
    """Both properties, each bounded by half the time and by ``examples``.

    Hypothesis has no wall-clock bound of its own, so each property runs in rounds of :data:`ROUND`
    examples (round ``k`` with seed ``seed + k`` when a seed is given) until its share of the time or
    its number of examples is spent; a failure stops the run with Hypothesis's minimal example.
    """
    budget = minutes * 60 / 2
    count = {"oracle": 0, "raw": 0}

    def oracle() -> Any:  # a new test function per round: Hypothesis decorates each only once
        @given(requests())
        def prop(req: tuple[str, str, Any, bytes, str]) -> None:
            count["oracle"] += 1
            check_body(*req)

        return prop

    def raw() -> Any:
        @given(raw_bodies(), st.sampled_from(FAMILIES), st.sampled_from(PATHS))
        def prop(body: tuple[bytes, str | None, str | None], family: str, path: str) -> None:
            count["raw"] += 1
            check_raw(*body, family, path)

        return prop

    def rounds(name: str, make: Any) -> float:
        start = time.monotonic()
        k = 0
        while count[name] < examples and time.monotonic() - start < budget:
            s = settings(
                max_examples=min(ROUND, examples - count[name]),
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.generate, Phase.shrink],
                print_blob=True,
            )
            wrapped = s(make())
            if seed_value is not None:
                wrapped = seed(seed_value + k)(wrapped)
            wrapped()
            k += 1
        return time.monotonic() - start

    spent = rounds("oracle", oracle)
    if not quiet:
        print(
            f"oracle: {count['oracle']} bodies, every string, key and 9+-digit number scanned ({spent:.0f} s)"
        )
    spent = rounds("raw", raw)
    if not quiet:
        print(f"decoders: {count['raw']} raw bodies, no crash ({spent:.0f} s)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="time bound for the whole run")
    ap.add_argument("--examples", type=int, default=1_000_000, help="examples per property (upper bound)")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    run(args.minutes, args.examples, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
