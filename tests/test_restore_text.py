"""TextRestorer: incremental restoration holds back only a possible partial pseudonym."""

from __future__ import annotations

import json
import random

import pytest

from dlp_proxy.restore import Replacements, TextRestorer, restore_value
from dlp_proxy.restore.text import restore_string

MAPPING = {
    "[[PERSON_1]]": 'Jean "Jo" Dupont',
    "[[PERSON_2]]": "Zoé Martin",
    "[[EMAIL_ADDRESS_1]]": "zoe.martin@exemple.fr",
    "[[ADDRESS_1]]": "12 rue de l'Église\\B, 75001 Paris",
    "Camille Texier": "Marie Curie",  # a surrogate
    "Camille Texier-Roux": "Pierre Curie",  # a longer surrogate starting with the other one
}
MAX_LEN = max(map(len, MAPPING))

MODEL_TEXT = (
    "Bonjour [[PERSON_1]] ! Votre adresse : [[ADDRESS_1]], écrivez à [[EMAIL_ADDRESS_1]]. "
    "Voir [note] et [[wiki]] ou [[PERSON_ et [[PERSON_12]] et [[PERSON_2]][[PERSON_1]]. "
    "Camille Texier et Camille Texier-Roux et Camille Tex. 😀 Fin : [[PERSON_2]]"
)
EXPECTED = (
    'Bonjour Jean "Jo" Dupont ! Votre adresse : 12 rue de l\'Église\\B, 75001 Paris, écrivez à '
    "zoe.martin@exemple.fr. Voir [note] et [[wiki]] ou [[PERSON_ et [[PERSON_12]] et Zoé Martin"
    'Jean "Jo" Dupont. Marie Curie et Pierre Curie et Camille Tex. 😀 Fin : Zoé Martin'
)


def run(pieces: list[str], mapping=MAPPING) -> tuple[str, int]:
    restorer = TextRestorer(mapping)
    out = []
    most_held = 0
    for piece in pieces:
        out.append(restorer.feed(piece))
        most_held = max(most_held, len(restorer.held))
    out.append(restorer.finish())
    assert restorer.held == ""
    return "".join(out), most_held


def random_pieces(text: str, rng: random.Random, most: int = 6) -> list[str]:
    pieces, pos = [], 0
    while pos < len(text):
        n = rng.randint(0, most)  # empty pieces too
        pieces.append(text[pos : pos + n])
        pos += n
    return pieces


def test_one_shot():
    assert Replacements(MAPPING).restore(MODEL_TEXT) == EXPECTED


def test_one_character_per_piece():
    out, most_held = run(list(MODEL_TEXT))
    assert out == EXPECTED
    assert most_held <= MAX_LEN - 1


@pytest.mark.parametrize("size", range(1, 8))
def test_fixed_piece_sizes(size):
    out, most_held = run([MODEL_TEXT[i : i + size] for i in range(0, len(MODEL_TEXT), size)])
    assert out == EXPECTED
    assert most_held <= MAX_LEN - 1


@pytest.mark.parametrize("seed", range(30))
def test_random_pieces(seed):
    out, most_held = run(random_pieces(MODEL_TEXT, random.Random(seed)))
    assert out == EXPECTED
    assert most_held <= MAX_LEN - 1


def test_every_split_point_of_every_placeholder():
    text = "a[[PERSON_1]]b"
    for i in range(len(text) + 1):
        for j in range(i, len(text) + 1):
            out, _ = run([text[:i], text[i:j], text[j:]])
            assert out == 'aJean "Jo" Dupontb', (i, j)


def test_holds_back_only_a_prefix_of_a_placeholder():
    restorer = TextRestorer(MAPPING)
    assert restorer.feed("Voir [") == "Voir "
    assert restorer.held == "["
    assert restorer.feed("n") == "[n"  # "[n" cannot start a placeholder: released at once
    assert restorer.held == ""
    assert restorer.feed("ote] et [[") == "ote] et "
    assert restorer.held == "[["
    assert restorer.feed("w") == "[[w"
    assert restorer.feed(" [[PERSON_") == " "
    assert restorer.held == "[[PERSON_"
    assert restorer.feed("1") == ""
    assert restorer.feed("2") == "[[PERSON_12"  # "[[PERSON_12" is no prefix of a known placeholder
    assert restorer.feed("]] [[PERSON_1]") == "]] "
    assert restorer.feed("]") == 'Jean "Jo" Dupont'
    assert restorer.finish() == ""


def test_nothing_held_without_a_possible_start():
    restorer = TextRestorer(MAPPING)
    for piece in ["Bonjour", " à ", "tous", " ! ", "]]", "x"]:
        assert restorer.feed(piece) == piece
        assert restorer.held == ""


def test_finish_releases_a_partial_placeholder_as_is():
    restorer = TextRestorer(MAPPING)
    assert restorer.feed("fin [[PERS") == "fin "
    assert restorer.finish() == "[[PERS"


def test_longest_pseudonym_wins_even_when_split():
    # "Camille Texier" is complete but "Camille Texier-Roux" may follow: wait, then take the longest.
    restorer = TextRestorer(MAPPING)
    assert restorer.feed("Camille Texier") == ""
    assert restorer.feed("-Ro") == ""
    assert restorer.feed("ux!") == "Pierre Curie!"
    restorer = TextRestorer(MAPPING)
    assert restorer.feed("Camille Texier") == ""
    assert restorer.feed(" et") == "Marie Curie et"


def test_empty_mapping_passes_through():
    restorer = TextRestorer({})
    assert restorer.feed("[[PERSON_1]] [") == "[[PERSON_1]] ["
    assert restorer.finish() == ""


def test_json_mapping_escapes_values():
    repl = Replacements(MAPPING)
    args = '{"name": "[[PERSON_1]]", "address": "[[ADDRESS_1]]"}'
    restored = repl.json.restore(args)
    assert json.loads(restored) == {
        "name": 'Jean "Jo" Dupont',
        "address": "12 rue de l'Église\\B, 75001 Paris",
    }
    # A pseudonym written with \u escapes by a JSON encoder is found too.
    repl2 = Replacements({"Zoé Hébert": "Marie Curie"})
    assert json.loads(repl2.json.restore(json.dumps({"n": "Zoé Hébert"}))) == {"n": "Marie Curie"}


def test_json_escape_is_what_a_json_encoder_writes():
    """The fast path (text with nothing to escape returned as it is) never differs from json.dumps."""
    from dlp_proxy.restore.text import json_escape

    rng = random.Random(7)
    alphabet = 'aZ09 -_[]"\\/\n\t\x00\x1f\x7féÉ€ \u2028😀'
    samples = ["", "[[PERSON_1]]", "Zoé Hébert", 'a"b', "a\\b", "\x7f", "tab\there"]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(5000)]
    for text in samples:
        for ascii_only in (False, True):
            assert json_escape(text, ascii_only=ascii_only) == json.dumps(text, ensure_ascii=ascii_only)[1:-1]


def test_restore_string_keeps_json_strings_valid():
    repl = Replacements(MAPPING)
    assert restore_string("[[PERSON_1]]", repl) == 'Jean "Jo" Dupont'
    args = json.dumps({"name": "[[PERSON_1]]"})
    assert json.loads(restore_string(args, repl)) == {"name": 'Jean "Jo" Dupont'}
    assert restore_string("[not json [[PERSON_2]]", repl) == "[not json Zoé Martin"


def test_restore_value_walks_everything():
    repl = Replacements(MAPPING)
    obj = {"a": ["[[PERSON_2]]", 1, None, {"[[PERSON_2]]": "x"}], "b": "rien"}
    new, changed = restore_value(obj, repl)
    assert changed
    assert new == {"a": ["Zoé Martin", 1, None, {"Zoé Martin": "x"}], "b": "rien"}
    assert restore_value({"b": "rien"}, repl) == ({"b": "rien"}, False)


def test_reprs_hide_values():
    repl = Replacements(MAPPING)
    restorer = TextRestorer(repl)
    restorer.feed("x [[PERSON_")
    for obj in (repl, repl.json, restorer):
        text = repr(obj)
        assert "PERSON" not in text and "Jean" not in text and "Camille" not in text
