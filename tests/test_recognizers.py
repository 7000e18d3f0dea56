"""Structured recognizers: French identifiers, contacts, secrets, the client list and custom recognizers.

Recognizers are called directly (``rec.analyze(text, entities, None)``): they read their French cues
from the text itself, so no spaCy model is needed and these tests stay fast. Every case of the rule-test
files in ``rules/tests/`` for these entities is replayed here too, so a rule file cannot ship a case
that its recognizer fails.
"""

from __future__ import annotations

import pickle
import random
import shutil
from pathlib import Path

import pytest
import spacy
import yaml
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import SpacyNlpEngine
from stdnum import luhn
from stdnum.fr import nir, siren

from dlp_proxy.detect.normalize import normalize
from dlp_proxy.detect.recognizers import STRUCTURED_ENTITIES, build_recognizers
from dlp_proxy.detect.recognizers.base import FrenchPatternRecognizer, Rule, fold
from dlp_proxy.detect.recognizers.clients import (
    ClientNameRecognizer,
    automaton_for,
    build_automaton,
    fold_with_offsets,
    load_client_list,
)
from dlp_proxy.detect.recognizers.custom import load_custom_recognizers
from dlp_proxy.errors import ConfigError

RULES = Path(__file__).resolve().parent.parent / "rules"
THRESHOLD = 0.5


@pytest.fixture(scope="module")
def recognizers() -> list[EntityRecognizer]:
    return build_recognizers(RULES)


def find(recognizers: list[EntityRecognizer], entity: str, text: str) -> list[tuple[str, float]]:
    """(matched text, score) of every result of ``entity``, in text order."""
    results: list[RecognizerResult] = []
    for rec in recognizers:
        if entity in rec.supported_entities:
            results.extend(rec.analyze(text, [entity], None))
    results.sort(key=lambda r: r.start)
    return [(text[r.start : r.end], r.score) for r in results]


def found(recognizers: list[EntityRecognizer], entity: str, text: str) -> list[str]:
    """Matched texts scoring at least the default policy threshold."""
    return [value for value, score in find(recognizers, entity, text) if score >= THRESHOLD]


# -- factory API -------------------------------------------------------------------------------------


def test_factory_builds_french_recognizers_for_every_entity(recognizers: list[EntityRecognizer]) -> None:
    assert all(isinstance(r, EntityRecognizer) for r in recognizers)
    assert {r.supported_language for r in recognizers} == {"fr"}
    emitted = {e for r in recognizers for e in r.supported_entities}
    assert set(STRUCTURED_ENTITIES) <= emitted
    assert "NUMERO_CLIENT" in emitted  # the shipped custom recognizer
    assert len(STRUCTURED_ENTITIES) == len(set(STRUCTURED_ENTITIES))
    assert {"FR_NIR", "FR_SIREN", "FR_SIRET", "FR_TVA", "FR_NIF", "IBAN_CODE", "CREDIT_CARD"} <= set(
        STRUCTURED_ENTITIES
    )
    assert {"PHONE_NUMBER", "EMAIL_ADDRESS", "IP_ADDRESS", "URL", "DATE_OF_BIRTH", "SECRET"} <= set(
        STRUCTURED_ENTITIES
    )
    assert {"FR_PASSPORT", "FR_CNI", "FR_LICENSE_PLATE", "CLIENT_NAME"} <= set(STRUCTURED_ENTITIES)


def test_recognizers_pickle(recognizers: list[EntityRecognizer]) -> None:
    text = "NIR 1 85 05 78 006 084 91, client Axelis Conseil"
    for rec in recognizers:
        clone = pickle.loads(pickle.dumps(rec))
        assert [(r.start, r.end) for r in clone.analyze(text, None, None)] == [
            (r.start, r.end) for r in rec.analyze(text, None, None)
        ]


def test_rules_dir_without_optional_files(tmp_path: Path) -> None:
    recs = build_recognizers(tmp_path)
    emitted = {e for r in recs for e in r.supported_entities}
    assert emitted == set(STRUCTURED_ENTITIES) - {"CLIENT_NAME"}


def test_recognizers_register_in_a_presidio_registry(recognizers: list[EntityRecognizer]) -> None:
    registry = RecognizerRegistry(supported_languages=["fr"])
    for rec in recognizers:
        registry.add_recognizer(rec)
    chosen = registry.get_recognizers(language="fr", entities=["FR_NIR", "CLIENT_NAME"])
    assert {e for r in chosen for e in r.supported_entities} == {"FR_NIR", "CLIENT_NAME"}


def test_results_carry_presidio_metadata(recognizers: list[EntityRecognizer]) -> None:
    rec = next(r for r in recognizers if "FR_NIR" in r.supported_entities)
    [result] = rec.analyze("NIR : 1 85 05 78 006 084 91", ["FR_NIR"], None)
    meta = result.recognition_metadata
    assert meta[RecognizerResult.RECOGNIZER_IDENTIFIER_KEY] == rec.id
    assert meta[RecognizerResult.RECOGNIZER_NAME_KEY] == rec.name
    # Cues are applied by the recognizer; Presidio's lemma-based enhancer must not boost again.
    assert meta[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] is True
    assert rec.analyze("NIR : 1 85 05 78 006 084 91", ["PHONE_NUMBER"], None) == []


def test_nearest_cue_decides(recognizers: list[EntityRecognizer]) -> None:
    text = "SIREN 732 829 320, commande 802314559."
    assert found(recognizers, "FR_SIREN", text) == ["732 829 320"]
    text = "Tél 06 12 34 56 78, commande 0698765432. Commande passée par M. Roux, tél 07 81 23 45 67."
    assert found(recognizers, "PHONE_NUMBER", text) == ["06 12 34 56 78", "07 81 23 45 67"]


# -- rule-test files, replayed against the recognizers ---------------------------------------------


def _own_entities() -> set[str]:
    custom = {r.entity for r in load_custom_recognizers(RULES / "recognizers.yaml")}
    return set(STRUCTURED_ENTITIES) | custom


def _rule_cases() -> list[tuple[str, str, str, bool]]:
    cases = []
    for path in sorted((RULES / "tests").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data["entity"] not in _own_entities():
            continue
        for index, case in enumerate(data["cases"]):
            cases.append((f"{path.stem}[{index}]", data["entity"], case["text"], case["expect"]))
    return cases


def test_every_entity_has_a_rule_test_file() -> None:
    for entity in _own_entities():
        path = RULES / "tests" / f"{entity.lower()}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["entity"] == entity
        expects = [case["expect"] for case in data["cases"]]
        assert len(expects) >= 6, path
        assert expects.count(True) >= 3 and expects.count(False) >= 3, path


@pytest.mark.parametrize(("case_id", "entity", "text", "expect"), _rule_cases(), ids=lambda v: str(v)[:40])
def test_rule_case(
    recognizers: list[EntityRecognizer], case_id: str, entity: str, text: str, expect: bool
) -> None:
    # Like the engine: the original text and its normalised copy (evasion cases: "joseph . giraud7 @ …").
    hits = found(recognizers, entity, text)
    normalised = normalize(text).text
    if normalised != text:
        hits += found(recognizers, entity, normalised)
    assert bool(hits) == expect, f"{case_id}: {entity} {'missing' if expect else 'unexpected'}: {hits}"


# -- French identifiers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "1 85 05 78 006 084 91",
        "185057800608491",
        "1.85.05.78.006.084.91",
        "2 69 05 2A 123 456 88",
        "269052a12345688",
        "2 85 05 971 05 123 11",
    ],
)
def test_nir_written_every_way(recognizers: list[EntityRecognizer], written: str) -> None:
    assert nir.is_valid(written.replace(".", "").replace(" ", "").upper())
    assert find(recognizers, "FR_NIR", f"Assuré : {written}.") == [(written, 1.0)]


def test_nir_wrong_key_or_structure_is_not_a_nir(recognizers: list[EntityRecognizer]) -> None:
    assert find(recognizers, "FR_NIR", "NIR 1 85 05 78 006 084 92") == []
    # Valid key but month 13 and sex 5: not a NIR.
    body = "5851378006084"
    assert find(recognizers, "FR_NIR", f"NIR {body}{nir.calc_check_digits(body)}") == []
    body = "1851378006084"
    assert find(recognizers, "FR_NIR", f"NIR {body}{nir.calc_check_digits(body)}") == []


def test_nir_without_key_needs_a_cue(recognizers: list[EntityRecognizer]) -> None:
    assert found(recognizers, "FR_NIR", "Numéro de sécurité sociale 1 85 05 78 006 084") == [
        "1 85 05 78 006 084"
    ]
    assert found(recognizers, "FR_NIR", "Référence 1 85 05 78 006 084") == []


def test_siren_needs_a_cue_to_pass_the_threshold(recognizers: list[EntityRecognizer]) -> None:
    assert siren.is_valid("732829320")
    [(value, score)] = find(recognizers, "FR_SIREN", "Le numéro 732 829 320 est noté.")
    assert value == "732 829 320" and score < THRESHOLD
    assert find(recognizers, "FR_SIREN", "SIREN 732 829 320") == [("732 829 320", 0.95)]


def test_siren_is_not_found_inside_siret_tva_or_phone(recognizers: list[EntityRecognizer]) -> None:
    text = "SIRET 732 829 320 00017, TVA FR 44 732 829 320, tél +33 (0)6 12 34 56 78."
    assert find(recognizers, "FR_SIREN", text) == []
    assert found(recognizers, "FR_SIRET", text) == ["732 829 320 00017"]
    assert found(recognizers, "FR_TVA", text) == ["FR 44 732 829 320"]


def test_iban_every_sepa_layout(recognizers: list[EntityRecognizer]) -> None:
    ibans = [
        "FR76 3000 6000 0112 3456 7890 189",
        "DE89370400440532013000",
        "NL91 ABNA 0417 1643 00",
        "LU28 0019 4006 4475 0000",
        "CH93 0076 2011 6238 5295 7",
        "PT50 0002 0123 1234 5678 9015 4",
        "MC58 1122 2000 0101 2345 6789 030",
    ]
    text = "Comptes : " + " ; ".join(ibans) + "."
    assert found(recognizers, "IBAN_CODE", text) == ibans


@pytest.mark.parametrize(
    "written",
    [
        "BE 48 3200 7018 4927",
        "be 54 9799 7279 3197",
        "BE 099790 8568 5357",
        "BE 07-0682455012-66",
        "BE 43.4679.1170.4101",
        "BE32 123-4567890-02",
        "NO 02 15037577003",
        "NO 19 4920 06 96270",
        "NO 44 1850.05.14562",
        "NO07.8380.08.06006",
        "ES10 0075 0080 11 0600658108",
        "ES72 2013-0692-81-0201150993",
        "ME 25 5403 0000 2379 9201 09",
        "MK072 5012 0000 0589 84",
        "MC11 1273 9000 7000 1111 1000 h79",
        "TL 38 008 00123456789101 57",
        "fr7630006000011234567890189",
    ],
)
def test_iban_national_layouts(recognizers: list[EntityRecognizer], written: str) -> None:
    """The finding is exactly the IBAN's characters, whatever the grouping, never the words after it."""
    for text in (
        f"IBAN : {written}",
        f"Virement sur {written} pour le loyer.",
        f"RIB {written}, BIC BNPAFRPP.",
    ):
        assert find(recognizers, "IBAN_CODE", text) == [(written, 1.0)], text


def test_iban_ends_at_the_country_length(recognizers: list[EntityRecognizer]) -> None:
    # The next IBAN right after one, and the words after it, are not part of it.
    text = "Comptes BE 48 3200 7018 4927 NO 02 15037577003 et FR76 3000 6000 0112 3456 7890 189 pour le"
    assert found(recognizers, "IBAN_CODE", text) == [
        "BE 48 3200 7018 4927",
        "NO 02 15037577003",
        "FR76 3000 6000 0112 3456 7890 189",
    ]
    # A number that runs on past the country's length, a wrong key, an unknown country: no IBAN.
    assert found(recognizers, "IBAN_CODE", "Lot BE 48 3200 7018 49271") == []
    assert found(recognizers, "IBAN_CODE", "Lot BE4832007018 4927X") == []
    assert found(recognizers, "IBAN_CODE", "IBAN BE 48 3200 7018 4928") == []
    assert found(recognizers, "IBAN_CODE", "IBAN QQ93 1234 5678 9012 3456") == []


def test_iban_lengths_come_from_the_registry() -> None:
    from dlp_proxy.detect import normalize as normalize_module
    from dlp_proxy.detect.recognizers.iban import IBAN_LENGTHS

    assert IBAN_LENGTHS["FR"] == 27 and IBAN_LENGTHS["NO"] == 15 and IBAN_LENGTHS["MT"] == 31
    assert IBAN_LENGTHS == normalize_module._IBAN_LENGTHS


def test_nif_official_name_is_a_cue_not_a_reference(recognizers: list[EntityRecognizer]) -> None:
    """ "Numéro fiscal de référence": a positive cue that contains a negative word wins over it."""
    assert find(recognizers, "FR_NIF", "Numéro fiscal de référence : 3023217600053") == [
        ("3023217600053", 0.95)
    ]
    assert find(recognizers, "FR_NIF", "Référence : 3023217600053") == []
    # A negative cue of its own, nearer than the positive one, still decides.
    assert find(recognizers, "FR_NIF", "Numéro fiscal ? Non, référence commande 3023217600053") == []


def test_negative_word_inside_a_positive_cue_phrase_is_part_of_the_cue() -> None:
    class Demo(FrenchPatternRecognizer):
        ENTITY = "DEMO"
        RULES = (Rule("demo", r"\bX\d{6}\b", 0.3),)
        CONTEXT = ("numero de dossier patient",)
        NEGATIVE_CONTEXT = ("dossier",)

    rec = Demo()
    assert len(rec.analyze("Numéro de dossier patient : X123456", ["DEMO"], None)) == 1
    assert rec.analyze("Dossier : X123456", ["DEMO"], None) == []
    # The phrase may start before the negative cue's window (35 characters) and still cover its word.
    text = "Numéro de dossier patient pour le bilan : X123456"
    assert text.index("dossier") > text.index("X") - Demo.NEGATIVE_BEFORE > 0
    assert len(rec.analyze(text, ["DEMO"], None)) == 1
    # A negative word of its own, nearer than the phrase, still decides.
    assert rec.analyze("Numéro de dossier patient ? Non, dossier X123456", ["DEMO"], None) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("TVA intracommunautaire : 23 334 175 221", "23 334 175 221"),
        ("n° TVA 23334175221", "23334175221"),
        ("TVA intracom. K7399859412", "K7399859412"),
        ("TVA intracom. 4Z123456782", "4Z123456782"),
        ("Client : FRK7399859412", "FRK7399859412"),
        ("Client : FR K 7399859412", "FR K 7399859412"),
        ("Client : FR 44 732 829 320", "FR 44 732 829 320"),
    ],
)
def test_tva_without_prefix_and_new_keys(recognizers: list[EntityRecognizer], text: str, value: str) -> None:
    assert find(recognizers, "FR_TVA", text) == [(value, 1.0)]


def test_tva_without_prefix_needs_a_cue(recognizers: list[EntityRecognizer]) -> None:
    for text in ("Je te transmets 23334175221 pour la suite.", "Réf. K7399859412", "23 334 175 221"):
        assert find(recognizers, "FR_TVA", text) == [], text
    assert find(recognizers, "FR_TVA", "TVA intracommunautaire : 23 334 175 222") == []
    assert find(recognizers, "FR_TVA", "TVA : FR L 7399859412") == []


def test_card_expiry_is_not_part_of_the_number(recognizers: list[EntityRecognizer]) -> None:
    assert found(recognizers, "CREDIT_CARD", "CB 4970 1012 3456 7893 12 27") == ["4970 1012 3456 7893"]


def test_card_needs_an_issuer_prefix(recognizers: list[EntityRecognizer]) -> None:
    number = "123456789012345"
    number += luhn.calc_check_digit(number)
    assert found(recognizers, "CREDIT_CARD", f"Carte {number}") == []


# -- phones --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "06 12 34 56 78",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "0612345678",
        "+33 6 12 34 56 78",
        "+33 (0)6 12 34 56 78",
        "+33612345678",
        "0033 6 12 34 56 78",
        "01 23 45 67 89",
        "0590 27 12 34",
        "0594 10 12 34",
        "0596 30 12 34",
        "0262 16 12 34",
        "0269 60 12 34",
        "+262 262 16 12 34",
        "+590 590 27 12 34",
        "+594 594 10 12 34",
        "+596 596 30 12 34",
        "+687 20.12.34",
        "+689 87 12 34 56",
        "+44 20 7946 0958",
        "+1 415 555 2671",
    ],
)
def test_phone_written_every_way(recognizers: list[EntityRecognizer], written: str) -> None:
    assert found(recognizers, "PHONE_NUMBER", f"Tél. : {written}.") == [written]
    assert found(recognizers, "PHONE_NUMBER", f"Voici {written} pour demain.") == [written]


@pytest.mark.parametrize(
    "written",
    ["07 01 23 45 67", "07.21.98.76.54", "07-15-00-11-22", "+33 7 01 23 45 67", "0033 7 09 87 65 43"],
)
def test_unallocated_french_number_written_as_a_phone(recognizers, written: str) -> None:
    """07 0x-07 2x are not allocated (phonenumbers: "not valid"): a phone all the same by its layout."""
    assert found(recognizers, "PHONE_NUMBER", f"Voici {written} pour demain.") == [written]
    assert found(recognizers, "PHONE_NUMBER", f"Tél. : {written}.") == [written]


def test_phone_validation_memo_keeps_nothing_after_a_text(recognizers) -> None:
    """Phone validity is memoised within one scan only: no candidate of a prompt stays in memory."""
    from dlp_proxy.detect.recognizers.phone import _valid_digits, is_valid_phone, phone_memo

    assert found(recognizers, "PHONE_NUMBER", "Tél. : 06 12 34 56 78, fixe 01 23 45 67 89.") == [
        "06 12 34 56 78",
        "01 23 45 67 89",
    ]
    assert _valid_digits.cache_info().currsize == 0
    with phone_memo():  # what the engine does around the two readings of a text
        with phone_memo():
            assert is_valid_phone("06 12 34 56 78") and is_valid_phone("0612345678")
        # One entry for both writings, kept until the outer scope ends.
        assert _valid_digits.cache_info().currsize == 1
        assert _valid_digits.cache_info().hits == 1
    assert _valid_digits.cache_info().currsize == 0


@pytest.mark.parametrize("written", ["0701234567", "+33701234567", "07 0 1 23 45 67"])
def test_unallocated_french_number_otherwise_needs_a_cue(recognizers, written: str) -> None:
    assert found(recognizers, "PHONE_NUMBER", f"Mon portable : {written}.") == [written]
    assert found(recognizers, "PHONE_NUMBER", f"Appelle-moi au {written} demain.") == [written]
    assert find(recognizers, "PHONE_NUMBER", f"Voici {written} pour demain.") == []
    assert find(recognizers, "PHONE_NUMBER", f"Commande {written} expédiée.") == []


@pytest.mark.parametrize(
    "text",
    [
        "Commande n° 2024061234 expédiée.",
        "Facture n° 0612345678 à régler.",
        "SIRET 73282932000017",
        "IBAN FR76 3000 6000 0112 3456 7890 189",
        "Le chiffre d'affaires est de 0 612 345 678 €.",
        "NIR 1 85 05 78 006 084 91",
        "Version 10.12.34.56",
        "Prix : 06 12 34 56 78 € (erreur de saisie)",
    ],
)
def test_phone_false_positives(recognizers: list[EntityRecognizer], text: str) -> None:
    assert find(recognizers, "PHONE_NUMBER", text) == []


# -- contacts, network, dates --------------------------------------------------------------------------


def test_email_search_anchored_on_at_signs_finds_what_finditer_finds() -> None:
    """``EmailRecognizer.find_matches`` only tries where an address can start: the same matches as
    scanning the whole text, on tricky cases and on random texts made of address pieces."""
    from dlp_proxy.detect.recognizers.email import EmailRecognizer

    recognizer = EmailRecognizer()
    ((_, compiled),) = recognizer._compiled
    rnd = random.Random(7)

    def pick(options: str, most: int) -> str:
        return "".join(rnd.choice(options.split("|")) for _ in range(rnd.randint(0, most)))

    def address() -> str:  # often valid, often almost: empty parts, "..", stray "@", odd letters
        local = pick("jean|é|.|-|+|_|1|x|=|!|ß|Ж|..", 4)
        return local + "@" + pick("exemple|x|é|-|1|.|@", 3) + rnd.choice([".fr", ".com", ".f", "", ".pdf"])

    seps = [" ", "\n", "@", ".", "(", "", "-", "\u0301", "+", "="]
    texts = [
        "a@b.fr@c.fr", "x a@b.fr+c@d.fr y", "jean..dupont@exemple.fr", ".jean@exemple.fr",
        "user=jean@x.fr", "@@exemple.fr", "é@é.fr et jean@exemple.com", "jean@exemple.fr.pdf",
    ]  # fmt: skip
    texts += ["".join(address() + rnd.choice(seps) for _ in range(rnd.randint(1, 4))) for _ in range(20_000)]
    matched = 0
    for text in texts:
        expected = [m.span() for m in compiled.finditer(text)]
        assert [m.span() for m in recognizer.find_matches(compiled, text)] == expected, text
        matched += bool(expected)
    assert matched > 2_000  # the random texts do hold addresses


def test_email_without_network(recognizers: list[EntityRecognizer]) -> None:
    text = "Écrire à jean.dupont@exemple.fr, à RH@société.fr, pas à logo@2x.png ni à moi@localhost."
    assert found(recognizers, "EMAIL_ADDRESS", text) == ["jean.dupont@exemple.fr", "RH@société.fr"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("ldap: user=moniquejulien@roche.fr", "moniquejulien@roche.fr"),
        ("mail to=obourgeois@weber.fr cc=x", "obourgeois@weber.fr"),
        ("SMTP_USER=payetadele@example.net", "payetadele@example.net"),
        ("https://x.fr/contact?id=3&email=jean@exemple.fr", "jean@exemple.fr"),
        # "=" inside a real local part (VERP bounce address) keeps the address whole
        ("Retour : bounces+jean=exemple.fr@liste.fr", "bounces+jean=exemple.fr@liste.fr"),
    ],
)
def test_email_starts_at_the_local_part(recognizers: list[EntityRecognizer], text: str, value: str) -> None:
    assert found(recognizers, "EMAIL_ADDRESS", text) == [value]


def test_ip_scores_by_kind(recognizers: list[EntityRecognizer]) -> None:
    scores = dict(find(recognizers, "IP_ADDRESS", "Adresses : 81.250.12.34, 10.0.0.5, 127.0.0.1, ::1."))
    assert scores["81.250.12.34"] >= 0.85
    assert THRESHOLD <= scores["10.0.0.5"] < 0.85
    assert scores["127.0.0.1"] < THRESHOLD and scores["::1"] < THRESHOLD
    assert find(recognizers, "IP_ADDRESS", "Passer en version 10.2.3.4 puis en v2.0.0.1.") == []


def test_url_only_with_personal_data(recognizers: list[EntityRecognizer]) -> None:
    text = (
        "Voir https://www.exemple.fr/aide, puis https://app.exemple.fr/login#access_token=abc123def456. "
        "Et https://exemple.fr/?q=prix."
    )
    assert found(recognizers, "URL", text) == ["https://app.exemple.fr/login#access_token=abc123def456"]


def test_date_of_birth_covers_the_date_only(recognizers: list[EntityRecognizer]) -> None:
    text = "Mme Lefèvre, née le 12/03/1985, et M. Garcia, date de naissance : 3 mai 1990."
    assert found(recognizers, "DATE_OF_BIRTH", text) == ["12/03/1985", "3 mai 1990"]
    assert found(recognizers, "DATE_OF_BIRTH", "Réunion le 12/03/2024, échéance 3 mai 2025.") == []


def test_passport_cni_and_plates(recognizers: list[EntityRecognizer]) -> None:
    text = "Passeport 18AB12345, CNI 880692310285, véhicule AB-123-CD."
    assert found(recognizers, "FR_PASSPORT", text) == ["18AB12345"]
    assert found(recognizers, "FR_CNI", text) == ["880692310285"]
    assert found(recognizers, "FR_LICENSE_PLATE", text) == ["AB-123-CD"]
    [(plate, score)] = find(recognizers, "FR_LICENSE_PLATE", "Réf. AB-123-CD")
    assert score < THRESHOLD


# -- secrets -------------------------------------------------------------------------------------------

# Provider-shaped keys are assembled at run time so that no secret scanner flags this file.
_FAKE = "EXAMPLE0123456789abcdefghijKLMNOPQRST"
PROVIDER_KEYS = [
    "sk-" + "proj-" + _FAKE,
    "sk-" + "ant-api03-" + _FAKE,
    "AKIA" + "IOSFODNN7EXAMPLE",
    "ASIA" + "IOSFODNN7EXAMPLE",
    "ghp" + "_" + _FAKE,
    "gho" + "_" + _FAKE,
    "github" + "_pat_" + _FAKE,
    "glpat" + "-" + _FAKE[:24],
    "xoxb" + "-" + "1234567890-" + _FAKE[:24],
    "AIza" + "Sy" + _FAKE[:33],
    "sk" + "_live_" + _FAKE[:24],
    "rk" + "_live_" + _FAKE[:24],
    # "_" for "-" (a tool or variable name): still the key the provider reads
    "sk" + "_proj_" + _FAKE[:40],
    "sk" + "_ant_api03_" + _FAKE[:40],
]


@pytest.mark.parametrize("key", PROVIDER_KEYS)
def test_provider_keys(recognizers: list[EntityRecognizer], key: str) -> None:
    assert found(recognizers, "SECRET", f"Pourquoi ma clé {key} est refusée ?") == [key]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Le mot de passe : Soleil2024! merci", "Soleil2024!"),
        ("mdp: Chateau#Rive77.", "Chateau#Rive77"),
        ('password="hunter2hunter2"', "hunter2hunter2"),
        ("pwd=Xk9$mPq2", "Xk9$mPq2"),
        ("Son mot de passe est Printemps2025 depuis lundi.", "Printemps2025"),
        ("Authorization: Bearer abcDEF123456ghiJKL789", "abcDEF123456ghiJKL789"),
        # configuration variables: a prefix glued with "_" or "-"
        ("SMTP_USER=a@exemple.fr\nSMTP_PASSWORD=Tigre412@", "Tigre412@"),
        ("DB_PASSWORD: Ecureuil#88", "Ecureuil#88"),
        ("MYSQL_ROOT_PASSWORD=Rt5#xx9q", "Rt5#xx9q"),
        ("db-password=Azerty12", "Azerty12"),
        ("export PGPASSWORD=Marmotte2024", "Marmotte2024"),
        ("API_KEY=abcDEF123456ghiJKL789", "abcDEF123456ghiJKL789"),
        ("SECRET_KEY=django-insecure-8x2k3m4n5p6q7r8s", "django-insecure-8x2k3m4n5p6q7r8s"),
        ("client_secret=abcDEF123456ghiJKL789", "abcDEF123456ghiJKL789"),
        # a bracket that closes around the value is not part of it; one inside the value is
        ("Connexion SSH (mot de passe : Chocolat152$). Merci", "Chocolat152$"),
        ("(mot de passe : Vacances032!)", "Vacances032!"),
        ("[mdp: Soleil99]", "Soleil99"),
        ("mdp: Pass(123)", "Pass(123)"),
        ("mdp=Truc)99 fin", "Truc)99"),
        ("password='Soleil2024.'", "Soleil2024."),
    ],
)
def test_password_covers_the_value_not_the_cue(
    recognizers: list[EntityRecognizer], text: str, value: str
) -> None:
    assert found(recognizers, "SECRET", text) == [value]


def test_private_key_block_and_jwt(recognizers: list[EntityRecognizer]) -> None:
    block = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIEXAMPLEONLY\n-----END EC PRIVATE KEY-----"
    assert found(recognizers, "SECRET", f"Clé :\n{block}\nMerci") == [block]
    truncated = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC"
    assert found(recognizers, "SECRET", truncated) == [truncated]
    # Three base64url parts whose header is not JSON with "alg": not a JWT.
    assert found(recognizers, "SECRET", "eyJub3RhbGci.eyJzdWIiOiIxMjM0.abcdefgh") == []


def test_fold_spells_letters_without_a_mark_as_the_name_lists_do() -> None:
    """ "Łukasz", "Søren" are "lukasz", "soren" in the name lists; "đ" and a dotless "ı" stay, as
    "Để" is no "de" and e-mail addresses drop the "ı" ("erkılıç" is "erklc@…")."""
    assert fold("Łukasz BØRGE") == "lukasz borge"
    assert fold("Immatriculée L’Œuvre") == "immatriculee l'œuvre"
    assert fold("Để") == "đe" and fold("erkılıç") == "erkılıc"


# -- client list ---------------------------------------------------------------------------------------


def test_fold_with_offsets_maps_back_to_the_original() -> None:
    text = "Chez  Dupré\u00a0& Associe\u0301s — Œuvre"
    folded, offsets = fold_with_offsets(text)
    assert folded == "chez dupre & associes oeuvre"
    assert len(offsets) == len(folded)
    assert text[offsets[folded.index("dupre")]] == "D"
    assert text[offsets[folded.index("oeuvre")]] == "Œ"


def test_client_names_accent_case_and_dash_insensitive(recognizers: list[EntityRecognizer]) -> None:
    text = (
        "Relancer la BOULANGERIE LEFEVRE ET FILS, le cabinet dupre & associés, "
        "Château Belle Rive et  Zéphyr\nÉnergie."
    )
    assert found(recognizers, "CLIENT_NAME", text) == [
        "BOULANGERIE LEFEVRE ET FILS",
        "cabinet dupre & associés",
        "Château Belle Rive",
        "Zéphyr\nÉnergie",
    ]


def test_client_names_whole_words_and_longest_match(tmp_path: Path) -> None:
    path = tmp_path / "clients.txt"
    path.write_text("# test\nAxa\nAxa Assurances Ouest\nOrange Bleue\nOrange\n", encoding="utf-8")
    rec = ClientNameRecognizer.from_file(path)
    text = "Taxation : Axa Assurances Ouest, AXA, orange pressée, Orange Bleue."
    results = sorted(rec.analyze(text, ["CLIENT_NAME"], None), key=lambda r: r.start)
    spans = [(text[r.start : r.end], r.score) for r in results]
    assert spans == [
        ("Axa Assurances Ouest", 0.85),
        ("AXA", 0.85),
        ("orange", 0.4),  # a one-word name written in lower case is probably the common word
        ("Orange Bleue", 0.85),
    ]


def test_client_list_of_100000_names(tmp_path: Path) -> None:
    rng = random.Random(20240612)
    syllables = ["ba", "ché", "do", "fé", "gar", "lu", "mo", "ni", "pé", "ro", "sa", "tè", "vi", "zo"]
    forms = ["SARL", "SAS", "Groupe", "Cabinet", "Établissements", "Maison"]
    names = set()
    while len(names) < 100_000:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize()
        names.add(f"{rng.choice(forms)} {word} {rng.randint(1, 999)}")
    ordered = sorted(names)
    path = tmp_path / "clients.txt"
    path.write_text("# export CRM\n" + "\n".join(ordered) + "\n", encoding="utf-8")
    wanted = [ordered[17], ordered[50_000], ordered[99_999]]
    rec = ClientNameRecognizer.from_file(path)
    assert len(rec.automaton) == 100_000
    text = f"Devis pour {wanted[0].upper()}, puis {wanted[1]} ; enfin {wanted[2]}. Fin."
    hits = [text[r.start : r.end] for r in sorted(rec.analyze(text, None, None), key=lambda r: r.start)]
    assert [h.casefold() for h in hits] == [w.casefold() for w in wanted]
    # Built once per process: a second recognizer on the same file shares the automaton.
    assert ClientNameRecognizer.from_file(path).automaton is rec.automaton
    assert automaton_for(path) is rec.automaton


def test_client_list_problems_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "clients.txt"
    path.write_text("Boulangerie Lefèvre\n# commentaire\nX\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_client_list(path)
    [problem] = error.value.problems
    assert (problem.file, problem.line) == (str(path), 3)
    assert len(build_automaton([])) == 0


# -- custom recognizers --------------------------------------------------------------------------------


def test_shipped_custom_recognizer(recognizers: list[EntityRecognizer]) -> None:
    [rec] = [r for r in recognizers if "NUMERO_CLIENT" in r.supported_entities]
    assert rec.name == "custom:numero-client"
    scores = dict(find(recognizers, "NUMERO_CLIENT", "Dossier client CLI-2024-000123 ; CLI-2021-000042."))
    assert scores["CLI-2024-000123"] >= 0.9  # "dossier", "client" nearby
    assert scores["CLI-2021-000042"] >= 0.6


def _write_rules(tmp_path: Path, custom: str) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(RULES / "clients.txt", rules / "clients.txt")
    (rules / "recognizers.yaml").write_text(custom, encoding="utf-8")
    return rules


def test_custom_recognizer_with_validator_and_value_group(tmp_path: Path) -> None:
    rules = _write_rules(
        tmp_path,
        "recognizers:\n"
        "  - id: carte-fidelite\n"
        "    entity: CARTE_FIDELITE\n"
        "    patterns:\n"
        "      - name: fid\n"
        "        regex: 'FID[ ](?P<value>\\d{8})'\n"
        "        score: 0.7\n"
        "    context: [fidélité]\n"
        "    validator: luhn\n",
    )
    [custom] = [r for r in build_recognizers(rules) if "CARTE_FIDELITE" in r.supported_entities]
    good = "1234567"
    good += luhn.calc_check_digit(good)
    text = f"Carte de fidélité FID {good}, ancienne FID 12345678."
    results = custom.analyze(text, ["CARTE_FIDELITE"], None)
    assert [(text[r.start : r.end], r.score) for r in results] == [(good, pytest.approx(1.0))]
    # Engines may build recognizers once and ship them to worker processes.
    clone = pickle.loads(pickle.dumps(custom))
    assert [(r.start, r.end) for r in clone.analyze(text, None, None)] == [(r.start, r.end) for r in results]


def test_broken_custom_regex_names_file_and_line(tmp_path: Path) -> None:
    rules = _write_rules(
        tmp_path,
        "# détecteurs\n"
        "recognizers:\n"
        "  - id: numero-contrat\n"
        "    entity: NUMERO_CONTRAT\n"
        "    patterns:\n"
        "      - name: contrat\n"
        "        regex: 'CTR-(\\d{4}'\n"
        "        score: 0.6\n",
    )
    with pytest.raises(ConfigError) as error:
        build_recognizers(rules)
    [problem] = error.value.problems
    assert problem.file == str(rules / "recognizers.yaml")
    assert problem.line == 7
    assert "invalid regex" in problem.message
    assert str(problem).startswith(f"{rules / 'recognizers.yaml'}:7: ")


def test_every_custom_problem_is_reported_at_once(tmp_path: Path) -> None:
    rules = _write_rules(
        tmp_path,
        "recognizers:\n"
        "  - id: a\n"  # line 2
        "    entity: lower_case\n"  # line 3
        "    patterns:\n"
        "      - {name: p, regex: 'A\\d+', score: 2}\n"  # line 5
        "    validator: crc32\n"  # line 6
        "    colour: red\n"  # line 7
        "  - id: a\n"  # line 8: duplicate
        "    entity: OK_ENTITY\n"
        "    patterns: []\n",  # line 10
    )
    with pytest.raises(ConfigError) as error:
        build_recognizers(rules)
    lines = sorted(p.line for p in error.value.problems)
    assert lines == [3, 5, 6, 7, 8, 10]


def test_custom_file_that_is_not_yaml(tmp_path: Path) -> None:
    rules = _write_rules(tmp_path, "recognizers:\n  - id: [unclosed\n")
    with pytest.raises(ConfigError) as error:
        build_recognizers(rules)
    assert error.value.problems[0].line >= 2


# -- through Presidio's AnalyzerEngine -----------------------------------------------------------------


def test_through_presidio_analyzer_engine(recognizers: list[EntityRecognizer]) -> None:
    """The engine path: registry, language "fr", context enhancement. A blank French spaCy pipeline
    (tokenizer only) stands in for the model: our recognizers need no NLP artifacts."""
    nlp_engine = SpacyNlpEngine(models=[{"lang_code": "fr", "model_name": "fr_core_news_md"}])
    nlp_engine.nlp = {"fr": spacy.blank("fr")}
    registry = RecognizerRegistry(supported_languages=["fr"])
    for rec in recognizers:
        registry.add_recognizer(rec)
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["fr"])
    text = "Tél 06 12 34 56 78, SIREN 732 829 320, client Axelis Conseil, mot de passe : Soleil2024!"
    results = analyzer.analyze(text, language="fr", score_threshold=THRESHOLD)
    spans = sorted((r.entity_type, text[r.start : r.end]) for r in results)
    assert spans == [
        ("CLIENT_NAME", "Axelis Conseil"),
        ("FR_SIREN", "732 829 320"),
        ("PHONE_NUMBER", "06 12 34 56 78"),
        ("SECRET", "Soleil2024!"),
    ]


@pytest.mark.parametrize(
    "text,entity,value",
    [
        ("Appelez le 06 12 34 56 78 75001 Paris", "PHONE_NUMBER", "06 12 34 56 78"),
        ("NIR 1 85 05 78 006 084 91 12/03/2024", "FR_NIR", "1 85 05 78 006 084 91"),
        ("Carte 4970 1012 3456 7893 12/27", "CREDIT_CARD", "4970 1012 3456 7893"),
    ],
)
def test_value_followed_by_another_number_is_found(recognizers, text, entity, value) -> None:
    """A postcode, a date or an expiry after the value must not hide it."""
    assert value in found(recognizers, entity, text)


def test_longer_digit_run_is_not_a_phone(recognizers) -> None:
    assert found(recognizers, "PHONE_NUMBER", "Référence 06 12 34 56 78 90") == []


def test_client_fast_fold_equals_the_offsets_fold() -> None:
    """The prefilter folds exactly as the offsets fold does, so it can never hide a client name."""
    from dlp_proxy.detect.recognizers.clients import fold_fast, fold_with_offsets

    texts = ("Saint–Gobain  et   Œuvre d’Art\n\nÉTÉ", "a\u00a0b\tc", "e\u0301te  \u0301 x", "ＡＣＭＥ")
    for text in texts:
        assert fold_fast(text) == fold_with_offsets(text)[0]
