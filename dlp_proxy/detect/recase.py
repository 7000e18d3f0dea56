"""A second reading by the NER of the lower-case words French does not know, capitalised.

Why: the model finds people mostly by their capital letter. Even fine-tuned with names in lower case,
it misses many a name typed so that it finds when capitalised ("le troisième album de tupac shakur",
"loin devant jan rokita", "il dépasse reggie miller"). In lower-case text, names hide among the words
French does not know. Each such word is capitalised, with the known first or family names next to it,
and the NER reads again a window of a few words on each side. A PER span found there over such a word
is added to the document's entities, where the PERSON recogniser scores it like any other: its rules
for one lower-case word (a thing after "le compte", a term in quotes, the allowlist...) still apply.

Cost: one more NER pass, over the windows only, and only for texts with such words. Left out, to keep
both the cost and the false findings down: words with a French derivational ending ("soufiste",
"colistière", "shintoïstes", "exhortatives": words the dictionary lacks, not names), words already
inside an entity, and a span that is all of a quoted or bracketed term ('" Abies religiosa "': a
Latin name, a title).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from dlp_proxy.detect.recognizers.base import fold

#: Endings of French words the dictionary may lack (derived nouns and adjectives), without accents:
#: such a word is not re-read unless it is a known name ("Lucien", "Garnier").
FRENCH_ENDINGS: tuple[str, ...] = tuple(
    """iste istes isme ismes ien ienne iennes iere ieres ique iques tion tions ment ments eur eurs euse
    euses eux ite ites able ables ible ibles aire aires ale ales aux ais aise aises ois oise oises ee
    ees ive ives""".split()
)


_OPENED = re.compile(r"[\"«“(][ \u00a0]*$")
_CLOSED = re.compile(r"[ \u00a0]*[\"»”)]")


def _capitalised(chars: list[str], index: int) -> None:
    upper = chars[index].upper()
    if len(upper) == 1:  # offsets must not move ("ß" stays)
        chars[index] = upper


def add_recased_names(
    nlp: Any,
    docs: Sequence[Any],
    *,
    window: int,
    is_word: Callable[[str], bool],
    is_name: Callable[[str], bool],
    is_slip: Callable[[str], bool] | None = None,
    label: str = "PER",
) -> int:
    """Add to ``docs`` (in place) the ``label`` spans the NER finds once their unknown lower-case words
    are capitalised; return how many were added.

    ``is_word``: whether a word is French (or prompt jargon): not re-read. ``is_name``: whether a word
    is a known first or family name: capitalised with an unknown word next to it ("ana ivanović"), and
    re-read even with a French ending. ``is_slip``: whether a word is French mistyped ("relir",
    "dhier"); found alone, such a word is not added.
    """
    if window <= 0:
        return 0
    texts: list[str] = []
    where: list[tuple[int, int, list[tuple[int, int]]]] = []  # (doc index, offset, unknown words' chars)
    for d, doc in enumerate(docs):
        unknown = {
            t.i
            for t in doc
            if t.is_alpha
            and t.is_lower
            and len(t) >= 3
            and t.ent_iob_ == "O"
            and not is_word(t.text)
            and (not fold(t.text).endswith(FRENCH_ENDINGS) or is_name(t.text))
        }
        if not unknown:
            continue
        windows: list[list[int]] = []
        for i in sorted(unknown):
            start, end = max(0, i - window), min(len(doc), i + window + 1)
            if windows and start <= windows[-1][1]:
                windows[-1][1] = end
            else:
                windows.append([start, end])
        text = doc.text
        for start, end in windows:
            first, last = doc[start], doc[end - 1]
            offset = first.idx
            chars = list(text[offset : last.idx + len(last)])
            for t in doc[start:end]:
                next_to_unknown = t.i - 1 in unknown or t.i + 1 in unknown
                if t.i in unknown or (next_to_unknown and t.is_alpha and t.is_lower and is_name(t.text)):
                    _capitalised(chars, t.idx - offset)
            texts.append("".join(chars))
            marks = [(doc[i].idx, doc[i].idx + len(doc[i])) for i in range(start, end) if i in unknown]
            where.append((d, offset, marks))
    if not texts:
        return 0
    ents: dict[int, list[Any]] = {}  # the entities of each document changed, as they become
    added = 0
    for (d, offset, marks), reread in zip(where, nlp.pipe(texts), strict=True):
        doc = docs[d]
        for ent in reread.ents:
            if ent.label_ != label:
                continue
            start, end = offset + ent.start_char, offset + ent.end_char
            if not any(start < e and s < end for s, e in marks):
                continue  # the NER's own reading stands where no unknown word was capitalised
            if _OPENED.search(doc.text, max(0, start - 3), start) and _CLOSED.match(doc.text, end):
                continue  # a quoted or bracketed term: '" Zygochloa paradoxa "'
            span = doc.char_span(start, end, alignment_mode="contract")
            if span is None:
                continue
            current = ents.setdefault(d, list(doc.ents))
            first, last = _fit(span.start, span.end, current, label)
            if first >= last:
                continue
            if last - first == 1 and is_slip is not None and is_slip(doc[first].text):
                continue  # "peux tu relir le mail": a word mistyped, not a name
            lo, hi = doc[first].idx, doc[last - 1].idx + len(doc[last - 1])
            if not any(lo < e and s < hi for s, e in marks):
                continue
            current[:] = [x for x in current if not (first <= x.start and x.end <= last)]  # taken in
            current.append(doc.char_span(lo, hi, label=label))
            added += 1
    for d, spans in ents.items():
        docs[d].ents = sorted(spans, key=lambda s: s.start)
    return added


def _fit(first: int, last: int, taken: list[Any], label: str) -> tuple[int, int]:
    """The tokens ``first:last`` of a span found again, fitted to the entities already there.

    A ``label`` entity of two words or more that it overlaps is taken in ("gus van" + "Van Sant": "gus
    van sant"). Other entities keep their words, left out at its edges ("R&B" + "R&B Keyshia Cole":
    "keyshia cole"); one inside it leaves nothing. A one-word ``label`` entity is not grown: "WARN
    payment declined order=…" would become "declined order", two words, which score as a name.
    """
    grown = [
        x for x in taken if x.label_ == label and x.end - x.start >= 2 and x.start < last and first < x.end
    ]
    for x in grown:
        first, last = min(first, x.start), max(last, x.end)
    others = [x for x in taken if not any(x is g for g in grown)]
    while first < last and any(x.start <= first < x.end for x in others):
        first += 1
    while first < last and any(x.start <= last - 1 < x.end for x in others):
        last -= 1
    if any(x.start < last and first < x.end for x in others):
        return first, first
    return first, last
