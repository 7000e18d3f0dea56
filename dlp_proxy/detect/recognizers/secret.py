"""SECRET: credentials — provider API keys, private keys, JWTs, and passwords written after a cue.

The company policy forbids typing secrets into an AI tool. Provider keys have recognisable prefixes
(matched case-sensitively: ``AKIA`` is a key, ``akia`` is not); JWTs are checked by decoding their header;
a password is only taken after an explicit cue ("mot de passe :", "mdp=", "password:"), and the
finding covers the value, not the cue, so a redacted prompt still reads "mot de passe : <SECRET>".
"""

from __future__ import annotations

import base64
import binascii
import json

import regex

from .base import FrenchPatternRecognizer, Rule, fold

_CASE = regex.MULTILINE

#: Words that follow a password cue in ordinary sentences ("mot de passe : oublié").
_NOT_PASSWORDS = frozenset(
    """
    oublie oubliee perdu incorrect incorrecte invalide valide requis obligatoire vide expire expiree
    change modifie reinitialise reinitialiser temporaire provisoire identique robuste fort faible
    securise trop le la les un une votre vos ton ta mon ma son sa notre leur du de des en au aux
    null none nil undefined false true changeme required optional string secret password motdepasse
    """.split()
)
_PLACEHOLDER = regex.compile(r"^(?:(.)\1+|[<{\[$%].*|.*[>}\]]|x+|\*+|\.+|_+)$", regex.IGNORECASE)


def jwt_header_ok(value: str) -> bool | None:
    """The first part base64url-decodes to a JSON object that names an ``alg``."""
    header = value.split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
        parsed = json.loads(decoded)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return isinstance(parsed, dict) and "alg" in parsed


def password_value(value: str) -> bool | None:
    """A value after "password:" that is not a placeholder or an ordinary word of the sentence."""
    if len(value) < 4 or _PLACEHOLDER.match(value):
        return False
    return fold(value).strip(".,;:!?") not in _NOT_PASSWORDS


def password_shaped(value: str) -> bool | None:
    """After "mot de passe est" (no colon) only a value that looks like a password counts: 6+ chars,
    at least one digit or symbol, and not an ordinary word."""
    if password_value(value) is False or len(value) < 6:
        return False
    has_digit_or_symbol = any(not c.isalpha() for c in value)
    has_letter = any(c.isalpha() for c in value)
    return has_digit_or_symbol and has_letter


def token_shaped(value: str) -> bool | None:
    """A value after "api key:"/"token:": long, with both letters and digits."""
    if _PLACEHOLDER.match(value):
        return False
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


#: Start of a cue word: not glued to a letter or digit, but an ``_``/``-`` prefix is fine, as in the
#: variable names of a configuration file (``SMTP_PASSWORD=``, ``DB_PASSWORD``, ``db-password:``).
_KEY_START = r"(?<![^\W_])"
_PASSWORD_CUE = (
    r"(?:mot[ \u00a0\-_]de[ \u00a0\-_]passe|"
    + _KEY_START
    + r"(?:mdp|password|passwd|pwd|pass(?:phrase)?|pgpassword|code[ \u00a0]d['’]acc[eè]s|code[ \u00a0]secret|"
    r"code[ \u00a0]pin|pin))"
)
_VALUE = r"(?P<value>[^\s\"'«»`]{4,128})"

RULES = (
    Rule(
        "private_key_block",
        r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"
        r"(?:[\s\S]*?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=:,\-\s]*)",
        1.0,
        flags=_CASE,
    ),
    Rule("anthropic_key", r"(?<![\w\-])sk-ant-[a-z0-9]{2,10}-[A-Za-z0-9_\-]{20,}", 0.98, flags=_CASE),
    Rule(
        "openai_key",
        r"(?<![\w\-])sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}(?![\w\-])",
        0.95,
        flags=_CASE,
    ),
    Rule(
        # The same keys with "_" for "-" (a tool or variable name: sk_proj_…): the provider reads the key.
        "openai_key_underscored",
        r"(?<![A-Za-z0-9])sk_(?:proj|svcacct|admin|ant_[a-z0-9]{2,10})_[A-Za-z0-9_\-]{20,}(?![A-Za-z0-9])",
        0.9,
        flags=_CASE,
    ),
    Rule(
        "aws_access_key_id",
        r"(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}(?![A-Z0-9])",
        0.9,
        flags=_CASE,
    ),
    Rule(
        "aws_secret_access_key",
        r"(?:aws_?secret_?access_?key|secret_?access_?key|aws_?secret(?:_?key)?|SecretAccessKey)"
        r"[\"']?\s*[:=]\s*[\"']?(?P<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
        0.95,
        flags=regex.IGNORECASE,
    ),
    Rule("github_token", r"(?<![\w])gh[pousr]_[A-Za-z0-9]{36,255}(?![\w])", 0.95, flags=_CASE),
    Rule("github_fine_grained_pat", r"(?<![\w])github_pat_[A-Za-z0-9_]{22,255}(?![\w])", 0.95, flags=_CASE),
    Rule("gitlab_token", r"(?<![\w\-])glpat-[A-Za-z0-9_\-]{20,}(?![\w\-])", 0.95, flags=_CASE),
    Rule("slack_token", r"(?<![\w\-])xox[abprs]-[A-Za-z0-9\-]{10,}(?![\w\-])", 0.9, flags=_CASE),
    Rule("google_api_key", r"(?<![\w\-])AIza[0-9A-Za-z_\-]{35}(?![\w\-])", 0.9, flags=_CASE),
    Rule("stripe_key", r"(?<![\w])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}(?![\w])", 0.9, flags=_CASE),
    Rule(
        "jwt",
        r"(?<![\w\-.])eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*(?![\w\-])",
        0.95,
        validator=jwt_header_ok,
        flags=_CASE,
    ),
    Rule(
        "password_after_cue",
        _PASSWORD_CUE
        + r"[\"']?[ \u00a0]*(?:\([^)\n]{0,30}\)[ \u00a0]*)?(?::=|[:=]|=>)[ \u00a0]*[\"'«]?[ \u00a0]*"
        + _VALUE,
        0.85,
        validator=password_value,
        flags=regex.IGNORECASE,
    ),
    Rule(
        "password_est",
        _PASSWORD_CUE
        + r"[ \u00a0]+(?:est|c['’]est|sera|reste)[ \u00a0]*:?[ \u00a0]*[\"'«]?[ \u00a0]*"
        + _VALUE,
        0.7,
        validator=password_shaped,
        flags=regex.IGNORECASE,
    ),
    Rule(
        "token_after_cue",
        r"(?:api[_\- ]?key|apikey|cl[ée][ \u00a0]+(?:d['’][ \u00a0]?)?api|secret[_\- ]?key|"
        r"client[_\- ]?secret|access[_\- ]?token|auth[_\- ]?token|bearer|token)"
        r"[\"']?[ \u00a0]*(?:[:=]|est)?[ \u00a0]*[\"']?"
        r"(?P<value>[A-Za-z0-9_\-./+=]{16,512})(?![A-Za-z0-9_\-./+=])",
        0.8,
        validator=token_shaped,
        flags=regex.IGNORECASE,
    ),
)


_SENTENCE_END = ".,;"
#: Closing bracket -> its opening bracket.
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<", "»": "«"}
#: What may follow a value's sentence punctuation besides a space ("…152$.)"). Not a quote: in
#: ``password='Soleil2024.'`` the quotes delimit the value and the dot belongs to it.
_AFTER_VALUE = frozenset(_SENTENCE_END) | frozenset(_CLOSERS)
#: How far back, on the value's line, an opening bracket is looked for.
_BRACKET_LOOKBACK = 200


def _closes_around(text: str, start: int, end: int) -> bool:
    """Does ``text[end - 1]`` close a bracket opened before the value (and not inside it)?"""
    closer = text[end - 1]
    opener = _CLOSERS[closer]
    value = text[start:end]
    if value.count(opener) >= value.count(closer):
        return False  # balanced inside the value: "Pass(123)" keeps its ")"
    line_start = max(text.rfind("\n", 0, start) + 1, start - _BRACKET_LOOKBACK)
    before = text[line_start:start]
    return before.count(opener) > before.count(closer)


class SecretRecognizer(FrenchPatternRecognizer):
    """API keys, tokens, private keys and passwords (after a cue)."""

    ENTITY = "SECRET"
    RULES = RULES
    CONTEXT = ()
    VALIDATED_SCORE = None

    def refine_span(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        """Sentence punctuation after a cued value ("mdp : Soleil2024.") is not part of it, nor a bracket
        that closes around it ("(mot de passe : Chocolat152$)")."""
        # A private-key block's trailing newline belongs to the text, not to the key.
        while end > start and text[end - 1].isspace():
            end -= 1
        while end - start > 4:
            last = text[end - 1]
            if last in _SENTENCE_END and (
                end == len(text) or text[end].isspace() or text[end] in _AFTER_VALUE
            ):
                end -= 1
            elif last in _CLOSERS and _closes_around(text, start, end):
                end -= 1
            else:
                break
        return start, end
