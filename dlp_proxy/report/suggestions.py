"""Suggestions for the referents, in French, derived from the report's figures.

Each rule below reads the figures, never the raw incidents, and proposes one concrete action in the
words of the company's AI policy: the 4-step adoption procedure (demande formelle, validation juridique
et informatique, test pilote, déploiement progressif), the quarterly review and its published
compte-rendu, training, checking a detection rule for false positives.

One function per rule, listed in :data:`RULES`: each returns the suggestions it supports (often none),
:func:`suggest` runs them all and puts the most urgent first. A new suggestion is one more function and
one more line in the table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from dlp_proxy.dates import format_date

from .model import NO_GROUP, AttemptRow, Report, Suggestion, entity_label
from .words import counted, number

if TYPE_CHECKING:
    from dlp_proxy.policy import Policy

ADOPTION_MIN_PEOPLE = 3  # distinct people trying a tool before suggesting its adoption procedure
ADOPTION_MIN_ATTEMPTS = 10  # ... or attempts, when users are not identified
SHADOW_MIN = 10  # connections to an unknown AI host before suggesting to catalogue it
NOISY_RULE_SHARE = 0.30  # a data rule behind this share of incidents...
NOISY_RULE_MIN = 50  # ...and at least this many is worth checking for false positives
TRAINING_MIN = 30  # incidents of one data type on one tool before suggesting training
TRAINING_MAX_SUGGESTIONS = 2
REPEAT_ALERT = 20  # incidents for one person before suggesting an individual reminder
OPS_MIN = 10  # scan timeouts / oversized bodies before suggesting a capacity check
REVIEW_SOON_DAYS = 30


_n = number


def _people(n: int) -> str:
    return counted(n, "personne")


def _list(items: list[str], limit: int = 3, noun: str = "") -> str:
    """« a », « a et b », « a, b et c », « a, b, c et 2 autres [noun]s »."""
    if not items:
        return ""
    if len(items) <= limit:
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " et " + items[-1]
    more = len(items) - limit
    plural = "s" if more > 1 else ""
    rest = f"{more} autre{plural}" + (f" {noun}{plural}" if noun else "")
    return ", ".join(items[:limit]) + " et " + rest


def _list_or(items: list[str]) -> str:
    """« a », « a ou b », « a, b ou c »."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " ou " + items[-1]


def _pct(share: float) -> str:
    return f"{round(share * 100)}\u202f%"


def _groups(groups: tuple[str, ...] | list[str]) -> str:
    named = [g for g in groups if g != NO_GROUP]
    if not named:
        return "sans groupe"
    return ("le groupe " if len(named) == 1 else "les groupes ") + _list(named)


def suggest(report: Report, policy: Policy) -> list[Suggestion]:
    """Every suggestion the figures support, most urgent first (ties in the order of :data:`RULES`)."""
    out = [suggestion for rule in RULES for suggestion in rule(report, policy)]
    out.sort(key=lambda s: s.priority)
    return out


# ------------------------------------------------------------------------------ quarterly review


def review_due(report: Report, policy: Policy) -> list[Suggestion]:
    """The policy commits to a quarterly review: late, it is urgent; within a month, prepare it with
    this report's figures."""
    review = report.review
    if review.overdue:
        return [
            Suggestion(
                "review",
                f"La révision trimestrielle de la politique prévue le {format_date(review.next_review)} est "
                f"dépassée de {_n(review.days)} jour{'s' if review.days > 1 else ''} : la planifier avec "
                "les référents IA (informatique, juridique, métier), puis publier le compte-rendu "
                "(changelog de policy.yaml) et former les équipes aux changements.",
                1,
            )
        ]
    if review.days <= REVIEW_SOON_DAYS:
        return [
            Suggestion(
                "review",
                f"La révision trimestrielle est prévue le {format_date(review.next_review)} : préparer "
                "l'ordre du jour avec les chiffres de ce rapport (outils demandés, règles à ajuster).",
                2,
            )
        ]
    return []


def nothing_published(report: Report, policy: Policy) -> list[Suggestion]:
    """Every review ends with a published compte-rendu, even without change: a quarter without a new
    changelog entry means the review left no trace."""
    if any(
        v.in_changelog and v.published and report.start <= v.published <= report.end for v in report.versions
    ):
        return []
    return [
        Suggestion(
            "changelog",
            "Aucune nouvelle version de la politique n'a été publiée sur la période : la révision "
            "trimestrielle doit donner lieu à un compte-rendu publié, même sans changement.",
            3,
        )
    ]


def unpublished_versions(report: Report, policy: Policy) -> list[Suggestion]:
    """A version the proxy applied but the changelog does not list: people were held to rules nobody
    published."""
    return [
        Suggestion(
            "changelog",
            f"La version « {version.version} » de la politique a été appliquée "
            f"({counted(version.incidents, 'incident')}) mais n'apparaît pas dans le changelog : "
            "publier son compte-rendu.",
            2,
        )
        for version in report.versions
        if not version.in_changelog and version.incidents
    ]


# ------------------------------------------------------------------------- the proxy's own health


def store_tampered(report: Report, policy: Policy) -> list[Suggestion]:
    """An incident store whose hash chain does not verify: every figure above is in doubt."""
    if not (report.integrity.checked and report.integrity.ok is False):
        return []
    return [
        Suggestion(
            "integrity",
            f"Le registre des incidents a été modifié ({report.integrity.problem}) : les chiffres de ce "
            "rapport ne sont pas fiables. Lancer « dlp-proxy incidents verify » et ouvrir une enquête "
            "avec l'équipe sécurité.",
            1,
        )
    ]


def rule_tests_failing(report: Report, policy: Policy) -> list[Suggestion]:
    """Rule tests that fail or cannot run: the detection may miss what the policy relies on finding."""
    tests = report.rule_tests
    if tests.ran and tests.error:
        return [
            Suggestion(
                "rule_tests",
                f"Les tests de règles n'ont pas pu être exécutés ({tests.error}) : corriger puis relancer "
                "« dlp-proxy check-rules ».",
                1,
            )
        ]
    if tests.ran and tests.failed:
        files = sorted({f.file for f in tests.failures})
        return [
            Suggestion(
                "rule_tests",
                f"{_n(tests.failed)} test{'s' if tests.failed > 1 else ''} de règles en échec "
                f"({_list(files)}) : corriger les règles de détection ou les cas de test, puis relancer "
                "« dlp-proxy check-rules » avant le prochain déploiement.",
                1,
            )
        ]
    return []


# ------------------------------------------------------- tools people try without being allowed to


def _enough(row: AttemptRow) -> bool:
    """Enough demand to act on: several people, or many attempts when users are not identified."""
    return row.people >= ADOPTION_MIN_PEOPLE or (row.people == 0 and row.attempts >= ADOPTION_MIN_ATTEMPTS)


def _who(row: AttemptRow) -> str:
    return _people(row.people) if row.people else counted(row.attempts, "tentative")


def pilot_wanted(report: Report, policy: Policy) -> list[Suggestion]:
    """A pilot tool asked for outside the pilot group: demand for step 4, the progressive roll-out."""
    return [
        Suggestion(
            "adoption",
            f"L'outil {row.name} (en test pilote) a été demandé "
            + (
                f"par {_who(row)} hors du groupe pilote ({counted(row.attempts, 'tentative')}, "
                if row.people
                else f"{number(row.attempts)} fois hors du groupe pilote (personnes non identifiées, "
            )
            + f"surtout {_groups(row.groups)}) : "
            "si le pilote est concluant, préparer l'étape 4 de la procédure d'adoption, le "
            "déploiement progressif.",
            1 if row.people >= 2 * ADOPTION_MIN_PEOPLE else 2,
        )
        for row in report.attempts
        if row.status == "pilot" and _enough(row)
    ]


def forbidden_tried(report: Report, policy: Policy) -> list[Suggestion]:
    """Tools the policy forbids by name, tried anyway: remind the reason, point to the approved ones,
    and study an alternative if the need is real."""
    forbidden = [r for r in report.attempts if r.status == "forbidden" and r.listed and _enough(r)]
    if not forbidden:
        return []
    approved = policy.approved_tools()
    alternatives = f" : {_list_or(approved)}" if approved else ""
    tools = _list([f"{r.name} ({_who(r)})" for r in forbidden], 4)
    s = "s" if len(forbidden) > 1 else ""
    return [
        Suggestion(
            "adoption",
            f"Outil{s} interdit{s} tenté{s} malgré tout : {tools}. Rappeler aux équipes le motif de "
            f"l'interdiction et les orienter vers un outil autorisé{alternatives} ; si le besoin est "
            "réel, étudier une alternative via la procédure d'adoption en 4 étapes.",
            1 if any(r.people >= 2 * ADOPTION_MIN_PEOPLE for r in forbidden) else 2,
        )
    ]


def unlisted_tried(report: Report, policy: Policy) -> list[Suggestion]:
    """Tools the policy does not name (its default status applied), tried by several people: a need
    the policy has not decided on — the 4-step adoption procedure, or an explicit ban."""
    unlisted = [r for r in report.attempts if not r.listed and r.status != "approved" and _enough(r)]
    if not unlisted:
        return []
    tools = _list([f"{r.name} ({_who(r)})" for r in unlisted], 4)
    several = len(unlisted) > 1
    return [
        Suggestion(
            "adoption",
            f"Outil{'s' if several else ''} absent{'s' if several else ''} de la politique, tenté"
            f"{'s' if several else ''} "
            f"{'par plusieurs personnes' if any(r.people for r in unlisted) else 'plusieurs fois'} : "
            f"{tools}. Pour "
            f"{'ceux qui répondent' if several else 's’il répond'} à un besoin, lancer la procédure "
            "d'adoption en 4 étapes (demande formelle, validation juridique et informatique, test "
            "pilote, déploiement progressif) ; sinon, confirmer l'interdiction dans la politique avec un "
            "motif.",
            1 if any(r.people >= 2 * ADOPTION_MIN_PEOPLE for r in unlisted) else 2,
        )
    ]


# ------------------------------------------------------------------------------------ shadow AI


def quiet_catalogued_tools(report: Report, policy: Policy) -> list[Suggestion]:
    """Catalogue tools the policy does not list, contacted often without incidents (their requests were
    never decrypted, e.g. hosts the catalogue added since): their status is still to decide."""
    attempted = {a.tool for a in report.attempts}
    quiet = [
        h
        for h in report.shadow.hosts
        if h.status == "unlisted" and h.count >= SHADOW_MIN and h.service_id not in attempted
    ]
    if not quiet:
        return []
    names = _list([f"{h.name} ({counted(h.count, 'connexion')})" for h in quiet], 4)
    return [
        Suggestion(
            "shadow",
            f"Outils du catalogue absents de la politique et contactés régulièrement : {names}. "
            "Décider de leur statut (procédure d'adoption en 4 étapes, ou interdiction explicite avec "
            "un motif).",
            2,
        )
    ]


def unknown_ai_hosts(report: Report, policy: Policy) -> list[Suggestion]:
    """AI hosts outside the catalogue, contacted often: the policy cannot apply to what the catalogue
    does not name."""
    unknown = [h for h in report.shadow.hosts if h.status == "unknown_ai" and h.count >= SHADOW_MIN]
    if not unknown:
        return []
    hosts = _list(
        [f"{h.host} ({counted(h.count, 'connexion')}, {counted(h.weeks, 'semaine')})" for h in unknown],
        4,
    )
    return [
        Suggestion(
            "shadow",
            f"Services d'IA hors catalogue contactés régulièrement : {hosts}. Les ajouter au catalogue "
            "(catalog.yaml) pour que la politique s'y applique, puis décider de leur statut ; un faux "
            "positif se déclare dans shadow_ai.yaml (ignore).",
            2,
        )
    ]


# ----------------------------------------------------------------------------------- detection


def noisy_data_rules(report: Report, policy: Policy) -> list[Suggestion]:
    """A data rule behind a large share of all incidents: likely false positives, which teach people to
    ignore the proxy."""
    out = []
    for rule in report.rules:
        if not rule.rule_id.startswith("donnees:"):
            continue
        if rule.count >= NOISY_RULE_MIN and rule.share >= NOISY_RULE_SHARE:
            types = _list([f"{entity_label(t)} ({_n(n)})" for t, n in rule.top_entities])
            out.append(
                Suggestion(
                    "rule",
                    f"La règle {rule.rule_id} a déclenché {counted(rule.count, 'incident')} "
                    f"({_pct(rule.share)} du total), surtout pour : {types}. Vérifier la règle "
                    "(faux positifs ?) sur un échantillon, compléter allowlist.txt ou ajuster min_score, "
                    "et ajouter les cas trouvés aux tests de règles.",
                    2,
                )
            )
    return out


def scan_unavailable(report: Report, policy: Policy) -> list[Suggestion]:
    """Requests refused because the analysis was unavailable: the proxy is undersized, and users were
    blocked for nothing they did."""
    return [
        Suggestion(
            "ops",
            f"L'analyse a été indisponible {_n(rule.count)} fois (requêtes refusées) : vérifier le "
            "dimensionnement du proxy (processus d'analyse, scan_timeout_seconds).",
            2,
        )
        for rule in report.rules
        if rule.rule_id == "detection:indisponible" and rule.count >= OPS_MIN
    ]


def bodies_too_large(report: Report, policy: Policy) -> list[Suggestion]:
    """Requests over the analysed size limit, refused: a real need (large documents) or a limit to
    raise."""
    return [
        Suggestion(
            "ops",
            f"{counted(rule.count, 'requête a', 'requêtes ont')} dépassé la taille maximale "
            "analysée : vérifier le besoin (documents volumineux ?) et, si besoin, relever "
            "body_size_limit.",
            3,
        )
        for rule in report.rules
        if rule.rule_id == "corps:taille-max" and rule.count >= OPS_MIN
    ]


# --------------------------------------------------------------------------------------- people


def training_needed(report: Report, policy: Policy) -> list[Suggestion]:
    """Personal data often typed into the same tool: a habit that training addresses better than blocks
    (the busiest tools only, ``TRAINING_MAX_SUGGESTIONS`` of them)."""
    per_tool: dict[str, list[tuple[int, str]]] = {}
    for entity in report.entities:
        for tool, n in entity.by_tool.items():
            if n >= TRAINING_MIN:
                per_tool.setdefault(tool, []).append((n, entity.label))
    ranked = sorted(per_tool.items(), key=lambda kv: (-sum(n for n, _ in kv[1]), kv[0]))
    out = []
    for tool, found in ranked[:TRAINING_MAX_SUGGESTIONS]:
        found.sort(key=lambda p: (-p[0], p[1]))
        types = _list([f"{label} ({counted(n, 'requête')})" for n, label in found], 3, "type")
        out.append(
            Suggestion(
                "training",
                f"Données personnelles souvent saisies dans {tool} : {types}. Former les équipes concernées "
                "aux usages autorisés — « aucune donnée client ne doit être saisie dans un outil non hébergé "
                "par l'entreprise » — et rappeler l'outil interne adapté.",
                2,
            )
        )
    return out


def repeat_offenders(report: Report, policy: Policy) -> list[Suggestion]:
    """People with many incidents: a conversation and targeted training come before the sanctions the
    policy provides."""
    heavy = [u for u in report.repeat_users if u.count >= REPEAT_ALERT]
    if not heavy:
        return []
    return [
        Suggestion(
            "repeat",
            f"{_people(len(heavy))} cumule{'nt' if len(heavy) > 1 else ''} au moins {REPEAT_ALERT} "
            f"incidents sur la période ({_list([u.label for u in heavy], 5)}) : un échange avec le "
            "manager et un référent IA, et une formation ciblée, avant les conséquences prévues par "
            "la politique.",
            2,
        )
    ]


Rule = Callable[[Report, "Policy"], list[Suggestion]]

#: Every rule, in the order equal priorities are listed.
RULES: tuple[Rule, ...] = (
    review_due,
    nothing_published,
    unpublished_versions,
    store_tampered,
    rule_tests_failing,
    pilot_wanted,
    forbidden_tried,
    unlisted_tried,
    quiet_catalogued_tools,
    unknown_ai_hosts,
    noisy_data_rules,
    scan_unavailable,
    bodies_too_large,
    training_needed,
    repeat_offenders,
)
