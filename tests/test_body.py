"""Body decoding fails closed: what cannot be read is refused with a reason, never passed."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest

from dlp_proxy.body import UndecodableBody, decode_body, decode_content


@pytest.mark.parametrize(
    "encoding,encode",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
        ("GZIP", gzip.compress),
        (None, lambda b: b),
        ("identity", lambda b: b),
    ],
)
def test_single_encodings_decode(encoding, encode) -> None:
    raw = b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "\xc3\xa9t\xc3\xa9"}]}'
    body = decode_body(encode(raw), encoding, "application/json")
    assert body.is_json and body.json["messages"][0]["content"] == "été"


@pytest.mark.parametrize("encoding", ["gzip, br", "gzip,gzip", "compress", "x-unknown", "utf8"])
def test_stacked_or_unknown_encodings_refused(encoding) -> None:
    with pytest.raises(UndecodableBody) as exc:
        decode_content(gzip.compress(b"{}"), encoding)
    assert exc.value.reason and exc.value.reason_en


def test_corrupt_gzip_refused() -> None:
    with pytest.raises(UndecodableBody):
        decode_content(b"not gzip at all", "gzip")


def test_invalid_json_refused_without_quoting_the_body() -> None:
    with pytest.raises(UndecodableBody) as exc:
        decode_body(b'{"secret": "jean.dupont@example.fr"', None, "application/json")
    assert "jean.dupont" not in exc.value.reason and "jean.dupont" not in str(exc.value)


def test_bad_charset_refused() -> None:
    with pytest.raises(UndecodableBody):
        decode_body('{"a": "é"}'.encode("latin-1"), None, "application/json; charset=utf-8")
    with pytest.raises(UndecodableBody):
        decode_body(b"{}", None, "application/json; charset=x-klingon")


def test_declared_latin1_decodes() -> None:
    body = decode_body('{"a": "é"}'.encode("latin-1"), None, "application/json; charset=ISO-8859-1")
    assert body.json == {"a": "é"}


def test_vendor_json_types_are_json() -> None:
    assert decode_body(b"{}", None, "application/vnd.api+json").is_json


def test_binary_body_has_no_text() -> None:
    body = decode_body(b"\x89PNG\r\n\x1a\n\x00\xff", None, "image/png")
    assert body.text is None and not body.is_json


def test_empty_body() -> None:
    assert decode_body(b"", None, "application/json").text == ""
