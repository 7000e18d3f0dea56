"""URL: only URLs that carry personal data or credentials — a plain link is not a finding.

Reported: a query or fragment parameter whose name says token/secret/identity (``access_token=``,
``email=``, ``nom=``…) with a non-empty value; ``user:password@`` in the authority; an e-mail address
anywhere in the path or query. The whole URL is the finding, because a partly masked signed link is
still usable and still identifies the person.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

import regex

from .base import FrenchPatternRecognizer, Rule, fold

#: Parameter names (folded, ``-`` → ``_``) whose value is a secret or identifies a person.
SENSITIVE_PARAMS = frozenset(
    """
    token access_token id_token refresh_token auth auth_token authorization bearer jwt session sessionid
    session_id sid ssid apikey api_key key secret client_secret password passwd pwd pass mdp code otp
    signature sig x_amz_signature x_amz_credential x_goog_signature
    email e_mail mail courriel user username login utilisateur nom prenom name firstname lastname
    first_name last_name fullname tel telephone phone mobile iban nir adresse address dob
    date_naissance naissance
    """.split()
)
_EMAIL_IN_URL = regex.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}")
_TRAILING = ".,;:!?)]}>'\"»"


def carries_personal_data(url: str) -> bool:
    """True when the URL's credentials, parameters or path expose a secret or a person."""
    try:
        parts = urlsplit(url if "://" in url else "https://" + url)
    except ValueError:
        return False
    if parts.password:
        return True
    for chunk in (parts.query, parts.fragment):
        for name, value in parse_qsl(chunk, keep_blank_values=False):
            if value.strip() and fold(name).replace("-", "_") in SENSITIVE_PARAMS:
                return True
    return _EMAIL_IN_URL.search(unquote(parts.path + "?" + parts.query)) is not None


class UrlRecognizer(FrenchPatternRecognizer):
    """``https://app.exemple.fr/reset?token=…``, ``https://crm.exemple.fr/clients/jean.dupont@exemple.fr``."""

    ENTITY = "URL"
    RULES = (Rule("url_with_personal_data", r"(?<![\w@])(?:https?://|www\.)[^\s<>\"'`]+", 0.85),)
    CONTEXT = ()
    VALIDATED_SCORE = 0.85

    def refine_span(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        """Sentence punctuation after a link is not part of it."""
        while end > start and text[end - 1] in _TRAILING:
            end -= 1
        return start, end

    def validate_result(self, pattern_text: str) -> bool | None:
        """Plain URLs are not findings."""
        return carries_personal_data(pattern_text)
