"""What the provider reads besides the body's texts: keys, protocol values, long numbers, media parts,
headers, the path, and values split across two segments (dlp_proxy.extract.surface)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from dlp_proxy.extract import Segment, extract_request
from dlp_proxy.extract.surface import JOIN_WINDOW, header_texts, keep_findings, path_text, surface
from tests.fixtures.requests.samples import make_png, make_wav

NIR = "1 85 05 78 006 084 91"
JSON = {"content-type": "application/json"}


def _extract(body: object, family: str = "openai", path: str = "/v1/chat/completions"):
    return extract_request(family, "POST", path, JSON, json.dumps(body).encode(), None)


def _scanned(extraction) -> str:
    """Everything the pipeline hands to the scanner for this body (segments and structure)."""
    return "\n".join([s.text for s in extraction.segments] + [extraction.structure])


# -- structure: keys, protocol values, long numbers ---------------------------------------------------


def test_keys_model_and_long_numbers_are_structure() -> None:
    ex = _extract(
        {
            "model": "gpt-4o 4970101234567899",
            NIR: "clé",
            "seed": 4970101234567899,
            "n": 1,
            "temperature": 0.5,
            "messages": [{"role": "user", "content": "Bonjour"}],
        }
    )
    lines = ex.structure.split("\n")
    assert "gpt-4o 4970101234567899" in lines  # the model string
    assert NIR in lines  # an object key
    assert "4970101234567899" in lines  # a 16-digit number
    assert "1" not in lines and "0.5" not in lines  # short numbers are not values anyone hides
    assert [s.text for s in ex.segments] == ["clé", "Bonjour"]


def test_integral_float_is_read_as_its_digits() -> None:
    ex = _extract({"seed": 4970101234567899.0, "messages": []})
    assert "4970101234567899" in ex.structure.split("\n")


# -- media parts ---------------------------------------------------------------------------------------


def _image_part(url: str) -> dict:
    return {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}]}


def test_text_sent_as_a_png_data_url_is_text() -> None:
    b64 = base64.b64encode(f"NIR {NIR}".encode()).decode()
    ex = _extract(_image_part(f"data:image/png;base64,{b64}"))
    assert [(s.text, s.kind, s.rewritable) for s in ex.segments] == [(f"NIR {NIR}", "document", False)]
    assert ex.unscannable == []


def test_png_text_chunk_is_scanned_and_the_image_stays_unscannable() -> None:
    b64 = base64.b64encode(make_png({"Comment": f"NIR {NIR}"})).decode()
    ex = _extract(_image_part(f"data:image/png;name=Jean%20Dupont;base64,{b64}"))
    assert [u.kind for u in ex.unscannable] == ["image"]
    assert any(NIR in s.text for s in ex.segments)
    assert "name=Jean Dupont" in ex.structure  # data: URL parameters


def test_image_url_query_is_scanned() -> None:
    ex = _extract(_image_part("https://img.example.net/a.png?nir=1850578006084&mail=jean%40exemple.fr"))
    assert [u.kind for u in ex.unscannable] == ["image"]
    assert [s.kind for s in ex.segments] == ["query"]
    assert "1850578006084" in ex.segments[0].text and not ex.segments[0].rewritable


def test_input_audio_that_is_base64_text_is_text() -> None:
    data = base64.b64encode(f"NIR {NIR}".encode()).decode()
    part = {"type": "input_audio", "input_audio": {"data": data, "format": "wav"}}
    ex = _extract({"messages": [{"role": "user", "content": [part]}]})
    assert [s.text for s in ex.segments] == [f"NIR {NIR}"]
    assert ex.unscannable == []


def test_real_audio_stays_unscannable() -> None:
    part = {
        "type": "input_audio",
        "input_audio": {"data": base64.b64encode(make_wav()).decode(), "format": "wav"},
    }
    ex = _extract({"messages": [{"role": "user", "content": [part]}]})
    assert [u.kind for u in ex.unscannable] == ["audio"]
    assert ex.segments == []


def test_an_image_pointer_is_unscannable() -> None:
    ex = _extract(_image_part(""))
    assert [u.kind for u in ex.unscannable] == ["image"]


# -- headers and path ----------------------------------------------------------------------------------


def test_header_texts_split_credentials_from_the_rest() -> None:
    plain, creds = header_texts(
        [
            ("Content-Length", "12"),
            ("Authorization", "Bearer sk-proj-abc"),
            ("Cookie", "a=jean%40exemple.fr"),
            ("User-Agent", "curl/8"),
            ("X-Note", NIR),
            ("X-Jean-Dupont", "1"),
        ]
    )
    assert creds.split("\n") == ["Bearer sk-proj-abc", "a=jean%40exemple.fr", "a=jean@exemple.fr"]
    assert plain.split("\n") == ["curl/8", "X-Note", NIR, "X-Jean-Dupont", "1"]
    assert "12" not in plain


def test_path_text_is_decoded() -> None:
    assert path_text("/v1/users/jean%40exemple.fr/chat?x=1") == "v1\nusers\njean@exemple.fr\nchat"


def test_surface_segments_are_never_rewritable_and_never_name_a_header() -> None:
    segs = [Segment(0, "a", "messages[0].content")]
    extra = surface(segs, structure="model", headers={"X-Secret-Name": "v"}, path="/v1/x")
    assert all(not s.rewritable for s in extra.segments)
    assert {s.where for s in extra.segments} == {"json.structure", "headers", "path"}
    assert [s.id for s in extra.segments] == [1, 2, 3]


# -- joins ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class F:
    entity_type: str
    start: int
    end: int
    score: float = 1.0


def test_a_join_window_spans_each_junction() -> None:
    segs = [Segment(0, "x" * 200 + "NIR 1 85 05 78", "a"), Segment(1, " 006 084 91 fin" + "y" * 200, "b")]
    extra = surface(segs)
    (join,) = extra.segments
    assert join.kind == "join" and len(join.text) == 2 * JOIN_WINDOW
    assert "NIR 1 85 05 78 006 084 91 fin" in join.text


def test_short_segments_share_one_window() -> None:
    segs = [Segment(i, t, "m") for i, t in enumerate(["1 85", " 05 78 006", " 084 91"])]
    (join,) = surface(segs).segments
    assert join.text == "1 85 05 78 006 084 91"


def test_only_findings_across_a_junction_that_neither_side_shows_count() -> None:
    a = "écrire à jean@exemple.fr"
    b = "Bonjour, appelez le 06 12"
    c = " 34 56 78"
    segs = [Segment(0, a, "m"), Segment(1, b, "m"), Segment(2, c, "m")]
    extra = surface(segs)
    (join,) = extra.segments
    all_segs = [*segs, join]
    t = join.text
    glued = F("EMAIL_ADDRESS", t.index("jean"), t.index("Bonjour") + 7)  # e-mail glued to "Bonjour"
    inside = F("PHONE_NUMBER", t.index("appelez"), t.index("appelez") + 7)  # within one segment
    split = F("PHONE_NUMBER", t.index("06 12"), len(t))  # "06 12" + " 34 56 78": the split value
    own_a = F("EMAIL_ADDRESS", a.index("jean"), len(a))
    kept = keep_findings(extra, all_segs, [[own_a], [], [], [glued, inside, split]])
    assert kept[3] == [split]
    assert kept[0] == [own_a]


def test_credentials_ignore_secrets_only() -> None:
    segs: list[Segment] = []
    extra = surface(segs, headers={"Authorization": "Bearer sk-proj-x", "X-A": "b"})
    plain, creds = extra.segments
    found = [[F("PERSON", 0, 1), F("IP_ADDRESS", 0, 2)], [F("SECRET", 0, 5), F("FR_NIR", 0, 5)]]
    kept = keep_findings(extra, extra.segments, found)
    assert kept == [[F("PERSON", 0, 1)], [F("FR_NIR", 0, 5)]]
