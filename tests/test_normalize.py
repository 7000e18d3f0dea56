"""Tests for dlp_proxy.detect.normalize: each anti-evasion stage, the offset map, and encoded blobs.

The offset map is what makes redaction correct, so most cases check both the normalised text and that
the value found in it maps back to exactly the obfuscated characters of the original.
"""

from __future__ import annotations

import base64
import random
import unicodedata

import pytest

from dlp_proxy.detect.normalize import Blob, Normalized, find_blobs, normalize

ZWSP, ZWNJ, ZWJ, WJ, SHY, BOM, LRM, RLO = (
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\u00ad",
    "\ufeff",
    "\u200e",
    "\u202e",
)


def original_of(original: str, value: str) -> str:
    """Normalise ``original``, find ``value`` in the normalised text, return the original slice."""
    n = normalize(original)
    i = n.text.index(value)
    start, end = n.to_original(i, i + len(value))
    return original[start:end]


# --------------------------------------------------------------------------------------------------
# Whole-pipeline cases: (original, expected normalised text, value in it, its original slice)
# --------------------------------------------------------------------------------------------------

CASES = [
    # 1. NFKC
    ("Tél : ０６ １２ ３４ ５６ ７８", "Tél : 0612345678", "0612345678", "０６ １２ ３４ ５６ ７８"),
    ("Tél : ０６ １２ ３４ ５６ ７８", "Tél : 0612345678", "12", "１２"),
    ("jean＠exemple.fr", "jean@exemple.fr", "jean@exemple.fr", "jean＠exemple.fr"),
    ("Le ﬁchier joint", "Le fichier joint", "fichier", "ﬁchier"),
    ("Le ﬁchier joint", "Le fichier joint", "f", "ﬁ"),
    ("Le ﬁchier joint", "Le fichier joint", "ichier", "ﬁchier"),
    ("𝐣𝐞𝐚𝐧@exemple.fr", "jean@exemple.fr", "jean", "𝐣𝐞𝐚𝐧"),
    ("Prix\u00a0: 12\u202f€", "Prix : 12 €", "12 €", "12\u202f€"),
    # decomposed accents are recomposed; the map covers base and mark
    ("He\u0301le\u0300ne", "Hélène", "Hélène", "He\u0301le\u0300ne"),
    ("He\u0301le\u0300ne", "Hélène", "é", "e\u0301"),
    (f"He{ZWSP}\u0301lène", "Hélène", "é", f"e{ZWSP}\u0301"),
    ("Ａ\u0301b", "Áb", "Á", "Ａ\u0301"),
    # 2. format characters
    (
        f"06{ZWSP}12{ZWSP}34{ZWSP}56{ZWSP}78",
        "0612345678",
        "0612345678",
        f"06{ZWSP}12{ZWSP}34{ZWSP}56{ZWSP}78",
    ),
    (
        f"je{ZWJ}an{ZWNJ}@exe{WJ}mple.fr",
        "jean@exemple.fr",
        "jean@exemple.fr",
        f"je{ZWJ}an{ZWNJ}@exe{WJ}mple.fr",
    ),
    (f"Du{SHY}pont", "Dupont", "Dupont", f"Du{SHY}pont"),
    (f"{BOM}Bonjour", "Bonjour", "Bonjour", "Bonjour"),
    (f"a{LRM}b{RLO}c", "abc", "b", "b"),
    (f"x {ZWSP}Dupont{ZWSP} y", "x Dupont y", "Dupont", "Dupont"),
    # 3. confusables
    ("jеan.dupont@exemple.fr", "jean.dupont@exemple.fr", "jean.dupont@exemple.fr", "jеan.dupont@exemple.fr"),
    ("Мme Rоbert", "Mme Robert", "Robert", "Rоbert"),
    ("раypal", "paypal", "paypal", "раypal"),
    ("Ηélène", "Hélène", "Hélène", "Ηélène"),
    ("иван@exemple.fr", "ивaн@exemple.fr", "@exemple.fr", "@exemple.fr"),
    ("О6 12 34 56 78", "0612345678", "0612345678", "О6 12 34 56 78"),
    ("٠٦١٢٣٤٥٦٧٨", "0612345678", "0612345678", "٠٦١٢٣٤٥٦٧٨"),
    # 4. e-mails
    (
        "Mon mail : jean [at] exemple [dot] fr merci",
        "Mon mail : jean@exemple.fr merci",
        "jean@exemple.fr",
        "jean [at] exemple [dot] fr",
    ),
    ("jean.dupont (at) exemple (dot) fr", "jean.dupont@exemple.fr", "@", "(at)"),
    (
        "jean.dupont{at}exemple{dot}fr",
        "jean.dupont@exemple.fr",
        "jean.dupont@exemple.fr",
        "jean.dupont{at}exemple{dot}fr",
    ),
    ("jean.dupont arobase exemple point fr", "jean.dupont@exemple.fr", "exemple.fr", "exemple point fr"),
    (
        "écrire à jean.dupont at exemple.fr",
        "écrire à jean.dupont@exemple.fr",
        "jean.dupont@exemple.fr",
        "jean.dupont at exemple.fr",
    ),
    ("jean point dupont arobase exemple point com", "jean.dupont@exemple.com", "dupont", "dupont"),
    (
        "jean.dupont [at] exemple [.] fr",
        "jean.dupont@exemple.fr",
        "jean.dupont@exemple.fr",
        "jean.dupont [at] exemple [.] fr",
    ),
    ("jean[@]exemple[.]fr", "jean@exemple.fr", "jean@exemple.fr", "jean[@]exemple[.]fr"),
    (
        "jean [ at ] exemple [ dot ] fr",
        "jean@exemple.fr",
        "jean@exemple.fr",
        "jean [ at ] exemple [ dot ] fr",
    ),
    ("JEAN AT EXEMPLE DOT FR", "JEAN@EXEMPLE.FR", "JEAN@EXEMPLE.FR", "JEAN AT EXEMPLE DOT FR"),
    ("jean @ exemple.fr", "jean@exemple.fr", "jean@exemple.fr", "jean @ exemple.fr"),
    (
        "a (at) mairie (dot) gouv (dot) fr.",
        "a@mairie.gouv.fr.",
        "a@mairie.gouv.fr",
        "a (at) mairie (dot) gouv (dot) fr",
    ),
    ("jean{at}exemple{dot}fr point final", "jean@exemple.fr point final", "exemple.fr", "exemple{dot}fr"),
    # spaced dots, around a spaced at-marker only
    (
        "Adresse : joseph . giraud7 @ gmail . com",
        "Adresse : joseph.giraud7@gmail.com",
        "joseph.giraud7@gmail.com",
        "joseph . giraud7 @ gmail . com",
    ),
    ("jean . dupont [at] exemple . fr", "jean.dupont@exemple.fr", "dupont@", "dupont [at]"),
    # percent-encoded "@" in a URL query
    (
        "https://crm.exemple.fr/contact?email=potier.philippine%40yahoo.fr&src=mail",
        "https://crm.exemple.fr/contact?email=potier.philippine@yahoo.fr&src=mail",
        "potier.philippine@yahoo.fr",
        "potier.philippine%40yahoo.fr",
    ),
    ("jean%2Bdevis%40exemple.fr", "jean%2Bdevis@exemple.fr", "@", "%40"),
    # 0. JSON \uXXXX escapes
    (
        '{"contact": "marthe.teixeira-rocher\\u0040hotmail.fr"}',
        '{"contact": "marthe.teixeira-rocher@hotmail.fr"}',
        "marthe.teixeira-rocher@hotmail.fr",
        "marthe.teixeira-rocher\\u0040hotmail.fr",
    ),
    ("H\\u00e9l\\u00E8ne", "Hélène", "è", "\\u00E8"),
    ("Tél : \\u0030\\u0036 12 34 56 78", "Tél : 0612345678", "0612345678", "\\u0030\\u0036 12 34 56 78"),
    ("smiley \\ud83d\\ude00 ok", "smiley \U0001f600 ok", "\U0001f600", "\\ud83d\\ude00"),
    ("jean\\u200b@exemple.fr", "jean@exemple.fr", "jean@exemple.fr", "jean\\u200b@exemple.fr"),
    # 5. split numbers
    ("NIR : 1 85 05 78 006 084 36.", "NIR : 185057800608436.", "185057800608436", "1 85 05 78 006 084 36"),
    ("06-12-34-56-78", "0612345678", "0612345678", "06-12-34-56-78"),
    ("06.12.34.56.78", "0612345678", "0612345678", "06.12.34.56.78"),
    ("06/12/34/56/78", "0612345678", "0612345678", "06/12/34/56/78"),
    ("06_12_34_56_78", "0612345678", "0612345678", "06_12_34_56_78"),
    ("06 - 12 - 34 - 56 - 78", "0612345678", "0612345678", "06 - 12 - 34 - 56 - 78"),
    ("appelle le 0 6 1 2 3 4 5 6 7 8 !", "appelle le 0612345678 !", "0612345678", "0 6 1 2 3 4 5 6 7 8"),
    ("+33 6 12 34 56 78", "+33612345678", "33612345678", "33 6 12 34 56 78"),
    (
        "carte 4970.1012.3456.7890 exp",
        "carte 4970101234567890 exp",
        "4970101234567890",
        "4970.1012.3456.7890",
    ),
    ("carte 4970 1012 3456 7890", "carte 4970101234567890", "4970101234567890", "4970 1012 3456 7890"),
    ("SIRET 732 829 320 00074", "SIRET 73282932000074", "73282932000074", "732 829 320 00074"),
    (
        "IBAN FR76 3000 6000 0112 3456 7890 189.",
        "IBAN FR7630006000011234567890189.",
        "FR7630006000011234567890189",
        "FR76 3000 6000 0112 3456 7890 189",
    ),
    (
        "GB29 NWBK 6016 1331 9268 19",
        "GB29NWBK60161331926819",
        "GB29NWBK60161331926819",
        "GB29 NWBK 6016 1331 9268 19",
    ),
    (
        "IBAN FR76\u00a03000\u00a06000\u00a00112\u00a03456\u00a07890\u00a0189",
        "IBAN FR7630006000011234567890189",
        "FR7630006000011234567890189",
        "FR76\u00a03000\u00a06000\u00a00112\u00a03456\u00a07890\u00a0189",
    ),
    # an IBAN typed one character at a time: country length and mod-97 key decide
    (
        "IBAN : F R 7 6 3 0 0 0 6 0 0 0 0 1 1 2 3 4 5 6 7 8 9 0 1 8 9 a été viré",
        "IBAN : FR7630006000011234567890189 a été viré",
        "FR7630006000011234567890189",
        "F R 7 6 3 0 0 0 6 0 0 0 0 1 1 2 3 4 5 6 7 8 9 0 1 8 9",
    ),
    (
        "g-b-2-9-n-w-b-k-6-0-1-6-1-3-3-1-9-2-6-8-1-9.",
        "gb29nwbk60161331926819.",
        "gb29nwbk60161331926819",
        "g-b-2-9-n-w-b-k-6-0-1-6-1-3-3-1-9-2-6-8-1-9",
    ),
    # several stages on one value
    (
        f"Tél : ０６{ZWSP} １２ ３４ ５６ ７８ merci",
        "Tél : 0612345678 merci",
        "0612345678",
        f"０６{ZWSP} １２ ３４ ５６ ７８",
    ),
    (
        f"mail jеan{ZWSP} ［at］ exemple ［dot］ fr",
        "mail jean@exemple.fr",
        "jean@exemple.fr",
        f"jеan{ZWSP} ［at］ exemple ［dot］ fr",
    ),
    ("0б 12 34 56 78", "0612345678", "0612345678", "0б 12 34 56 78"),
]


@pytest.mark.parametrize(("original", "expected", "value", "original_value"), CASES)
def test_normalise_and_map_back(original: str, expected: str, value: str, original_value: str) -> None:
    n = normalize(original)
    assert n.text == expected
    assert n.changed
    assert original_of(original, value) == original_value


@pytest.mark.parametrize(
    ("original", "digits_only"),
    [
        ("Tél. 06 12 34 56 78, IBAN FR76 3000 6000 0112 3456 7890 189", True),
        ("NIR 1 85 O5 78 OO6 O84 91", True),  # letter O read as zero: inside a digit run
        ("Jеan 06 12 34 56 78", False),  # a Cyrillic е folded: a word changed
        ("jean [at] exemple [dot] fr", False),
        ("０６ 12 34 56 78", False),  # NFKC: the engine reads the original again for every type
        ("rien à changer", True),
    ],
)
def test_digits_only_says_whether_words_are_as_typed(original: str, digits_only: bool) -> None:
    """The engine reads the original again without the name rules only when ``digits_only``."""
    assert normalize(original).digits_only is digits_only


def test_brief_example() -> None:
    original = "Mon mail : jean [at] exemple [dot] fr merci"
    n = normalize(original)
    i = n.text.index("jean@exemple.fr")
    start, end = n.to_original(i, i + len("jean@exemple.fr"))
    assert (start, end) == (11, 37)
    assert original[start:end] == "jean [at] exemple [dot] fr"
    # text around the address keeps exact offsets
    j = n.text.index("merci")
    assert n.to_original(j, j + 5) == (original.index("merci"), original.index("merci") + 5)


def test_every_normalised_char_maps_inside_its_source() -> None:
    original = "Tél : ０６ １２ ３４ ５６ ７８"
    n = normalize(original)
    for i, ch in enumerate(n.text):
        start, end = n.to_original(i, i + 1)
        assert ch in unicodedata.normalize("NFKC", original[start:end])


# --------------------------------------------------------------------------------------------------
# Split numbers: only regular groupings are joined, never across a group that breaks the layout
# --------------------------------------------------------------------------------------------------

# (original, expected normalised text, [(value in it, its original slice), ...]); every value is looked
# up once in the normalised text and must map back to exactly that slice of the original.
JOIN_CASES = [
    # a phone followed by a postcode: only the 5 pairs are joined
    (
        "Appelle le 06 12 34 56 78 75001 Paris",
        "Appelle le 0612345678 75001 Paris",
        [("0612345678", "06 12 34 56 78"), ("75001", "75001"), ("Paris", "Paris")],
    ),
    # a card followed by its expiry date
    (
        "carte 4970 1012 3456 7893 12 27 merci",
        "carte 4970101234567893 12 27 merci",
        [("4970101234567893", "4970 1012 3456 7893"), ("12 27", "12 27"), ("merci", "merci")],
    ),
    # an IBAN followed by French words: the words are never joined
    (
        "Le client belge a donné BE71 0961 2345 6769 pour le remboursement.",
        "Le client belge a donné BE71096123456769 pour le remboursement.",
        [("BE71096123456769", "BE71 0961 2345 6769"), ("pour le", "pour le")],
    ),
    # two phones, with and without a word between them
    (
        "06 12 34 56 78 et 07 98 76 54 32",
        "0612345678 et 0798765432",
        [("0612345678", "06 12 34 56 78"), ("0798765432", "07 98 76 54 32")],
    ),
    (
        "06 12 34 56 78 07 98 76 54 32",
        "0612345678 0798765432",
        [("0612345678", "06 12 34 56 78"), ("0798765432", "07 98 76 54 32")],
    ),
    (
        "06-12-34-56-78-07-98-76-54-32",
        "0612345678-0798765432",
        [("0612345678", "06-12-34-56-78"), ("0798765432", "07-98-76-54-32")],
    ),
    # an IBAN followed by "FR": the country's IBAN length says where it ends
    (
        "IBAN BE71 0961 2345 6769. FR76 3000 6000 0112 3456 7890 189 pour l'autre.",
        "IBAN BE71096123456769. FR7630006000011234567890189 pour l'autre.",
        [
            ("BE71096123456769", "BE71 0961 2345 6769"),
            ("FR7630006000011234567890189", "FR76 3000 6000 0112 3456 7890 189"),
        ],
    ),
    (
        "Compte BE71 0961 2345 6769 FR Banque",
        "Compte BE71096123456769 FR Banque",
        [("BE71096123456769", "BE71 0961 2345 6769"), ("FR Banque", "FR Banque")],
    ),
    (
        "FR76 3000 6000 0112 3456 7890 189 DE89 3704 0044 0532 0130 00",
        "FR7630006000011234567890189 DE89370400440532013000",
        [
            ("FR7630006000011234567890189", "FR76 3000 6000 0112 3456 7890 189"),
            ("DE89370400440532013000", "DE89 3704 0044 0532 0130 00"),
        ],
    ),
    (
        "IT60 X054 2811 1010 0000 0123 456",
        "IT60X0542811101000000123456",
        [("IT60X0542811101000000123456", "IT60 X054 2811 1010 0000 0123 456")],
    ),
    # a NIR followed by a date
    (
        "NIR 1 85 05 78 006 084 36 12/03/2024",
        "NIR 185057800608436 12/03/2024",
        [("185057800608436", "1 85 05 78 006 084 36"), ("12/03/2024", "12/03/2024")],
    ),
    (
        "NIR 1 85 05 78 006 084 36 12 03 1985",
        "NIR 185057800608436 12 03 1985",
        [("185057800608436", "1 85 05 78 006 084 36"), ("12 03 1985", "12 03 1985")],
    ),
    # NIR of Corsica (2A/2B) and overseas (3-digit department), NIR without its key
    ("n° 2 69 05 2A 123 456 88.", "n° 269052A12345688.", [("269052A12345688", "2 69 05 2A 123 456 88")]),
    ("2 69 05 2B 123 456 88", "269052B12345688", [("269052B12345688", "2 69 05 2B 123 456 88")]),
    ("2 85 05 971 05 123 11", "285059710512311", [("285059710512311", "2 85 05 971 05 123 11")]),
    ("NIR 1 85 05 78 006 084 ?", "NIR 1850578006084 ?", [("1850578006084", "1 85 05 78 006 084")]),
    # SIRET then a postcode, 19-digit card, Amex, phones with a prefix, numéro fiscal, VAT number
    (
        "SIRET 732 829 320 00074 75001 Paris",
        "SIRET 73282932000074 75001 Paris",
        [("73282932000074", "732 829 320 00074"), ("75001", "75001")],
    ),
    ("4970 1012 3456 7893 123", "4970101234567893123", [("4970101234567893123", "4970 1012 3456 7893 123")]),
    ("Amex 3782 822463 10005", "Amex 378282246310005", [("378282246310005", "3782 822463 10005")]),
    (
        "+33 6 12 34 56 78 75001",
        "+33612345678 75001",
        [("33612345678", "33 6 12 34 56 78"), ("75001", "75001")],
    ),
    ("0033 6 12 34 56 78", "0033612345678", [("0033612345678", "0033 6 12 34 56 78")]),
    ("+33 (0)1 23 45 67 89", "+33 (0)123456789", [("123456789", "1 23 45 67 89")]),
    ("Pointe-à-Pitre : 0590 27 12 34.", "Pointe-à-Pitre : 0590271234.", [("0590271234", "0590 27 12 34")]),
    ("code 75001 06 12 34 56 78", "code 75001 0612345678", [("0612345678", "06 12 34 56 78")]),
    ("NIF 30 23 217 600 053", "NIF 3023217600053", [("3023217600053", "30 23 217 600 053")]),
    ("TVA FR 59 542 051 180", "TVA FR 59542051180", [("59542051180", "59 542 051 180")]),
    # groups of one size, up to the first group of another size
    (
        "0 6 1 2 3 4 5 6 7 8 75001",
        "0612345678 75001",
        [("0612345678", "0 6 1 2 3 4 5 6 7 8"), ("75001", "75001")],
    ),
    ("ref 12 34 56 78 90 1", "ref 1234567890 1", [("1234567890", "12 34 56 78 90")]),
    ("SIREN 732.829.320.", "SIREN 732829320.", [("732829320", "732.829.320")]),
    # a phone before a number with decimals
    ("06 12 34 56 78 12,5 €", "0612345678 12,5 €", [("0612345678", "06 12 34 56 78"), ("12,5", "12,5")]),
]


@pytest.mark.parametrize(("original", "expected", "values"), JOIN_CASES)
def test_only_regular_groupings_are_joined(
    original: str, expected: str, values: list[tuple[str, str]]
) -> None:
    n = normalize(original)
    assert n.text == expected
    for value, original_value in values:
        i = n.text.index(value)
        start, end = n.to_original(i, i + len(value))
        assert original[start:end] == original_value, (value, original[start:end])
        assert (start, end) == (
            original.index(original_value),
            original.index(original_value) + len(original_value),
        )


NOT_JOINED = [
    "Le total s'élève à 1 234 567 890 € HT.",  # an amount, not "1" and a SIREN
    "Le chiffre d'affaires atteint 1 850 578 006 084 €.",
    "Le projet coûte 4 970 101 234 567 893 €.",
    "Soit 123 456 789 012,50 € au total.",
    "fr76 3000 6000 0112 3456 7890 189",  # lower case: never joined (and the digits are not a card)
    "BE71 0961 2345 6769pour le",  # "6769pour" is not a group
    "Appelez le 06 12 34 56 avant lundi",  # 4 pairs only
    "le 12 03 1985 à 10 30",
]


@pytest.mark.parametrize("text", NOT_JOINED)
def test_irregular_groupings_left_alone(text: str) -> None:
    n = normalize(text)
    assert n.text == text
    assert not n.changed


_GROUP_PIECES = [
    "06",
    "12",
    "34",
    "5",
    "78",
    "4970",
    "1012",
    "75001",
    "BE71",
    "FR76",
    "2A",
    "FR",
    "123",
    "00074",
]
_WORD_PIECES = ["pour", "le", "et", "du", "Paris", "merci", "rue", "x2", "a1b2"]
_SEPARATORS = [" ", " ", " ", "-", ".", "/", " - ", "  "]


@pytest.mark.parametrize("seed", range(4))
def test_number_joining_never_glues_lower_case(seed: int) -> None:
    """Random mixes of groups and words: only separators between digits/upper-case groups are dropped."""
    rng = random.Random(seed)
    for _ in range(400):
        sep = rng.choice(_SEPARATORS)
        parts = [
            rng.choice(_GROUP_PIECES if rng.random() < 0.8 else _WORD_PIECES)
            for _ in range(rng.randint(1, 12))
        ]
        original = sep.join(parts)
        n = normalize(original)
        covered = [False] * len(original)
        for i in range(len(n.text)):
            start, end = n.to_original(i, i + 1)
            assert end - start == 1, (original, n.text)  # joining only deletes: every kept char maps 1:1
            assert original[start] == n.text[i]
            covered[start] = True
        k = 0
        while k < len(original):
            if covered[k]:
                k += 1
                continue
            j = k
            while j < len(original) and not covered[j]:
                j += 1
            assert original[k:j] == sep, (original, n.text, k)
            left, right = original[:k].split(sep)[-1], original[j:].split(sep)[0]
            for group in (left, right):
                assert group and all(c.isdigit() or c.isupper() for c in group), (original, n.text, group)
            k = j


def test_iban_lengths_follow_the_registry() -> None:
    """The IBAN lengths used to end an IBAN are those of python-stdnum's copy of the SWIFT registry."""
    import re
    from pathlib import Path

    import stdnum

    from dlp_proxy.detect import normalize as module

    registry = {}
    for line in (Path(stdnum.__file__).parent / "iban.dat").read_text().splitlines():
        m = re.match(r'([A-Z]{2}) .*bban="([^"]+)"', line)
        if m:
            registry[m.group(1)] = 4 + sum(int(x) for x in re.findall(r"(\d+)!", m.group(2)))
    assert module._IBAN_LENGTHS == registry


# --------------------------------------------------------------------------------------------------
# Left alone: French prose, other scripts, short numbers
# --------------------------------------------------------------------------------------------------

FRENCH_PARAGRAPH = (
    "Bonjour Hélène,\n\nSuite à notre réunion du 12/03/2024, voici le point sur le dossier : "
    "le devis s'élève à 1 250,00 € HT (1 500,00 € TTC), payable à 30 jours. François, Zoé et Loïc "
    "sont d'accord ; l'équipe a déjà reçu 3 pommes et 4 poires, œufs compris. Rendez-vous le "
    "lundi 5 mai à 14 h 30, salle 2.04. Fais le point avec Noël à ce sujet, point par point. "
    "Cœur, être, où, naïf, Ægée, garçon. L'Île-de-France compte 12 millions d'habitants. "
    "Voir l'article L. 1234-5 du Code du travail, version 2.3.1. Je suis at home, c'est le point "
    "de départ. Taux : 20 % sur 30 % du total, soit 1 000 000 €. Tél. du standard : 15."
)

UNCHANGED = [
    FRENCH_PARAGRAPH,
    "Fais le point sur le dossier",
    "le point sur le dossier point final",
    "1 250,00 €",
    "1 250 000 000,00 €",
    "Rendez-vous le 12/03/2024 à 10:30.",
    "Du 12.03.2024 au 15.04.2024",
    "3 pommes et 4 poires",
    "Hélène, Chloé, Jérôme, François, Noël, Maëlle, Œdipe",
    "Привет, как дела? Москва 2024",
    "Москва2024",
    "Ελληνικά: ο λόγος",
    "αβγ = 2π",
    "192.168.100.200",
    "version 1.2.3.4",
    "chat at home",
    "rendez-vous at noon, point final",
    "contact @jean_dupont sur le réseau",
    "contact@magasin point de vente",
    "écrire à jean at maison point me",
    # spaced dots need a spaced at-marker, and a lower-case TLD after them
    "jean@exemple.fr . De plus, merci.",
    "Réponds à contact . commercial@exemple.fr",
    "Le point . sur le planning @ demain",
    "Remplace %40 par @ dans l'URL encodée.",
    "Le fichier rapport%40v2.pdf est joint.",
    # a lone surrogate escape, or backslash-u without four hex digits, stays as it is
    "emoji cassé \\ud83d seul",
    "C:\\users\\ulysse\\documents",
    "Budget 2024-2025",
    "pages 10 - 20",
    "Commande n° 12345678",
    "",
    "   ",
    "\u0301 une marque seule",
    "a" * 1000,
    "L'appartement fait 45 m2 et coûte 250 000 €.",
]


@pytest.mark.parametrize("text", UNCHANGED)
def test_text_left_unchanged(text: str) -> None:
    n = normalize(text)
    assert n.text == text
    assert not n.changed
    assert n.to_original(0, len(text)) == (0, len(text))


def test_pure_cyrillic_word_kept_even_if_every_letter_is_a_lookalike() -> None:
    assert normalize("сосо рорса").text == "сосо рорса"


def test_french_accents_are_never_folded() -> None:
    text = "àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ"
    assert normalize(text).text == text
    assert normalize("Rоbert " + text).text == "Robert " + text


# --------------------------------------------------------------------------------------------------
# to_original contract
# --------------------------------------------------------------------------------------------------


def test_identity_when_nothing_changes() -> None:
    n = normalize("Bonjour Hélène")
    assert isinstance(n, Normalized)
    assert n.to_original(8, 14) == (8, 14)
    assert n.to_original(3, 3) == (3, 3)


def test_empty_spans() -> None:
    original = f"a{ZWSP}b ０６"
    n = normalize(original)
    assert n.text == "ab 06"
    assert n.to_original(1, 1) == (2, 2)  # before "b"
    assert n.to_original(len(n.text), len(n.text)) == (len(original), len(original))
    assert normalize(ZWSP * 3).to_original(0, 0) == (0, 0)


@pytest.mark.parametrize(("start", "end"), [(-1, 2), (0, 99), (3, 2)])
def test_out_of_range_span_is_an_error(start: int, end: int) -> None:
    with pytest.raises(ValueError):
        normalize(f"jean{ZWSP}@exemple.fr").to_original(start, end)


def test_dropped_chars_are_covered_by_a_straddling_span() -> None:
    original = f"ab{ZWSP}{ZWSP}cd"
    n = normalize(original)
    assert n.to_original(1, 3) == (1, 5)  # "bc" covers the two zero-width spaces
    assert n.to_original(2, 3) == (4, 5)


# --------------------------------------------------------------------------------------------------
# Offset-map property, on seeded random texts (hypothesis is not a dependency of the project)
# --------------------------------------------------------------------------------------------------

_PIECES = [
    *"abcdefghijklmnopqrstuvwxyz",
    *"ABCDEFXYZ",
    *"0123456789",
    *"          ",
    *".-/_,:;!?@()[]",
    *"éèàçœÉÀÇôîï",
    ZWSP,
    ZWNJ,
    ZWJ,
    WJ,
    SHY,
    BOM,
    LRM,
    RLO,
    *"０１２３４５６７８９＠",
    "ﬁ",
    "\u00a0",
    "\u202f",
    "\u0301",
    "\u0300",
    "е",
    "а",
    "о",
    "р",
    "с",
    "ο",
    "Ж",
    "٦",
    "𝐚",
    " [at] ",
    " (dot) ",
    " . ",
    " @ ",
    "%40",
    "\\u0040",
    "\\u00e9",
    "\\ud83d\\ude00",
    " arobase ",
    " point ",
    " at ",
    "jean",
    "exemple",
    "fr",
    "06 12 34 56 78",
    "FR76 3000 6000 0112 3456 7890 189",
    "1 85 05 78 006 084 36",
]


def _random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 60))) for _ in range(count)]


_DROPPABLE = set(" \u00a0\u202f.-/_()[]{}<>") | {ZWSP, ZWNJ, ZWJ, WJ, SHY, BOM, LRM, RLO}


@pytest.mark.parametrize("seed", range(8))
def test_offset_map_properties_on_random_texts(seed: int) -> None:
    for original in _random_texts(300, seed):
        n = normalize(original)
        spans = [n.to_original(i, i + 1) for i in range(len(n.text))]
        covered = [False] * len(original)
        previous = (0, 0)
        for start, end in spans:
            # within bounds and non-empty
            assert 0 <= start < end <= len(original), (original, n.text)
            # monotonic
            assert start >= previous[0] and end >= previous[1], (original, n.text)
            previous = (start, end)
            for k in range(start, end):
                covered[k] = True
        # a whole-text span covers from the first to the last kept char
        if n.text:
            assert n.to_original(0, len(n.text)) == (spans[0][0], spans[-1][1])
        # only format chars, separators and marker punctuation/words may be dropped; never a digit or a
        # letter outside an "at"/"dot"/"arobase"/"point" marker
        lowered = original.lower()
        for k, was_covered in enumerate(covered):
            if was_covered:
                continue
            ch = original[k]
            if ch in _DROPPABLE:
                continue
            assert ch.isalpha() and any(
                lowered.find(word, max(0, k - 7), k + 8) != -1 for word in ("at", "dot", "arobase", "point")
            ), (original, n.text, k, ch)
        # spans of consecutive chars tile the original without gaps except dropped chars
        for (s1, e1), (s2, e2) in zip(spans, spans[1:], strict=False):
            assert s2 >= e1 or (s1, e1) == (s2, e2)


@pytest.mark.parametrize("seed", range(4))
def test_normalised_text_has_no_format_chars_and_is_nfkc(seed: int) -> None:
    for original in _random_texts(200, seed):
        text = normalize(original).text
        assert not any(unicodedata.category(c) == "Cf" for c in text)
        assert unicodedata.is_normalized("NFKC", text), (original, text)


# --------------------------------------------------------------------------------------------------
# Encoded blobs
# --------------------------------------------------------------------------------------------------


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def _b64url(s: str) -> str:
    return base64.urlsafe_b64encode(s.encode()).decode()


EMAIL = "jean.dupont@exemple.fr"


@pytest.mark.parametrize(
    ("encoded", "kind", "decoded"),
    [
        (_b64(EMAIL), "base64", EMAIL),  # padded
        (_b64(EMAIL).rstrip("="), "base64", EMAIL),  # unpadded
        (_b64("Hélène Dupont ~~ née le 01/02/1980 ??"), "base64", "Hélène Dupont ~~ née le 01/02/1980 ??"),
        (_b64url("Hélène ~~ 06 12 34 56 78 ???"), "base64", "Hélène ~~ 06 12 34 56 78 ???"),  # urlsafe
        (_b64url("Hélène ~~ 06 12 34 56 78 ???").rstrip("="), "base64", "Hélène ~~ 06 12 34 56 78 ???"),
        ("jean%2Edupont%40exemple%2Efr", "percent", EMAIL),
        ("jean.dupont%40exemple%2Efr", "percent", EMAIL),
        ("%C3%A9l%C3%A8ne", "percent", "élène"),
        ("&#106;&#101;&#97;&#110;&#64;exemple.fr", "html", "jean@exemple.fr"),
        ("jean&commat;exemple&period;fr", "html", "jean@exemple.fr"),
        ("jean&#x40;exemple.fr", "html", "jean@exemple.fr"),
        ("jean&#64exemple.fr", "html", "jean@exemple.fr"),
    ],
)
def test_blob_found_and_decoded(encoded: str, kind: str, decoded: str) -> None:
    text = f"Voici : {encoded} merci"
    blobs = [b for b in find_blobs(text) if b.kind == kind]
    assert blobs, find_blobs(text)
    blob = blobs[0]
    assert blob.decoded == decoded
    assert text[blob.start : blob.end] == encoded


@pytest.mark.parametrize(
    "text",
    [
        "anticonstitutionnellement",  # a plain word in the alphabet
        "ANTICONSTITUTIONNELLEMENT",
        "deadbeef0123456789abcdef0123",  # hex id
        "DEADBEEF0123456789ABCDEF0123",
        "123e4567-e89b-12d3-a456-426614174000",  # UUID
        "getUserAccountInfoByName",  # identifier that decodes to garbage
        "/usr/local/bin/python3.12",
        _b64(EMAIL)[:12],  # too short
        base64.b64encode(bytes(range(0, 256, 3))).decode(),  # binary
        base64.b64encode(b"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11").decode(),  # control chars
        "remise de 20 % sur 30 %",
        "100%25 sûr",  # a single escape
        "AT&T et R&D",
        "Tom &amp; Jerry",  # decodes to punctuation only
        "--------------------------------",
        "________________________________",
        "Le fichier rapport_final_2024_v2_relu.docx est joint",
    ],
)
def test_no_blob(text: str) -> None:
    assert find_blobs(text) == []


def test_min_base64_len() -> None:
    text = f"x {_b64('Bonjour')} y"  # 12 chars
    assert find_blobs(text) == []
    assert [b.decoded for b in find_blobs(text, min_base64_len=8)] == ["Bonjour"]


def test_base64_in_url_path_and_after_equals() -> None:
    text = f"https://x.fr/api/{_b64(EMAIL)} et token={_b64(EMAIL)}"
    blobs = find_blobs(text)
    assert [b.decoded for b in blobs] == [EMAIL, EMAIL]
    assert all(text[b.start : b.end] == _b64(EMAIL) for b in blobs)


def test_mime_wrapped_base64_is_one_blob() -> None:
    payload = "Hélène Dupont habite au 12 rue de la Paix, Paris. " * 4
    wrapped = base64.encodebytes(payload.encode()).decode()
    assert wrapped.count("\n") > 2
    text = "Pièce jointe :\n" + wrapped + "fin"
    blobs = find_blobs(text)
    assert [(b.kind, b.decoded) for b in blobs] == [("base64", payload)]
    assert text[blobs[0].start : blobs[0].end] == wrapped.rstrip("\n")


def test_nested_blob_reported_with_outer_span() -> None:
    inner = "jean%2Edupont%40exemple%2Efr"
    outer = _b64(inner)
    text = f"a {outer} b"
    blobs = find_blobs(text)
    assert [(b.kind, b.decoded) for b in blobs] == [("base64", inner), ("percent", EMAIL)]
    assert all((b.start, b.end) == (2, 2 + len(outer)) for b in blobs)
    assert [b.kind for b in find_blobs(text, max_depth=1)] == ["base64"]
    assert find_blobs(text, max_depth=0) == []


def test_depth_limit() -> None:
    three = _b64(_b64(_b64(EMAIL)))
    assert [b.decoded for b in find_blobs(three)] == [_b64(_b64(EMAIL)), _b64(EMAIL)]
    assert [b.decoded for b in find_blobs(three, max_depth=3)][-1] == EMAIL


def test_blobs_sorted_by_start() -> None:
    text = f"{'&#106;&#101;&#97;&#110;&#64;x.fr'} puis {_b64(EMAIL)} puis jean%2Edupont%40exemple%2Efr"
    blobs = find_blobs(text)
    assert [b.kind for b in blobs] == ["html", "base64", "percent"]
    assert [b.start for b in blobs] == sorted(b.start for b in blobs)
    assert all(isinstance(b, Blob) for b in blobs)


def test_prose_has_no_blob() -> None:
    assert find_blobs(FRENCH_PARAGRAPH) == []


def test_spaced_iban_needs_its_key_and_its_length() -> None:
    """A wrong key, or a character glued after the country's length, leaves the letters apart."""
    wrong_key = "F R 7 6 3 0 0 0 6 0 0 0 0 1 1 2 3 4 5 6 7 8 9 0 1 8 8 x"
    assert normalize(wrong_key).text.startswith("F R ")
    too_long = "B E 7 1 0 9 6 1 2 3 4 5 6 7 6 9x"
    assert normalize(too_long).text.startswith("B E ")
    prose = "Le plan A B 1 2 3 4 5 6 7 8 9 0 1 2 3 4 reste"
    assert "AB12" not in normalize(prose).text


# -- letter O for zero, hex -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NIR 1 85 O5 78 OO6 O84 91", "NIR 185057800608491"),
        ("carte 4970 1O12 3456 7893", "carte 4970101234567893"),
        ("tel O6 12 34 56 78", "tel 0612345678"),
    ],
)
def test_letter_o_in_digit_runs_is_zero(text: str, expected: str) -> None:
    norm = normalize(text)
    assert norm.text == expected
    start = expected.index(expected.split()[-1])
    assert norm.to_original(start, len(expected))[1] == len(text)


@pytest.mark.parametrize("text", ["Foo 123456", "Pour o 12 34", "ISO 9001", "OO7 et O"])
def test_words_with_o_are_left_alone(text: str) -> None:
    assert normalize(text).text == text


def test_hex_runs_that_are_text_are_decoded() -> None:
    value = "NIR 1 85 05 78 006 084 91"
    for encoded in (value.encode().hex(), "".join(f"\\x{b:02x}" for b in value.encode())):
        text = f"voici {encoded} fin"
        blobs = [b for b in find_blobs(text) if b.kind == "hex"]
        assert [(b.decoded, text[b.start : b.end]) for b in blobs] == [(value, encoded)]


def test_hex_ids_and_numbers_are_not_text() -> None:
    assert [
        b
        for b in find_blobs("id 0123456789abcdef0123456789abcdef, carte 4970101234567893")
        if b.kind == "hex"
    ] == []


@pytest.mark.parametrize(
    ("text", "changed"),
    [
        ("Tél : 06 12 34 56 78.", [" ", " ", " ", " "]),  # separators of a split number dropped
        ("NIR 1 85 O5 78 OO6 O84 91", [" ", " O", " ", " OO", " O", " "]),  # letters O read as zeros
        ("jean [at] exemple [dot] fr", [" [at] ", " [dot] "]),  # a marker standing for a character
        ("Rien à changer ici.", []),
    ],
)
def test_changed_spans_are_what_the_copy_does_not_hold_as_typed(text: str, changed: list[str]) -> None:
    """The engine reads the original again around these places only (engine._reread_units)."""
    norm = normalize(text)
    spans = norm.changed_spans(text)
    assert [text[a:b] for a, b in spans] == changed
    assert spans == sorted(spans) and all(b <= c for (_, b), (c, _) in zip(spans, spans[1:], strict=False))
