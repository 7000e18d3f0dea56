"""ADDRESS: French postal addresses, reported as ONE span from the street number to the city/CEDEX.

Why a dedicated recogniser: spaCy's French NER returns addresses in pieces ("rue de la Paix" LOC,
"Paris" LOC) and Presidio has no address recogniser, so a redaction would leave "12 bis, <LOC>, 75002
<LOC>" - the number and postcode still identify the home. Here one regular expression follows the way
French addresses are written (norme AFNOR NF Z 10-011, as in letter headers):

    [complement line]            Résidence Les Pins, Bât. B
    [number [bis|ter]] type name 12 bis, rue de la Paix
    [complement / BP / CS lines] BP 45
    postcode city [CEDEX nn]     75002 PARIS CEDEX 02

Two shapes are reported: a street line followed by a postcode and a city (score 0.95 with a street
number, 0.85 without), and a street line with a number but no postcode when the street type is
unambiguous and the name is capitalised ("12 rue Victor Hugo", 0.7). A postcode and a city alone
("75002 Paris") is a place, not an address, and is never reported: cities are everywhere in prompts.
"""

from __future__ import annotations

import re

from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

ENTITY = "ADDRESS"

_UP = "A-ZÀ-ÖØ-ÞŒ"
# Street types as written in France, with their usual abbreviations.
_STREET_TYPES = (
    r"rue|ruelle|avenue|av\.?|boulevard|bd\.?|bld\.?|all[ée]e|chemin|ch\.|impasse|imp\.|place|pl\.|quai|route"
    r"|rte\.?|cours|square|sq\.|lieu[- ]?dit|za|zi|zac|zae"
    r"|zone\s+(?:artisanale|industrielle|d['’]activit[ée]s?)"
    r"|parc|passage|voie|villa|cit[ée]|hameau|faubourg|fbg\.?|promenade|esplanade|sentier|rond[- ]point"
    r"|mont[ée]e|chauss[ée]e|mail|traverse|parvis|clos|domaine|lotissement|carrefour|quartier"
)
# Types that, with a number before them, are addresses even without a postcode ("3 rue Foch");
# "cours", "passage", "parc"... are left out: "2 cours de Python" is not an address.
_STRONG_TYPES = (
    r"rue|ruelle|avenue|av\.|boulevard|bd|bld|all[ée]e|chemin|impasse|place|quai|route|faubourg"
    r"|promenade|esplanade|chauss[ée]e|lieu[- ]?dit"
)
_NUMBER = r"\d{1,4}(?:[ ]?[-/][ ]?\d{1,4})?(?:[ ]?(?i:bis|ter|quater|[a-d])\b)?"
_SP = r"[ \t\u00a0]"
# Between two parts: a comma, a single line break (letter header), " - ", or spaces. Possessive
# quantifiers and one way to read a run of spaces: with ``\s*(…|\s+)`` a run of n spaces could be split
# n ways at every part, and a prompt with a few hundred spaces after "rue" took seconds (ReDoS).
_SEP = rf"{_SP}*+(?:,{_SP}*+(?:\r?\n{_SP}*+)?|\r?\n{_SP}*+|(?<={_SP})[-–]{_SP}++|(?<={_SP}))"
_COMPLEMENT = (
    r"(?:(?i:b[âa]t(?:iment)?\.?|r[ée]s(?:idence)?\.?|app(?:artemen)?t\.?|apt\.?|esc(?:alier)?\.?|porte|entr[ée]e"
    r"|imm(?:euble)?\.?|tour|hall|chez|c/o|compl[ée]ment|lot\.?)"
    rf"{_SP}[^\n\r,;]{{0,39}}[^\s,;]|\d{{1,2}}(?:e|er|[èe]me){_SP}++(?i:[ée]tage)(?:{_SP}[^\n\r,;]{{0,19}}[^\s,;])?)"
)
_PO_BOX = r"(?i:bp|b\.p\.|cs|tsa|bo[iî]te\s+postale)[ ]?\d{1,6}"
_POSTCODE = r"(?<!\d)(?:(?:0[1-9]|[1-8]\d|9[0-5])[ ]?\d{3}|97[1-6][ ]?\d{2}|98[4-8][ ]?\d{2})(?!\d)"
_CITY_WORD = rf"[{_UP}][\w'’]*"
_CITY_LINK = r"(?i:sur|sous|l[èe]s|lez|en|de|du|des|la|le|les|aux|au|et|d|l)"
# First word may be typed in lower case ("69003 lyon"); the following ones are capitalised or links.
_CITY = (
    rf"[^\W\d_][\w'’]*"
    rf"(?:[ \-](?!(?i:cedex)\b)(?:{_CITY_WORD}|{_CITY_LINK}(?=[ \-'’]))|['’]{_CITY_WORD}){{0,6}}"
    rf"(?:{_SP}+\d{{1,2}}(?:e|er|[èe]me)\b)?"
)
_CEDEX = rf"(?:{_SP}+(?i:cedex)(?:{_SP}?\d{{1,2}})?)?"
_PARTICLE = r"(?i:de|du|des|de\s+la|la|le|les|aux|au|à|a|sur|sous|en|et|saint|sainte|st|ste)"
_STRICT_WORD = rf"(?:(?i:[dl])['’])?(?:[{_UP}][\w'’.\-]*|\d{{1,4}}(?:er|e)?)"
_STRICT_NAME = rf"(?:{_PARTICLE}{_SP}+)*{_STRICT_WORD}(?:{_SP}(?:{_PARTICLE}{_SP}+)*{_STRICT_WORD}){{0,6}}"
# Free text never ends in whitespace: the separator after it owns the spaces (see ``_SEP``).
_LOOSE_NAME = r"[^\n\r,;:()\[\]{}<>|]{0,79}?[^\s,;:()\[\]{}<>|]"

_WITH_POSTCODE_RX = re.compile(
    rf"(?<![\w])(?:{_COMPLEMENT}{_SEP}){{0,2}}(?:(?P<number>{_NUMBER}){_SP}*+,?{_SP}*+)?(?<![\w])(?i:{_STREET_TYPES})"
    rf"{_SP}++{_LOOSE_NAME}(?:{_SEP}(?:{_COMPLEMENT}|{_PO_BOX})){{0,3}}{_SEP}(?P<postcode>{_POSTCODE}){_SP}++{_CITY}{_CEDEX}"
)
_STREET_ONLY_RX = re.compile(
    rf"(?<![\w.,])(?P<number>{_NUMBER}){_SP}*+,?{_SP}*+(?i:{_STRONG_TYPES}){_SP}+{_STRICT_NAME}"
)


class FrenchAddressRecognizer(LocalRecognizer):
    """French postal addresses as one span; see the module docstring for the shapes and scores."""

    SCORE_FULL = 0.95
    SCORE_NO_NUMBER = 0.85
    SCORE_STREET_ONLY = 0.7

    def __init__(self, supported_language: str = "fr") -> None:
        super().__init__(
            supported_entities=[ENTITY], supported_language=supported_language, name="FrenchAddressRecognizer"
        )

    def load(self) -> None:
        """Nothing to load: pure regular expressions."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Every address in ``text``; street-only matches inside a full address are not repeated."""
        if entities and ENTITY not in entities:
            return []
        spans = find_addresses(text)
        return [self._result(start, end, score) for start, end, score in spans]

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        return RecognizerResult(
            entity_type=ENTITY,
            start=start,
            end=end,
            score=score,
            analysis_explanation=AnalysisExplanation(
                recognizer=self.name, original_score=score, textual_explanation="French postal address"
            ),
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )


def find_addresses(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of each address in ``text``, without overlaps, in order.

    Kept as a pure function so the patterns can be tested without Presidio or a model.
    """
    if not any(ch.isdigit() for ch in text):
        return []
    found: list[tuple[int, int, float]] = []
    for m in _WITH_POSTCODE_RX.finditer(text):
        has_number = m.group("number") or re.search(r"\d", text[m.start() : m.start("postcode")])
        score = FrenchAddressRecognizer.SCORE_FULL if has_number else FrenchAddressRecognizer.SCORE_NO_NUMBER
        found.append((m.start(), m.end(), score))
    for m in _STREET_ONLY_RX.finditer(text):
        if any(start < m.end() and m.start() < end for start, end, _ in found):
            continue
        found.append((m.start(), m.end(), FrenchAddressRecognizer.SCORE_STREET_ONLY))
    return sorted(found)
