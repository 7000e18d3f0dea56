"""A short, seeded run of bench/fuzz.py: the extractors and decoders never crash, and every string, key
and 9+-digit number of a generated body is handed to the scanner (the oracle is bench/fuzz.py's)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import fuzz  # noqa: E402


def test_seeded_fuzz_run_finds_nothing() -> None:
    fuzz.run(minutes=1.0, examples=60, seed_value=20261204, quiet=True)


@pytest.mark.parametrize(
    ("value", "items"),
    [
        ({"a": ["x", 1, 1234567890, {"b": None}]}, {"a", "x", "1234567890", "b"}),
        ([1.5, True, "y"], {"y"}),
    ],
)
def test_reference_walker_lists_strings_keys_and_long_numbers(value: object, items: set[str]) -> None:
    assert set(fuzz.reference_items(value)) == items


def test_the_oracle_catches_a_value_left_out() -> None:
    """The oracle is not vacuous: a body whose value is not handed to the scanner fails it."""
    from dlp_proxy.extract import extract_request

    extraction = extract_request("openai", "POST", "/v1/x", {}, b'{"a": "b"}', "application/json")
    assert fuzz.covered("b", fuzz.scanned_text(extraction), extraction)
    assert not fuzz.covered("missing value", fuzz.scanned_text(extraction), extraction)


def test_a_known_crash_stays_fixed() -> None:
    """Found by the fuzzer: ``{"type": []}`` raised TypeError in the walk (the proxy answered 500-ish)."""
    fuzz.check_body("anthropic", "/v1/messages", {"type": []}, b'{"type": []}', "application/json")


def test_tool_arguments_that_are_a_bare_json_scalar_are_scanned() -> None:
    """Found by the fuzzer: ``"arguments": "0"`` parsed as JSON and its text was never scanned."""
    body = {"messages": [{"role": "assistant", "tool_calls": [{"function": {"arguments": "1 85 05 78"}}]}]}
    fuzz.check_body(
        "openai", "/v1/chat/completions", body, fuzz.json.dumps(body).encode(), "application/json"
    )
    scalar = {"model": {"arguments": "0"}}
    fuzz.check_body("anthropic", "/v1/messages", scalar, b'{"model": {"arguments": "0"}}', "application/json")


def test_the_other_fields_of_inline_data_are_scanned() -> None:
    """Found by the fuzzer: next to a base64 ``data``, the other fields of ``inlineData`` were skipped."""
    body = {"inlineData": {"data": "", "model": [100000000], "displayName": "Jean Dupont"}}
    fuzz.check_body(
        "gemini", "/v1beta/models/x:generateContent", body, fuzz.json.dumps(body).encode(), "application/json"
    )
