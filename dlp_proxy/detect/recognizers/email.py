"""EMAIL_ADDRESS: e-mail addresses, by regex only.

Presidio's EmailRecognizer validates the domain with ``tldextract``, which downloads the public suffix
list at first use; the proxy must not reach the network at run time (air-gapped networks). A syntactic
check plus a small list of file extensions that look like TLDs (``logo@2x.png``) is enough for a DLP filter.
"""

from __future__ import annotations

import regex

from .base import REGEX_TIMEOUT_SECONDS, FrenchPatternRecognizer, Rule

#: "TLDs" that are really file extensions or code, seen after an "@" in prompts (retina images, npm scopes).
_NOT_TLDS = frozenset(
    "png jpg jpeg gif svg webp bmp ico tif tiff pdf js mjs ts tsx jsx css scss map json xml yml yaml "
    "txt md py rb php html htm zip gz tar exe dll so".split()
)

#: A key and "=" glued before the address ("user=jean@x.fr", "SMTP_USER=…", "?to=…&cc=…"): the syntax of
#: a local part allows "=", but these are configuration keys or URL parameters, not part of the address.
#: Without "+" and "%" so that a VERP address ("bounces+jean=exemple.fr@liste.fr") stays whole.
_KEY_PREFIX = regex.compile(r"[\w.\-&?;=/]*=(?=\w)")

#: Characters of a local part (the rule's first class, and the dot).
_LOCAL = r"[\w.!#$%&'*+/=?^`{|}~\-]"
#: The run of local-part characters that ends at a position, read backwards (``regex.REVERSE``).
_LOCAL_RUN_BEFORE = regex.compile(_LOCAL + "*", regex.REVERSE)


class EmailRecognizer(FrenchPatternRecognizer):
    """``prenom.nom@exemple.fr``, ``jean-luc+devis@société.fr`` (internationalised domains included)."""

    ENTITY = "EMAIL_ADDRESS"
    RULES = (
        Rule(
            "email",
            r"(?<![\w.!#$%&'*+/=?^`{|}~\-@])[\w!#$%&'*+/=?^`{|}~\-]+(?:\.[\w!#$%&'*+/=?^`{|}~\-]+)*"
            r"@(?:[\w](?:[\w\-]{0,61}[\w])?\.)+[^\W\d_]{2,24}(?![\w\-@])(?!\.\w)",
            0.95,
        ),
    )
    CONTEXT = ("mail", "email", "e-mail", "courriel", "adresse", "ecrire", "contact*")
    VALIDATED_SCORE = None
    CONTEXT_BOOST = 0.05

    def find_matches(self, compiled: regex.Pattern[str], text: str) -> list[regex.Match[str]]:
        """What ``finditer`` finds, tried only where an address can start: every match holds one "@",
        and the rule's look-behind lets a match start only where the run of local-part characters before
        that "@" starts. Scanning the whole text took ~1 ms per 5 KB, the most of any pattern rule.
        ``tests/test_recognizers.py`` checks this against ``finditer`` on tricky and random texts."""
        matches: list[regex.Match[str]] = []
        end = 0
        at = text.find("@")
        while at >= 0:
            start = _LOCAL_RUN_BEFORE.match(text, end, at)
            if start is not None:
                m = compiled.match(text, start.start(), timeout=REGEX_TIMEOUT_SECONDS)
                if m is not None:
                    matches.append(m)
                    end = m.end()
            at = text.find("@", max(at + 1, end))
        return matches

    def refine_span(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        """Start at the local part, after a ``key=`` glued before it (``user=jean@x.fr`` -> ``jean@x.fr``)."""
        at = text.find("@", start, end)
        prefix = _KEY_PREFIX.match(text, start, at)
        if prefix is not None:
            start = prefix.end()
        # An attachment named after an address ("jeanne.moreau@exemple-client.fr.pdf"): the address is
        # what precedes the extension, when a real domain (two labels or more) is left.
        labels = text[at + 1 : end].split(".")
        extension, tld = labels[-1].lower(), labels[-2] if len(labels) >= 2 else ""
        if len(labels) >= 3 and extension in _NOT_TLDS and tld.isalpha() and len(tld) >= 2:
            end -= len(extension) + 1
        return start, end

    def validate_result(self, pattern_text: str) -> bool | None:
        """Reject file names that look like addresses (``icon@2x.png``)."""
        tld = pattern_text.rsplit(".", 1)[-1].lower()
        return tld not in _NOT_TLDS
