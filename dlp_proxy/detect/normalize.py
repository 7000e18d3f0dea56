"""Normalise a prompt against evasion before detection, keeping an exact map back to the original.

Recognizers only see what is literally there: ``０６ 12 34 56 78``, ``jеan@exemple.fr`` with a Cyrillic
``е``, ``jean [at] exemple [dot] fr`` or a zero-width space inside an IBAN all slip past regexes and NER.
So the engine scans a *normalised copy* (:func:`normalize`) and reports every finding on the *original*
text through :meth:`Normalized.to_original`: redaction must replace the characters the client sent, not
the ones we made up.

The stages run in this order, each one feeding the next, because each relies on the previous one:

0. **JSON escapes**: ``\\uXXXX`` escapes (and surrogate pairs) left in text copied from JSON or
   JavaScript become their character: ``jean\\u0040exemple.fr`` is ``jean@exemple.fr``. First, so that
   the decoded characters go through the stages below like typed ones.
1. **Format characters and NFKC** (one pass, per grapheme cluster). Format characters (Unicode category
   Cf: zero-width space/joiner/non-joiner, word joiner, soft hyphen, BOM, bidi controls) are dropped first
   so that they cannot split a word or a number; then each cluster (a base character and its combining
   marks) is NFKC-normalised: full-width ``０６``/``＠``, mathematical letters, ligatures and no-break
   spaces become plain ASCII, and decomposed accents (``e`` + U+0301) are recomposed. Precomposed French
   letters (é, è, à, ç, œ …) are NFKC-stable and stay as they are; accents are never stripped.
2. **Confusables** (one char for one char). Look-alike letters from other scripts (Cyrillic ``а``/``е``/
   ``о``/``р``/``с``, Greek ``ο`` …) are folded to ASCII using the Unicode TR39 table shipped by the
   ``confusable-homoglyphs`` package, but *only* in a word that mixes them with Latin letters
   (``jеan``), in a word made of digits and look-alikes only (``О6``, ``0б`` -> ``06``), or inside an
   e-mail-like token (one containing ``@``). Non-ASCII decimal digits (Arabic-Indic ``٠٦``…) are folded
   in the same contexts. A word in another script (``Привет``, ``Москва2024``) is left untouched. This
   runs after NFKC so that full-width letters already count as Latin.
3. **Obfuscated e-mails**: ``jean.dupont [at] exemple [dot] fr``, ``(at)``, ``{at}``, `` arobase ``,
   `` at ``, ``[.]``, ``(dot)``, `` point ``, a percent-encoded ``%40`` (``?email=jean.dupont%40exemple.fr``)
   and, around a spaced at-marker, spaced dots (``joseph . giraud7 @ gmail . com``) … become
   ``jean.dupont@exemple.fr``, only when an at-marker sits between an e-mail local part and a domain
   ending with a known top-level domain. This runs after stages 1-2 so that markers and addresses are
   plain ASCII, and before stage 4 so that a dot marker is already a dot.
4. **Letter O for zero**: inside a run of digit groups with at least six real digits, ``O``/``o`` is
   read as ``0`` (``1 85 O5 78 OO6 O84 91``), one char for one char, before the groups are joined.
5. **Split numbers**: groups separated by one repeated separator (spaces, ``.``, ``-``, ``/``, ``_``)
   are joined only where their layout is that of one identifier of at least 9 characters, and only up
   to the group that breaks the layout: IBANs (upper-case country code and key, groups of 4, exactly the
   country's length: ``FR76 3000 6000 …``), NIRs (``1 85 05 78 006 084 36``, ``2A``/``2B`` and overseas
   departments), phones (``06-12-34-56-78``, ``+33 6 12 34 56 78``, ``0590 27 12 34``), cards
   (4-4-4-4(-3), Amex), numéros fiscaux, VAT numbers and, where a number starts, SIRETs (3-3-3-5) and
   series of groups of one size (``732 829 320``, ``0 6 1 2 3 4 5 6 7 8``). So ``06 12 34 56 78 75001``
   becomes ``0612345678 75001`` and ``BE71 0961 2345 6769 pour le`` keeps ``pour le``: only digits and
   upper-case letters are ever joined. Prices (``1 234 567 890 €``, ``1 250,00``), dates and dotted
   quads that look like IPv4 addresses are left alone. An IBAN typed with a separator between every
   character (``F R 7 6 3 0 0 0 …``) is joined when it has its country's length and its mod-97 key holds.

Every stage records which original characters each output character came from (a piecewise map:
unchanged runs are stored as one linear piece, so the map costs O(number of edits), not O(n)). An ASCII
prompt with no markers costs a few regex scans and returns an identity map.

:func:`find_blobs` is separate: it finds base64, hex, percent-encoded and HTML-entity blobs in the original
text and decodes them, so that the engine can scan the decoded text and, on a finding, cover the whole
blob.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import unicodedata
import urllib.parse
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

from confusable_homoglyphs import categories as _scripts
from confusable_homoglyphs import confusables as _confusables

__all__ = ["Blob", "Normalized", "find_blobs", "normalize"]


# --------------------------------------------------------------------------------------------------
# Offset map
# --------------------------------------------------------------------------------------------------


class _OffsetMap:
    """Piecewise map from output character index to the original span it came from.

    Pieces are contiguous in the output. A *linear* piece maps output char ``o`` to the single original
    char ``src_start + (o - out_start)`` (unchanged text, or 1:1 substitutions); a non-linear piece maps
    each of its output chars to the whole original range ``[src_start, src_end)`` (an expansion, a
    contraction or a rejoined marker). Original characters that were dropped belong to no piece; a span
    that straddles them covers them automatically because spans are mapped by their first and last char.
    """

    __slots__ = ("out_start", "src_start", "src_end", "linear", "out_len")

    def __init__(self) -> None:
        self.out_start: list[int] = []
        self.src_start: list[int] = []
        self.src_end: list[int] = []
        self.linear: list[bool] = []
        self.out_len = 0

    @classmethod
    def identity(cls, n: int) -> _OffsetMap:
        m = cls()
        m.add(n, 0, n, True)
        return m

    def add(self, length: int, src_start: int, src_end: int, linear: bool) -> None:
        """Append ``length`` output chars; merge with the previous piece when both are contiguous linear."""
        if length <= 0:
            return
        if linear and self.linear and self.linear[-1] and self.src_end[-1] == src_start:
            self.src_end[-1] = src_end
        else:
            self.out_start.append(self.out_len)
            self.src_start.append(src_start)
            self.src_end.append(src_end)
            self.linear.append(linear)
        self.out_len += length

    def copy_from(self, prev: _OffsetMap, a: int, b: int) -> None:
        """Append the output range ``[a, b)`` of ``prev`` unchanged (composition of two stages)."""
        k = bisect_right(prev.out_start, a) - 1
        n = len(prev.out_start)
        while a < b:
            ps = prev.out_start[k]
            pe = prev.out_start[k + 1] if k + 1 < n else prev.out_len
            hi = min(b, pe)
            if prev.linear[k]:
                s = prev.src_start[k] + (a - ps)
                self.add(hi - a, s, s + (hi - a), True)
            else:
                self.add(hi - a, prev.src_start[k], prev.src_end[k], False)
            a = hi
            k += 1

    def char_start(self, i: int) -> int:
        k = bisect_right(self.out_start, i) - 1
        if self.linear[k]:
            return self.src_start[k] + (i - self.out_start[k])
        return self.src_start[k]

    def char_end(self, i: int) -> int:
        k = bisect_right(self.out_start, i) - 1
        if self.linear[k]:
            return self.src_start[k] + (i - self.out_start[k]) + 1
        return self.src_end[k]


# (start, end, replacement, linear) in the coordinates of the stage's input. ``linear`` says that the
# replacement has one char per replaced char, each standing for the char at the same place (full-width
# digits -> ASCII digits), so per-char offsets survive; otherwise every produced char stands for the
# whole replaced range.
Edit = tuple[int, int, str, bool]


def _apply(text: str, edits: list[Edit], prev: _OffsetMap) -> tuple[str, _OffsetMap]:
    """Apply sorted, non-overlapping edits to ``text`` and compose the new map with ``prev``.

    A linear edit keeps exact per-char offsets; any other maps each produced char to the whole original
    range of what it replaced. Empty replacements drop chars.
    """
    if not edits:
        return text, prev
    parts: list[str] = []
    new = _OffsetMap()
    pos = 0
    for s, e, r, linear in edits:
        if s > pos:
            parts.append(text[pos:s])
            new.copy_from(prev, pos, s)
        if r:
            parts.append(r)
            if linear:
                new.copy_from(prev, s, e)
            else:
                new.add(len(r), prev.char_start(s), prev.char_end(e - 1), False)
        pos = e
    if pos < len(text):
        parts.append(text[pos:])
        new.copy_from(prev, pos, len(text))
    return "".join(parts), new


@dataclass(frozen=True)
class Normalized:
    """The normalised copy that recognizers scan, with the way back to the original text.

    ``text`` is what to scan; :meth:`to_original` turns any span of it into the smallest span of the
    original text that produced it, so a finding on ``jean@exemple.fr`` redacts all of
    ``jean [at] exemple [dot] fr``.
    """

    text: str
    changed: bool = field(default=False)  # False: text is the original and offsets are the identity
    #: True when every edit is inside a run of digits (a letter O read as zero, the separators of a
    #: split number removed): the words are exactly as typed, so what reads only words (names) finds
    #: nothing more in the original than in this copy.
    digits_only: bool = field(default=True)
    _map: _OffsetMap | None = field(default=None, repr=False, compare=False)  # None: identity

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the span ``[start, end)`` of :attr:`text` to the smallest original span covering it.

        An empty span maps to an empty span at the corresponding original position.
        """
        n = len(self.text)
        if not 0 <= start <= end <= n:
            raise ValueError(f"span ({start}, {end}) outside normalised text of length {n}")
        m = self._map
        if m is None:
            return start, end
        if start == end:
            if start < n:
                p = m.char_start(start)
            elif n:
                p = m.char_end(n - 1)
            else:
                p = 0
            return p, p
        return m.char_start(start), m.char_end(end - 1)

    def changed_spans(self, original: str) -> list[tuple[int, int]]:
        """The spans of ``original`` (the text this copy was made from) that it does not hold as they
        are, sorted and merged: characters dropped, replaced or standing for a longer run."""
        m = self._map
        if m is None:
            return []
        spans: list[tuple[int, int]] = []

        def add(a: int, b: int) -> None:
            if spans and a <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(b, spans[-1][1]))
            elif a < b:
                spans.append((a, b))

        covered = 0  # original characters before this have been accounted for
        pieces = len(m.out_start)
        for k in range(pieces):
            out_end = m.out_start[k + 1] if k + 1 < pieces else m.out_len
            src_start, src_end = m.src_start[k], m.src_end[k]
            if src_start > covered:
                add(covered, src_start)  # dropped
            if not m.linear[k]:
                add(src_start, src_end)
            elif self.text[m.out_start[k] : out_end] != original[src_start:src_end]:
                for i, (a, b) in enumerate(
                    zip(self.text[m.out_start[k] : out_end], original[src_start:src_end], strict=True)
                ):
                    if a != b:
                        add(src_start + i, src_start + i + 1)
            covered = max(covered, src_end)
        if covered < len(original):
            add(covered, len(original))
        return spans


# --------------------------------------------------------------------------------------------------
# Character tables (built once at import; a few tens of ms)
# --------------------------------------------------------------------------------------------------


def _char_class(codepoints: list[int]) -> str:
    """A regex character class (without brackets) covering ``codepoints``, as compact ranges."""
    cps = sorted(set(codepoints))
    out: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        out.append(f"\\U{cps[i]:08x}" if i == j else f"\\U{cps[i]:08x}-\\U{cps[j]:08x}")
        i = j + 1
    return "".join(out)


def _scan_planes() -> tuple[list[int], list[int], list[int], list[int]]:
    """Format chars (Cf), non-ASCII decimal digits (Nd), combining marks (M) and chars that NFKC changes.

    Computed from ``unicodedata`` (planes 0 and 1, the CJK compatibility block of plane 2, plane 14) so
    that they follow the Unicode version of the running Python. About 30 ms, once per process.
    """
    cf: list[int] = []
    nd: list[int] = []
    marks: list[int] = []
    nfkc: list[int] = []
    category = unicodedata.category
    is_normalized = unicodedata.is_normalized
    for cp in (*range(0x80, 0x20000), *range(0x2F800, 0x2FA20), *range(0xE0000, 0xE1000)):
        ch = chr(cp)
        cat = category(ch)
        if cat == "Cf":
            cf.append(cp)
        elif cat == "Nd":
            nd.append(cp)
        elif cat[0] == "M":
            marks.append(cp)
        if cat != "Cn" and not is_normalized("NFKC", ch):
            nfkc.append(cp)
    return cf, nd, marks, nfkc


_CF, _ND, _MARKS, _NFKC_CHANGED = _scan_planes()

# Letters French writes with; they must never be folded even if a future table lists them.
_FRENCH_LETTERS = frozenset("àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ")


def _build_confusable_tables() -> tuple[dict[int, str], dict[int, str]]:
    """Fold tables from the TR39 confusables data: (word context, digit context).

    Keeps non-ASCII letters/digits that NFKC leaves alone (the others are handled by stage 1) and that
    have a single ASCII letter or digit look-alike. In a digit context a digit look-alike is preferred,
    and an ``O``/``l`` look-alike becomes ``0``/``1`` (a Cyrillic ``О`` among digits stands for zero).
    """
    letter: dict[int, str] = {}
    digit: dict[int, str] = {}
    for ch, entries in _confusables.confusables_data.items():
        if len(ch) != 1 or ch.isascii() or not ch.isalnum() or ch in _FRENCH_LETTERS:
            continue
        if unicodedata.normalize("NFKC", ch) != ch:
            continue
        cands = [e["c"].strip("\u200e\u200f") for e in entries]
        cands = [c for c in cands if len(c) == 1 and c.isascii() and c.isalnum()]
        if not cands:
            continue
        letters = [c for c in cands if c.isalpha()]
        digits = [c for c in cands if c.isdigit()]
        letter[ord(ch)] = letters[0] if letters else digits[0]
        if digits:
            digit[ord(ch)] = digits[0]
        else:
            digit[ord(ch)] = {"O": "0", "o": "0", "l": "1", "I": "1"}.get(letters[0], letters[0])
    for cp in _ND:
        d = str(unicodedata.decimal(chr(cp)))
        letter[cp] = digit[cp] = d
    return letter, digit


_FOLD_WORD, _FOLD_DIGIT = _build_confusable_tables()


class _CharSearch:
    """Does a text contain any of a set of characters? As fast as ``re`` allows.

    ``re`` tests a class of BMP characters with a bitmap but walks a list of astral ranges one by one
    (40x slower on 50 KB), so astral characters are only looked for when the text has some.
    """

    _ASTRAL = re.compile("[\U00010000-\U0010ffff]")

    def __init__(self, codepoints: list[int]) -> None:
        bmp = [c for c in codepoints if c < 0x10000]
        astral = [c for c in codepoints if c >= 0x10000]
        self._bmp = re.compile(f"[{_char_class(bmp)}]") if bmp else None
        self._astral = re.compile(f"[{_char_class(astral)}]") if astral else None

    def positions(self, text: str) -> list[int]:
        """Sorted indexes of the characters of the set in ``text``."""
        found = [m.start() for m in self._bmp.finditer(text)] if self._bmp is not None else []
        if self._astral is not None and self._ASTRAL.search(text):
            found.extend(m.start() for m in self._astral.finditer(text))
            found.sort()
        return found

    def search(self, text: str) -> bool:
        if self._bmp is not None and self._bmp.search(text):
            return True
        return bool(self._astral is not None and self._ASTRAL.search(text) and self._astral.search(text))


_CF_SEARCH = _CharSearch(_CF)
_FOLDABLE_SEARCH = _CharSearch(list(_FOLD_WORD))
_SPACE_RE = re.compile(r"\s")
# A word with its combining marks (``re``'s \w has none): folding must see "р" + U+0301 together.
_WORD_RE = re.compile(rf"(?:\w|[{_char_class(_MARKS)}])+")
# Where stage 1 has work: a format char, a combining mark (may compose with its base) or a char that
# NFKC changes. Plain accented letters (é) are none of these, so French prose is skipped at C speed.
_UNICODE_SUSPECT = _CharSearch(_CF + _MARKS + _NFKC_CHANGED)
_CF_SET = frozenset(map(chr, _CF))

_CHAR_INFO: dict[str, tuple[bool, str | None]] = {}


def _char_info(c: str) -> tuple[bool, str | None]:
    """(is a combining mark, replacement or None) for one non-ASCII char; cached, bounded."""
    info = _CHAR_INFO.get(c)
    if info is None:
        if c in _CF_SET:
            info = (False, "")
        else:
            n = unicodedata.normalize("NFKC", c)
            info = (unicodedata.category(c)[0] == "M", None if n == c else n)
        if len(_CHAR_INFO) > 65536:
            _CHAR_INFO.clear()
        _CHAR_INFO[c] = info
    return info


_LATIN_CACHE: dict[str, bool] = {}


def _is_latin_letter(c: str) -> bool:
    """A Latin letter that is not itself a look-alike (``é`` yes, ``ı`` no): what makes a word "Latin"."""
    if c.isascii():
        return c.isalpha()
    r = _LATIN_CACHE.get(c)
    if r is None:
        r = c.isalpha() and _scripts.alias(c) == "LATIN" and ord(c) not in _FOLD_WORD
        _LATIN_CACHE[c] = r
    return r


# --------------------------------------------------------------------------------------------------
# Stage 0: JSON/JavaScript \uXXXX escapes
# --------------------------------------------------------------------------------------------------

# One escape, or a surrogate pair written as two ("\ud83d\ude00").
_UNICODE_ESCAPE_RE = re.compile(
    r"\\u(?:[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|[0-9a-fA-F]{4})"
)


def _escape_edits(text: str) -> list[Edit]:
    """Edits decoding ``\\uXXXX`` escapes, as left in text copied from JSON (``jean\\u0040exemple.fr``).

    Each escape becomes its character, mapped to the whole escape. A lone surrogate is left as it is.
    """
    edits: list[Edit] = []
    for m in _UNICODE_ESCAPE_RE.finditer(text):
        esc = m.group()
        if len(esc) == 12:  # surrogate pair
            high, low = int(esc[2:6], 16), int(esc[8:12], 16)
            cp = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        else:
            cp = int(esc[2:], 16)
            if 0xD800 <= cp <= 0xDFFF:
                continue
        edits.append((m.start(), m.end(), chr(cp), False))
    return edits


# --------------------------------------------------------------------------------------------------
# Stage 1: format characters + NFKC
# --------------------------------------------------------------------------------------------------


def _unicode_edits(text: str) -> list[Edit]:
    """Edits that drop Cf chars and NFKC-normalise each grapheme cluster (base + combining marks).

    Only the clusters around "suspect" chars are visited. A format char between a base and its marks
    (``e`` + ZWSP + U+0301) is dropped and the cluster still composes (``é``, mapped to all three).
    Consecutive one-char-for-one-char replacements (a full-width number) become one linear edit.
    """
    edits: list[Edit] = []
    info = _char_info
    cf = _CF_SET
    n = len(text)
    done = 0  # everything before this index has been handled
    lin_start = lin_end = -1  # pending linear edit [lin_start, lin_end) and its chars
    lin: list[str] = []
    for p in _UNICODE_SUSPECT.positions(text):
        if p < done:
            continue
        c = text[p]
        if c not in cf and not info(c)[0]:
            # a char that NFKC changes, with the marks (and format chars among them) that follow it
            start, end, k = p, p + 1, p + 1
            while k < n and (text[k] in cf or info(text[k])[0]):
                k += 1
                if text[k - 1] not in cf:
                    end = k
        else:
            # a run of marks and format chars
            k = p + 1
            end = k if c not in cf else -1
            while k < n and (text[k] in cf or info(text[k])[0]):
                k += 1
                if text[k - 1] not in cf:
                    end = k
            if end < 0:  # only format chars: drop them
                if lin_start >= 0:
                    edits.append((lin_start, lin_end, "".join(lin), True))
                    lin_start, lin = -1, []
                edits.append((p, k, "", False))
                done = k
                continue
            start = p  # their cluster starts at the base before them, if not handled yet
            while start > done and (text[start - 1] in cf or info(text[start - 1])[0]):
                start -= 1
            if start > done:
                start -= 1
        if end - start == 1:
            r = info(text[start])[1]
            if r is not None and len(r) == 1:
                if lin_start >= 0 and lin_end == start:
                    lin.append(r)
                else:
                    if lin_start >= 0:
                        edits.append((lin_start, lin_end, "".join(lin), True))
                    lin_start, lin = start, [r]
                lin_end = done = end
                continue
        else:
            cluster = text[start:end]
            r = unicodedata.normalize("NFKC", "".join(x for x in cluster if x not in cf))
            if r == cluster:
                r = None
        if lin_start >= 0:
            edits.append((lin_start, lin_end, "".join(lin), True))
            lin_start, lin = -1, []
        if r is not None:
            edits.append((start, end, r, False))
        done = end
    if lin_start >= 0:
        edits.append((lin_start, lin_end, "".join(lin), True))
    return edits


# --------------------------------------------------------------------------------------------------
# Stage 2: confusables
# --------------------------------------------------------------------------------------------------


def _confusable_edits(text: str) -> list[Edit]:
    """Edits folding look-alikes to ASCII in mixed-script words, digit words and e-mail-like tokens.

    Folding is one char for one char (linear edits), except when a folded letter carries a combining
    mark (Cyrillic ``р`` + U+0301 -> ``ṕ``): that word is NFKC-normalised again and maps as a whole.
    """
    positions = _FOLDABLE_SEARCH.positions(text)
    edits: list[Edit] = []
    token_end = 0
    for p in positions:
        if p < token_end:
            continue  # already handled with its token
        token_start = p
        while token_start > token_end and not text[token_start - 1].isspace():
            token_start -= 1
        sm = _SPACE_RE.search(text, p)
        token_end = sm.start() if sm else len(text)
        token = text[token_start:token_end]
        email = "@" in token
        for wm in _WORD_RE.finditer(token):
            word = wm.group()
            if word.isascii() or not _FOLDABLE_SEARCH.search(word):
                continue
            if email or any(_is_latin_letter(c) for c in word):
                folded = word.translate(_FOLD_WORD)
            elif any(c.isdigit() for c in word) and all(c.isdigit() or ord(c) in _FOLD_WORD for c in word):
                folded = word.translate(_FOLD_DIGIT)  # "О6 12…" with a Cyrillic О, "٠٦…" Arabic-Indic
            else:
                continue  # e.g. a pure-Cyrillic word: real text in another script, leave it
            if folded != word:
                start = token_start + wm.start()
                composed = unicodedata.normalize("NFKC", folded)
                edits.append((start, start + len(word), composed, composed == folded))
    return edits


# --------------------------------------------------------------------------------------------------
# Stage 3: obfuscated e-mails
# --------------------------------------------------------------------------------------------------

# Top-level domains an obfuscated address is accepted to end with: the common generic ones, France and
# its overseas territories, French-speaking countries and European neighbours.
_TLDS = (
    "fr|com|net|org|eu|info|biz|io|co|me|ai|dev|app|pro|email|mail|online|tech|cloud|gouv|gov|edu|int|"
    "be|ch|lu|mc|ca|qc|de|es|it|nl|pt|at|uk|ie|us|pl|se|dk|no|fi|cz|re|gp|mq|gf|yt|pm|nc|pf|wf|tf|"
    "ma|dz|tn|sn|ci|cm|ga|cd|cg|bj|bf|ml|ne|tg|mg|mu|ht|paris|bzh|corsica|alsace"
)
# After a spelled-out " point "/" dot ", only TLDs that are not also French words: "contact@magasin point
# de vente" must stay as it is ("de" is Germany's TLD).
_SPELLED_TLDS = "fr|com|net|org|eu|info|biz|io|gouv|gov|edu|be|ch|lu|mc|ca|qc|uk|nl|pt|pl|dz|tn|sn|cm"
# "%40" is a percent-encoded "@" (an address in a URL query: "?email=jean.dupont%40exemple.fr").
_AT_MARK = r"(?:\s*[\[({<]\s*(?:at|arobase|@)\s*[\])}>]\s*|\s+(?:at|arobase|@)\s+|@|%40)"
_BRACKET_DOT = r"\s*[\[({<]\s*(?:dot|point|\.)\s*[\])}>]\s*"
_SPELLED_DOT = r"\s+(?:dot|point)\s+"
_DOT_MARK = rf"(?:{_BRACKET_DOT}|{_SPELLED_DOT})"
_DOT = rf"(?:\.|{_DOT_MARK})"
# A dot with spaces on both sides, only in an address whose at-marker is spaced too: "joseph . giraud7
# @ gmail . com". After it, the TLD must be lower-case, so that a sentence that goes on after an address
# ("… @ exemple.fr . De plus, …") is not glued to it.
_SPACED_DOT = r"[ \t]+\.[ \t]+"
_DOT_SPACED = rf"(?:\.|{_DOT_MARK}|{_SPACED_DOT})"
_LOCAL_ATOM = r"[\w%+\-]+"
_LABEL = r"[^\W_](?:[\w\-]{0,61}[^\W_])?"

# Where an at-marker may be: "@", or "at"/"arobase" followed by a space or a closing bracket. Written
# so that ``re`` can skip quickly to the next "@"/"a" (0.3 ms on 50 KB of French).
_AT_ANCHOR = re.compile(r"[@aA%](?:(?<=@)|(?<=%)40|(?<=[aA])(?:[tT][\s\])}>]|[rR][oO][bB][aA][sS][eE]))")
_AT_PREFIX_CHARS = frozenset(" \t\r\n\f\v[({<")
_AT_FIND = re.compile(_AT_MARK, re.IGNORECASE)
_DOT_MARK_RE = re.compile(rf"{_DOT_MARK}|{_SPACED_DOT}", re.IGNORECASE)
# The local part must end exactly where the at-marker starts (searched with endpos = marker start).
_EMAIL_LEFT = re.compile(rf"(?<![\w.%+\-@]){_LOCAL_ATOM}(?:{_DOT}{_LOCAL_ATOM}){{0,8}}\Z", re.IGNORECASE)
_EMAIL_LEFT_SPACED = re.compile(
    rf"(?<![\w.%+\-@]){_LOCAL_ATOM}(?:{_DOT_SPACED}{_LOCAL_ATOM}){{0,8}}\Z", re.IGNORECASE
)
# From the at-marker: domain labels, then a dot (or marker) and a known TLD.
_EMAIL_RIGHT = re.compile(
    rf"(?P<at>{_AT_MARK})(?P<domain>{_LABEL}(?:{_DOT}{_LABEL}){{0,6}})"
    rf"(?:(?:\.|{_BRACKET_DOT})(?:{_TLDS})|{_SPELLED_DOT}(?:{_SPELLED_TLDS}))(?![\w\-]|\.[^\W_])",
    re.IGNORECASE,
)
_EMAIL_RIGHT_SPACED = re.compile(
    rf"(?P<at>\s+(?:at|arobase|@)\s+|\s*[\[({{<]\s*(?:at|arobase|@)\s*[\])}}>]\s*)"
    rf"(?P<domain>{_LABEL}(?:{_DOT_SPACED}{_LABEL}){{0,6}})"
    rf"(?:(?:\.|{_BRACKET_DOT})(?:{_TLDS})|{_SPACED_DOT}(?-i:{_TLDS})|{_SPELLED_DOT}(?:{_SPELLED_TLDS}))"
    rf"(?![\w\-]|\.[^\W_])",
    re.IGNORECASE,
)
_LEFT_WINDOW = 256


def _marker_edits(edits: list[Edit], text: str, start: int, end: int, replacement: str) -> None:
    """Replace a marker by ``replacement``, dropping the spaces around it, so that ``@`` maps to ``(at)``."""
    core_start = start
    while core_start < end and text[core_start].isspace():
        core_start += 1
    core_end = end
    while core_end > core_start and text[core_end - 1].isspace():
        core_end -= 1
    if core_start > start:
        edits.append((start, core_start, "", False))
    edits.append((core_start, core_end, replacement, False))
    if end > core_end:
        edits.append((core_end, end, "", False))


def _email_edits(text: str) -> list[Edit]:
    """Edits turning at/dot markers of an obfuscated address into ``@`` and ``.``.

    Only markers inside a whole address are touched: ``le point sur le dossier`` has no at-marker with
    an address around it, so nothing changes.
    """
    edits: list[Edit] = []
    last = 0
    for anchor in _AT_ANCHOR.finditer(text):
        p = anchor.start()
        if p < last:
            continue
        # The marker may start before its anchor: " [ at ]", " (at)", " at ".
        q = p
        while q > last and text[q - 1] in _AT_PREFIX_CHARS:
            q -= 1
        am = _AT_FIND.match(text, q) or (_AT_FIND.match(text, p) if q != p else None)
        if am is None or am.end() <= p:
            continue
        at_start = am.start()
        rm = _EMAIL_RIGHT.match(text, at_start) or _EMAIL_RIGHT_SPACED.match(text, at_start)
        if rm is None:
            continue
        # Spaced dots only around a spaced at-marker: "joseph . giraud7 @ gmail . com".
        left = _EMAIL_LEFT_SPACED if rm.group("at")[0].isspace() else _EMAIL_LEFT
        lm = left.search(text, max(last, at_start - _LEFT_WINDOW), at_start)
        if lm is None:
            continue
        for dm in _DOT_MARK_RE.finditer(text, lm.start(), lm.end()):
            _marker_edits(edits, text, dm.start(), dm.end(), ".")
        at_s, at_e = rm.span("at")
        if text[at_s:at_e] != "@":
            _marker_edits(edits, text, at_s, at_e, "@")
        for dm in _DOT_MARK_RE.finditer(text, at_e, rm.end()):
            _marker_edits(edits, text, dm.start(), dm.end(), ".")
        last = rm.end()
    return edits


# --------------------------------------------------------------------------------------------------
# Stage 4: split numbers
# --------------------------------------------------------------------------------------------------

_SEP = r"(?: ?[.\-/_] ?| {1,2})"
# A group is a whole token: no letter or digit glued after it ("6769pour" is not a group).
_WHOLE = r"(?![^\W_])"
# Groups of a split number: digits, or a Corsican department (2A/2B) inside a NIR. The first group starts
# with a digit so that ``re`` skips prose quickly; the lookbehinds placed after the first digit say "not
# inside a word, not the decimals of a number". The run is maximal; :func:`_number_joins` decides which
# stretches of it are one identifier.
_GROUP = rf"(?:[0-9]{{1,12}}|2[AB]){_WHOLE}"
_NUMBER_RE = re.compile(
    rf"[0-9](?<!\w[0-9])(?<![0-9][.,][0-9])[0-9]{{0,11}}{_WHOLE}(?P<sep>{_SEP}){_GROUP}(?:(?P=sep){_GROUP})+"
)
# IBAN-like: upper-case country code and check digits, then up to 8 groups of 1 to 4 upper-case letters or
# digits (34 characters at most); :func:`_iban_groups` decides how many of them belong to the IBAN.
_IBAN_RE = re.compile(
    rf"[0-9]{{2}}(?<=(?<!\w)[A-Z]{{2}}[0-9]{{2}})(?P<sep>{_SEP})[0-9A-Z]{{1,4}}{_WHOLE}"
    rf"(?:(?P=sep)[0-9A-Z]{{1,4}}{_WHOLE}){{0,7}}"
)
# Just before a run of digit groups: the head of an IBAN that was not joined (lower-case, wrong length).
_IBAN_HEAD_BEFORE = re.compile(rf"(?<!\w)[A-Za-z]{{2}}[0-9]{{2}}(?P<sep>{_SEP})\Z")
_DECIMAL_AFTER = re.compile(r"[.,][0-9]")
_TVA_BEFORE = re.compile(r"(?<!\w)FR[ .\-]?\Z")
_MIN_JOINED_DIGITS = 9
_MIN_IBAN_LENGTH = 15
_MAX_IBAN_LENGTH = 34

# IBAN length per country, from the SWIFT IBAN registry (release 101, as shipped in python-stdnum's
# iban.dat). A country's length says exactly where its IBAN ends: "BE71 0961 2345 6769 FR" stops before
# "FR". Other country codes (experimental IBANs) end at their first group shorter than 4.
_IBAN_LENGTHS = {
    cc: int(n)
    for cc, n in re.findall(
        r"([A-Z]{2})(\d+)",
        "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 "
        "DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 HR21 HU28 IE22 IL23 "
        "IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 "
        "MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 "
        "SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30",
    )
}


def _iban_groups(groups: list[str]) -> int:
    """How many of ``groups`` (the first one being ``CCdd``) form one IBAN; 0 when they do not.

    Groups after the first have 4 characters except the last, which may be shorter. For a registered
    country the characters must add up to the country's IBAN length exactly; for another code the IBAN
    ends at its first shorter group (which must hold a digit) or after 34 characters.
    """
    length = _IBAN_LENGTHS.get(groups[0][:2])
    total, k = 4, 1
    if length is not None:
        while k < len(groups) and total < length:
            size = len(groups[k])
            if not (size == 4 and total + 4 <= length) and total + size != length:
                break
            total += size
            k += 1
        return k if total == length else 0
    while k < len(groups) and len(groups[k]) == 4 and total + 4 <= _MAX_IBAN_LENGTH:
        total += 4
        k += 1
    if k < len(groups) and len(groups[k]) < 4 and total + len(groups[k]) <= _MAX_IBAN_LENGTH:
        if any(c.isdigit() for c in groups[k]):
            total += len(groups[k])
            k += 1
    return k if total >= _MIN_IBAN_LENGTH else 0


# An IBAN typed one character at a time ("F R 7 6 3 0 0 0 …", "f-r-7-6-…"): single letters or digits, one
# repeated separator. The country's length says where it ends and the mod-97 key must hold, so single
# letters of prose ("… 8 9 a été") are never taken in and a run of digits that only looks like one is left.
_SPACED_IBAN_RE = re.compile(
    r"(?<!\w)[A-Za-z](?P<sep> {1,2}|[.\-/_])[A-Za-z](?P=sep)[0-9](?P=sep)[0-9](?P=sep)[0-9A-Za-z]"
)


def _iban_key_ok(value: str) -> bool:
    """The ISO 13616 mod-97 check of a compact IBAN (country code, key, BBAN)."""
    rearranged = value[4:] + value[:4]
    try:
        return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1
    except ValueError:
        return False


def _spaced_iban_edits(text: str, edits: list[Edit], spans: list[tuple[int, int]]) -> None:
    """Edits joining IBANs written with a separator between every character (see ``_SPACED_IBAN_RE``)."""
    pos = 0
    while (m := _SPACED_IBAN_RE.search(text, pos)) is not None:
        sep = m.group("sep")
        start = m.start()
        length = _IBAN_LENGTHS.get(text[start : start + 2 + len(sep)].replace(sep, "").upper())
        end = start + (length or 0) * (1 + len(sep)) - len(sep)
        chars = text[start:end].split(sep) if length else []
        whole = (
            len(chars) == length
            and all(len(c) == 1 and c.isascii() and c.isalnum() for c in chars)
            and (end == len(text) or not text[end].isalnum())
        )
        if whole and _iban_key_ok("".join(chars).upper()):
            for j in range(length - 1):
                s = start + j * (1 + len(sep)) + 1
                edits.append((s, s + len(sep), "", False))
            spans.append((start, end))
            pos = end
        else:
            pos = m.start() + 1


def _sizes_match(groups: list[str], i: int, sizes: tuple[int, ...]) -> bool:
    """Do ``groups[i:]`` start with all-digit groups of exactly these sizes?"""
    if i + len(sizes) > len(groups):
        return False
    return all(len(groups[i + j]) == s and groups[i + j].isdigit() for j, s in enumerate(sizes))


def _identifier_at(groups: list[str], i: int, before: str) -> int:
    """Number of groups from ``groups[i]`` that form a known French identifier layout (0: none).

    ``before`` is the text just before the run (only looked at when ``i == 0``): a ``+`` before ``33``,
    ``(0)`` before a national number, ``FR`` before a VAT key.
    """
    first = groups[i]
    lead = first[0]
    n = len(first)
    if n == 1:
        # NIR: sex, year, month, department (2 digits, 2A/2B, or 3 digits overseas + commune on 2), order,
        # optional key: 1 85 05 78 006 084 36, 2 69 05 2A 123 456 88, 2 85 05 971 05 123 11.
        if lead in "123478" and _sizes_match(groups, i + 1, (2, 2)):
            dept = groups[i + 3] if i + 3 < len(groups) else ""
            if len(dept) == 2 and (dept.isdigit() or dept in ("2A", "2B")):
                body = (3, 3)
            elif len(dept) == 3 and dept.isdigit() and dept[:2] in ("97", "98"):
                body = (2, 3)
            else:
                body = ()
            if body and _sizes_match(groups, i + 4, body):
                return 7 if _sizes_match(groups, i + 6, (2,)) else 6
        # national number after "+33 (0)": (0)1 23 45 67 89
        if (
            i == 0
            and lead != "0"
            and before.rstrip(" ").endswith("(0)")
            and _sizes_match(groups, i, (1, 2, 2, 2, 2))
        ):
            return 5
        return 0
    if n == 2:
        if lead == "0" and _sizes_match(groups, i, (2, 2, 2, 2, 2)):
            return 5  # phone: 06 12 34 56 78
        if first == "33" and i == 0 and before.endswith("+") and _sizes_match(groups, i, (2, 1, 2, 2, 2, 2)):
            return 6 if groups[i + 1] != "0" else 0  # +33 6 12 34 56 78
        if lead in "0123" and _sizes_match(groups, i, (2, 2, 3, 3, 3)):
            return 5  # tax number (numéro fiscal): 30 23 217 600 053
        if i == 0 and _TVA_BEFORE.search(before) and _sizes_match(groups, i, (2, 3, 3, 3)):
            return 4  # VAT number: FR 59 542 051 180
        return 0
    if n == 4:
        if first == "0033" and _sizes_match(groups, i, (4, 1, 2, 2, 2, 2)):
            return 6 if groups[i + 1] != "0" else 0  # 0033 6 12 34 56 78
        if lead == "0" and _sizes_match(groups, i, (4, 2, 2, 2)):
            return 4  # phone with its area code: 0590 27 12 34
        if _sizes_match(groups, i, (4, 4, 4, 4)):
            return 5 if _sizes_match(groups, i + 4, (3,)) else 4  # card: 4970 1012 3456 7893 (123)
        if _sizes_match(groups, i, (4, 6, 5)) or _sizes_match(groups, i, (4, 6, 4)):
            return 3  # Amex, Diners: 3782 822463 10005
    return 0


def _regular_run_at(groups: list[str], i: int) -> int:
    """At the start of a run: a SIRET (3-3-3-5) or groups of one equal size (0: none).

    Equal groups of 1 to 4 digits (SIREN 732 829 320, 0 6 1 2 3 4 5 6 7 8, 12 34 56 78 90) are joined
    while the size stays the same. Only tried where a number starts (not after a group that joined
    nothing): "1 234 567 890 €" is an amount, not "1" and a SIREN.
    """
    if _sizes_match(groups, i, (3, 3, 3, 5)):
        return 4
    first = groups[i]
    size = len(first)
    if not first.isdigit() or size > 4:
        return 0
    k = i + 1
    while k < len(groups) and len(groups[k]) == size and groups[k].isdigit():
        k += 1
    return k - i if k - i >= 3 else 0


def _number_joins(groups: list[str], before: str, amount: bool) -> list[tuple[int, int]]:
    """``(first, count)`` of each stretch of ``groups`` to join into one identifier.

    Left to right, a stretch is a known identifier layout (:func:`_identifier_at`: NIR, phone, card,
    numéro fiscal, VAT) or, where a number starts (start of the run or end of the previous stretch),
    a SIRET or a series of equal groups (:func:`_regular_run_at`). A stretch stops before the first group
    that breaks its layout, so "06 12 34 56 78 75001" joins the phone and leaves the postcode. When the
    run is the integer part of an ``amount`` ("123 456 789 012,50"), no number starts at its first group.
    """
    joins: list[tuple[int, int]] = []
    i = 0
    fresh = not amount
    while i < len(groups):
        k = _identifier_at(groups, i, before) or (_regular_run_at(groups, i) if fresh else 0)
        if k and sum(len(g) for g in groups[i : i + k]) >= _MIN_JOINED_DIGITS:
            joins.append((i, k))
            i += k
            fresh = True
        else:
            i += 1
            fresh = False
    return joins


def _separator_edits(
    edits: list[Edit], start: int, groups: list[str], sep: str, joins: list[tuple[int, int]]
) -> None:
    """Edits deleting the separators inside each joined stretch of a run starting at ``start``."""
    offsets = []
    pos = start
    for g in groups:
        offsets.append(pos)
        pos += len(g) + len(sep)
    for first, count in joins:
        for j in range(first, first + count - 1):
            s = offsets[j] + len(groups[j])
            edits.append((s, s + len(sep), "", False))


def _number_edits(text: str) -> list[Edit]:
    """Edits deleting the separators of split identifiers: IBANs, then regular digit groupings."""
    edits: list[Edit] = []
    iban_spans: list[tuple[int, int]] = []
    _spaced_iban_edits(text, edits, iban_spans)
    pos = 0
    while (m := _IBAN_RE.search(text, pos)) is not None:
        if any(s <= m.start() < e for s, e in iban_spans):
            pos = m.start() + 1
            continue
        start, sep = m.start() - 2, m.group("sep")
        groups = text[start : m.end()].split(sep)
        k = _iban_groups(groups)
        value = "".join(groups[:k])
        if k and sum(c.isdigit() for c in value) >= _MIN_JOINED_DIGITS:
            _separator_edits(edits, start, groups, sep, [(0, k)])
            end = start + sum(len(g) for g in groups[:k]) + (k - 1) * len(sep)
            iban_spans.append((start, end))
            pos = end
        else:
            pos = m.start() + 1
    iban_spans.sort()
    k = 0
    pos = 0
    while (m := _NUMBER_RE.search(text, pos)) is not None:
        pos = m.end()
        while k < len(iban_spans) and iban_spans[k][1] <= m.start():
            k += 1
        if k < len(iban_spans) and iban_spans[k][0] < m.end():
            pos = max(m.start() + 1, iban_spans[k][1])  # digits of an IBAN joined above: look after it
            continue
        start, end, sep = m.start(), m.end(), m.group("sep")
        groups = text[start:end].split(sep)
        amount = _DECIMAL_AFTER.match(text, end) is not None
        if amount or (end < len(text) and text[end] == "_"):
            groups.pop()  # the last group has decimals ("000,00") or is glued to a word ("78_suite")
        if sep == "." and len(groups) == 4 and all(len(g) <= 3 for g in groups):
            continue  # an IPv4 address: its recognizer needs the dots
        head = _IBAN_HEAD_BEFORE.search(text, max(0, start - 12), start)
        if head is not None and head.group("sep") == sep:
            continue  # the rest of an IBAN that was not joined ("fr76 3000 6000 …"): not a card
        joins = _number_joins(groups, text[max(0, start - 8) : start], amount)
        _separator_edits(edits, start, groups, sep, joins)
    edits.sort()
    return edits


# --------------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------------


# Runs of digits in which some zeros are typed as the letter O ("1 85 O5 78 OO6 O84 91").
_O_GATE = re.compile(r"[0-9][Oo]|[Oo][0-9]")
_O_RUN = re.compile(r"(?<![^\W_])[0-9Oo]+(?:[ .\-/][0-9Oo]+)*(?![^\W_])")
_MIN_O_DIGITS = 6


def _letter_o_edits(text: str) -> list[Edit]:
    """Edits turning ``O``/``o`` into ``0`` inside digit runs of at least six real digits (linear)."""
    edits: list[Edit] = []
    if not _O_GATE.search(text):
        return edits
    for m in _O_RUN.finditer(text):
        run = m.group()
        letters = sum(1 for c in run if c in "Oo")
        digits = sum(1 for c in run if c.isdigit())
        if not letters or digits < _MIN_O_DIGITS or letters > digits:
            continue
        for i, c in enumerate(run):
            if c in "Oo":
                edits.append((m.start() + i, m.start() + i + 1, "0", True))
    return edits


def normalize(text: str) -> Normalized:
    """Return the normalised copy of ``text`` to scan, with its map back to ``text`` (see module doc)."""
    identity = _OffsetMap.identity(len(text))
    offsets = identity
    t = text
    if "\\u" in t:
        t, offsets = _apply(t, _escape_edits(t), offsets)
    if not t.isascii():
        if not unicodedata.is_normalized("NFKC", t) or _CF_SEARCH.search(t):
            t, offsets = _apply(t, _unicode_edits(t), offsets)
        t, offsets = _apply(t, _confusable_edits(t), offsets)
    t, offsets = _apply(t, _email_edits(t), offsets)
    words_as_typed = t == text
    t, offsets = _apply(t, _letter_o_edits(t), offsets)
    t, offsets = _apply(t, _number_edits(t), offsets)
    return Normalized(
        text=t,
        changed=t != text,
        digits_only=words_as_typed,
        _map=None if offsets is identity else offsets,
    )


# --------------------------------------------------------------------------------------------------
# Encoded blobs
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Blob:
    """An encoded run of the original text and what it decodes to.

    ``start``/``end`` always span the whole encoded run in the original text, also for a blob found
    inside a decoded blob: the decoded text has no offsets of its own in the original, so a finding in
    ``decoded`` covers the whole outer blob.
    """

    start: int
    end: int
    kind: str  # "base64" | "percent" | "html" | "hex"
    decoded: str


_B64_CHARS = r"A-Za-z0-9+/\-_"  # standard and URL-safe alphabets


@lru_cache(maxsize=8)
def _base64_core_re(min_len: int) -> re.Pattern[str]:
    """Runs of ``min_len`` or more base64 characters; a plain charset repeat, which ``re`` scans fast."""
    return re.compile(rf"[{_B64_CHARS}]{{{max(min_len - 2, 4)},}}")  # "- 2": the padding counts


# After a core run: more lines of the same blob (MIME-style wrapping), then padding.
_B64_TAIL_RE = re.compile(rf"(?:\r?\n[{_B64_CHARS}]{{4,}})*={{0,2}}")
_B64_CHAR_SET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=")

_HEX_ID_RE = re.compile(r"[0-9a-fA-F\-]+")
_URL_CHARS = r"A-Za-z0-9._~+\-@:/?=&!$'()*,;"
# A URL-ish run holding at least two %XX escapes (one "%" in prose, "20 %", is not an encoding).
_PERCENT_RE = re.compile(rf"(?<![{_URL_CHARS}%])[{_URL_CHARS}]*(?:%[0-9A-Fa-f]{{2}}[{_URL_CHARS}]*){{2,}}")
_HTML_ENTITY = r"&(?:#[0-9]{1,7};?|#[xX][0-9A-Fa-f]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};)"
_PERCENT_GATE = re.compile(r"%[0-9A-Fa-f]{2}")
_HTML_CHARS = r"A-Za-z0-9._%+\-@:/"
_HTML_RE = re.compile(
    rf"(?<![{_HTML_CHARS}])[{_HTML_CHARS}]*{_HTML_ENTITY}(?:{_HTML_ENTITY}|[{_HTML_CHARS}])*"
)
_MIN_PRINTABLE = 0.9


def _mostly_printable(s: str) -> bool:
    """At least 90 % printable and some letter or digit: text worth scanning, not binary or punctuation."""
    if not any(c.isalnum() for c in s):
        return False
    ok = sum(1 for c in s if c.isprintable() or c in "\n\r\t")
    return ok >= _MIN_PRINTABLE * len(s)


def _decode_base64(run: str) -> str | None:
    """Decode a base64 candidate to text, or None when it is not base64 of mostly printable UTF-8."""
    s = run.replace("\r", "").replace("\n", "").rstrip("=")
    if len(s) % 4 == 1:
        return None
    urlsafe = "-" in s or "_" in s
    if urlsafe and ("+" in s or "/" in s):
        return None
    if urlsafe:
        s = s.replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(s + "=" * (-len(s) % 4), validate=True)
        decoded = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return decoded if _mostly_printable(decoded) else None


def _looks_like_base64(run: str) -> bool:
    """Mixed case or digits, and not a hex id/UUID: rules out plain words and identifiers."""
    if _HEX_ID_RE.fullmatch(run.rstrip("=")):
        return False
    has_digit = any(c.isdigit() for c in run)
    return has_digit or (any(c.isupper() for c in run) and any(c.islower() for c in run))


def _base64_blobs(text: str, min_len: int) -> list[tuple[int, int, str]]:
    """(start, end, decoded) of each base64 run of ``text`` that decodes to text."""
    found: list[tuple[int, int, str]] = []
    core = _base64_core_re(min_len)
    pos = 0
    while (m := core.search(text, pos)) is not None:
        start = m.start()
        tail = _B64_TAIL_RE.match(text, m.end())
        end = tail.end() if tail else m.end()
        pos = end
        if end < len(text) and text[end] in _B64_CHAR_SET:
            continue  # "===" or padding followed by more characters
        run = text[start:end]
        if end - start < min_len or not _looks_like_base64(run):
            continue
        decoded = _decode_base64(run)
        if decoded is not None:
            found.append((start, end, decoded))
            continue
        if "/" in run:  # e.g. the last segment of a URL path: "…/api/amVhbi5kdXBvbnQ="
            offset = start
            for seg in run.split("/"):
                if len(seg) >= min_len and _looks_like_base64(seg):
                    decoded = _decode_base64(seg)
                    if decoded is not None:
                        found.append((offset, offset + len(seg), decoded))
                offset += len(seg) + 1
    return found


_HEX_RE = re.compile(r"(?<![0-9A-Za-z])(?:[0-9a-fA-F]{2}){8,}(?![0-9A-Za-z])")
_HEX_ESCAPED_RE = re.compile(r"(?:\\x[0-9a-fA-F]{2}){8,}")


def _hex_blobs(text: str) -> list[tuple[int, int, str]]:
    """(start, end, decoded) of each run of hex (``6a65616e…`` or ``\\x6a\\x65…``) that decodes to text."""
    found: list[tuple[int, int, str]] = []
    for rx in (_HEX_RE, _HEX_ESCAPED_RE):
        for m in rx.finditer(text):
            try:
                decoded = bytes.fromhex(m.group().replace("\\x", "")).decode("utf-8")
            except ValueError:
                continue
            if _mostly_printable(decoded) and decoded.isprintable():
                found.append((m.start(), m.end(), decoded))
    return found


def _percent_blobs(text: str) -> list[tuple[int, int, str]]:
    """(start, end, decoded) of each URL-ish run with at least two valid UTF-8 %XX escapes."""
    found: list[tuple[int, int, str]] = []
    if not _PERCENT_GATE.search(text):
        return found
    for m in _PERCENT_RE.finditer(text):
        run = m.group()
        try:
            decoded = urllib.parse.unquote(run, errors="strict")
        except UnicodeDecodeError:
            continue
        if decoded != run and _mostly_printable(decoded):
            found.append((m.start(), m.end(), decoded))
    return found


def _html_blobs(text: str) -> list[tuple[int, int, str]]:
    """(start, end, decoded) of each run of HTML character references (and the word chars around them)."""
    found: list[tuple[int, int, str]] = []
    if "&" not in text:
        return found
    for m in _HTML_RE.finditer(text):
        run = m.group()
        decoded = html.unescape(run)
        if decoded != run and _mostly_printable(decoded):
            found.append((m.start(), m.end(), decoded))
    return found


def find_blobs(text: str, *, min_base64_len: int = 16, max_depth: int = 2) -> list[Blob]:
    """Find encoded blobs (base64, percent-encoding, HTML entities) in ``text`` and decode them.

    ``max_depth`` counts decoding layers: 1 finds only the blobs of ``text``; 2 (default) also looks
    inside each decoded text once (base64 of a percent-encoded address…). Nested blobs are reported with
    the span of the outermost blob in ``text``. Sorted by start (an outer blob before those inside it).
    """
    if max_depth <= 0 or not text:
        return []
    raw: list[tuple[int, int, str, str]] = []
    for s, e, d in _base64_blobs(text, min_base64_len):
        raw.append((s, e, "base64", d))
    for s, e, d in _percent_blobs(text):
        raw.append((s, e, "percent", d))
    for s, e, d in _html_blobs(text):
        raw.append((s, e, "html", d))
    for s, e, d in _hex_blobs(text):
        raw.append((s, e, "hex", d))
    raw.sort(key=lambda b: (b[0], -b[1]))
    blobs: list[Blob] = []
    for s, e, kind, decoded in raw:
        blobs.append(Blob(s, e, kind, decoded))
        for inner in find_blobs(decoded, min_base64_len=min_base64_len, max_depth=max_depth - 1):
            blobs.append(Blob(s, e, inner.kind, inner.decoded))
    return blobs
