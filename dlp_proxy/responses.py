"""What a blocked user sees: API-shaped error bodies and a French HTML page.

A block that the user cannot understand gets worked around. So every refusal says, in the user's own
tool, *which* rule of the company AI policy applied, *why*, *what to use instead* and *whom to ask*:

* API clients (OpenAI, Anthropic, Gemini SDKs, and anything else) get a JSON error in the shape their
  SDK parses, so the SDK raises its usual exception (``openai.PermissionDeniedError``...) and the
  message reaches the developer's terminal or the application's log as-is.
* Browsers navigating to a blocked page get a self-contained HTML page (no JS, no external resources).

These are pure functions (no mitmproxy import): the addon turns the returned
``(status, headers, body)`` into ``http.Response.make(status, body, headers)``.

Only the fields of :class:`BlockInfo` are ever rendered — never request content — so a block
message can be logged or shown without leaking what it blocked.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template
from typing import Protocol

from dlp_proxy.dialects import dialect_for

__all__ = [
    "ADOPTION_STEPS",
    "CODES",
    "STATUS_BY_CODE",
    "BlockInfo",
    "Referent",
    "api_shape",
    "block_message",
    "block_message_core",
    "build_block_response",
    "render_html",
    "wants_html",
]


class Referent(Protocol):
    """An AI referent to contact (``policy.Referent`` satisfies it).

    Read-only properties so that frozen dataclasses match structurally.
    ``role`` is ``informatique``, ``juridique`` or ``metier``; other values are shown as-is.
    """

    @property
    def role(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def contact(self) -> str: ...


@dataclass(frozen=True)
class BlockInfo:
    """Everything a block message may say. Nothing else is ever rendered.

    ``detail`` must never carry a raw detected value (say ``types détectés : IBAN_CODE (2)``,
    not the IBAN): it is shown to the user, returned to the client and possibly logged by it.
    """

    code: str
    request_id: str
    policy_version: str
    language: str = "fr"
    tool_name: str | None = None
    model: str | None = None
    reason: str | None = None
    rule_id: str | None = None
    referents: Sequence[Referent] = ()
    alternatives: Sequence[str] = ()
    detail: str | None = None
    groups: Sequence[str] = ()
    #: The AI portal page where the user can act on this refusal (justify, ask for access, ask for
    #: the tool's evaluation); ``None`` when the proxy has no portal.
    portal_url: str | None = None


# 403 for policy decisions (the SDKs raise PermissionDeniedError and do not retry), 413/400 for
# requests the proxy cannot vet, 503 when the proxy itself cannot decide (fail closed).
STATUS_BY_CODE: dict[str, int] = {
    "tool_forbidden": 403,
    "tool_pilot_only": 403,
    "model_forbidden": 403,
    "sensitive_data": 403,
    "unscannable_content": 403,
    "destination_mismatch": 403,
    # the policy's workflows (the AI portal): the user can act, then retry
    "justification_required": 403,
    "validation_required": 403,
    "access_suspended": 403,
    "reminder_required": 403,
    "body_too_large": 413,
    "undecodable_body": 400,
    "scan_unavailable": 503,
    "scan_overloaded": 503,
    "policy_unavailable": 503,
    # The request was vetted and allowed, but the AI provider could not be reached or did not answer.
    "upstream_unreachable": 502,
    "upstream_timeout": 504,
    "state_unavailable": 503,
}
#: Codes for failures of the provider, not refusals: SDKs may retry them (the retry is scanned again).
UPSTREAM_CODES = frozenset({"upstream_unreachable", "upstream_timeout"})
CODES: tuple[str, ...] = tuple(STATUS_BY_CODE)

# The company's adoption procedure for a new AI tool (guide de politique IA).
ADOPTION_STEPS: dict[str, tuple[str, ...]] = {
    "fr": (
        "demande formelle",
        "validation juridique et informatique",
        "test pilote",
        "déploiement progressif",
    ),
    "en": ("formal request", "legal and IT validation", "pilot test", "gradual rollout"),
}

_CLIENT_DATA_RULE = {
    "fr": "Aucune donnée client ne doit être saisie dans un outil non hébergé par l'entreprise.",
    "en": "No client data may be entered into a tool that is not hosted by the company.",
}

_ROLE_SHORT = {
    "fr": {"informatique": "informatique", "juridique": "juridique", "metier": "métier"},
    "en": {"informatique": "IT", "juridique": "legal", "metier": "business"},
}
_ROLE_TITLE = {
    "fr": {
        "informatique": "Référent informatique",
        "juridique": "Référent juridique",
        "metier": "Référent métier",
    },
    "en": {"informatique": "IT referent", "juridique": "Legal referent", "metier": "Business referent"},
}

_DEFAULT_STATUS = 403
_RETRY_AFTER_SECONDS = "30"
# The scan queue is full: a short, momentary refusal that the SDKs may retry by themselves after this.
_OVERLOADED_RETRY_AFTER_SECONDS = "2"


# --------------------------------------------------------------------------------------------------
# Shape and negotiation
# --------------------------------------------------------------------------------------------------


def api_shape(path: str, family: str | None) -> str:
    """Pick the error shape the client's SDK understands: ``openai|anthropic|gemini|generic``.

    From the one table of API dialects (:mod:`dlp_proxy.dialects`): the path wins over the family
    because one provider host can speak several dialects. Browser apps and unknown families get the
    generic shape.
    """
    return dialect_for(path, family).error_shape


def _accept_q(accept: str) -> dict[str, float]:
    """Parse an Accept header into ``{media-range: q}`` (highest q per range)."""
    out: dict[str, float] = {}
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value.strip())))
                except ValueError:
                    q = 0.0
        out[media] = max(q, out.get(media, 0.0))
    return out


def wants_html(accept: str | None, shape: str) -> bool:
    """True when the client explicitly prefers HTML (a browser navigating to the URL).

    Only an explicit ``text/html`` (or ``application/xhtml+xml``) counts, and it must rank at least
    as high as JSON: ``*/*`` alone, ``application/json`` and ``text/event-stream`` keep the API
    error, because an SDK given HTML would show the user a parse error instead of our message.
    ``shape`` does not change the answer (a browser on an OpenAI URL still gets the page); it is
    taken so that callers do not have to special-case it.
    """
    del shape
    if not accept:
        return False
    q = _accept_q(accept)
    html_q = max(q.get("text/html", 0.0), q.get("application/xhtml+xml", 0.0))
    if html_q <= 0.0:
        return False
    json_q = max(q.get("application/json", 0.0), q.get("text/event-stream", 0.0))
    return html_q >= json_q


# --------------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _lang(info: BlockInfo) -> str:
    lang = (info.language or "").strip().lower().replace("_", "-")
    return "en" if lang.split("-", 1)[0] == "en" else "fr"


def _clean(value: object, limit: int = 300) -> str:
    """One line, bounded: the model name comes from the request, so it may be anything."""
    text = " ".join(_CONTROL.sub(" ", str(value)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sentence(text: str) -> str:
    """End a sentence exactly once, whatever punctuation the policy author used."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", "…", "»", "”")) else text + "."


def _q(value: str, lang: str) -> str:
    return f"« {value} »" if lang == "fr" else f"“{value}”"


def _join(items: Sequence[str], lang: str) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    last = " et " if lang == "fr" else " and "
    return ", ".join(items[:-1]) + last + items[-1]


def _role_short(role: str, lang: str) -> str:
    return _ROLE_SHORT[lang].get(role.strip().lower(), _clean(role, 60))


def _role_title(role: str, lang: str) -> str:
    fallback = ("Référent " if lang == "fr" else "Referent: ") + _clean(role, 60)
    return _ROLE_TITLE[lang].get(role.strip().lower(), fallback)


@dataclass(frozen=True)
class _Texts:
    """The cleaned, quoted fields one message is built from."""

    lang: str
    tool: str  # quoted tool name, or "cet outil d'IA" / "this AI tool" when unknown
    named: bool  # whether the tool has a name
    model: str  # quoted model, or "" when absent
    groups: str  # joined group names
    version: str


def _texts(info: BlockInfo) -> _Texts:
    lang = _lang(info)
    named = bool(info.tool_name and _clean(info.tool_name))
    if named:
        tool = _q(_clean(info.tool_name, 120), lang)
    else:
        tool = "cet outil d'IA" if lang == "fr" else "this AI tool"
    model = _q(_clean(info.model, 120), lang) if info.model and _clean(info.model) else ""
    groups = _join([_clean(g, 80) for g in info.groups if g], lang)
    return _Texts(lang, tool, named, model, groups, _clean(info.policy_version or "", 60))


def _subject(t: _Texts) -> str:
    """``l'outil « X » (modèle « m »)`` — or ``cet outil d'IA`` when the tool has no name."""
    if t.lang == "fr":
        base = f"l'outil {t.tool}" if t.named else t.tool
        return f"{base} (modèle {t.model})" if t.model else base
    base = f"the tool {t.tool}" if t.named else t.tool
    return f"{base} (model {t.model})" if t.model else base


def _the_tool(t: _Texts) -> str:
    if t.lang == "fr":
        return f"l'outil {t.tool}" if t.named else t.tool
    return f"the tool {t.tool}" if t.named else t.tool


def _tool_forbidden(t: _Texts) -> str:
    return f"{_subject(t)} est interdit." if t.lang == "fr" else f"{_subject(t)} is forbidden."


_PILOT_HOWTO = {
    "fr": "Pour y accéder, suivez la procédure d'adoption en 4 étapes : "
    + ", ".join(ADOPTION_STEPS["fr"])
    + ".",
    "en": "To get access, follow the 4-step adoption procedure: " + ", ".join(ADOPTION_STEPS["en"]) + ".",
}


def _tool_pilot_only(t: _Texts) -> str:
    if t.lang == "fr":
        groups = f", réservé aux groupes : {t.groups}" if t.groups else ""
        return (
            f"{_subject(t)} est en test pilote{groups} ; vous ne faites pas partie de ces groupes. "
            f"{_PILOT_HOWTO['fr']}"
        )
    groups = f", restricted to the groups: {t.groups}" if t.groups else ""
    return f"{_subject(t)} is in a pilot test{groups}; you are not in these groups. {_PILOT_HOWTO['en']}"


def _model_forbidden(t: _Texts) -> str:
    if t.lang == "fr":
        model = f"le modèle {t.model}" if t.model else "le modèle demandé"
        return f"{model} n'est pas autorisé avec {_the_tool(t)}."
    model = f"the model {t.model}" if t.model else "the requested model"
    return f"{model} is not allowed with {_the_tool(t)}."


def _sensitive_data(t: _Texts) -> str:
    if t.lang == "fr":
        return (
            f"des données personnelles ou des données client ont été détectées dans votre requête vers "
            f"{t.tool} ; elle n'a pas été transmise. {_CLIENT_DATA_RULE['fr']}"
        )
    return (
        f"personal or client data was detected in your request to {t.tool}; it was not sent. "
        f"{_CLIENT_DATA_RULE['en']}"
    )


def _unscannable_content(t: _Texts) -> str:
    if t.lang == "fr":
        return (
            f"votre requête vers {t.tool} contient un contenu que le proxy ne peut pas analyser (image, "
            f"audio, document illisible…) et la politique IA ne l'autorise pas pour cet outil ; elle n'a "
            f"pas été transmise. Copiez le texte utile dans votre message, sans données client."
        )
    return (
        f"your request to {t.tool} carries content the proxy cannot scan (image, audio, unreadable "
        f"document…) and the AI policy does not allow it for this tool; it was not sent. Paste the "
        f"useful text into your message instead, without client data."
    )


def _destination_mismatch(t: _Texts) -> str:
    if t.lang == "fr":
        return (
            f"votre requête nomme plusieurs destinations qui ne concordent pas (adresse de connexion, "
            f"nom TLS, en-tête Host), dont {t.tool} ; le proxy ne peut pas savoir quel outil la recevrait "
            f"et ne l'a pas transmise. Configurez votre client pour qu'il s'adresse directement à l'outil."
        )
    return (
        f"your request names destinations that do not agree (connection address, TLS name, Host "
        f"header), including {t.tool}; the proxy cannot tell which tool would receive it and did not "
        f"send it. Configure your client to address the tool directly."
    )


def _body_too_large(t: _Texts) -> str:
    if t.lang == "fr":
        return (
            f"votre requête vers {t.tool} est trop volumineuse pour être contrôlée ; elle n'a pas été "
            f"transmise. Réduisez sa taille (texte ou pièces jointes)."
        )
    return (
        f"your request to {t.tool} is too large to be checked; it was not sent. "
        f"Reduce its size (text or attachments)."
    )


def _undecodable_body(t: _Texts) -> str:
    if t.lang == "fr":
        return (
            f"le contenu de votre requête vers {t.tool} n'a pas pu être décodé, il ne peut donc pas être "
            f"contrôlé ; elle n'a pas été transmise."
        )
    return (
        f"the content of your request to {t.tool} could not be decoded, so it cannot be checked; "
        f"it was not sent."
    )


def _scan_unavailable(t: _Texts) -> str:
    if t.lang == "fr":
        return (
            f"le service de détection des données sensibles est momentanément indisponible ; par "
            f"précaution, votre requête vers {t.tool} n'a pas été transmise. Réessayez dans quelques "
            f"minutes."
        )
    return (
        f"the sensitive-data detection service is temporarily unavailable; as a precaution, your "
        f"request to {t.tool} was not sent. Try again in a few minutes."
    )


def _scan_overloaded(t: _Texts) -> str:
    if t.lang == "fr":
        return (
            f"le service de détection des données sensibles est saturé ; votre requête vers {t.tool} n'a "
            f"pas été transmise. Réessayez dans quelques secondes."
        )
    return (
        f"the sensitive-data detection service is overloaded; your request to {t.tool} was not sent. "
        f"Try again in a few seconds."
    )


def _policy_unavailable(t: _Texts) -> str:
    if t.lang == "fr":
        return (
            f"la politique IA n'a pas pu être chargée ; par précaution, votre requête vers {t.tool} "
            f"n'a pas été transmise. Réessayez dans quelques minutes."
        )
    return (
        f"the AI policy could not be loaded; as a precaution, your request to {t.tool} was not sent. "
        f"Try again in a few minutes."
    )


def _justification_required(t: _Texts) -> str:
    if t.lang == "fr":
        return (
            f"l'usage de {_subject(t)} demande une justification : indiquez sur le portail IA "
            f"pourquoi vous en avez besoin, puis réessayez."
        )
    return f"using {_subject(t)} needs a justification: say in the AI portal why you need it, then retry."


def _validation_required(t: _Texts) -> str:
    if t.lang == "fr":
        return (
            f"l'usage de {_the_tool(t)} est soumis à la validation du manager : demandez l'accès sur le "
            f"portail IA ; une fois l'accès accordé, réessayez."
        )
    return (
        f"using {_the_tool(t)} needs your manager's validation: ask for access in the AI portal; once it "
        f"is granted, retry."
    )


def _access_suspended(t: _Texts) -> str:
    if t.lang == "fr":
        return (
            f"votre requête vers {t.tool} n'a pas été transmise : votre accès aux outils d'IA externes est "
            "suspendu après des blocages répétés pour données sensibles ; les outils hébergés par "
            "l'entreprise restent disponibles."
        )
    return (
        f"your request to {t.tool} was not sent: your access to external AI tools is suspended after "
        "repeated refusals for sensitive data; the tools hosted by the company still work."
    )


def _reminder_required(t: _Texts) -> str:
    if t.lang == "fr":
        return (
            f"votre requête vers {t.tool} n'a pas été transmise : plusieurs de vos requêtes ont été "
            "bloquées pour données sensibles ; prenez connaissance du rappel de la politique IA sur le "
            "portail IA, puis réessayez."
        )
    return (
        f"your request to {t.tool} was not sent: several of your requests were blocked for sensitive "
        "data; read the AI policy reminder in the AI portal, then retry."
    )


def _upstream_unreachable(t: _Texts) -> str:
    if t.lang == "fr":
        return (
            f"{t.tool} n'a pas pu être joint (connexion refusée, adresse introuvable ou échec du chiffrement "
            f"TLS). Votre requête a été contrôlée et autorisée, mais n'a pas été remise. Réessayez dans "
            f"quelques minutes ; si le problème persiste, prévenez le support informatique."
        )
    return (
        f"{t.tool} could not be reached (connection refused, unknown address or TLS failure). Your "
        f"request was checked and allowed, but not delivered. Try again in a few minutes; if the problem "
        f"persists, tell IT support."
    )


def _upstream_timeout(t: _Texts) -> str:
    if t.lang == "fr":
        return (
            f"{t.tool} n'a pas répondu dans le délai prévu. Votre requête a été contrôlée et autorisée ; "
            f"la réponse n'est pas arrivée. Réessayez dans quelques minutes ; si le problème persiste, "
            f"prévenez le support informatique."
        )
    return (
        f"{t.tool} did not answer in time. Your request was checked and allowed; no answer came back. "
        f"Try again in a few minutes; if the problem persists, tell IT support."
    )


def _state_unavailable(t: _Texts) -> str:
    if t.lang == "fr":
        return (
            f"le service qui conserve les pseudonymes est momentanément indisponible ; par précaution, "
            f"votre requête vers {t.tool} n'a pas été transmise. Réessayez dans quelques minutes."
        )
    return (
        f"the service that keeps pseudonyms is temporarily unavailable; as a precaution, your request "
        f"to {t.tool} was not sent. Try again in a few minutes."
    )


def _unknown(t: _Texts) -> str:
    if t.lang == "fr":
        return f"votre requête vers {t.tool} a été bloquée."
    return f"your request to {t.tool} was blocked."


# One "what happened" template per code (each handles both languages); the shared parts (reason,
# detail, alternatives, referents, reference) are appended by block_message.
_CORE: dict[str, Callable[[_Texts], str]] = {
    "tool_forbidden": _tool_forbidden,
    "tool_pilot_only": _tool_pilot_only,
    "model_forbidden": _model_forbidden,
    "sensitive_data": _sensitive_data,
    "unscannable_content": _unscannable_content,
    "destination_mismatch": _destination_mismatch,
    "body_too_large": _body_too_large,
    "undecodable_body": _undecodable_body,
    "scan_unavailable": _scan_unavailable,
    "scan_overloaded": _scan_overloaded,
    "policy_unavailable": _policy_unavailable,
    "justification_required": _justification_required,
    "validation_required": _validation_required,
    "access_suspended": _access_suspended,
    "reminder_required": _reminder_required,
    "upstream_unreachable": _upstream_unreachable,
    "upstream_timeout": _upstream_timeout,
    "state_unavailable": _state_unavailable,
}

# "Access denied" for policy decisions, "request blocked" when the proxy could not vet the request.
_POLICY_CODES = frozenset(
    {
        "tool_forbidden",
        "tool_pilot_only",
        "model_forbidden",
        "sensitive_data",
        "unscannable_content",
        "destination_mismatch",
        "justification_required",
        "validation_required",
        "access_suspended",
        "reminder_required",
    }
)


def _prefix(info: BlockInfo, t: _Texts) -> str:
    """Who refuses: the AI policy itself, or the proxy that could not vet the request."""
    if info.code in UPSTREAM_CODES:
        if t.lang == "fr":
            version = f" (politique IA, version {t.version})" if t.version else ""
            return f"Service d'IA indisponible{version} : "
        version = f" (AI policy version {t.version})" if t.version else ""
        return f"AI service unavailable{version}: "
    if info.code in _POLICY_CODES:
        if t.lang == "fr":
            version = f" (version {t.version})" if t.version else ""
            return f"Accès refusé par la politique IA de l'entreprise{version} : "
        version = f" (version {t.version})" if t.version else ""
        return f"Access denied by the company AI policy{version}: "
    if t.lang == "fr":
        version = f" (politique IA, version {t.version})" if t.version else ""
        return f"Requête bloquée par le contrôle des données de l'entreprise{version} : "
    version = f" (AI policy version {t.version})" if t.version else ""
    return f"Request blocked by the company's data-protection proxy{version}: "


def _referent_text(r: Referent, lang: str) -> str:
    name = _clean(getattr(r, "name", "") or "", 120)
    role = _role_short(getattr(r, "role", "") or "", lang)
    contact = _clean(getattr(r, "contact", "") or "", 200)
    inner = ", ".join(x for x in (role, contact) if x)
    return f"{name} ({inner})" if inner else name


def block_message(info: BlockInfo) -> str:
    """One-paragraph plain-text explanation, for API error messages and logs.

    Single line on purpose: SDKs print it in an exception (the Anthropic SDK even embeds the body's
    ``repr``), where line breaks would show up as ``\\n``.
    """
    t = _texts(info)
    lang = t.lang
    parts = [block_message_core(info)]
    if info.portal_url:
        url = _clean(info.portal_url, 300)
        parts.append(_sentence(("Portail IA : " if lang == "fr" else "AI portal: ") + url))
    if info.reason:
        parts.append(_sentence(("Motif : " if lang == "fr" else "Reason: ") + _clean(info.reason, 1000)))
    if info.detail:
        parts.append(_sentence(("Détail : " if lang == "fr" else "Detail: ") + _clean(info.detail, 300)))
    alternatives = [_clean(a, 120) for a in info.alternatives if a]
    if alternatives:
        label = "Outils autorisés à la place : " if lang == "fr" else "Approved tools to use instead: "
        parts.append(_sentence(label + ", ".join(alternatives)))
    referents = [_referent_text(r, lang) for r in info.referents]
    referents = [r for r in referents if r]
    if referents:
        label = "Contactez vos référents IA : " if lang == "fr" else "Contact your AI referents: "
        parts.append(_sentence(label + ", ".join(referents)))
    ref = _clean(info.request_id, 120)
    parts.append(f"Référence de la demande : {ref}." if lang == "fr" else f"Request reference: {ref}.")
    return " ".join(parts)


# --------------------------------------------------------------------------------------------------
# HTML page
# --------------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s<>\"'()]+@[^@\s<>\"'()]+\.[A-Za-z]{2,}$")
_URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)

_HTML_LABELS = {
    "fr": {
        "title_policy": "Accès bloqué",
        "title_tech": "Requête bloquée",
        "title_upstream": "Service d'IA indisponible",
        "tool": "Outil",
        "model": "Modèle",
        "reason": "Motif",
        "detail": "Détail",
        "alternatives": "Outils autorisés à utiliser à la place",
        "referents": "Vos référents IA",
        "pilot": "Procédure d'adoption en 4 étapes",
        "pilot_join": "Pour rejoindre le test pilote ou demander l'ouverture de l'outil, adressez une "
        "demande formelle à vos référents IA :",
        "adopt": "Besoin de cet outil ? Faites une demande formelle auprès de vos référents IA ; "
        "la procédure d'adoption compte 4 étapes :",
        "data": "Retirez ou anonymisez ces données (noms, coordonnées, numéros de compte, etc.) avant de "
        "réessayer, ou utilisez un outil hébergé par l'entreprise.",
        "portal": "Demander l'évaluation de cet outil (portail IA)",
        "ref": "Référence de la demande",
        "ref_help": "communiquez-la au support ou à vos référents pour retrouver l'incident.",
        "version": "Version de la politique IA",
        "footer": "Message du proxy de protection des données de l'entreprise.",
    },
    "en": {
        "title_policy": "Access blocked",
        "title_tech": "Request blocked",
        "title_upstream": "AI service unavailable",
        "tool": "Tool",
        "model": "Model",
        "reason": "Reason",
        "detail": "Detail",
        "alternatives": "Approved tools to use instead",
        "referents": "Your AI referents",
        "pilot": "4-step adoption procedure",
        "pilot_join": "To join the pilot or ask for the tool to be opened, send a formal request to your "
        "AI referents:",
        "adopt": "Need this tool? Send a formal request to your AI referents; the adoption procedure has "
        "4 steps:",
        "data": "Remove or anonymise this data (names, contact details, account numbers, etc.) before "
        "trying again, or use a tool hosted by the company.",
        "portal": "Ask for this tool to be evaluated (AI portal)",
        "ref": "Request reference",
        "ref_help": "give it to support or to your referents so they can find the incident.",
        "version": "AI policy version",
        "footer": "Message from the company's data-leak prevention proxy.",
    },
}


@cache
def _template() -> Template:
    text = resources.files("dlp_proxy").joinpath("templates/block.html").read_text(encoding="utf-8")
    return Template(text)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _contact_html(contact: str) -> str:
    if _EMAIL.match(contact):
        return f'<a href="mailto:{_e(contact)}">{_e(contact)}</a>'
    if _URL.match(contact):
        return f'<a href="{_e(contact)}">{_e(contact)}</a>'
    return _e(contact)


def _steps_html(lang: str) -> str:
    items = "".join(f"<li>{_e(s[:1].upper() + s[1:])}</li>" for s in ADOPTION_STEPS[lang])
    return f'<ol class="steps">{items}</ol>'


def render_html(info: BlockInfo) -> str:
    """The page a browser shows: what was blocked, why, what to use instead, whom to ask.

    Every interpolated value goes through ``html.escape``: the reason and tool names come from
    rule files, the model from the request itself.
    """
    t = _texts(info)
    lang = t.lang
    lab = _HTML_LABELS[lang]
    head = lab["title_policy"] if info.code in _POLICY_CODES else lab["title_tech"]
    if info.code in UPSTREAM_CODES:
        head = lab["title_upstream"]
    title = f"{head} — {_clean(info.tool_name, 120)}" if info.tool_name else head

    sep = " : " if lang == "fr" else ": "
    sections: list[str] = []
    facts: list[str] = []
    if info.tool_name:
        facts.append(f"<dt>{_e(lab['tool'])}</dt><dd>{_e(_clean(info.tool_name, 120))}</dd>")
    if info.model:
        facts.append(f"<dt>{_e(lab['model'])}</dt><dd><code>{_e(_clean(info.model, 120))}</code></dd>")
    if info.reason:
        facts.append(f"<dt>{_e(lab['reason'])}</dt><dd>{_e(_clean(info.reason, 1000))}</dd>")
    if info.detail:
        facts.append(f"<dt>{_e(lab['detail'])}</dt><dd>{_e(_clean(info.detail, 300))}</dd>")
    if facts:
        sections.append(f"<dl>{''.join(facts)}</dl>")

    if info.code == "sensitive_data":
        sections.append(
            f'<div class="notice"><p><strong>{_e(_CLIENT_DATA_RULE[lang])}</strong></p>'
            f"<p>{_e(lab['data'])}</p></div>"
        )
    if info.code == "tool_pilot_only":
        # The lead already names the pilot groups; here, how to join them.
        sections.append(f"<h2>{_e(lab['pilot'])}</h2><p>{_e(lab['pilot_join'])}</p>{_steps_html(lang)}")
    elif info.code in ("tool_forbidden", "model_forbidden"):
        sections.append(f"<p>{_e(lab['adopt'])}</p>{_steps_html(lang)}")
    if info.portal_url and _URL.match(info.portal_url):
        sections.append(f'<p class="portal"><a href="{_e(info.portal_url)}">{_e(lab["portal"])}</a></p>')

    alternatives = [a for a in info.alternatives if a]
    if alternatives:
        items = "".join(f"<li>{_e(_clean(a, 120))}</li>" for a in alternatives)
        sections.append(f"<h2>{_e(lab['alternatives'])}</h2><ul>{items}</ul>")

    if info.referents:
        items = []
        for r in info.referents:
            role = _role_title(getattr(r, "role", "") or "", lang)
            name = _clean(getattr(r, "name", "") or "", 120)
            contact = _clean(getattr(r, "contact", "") or "", 200)
            contact_html = f" — {_contact_html(contact)}" if contact else ""
            items.append(f"<li><strong>{_e(role)}</strong>{sep}{_e(name)}{contact_html}</li>")
        sections.append(f'<h2>{_e(lab["referents"])}</h2><ul class="referents">{"".join(items)}</ul>')

    # The lead is the message's headline; the page shows the rule and the procedure in their own
    # blocks, so they are not repeated in it.
    lead = block_message_core(info)
    for repeated in (_CLIENT_DATA_RULE[lang], _PILOT_HOWTO[lang]):
        lead = lead.replace(" " + repeated, "")
    ref = _e(_clean(info.request_id, 120))
    meta = f"<p>{_e(lab['ref'])}{sep}<code>{ref}</code> — {_e(lab['ref_help'])}</p>"
    if t.version:
        meta += f"<p>{_e(lab['version'])}{sep}<code>{_e(t.version)}</code></p>"
    return _template().substitute(
        lang=lang,
        title=_e(title),
        lead=_e(lead),
        sections="\n".join(sections),
        meta=meta,
        footer=_e(lab["footer"]),
    )


def block_message_core(info: BlockInfo) -> str:
    """The headline sentence alone (prefix + what happened), as used at the top of the HTML page."""
    t = _texts(info)
    core = _CORE.get(info.code, _unknown)(t)
    return _prefix(info, t) + core


# --------------------------------------------------------------------------------------------------
# Response
# --------------------------------------------------------------------------------------------------

_OPENAI_TYPE = {403: "request_forbidden", 400: "invalid_request_error", 413: "invalid_request_error"}
_ANTHROPIC_TYPE = {403: "permission_error", 400: "invalid_request_error", 413: "request_too_large"}
_GEMINI_STATUS = {
    403: "PERMISSION_DENIED",
    400: "INVALID_ARGUMENT",
    413: "INVALID_ARGUMENT",
    502: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _header_value(value: str) -> str:
    """Header-safe (printable ASCII, no CR/LF): ids come from config and must not split headers."""
    return "".join(c if " " <= c <= "~" else "?" for c in value)[:200]


def _json_body(shape: str, status: int, code: str, message: str) -> dict[str, object]:
    if shape == "openai":
        # The openai SDK picks the exception class from the status alone (403 → PermissionDeniedError)
        # and shows "Error code: 403 - <error.message>". "request_forbidden" is the type OpenAI itself
        # sends with its 403s (unsupported_country_region_territory); "message" first for raw dumps.
        return {
            "error": {
                "message": message,
                "type": _OPENAI_TYPE.get(status, "server_error"),
                "param": None,
                "code": code,
            }
        }
    if shape == "anthropic":
        return {
            "type": "error",
            "error": {"type": _ANTHROPIC_TYPE.get(status, "api_error"), "message": message},
        }
    if shape == "gemini":
        return {
            "error": {
                "code": status,
                "message": message,
                "status": _GEMINI_STATUS.get(status, "UNAVAILABLE" if status == 503 else "INTERNAL"),
            }
        }
    return {"error": {"code": code, "message": message}}


def build_block_response(
    info: BlockInfo, *, path: str, family: str | None, accept: str | None
) -> tuple[int, dict[str, str], bytes]:
    """Build ``(status, headers, body)`` for a blocked request.

    JSON in the client's API shape, or the HTML page when a browser asks for HTML. Always
    ``x-should-retry: false`` (SDKs would otherwise retry 5xx and resend the same blocked content;
    ``true`` for the provider's own failures, whose retry is scanned again)
    and ``cache-control: no-store``; ``x-dlp-proxy-request-id`` ties the response to the incident.
    The request id is also put in ``x-request-id``/``request-id``, which the OpenAI and Anthropic
    SDKs expose as ``err.request_id``. 503 adds ``retry-after: 30`` so clients that retry anyway
    do not hammer the proxy; ``scan_overloaded`` (a full scan queue, nothing judged) is the exception:
    ``retry-after: 2`` and ``x-should-retry: true``, so the SDKs retry it themselves.
    """
    status = STATUS_BY_CODE.get(info.code, _DEFAULT_STATUS)
    shape = api_shape(path, family)
    request_id = _header_value(info.request_id)
    headers: dict[str, str] = {
        "cache-control": "no-store",
        "x-should-retry": "true" if info.code in UPSTREAM_CODES else "false",
        "x-dlp-proxy-request-id": request_id,
        "x-request-id": request_id,
        "request-id": request_id,
    }
    if info.rule_id:
        headers["x-dlp-proxy-rule"] = _header_value(info.rule_id)
    if info.code == "scan_overloaded":  # nothing was judged: the same request may simply come back
        headers["x-should-retry"] = "true"
        headers["retry-after"] = _OVERLOADED_RETRY_AFTER_SECONDS
    elif status == 503:
        headers["retry-after"] = _RETRY_AFTER_SECONDS

    if wants_html(accept, shape):
        headers["content-type"] = "text/html; charset=utf-8"
        headers["content-security-policy"] = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'"
        headers["x-content-type-options"] = "nosniff"
        headers["referrer-policy"] = "no-referrer"
        return status, headers, render_html(info).encode("utf-8")

    headers["content-type"] = "application/json; charset=utf-8"
    body = _json_body(shape, status, info.code, block_message(info))
    return status, headers, json.dumps(body, ensure_ascii=False).encode("utf-8")
