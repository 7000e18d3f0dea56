# ruff: noqa: E501 - HTML templates: one line per element reads better than split strings
"""The portal's HTML pages: Jinja2 templates with autoescaping on (every value is escaped).

Server-rendered, no JavaScript, no external resource. Each page text is written in both languages
(``_(fr, en)`` picks the policy's); user-supplied text (justifications, use cases, comments) only ever
appears through ``{{ }}``, escaped.
"""

from __future__ import annotations

from functools import cache

from jinja2 import DictLoader, Environment, StrictUndefined

_BASE = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ title }} — {{ _("Portail IA", "AI portal") }}</title>
<style>
body { margin: 0; background: #f4f5f7; color: #1d2430; font: 16px/1.5 system-ui, sans-serif; }
header { background: #1849a9; color: #fff; padding: .6rem 1.5rem; display: flex; flex-wrap: wrap;
  gap: 1rem; align-items: center; }
header strong { margin-right: 1rem; }
header a { color: #fff; }
header .who { margin-left: auto; font-size: .9rem; }
main { max-width: 60rem; margin: 1.5rem auto; padding: 1.5rem 2rem; background: #fff; border-radius: 8px;
  box-shadow: 0 1px 3px rgba(0,0,0,.12); }
main.warn { border-top: 6px solid #b54708; }
main.block { border-top: 6px solid #b42318; }
h1 { margin-top: 0; font-size: 1.5rem; }
h2 { font-size: 1.15rem; margin-top: 1.75rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .95rem; }
th, td { border-bottom: 1px solid #e3e6ea; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f8f9fb; }
form.inline { display: inline; }
form.inline button { margin: 0 .3rem .2rem 0; }
td.nowrap { white-space: nowrap; }
label { display: block; margin: .6rem 0 .2rem; font-weight: 600; }
input[type=text], input[type=date], input[type=number], textarea, select { width: 100%;
  box-sizing: border-box; padding: .4rem; font: inherit; border: 1px solid #b8c0cc; border-radius: 4px; }
textarea { min-height: 6rem; }
button { margin-top: .8rem; padding: .45rem 1rem; font: inherit; border: 0; border-radius: 4px;
  background: #1849a9; color: #fff; cursor: pointer; }
button.secondary { background: #667085; }
button.danger { background: #b42318; }
.notice { padding: .6rem 1rem; background: #fef6ee; border-left: 4px solid #b54708; border-radius: 4px; }
.ok { padding: .6rem 1rem; background: #ecfdf3; border-left: 4px solid #067647; border-radius: 4px; }
.error { padding: .6rem 1rem; background: #fef3f2; border-left: 4px solid #b42318; border-radius: 4px; }
.muted { color: #4a5565; font-size: .9rem; }
ol.steps li.done { color: #067647; }
ol.steps li.current { font-weight: 700; }
pre { white-space: pre-wrap; background: #f8f9fb; padding: .75rem; border-radius: 4px; font-size: .85rem; }
</style>
</head>
<body>
<header>
<strong>{{ _("Portail IA", "AI portal") }}</strong>
{% if nav %}
<a href="{{ base }}/">{{ _("Mon espace", "My space") }}</a>
<a href="{{ base }}/historique">{{ _("Mon historique", "My history") }}</a>
{% if roles.manager %}<a href="{{ base }}/equipe">{{ _("Mon équipe", "My team") }}</a>{% endif %}
{% if roles.referent %}<a href="{{ base }}/acces">{{ _("Accès accordés", "Grants") }}</a>
<a href="{{ base }}/adoption">{{ _("Demandes d'adoption", "Adoption requests") }}</a>{% endif %}
{% if roles.referent or roles.security %}<a href="{{ base }}/sanctions">{{ _("Sanctions", "Sanctions") }}</a>{% endif %}
{% endif %}
{% if user %}<span class="who">{{ user }}</span>{% endif %}
</header>
<main class="{{ tone }}">
<h1>{{ title }}</h1>
{% if flash %}<p class="ok">{{ flash }}</p>{% endif %}
{% if error %}<p class="error">{{ error }}</p>{% endif %}
{% block content %}{% endblock %}
</main>
</body>
</html>
"""

_CSRF = '<input type="hidden" name="csrf" value="{{ csrf }}">'

_HOME = """{% extends "base" %}{% block content %}
{% if reminder %}<p class="notice">{{ _("Un rappel de la politique IA vous attend :", "An AI policy reminder is waiting:") }}
<a href="{{ base }}/rappel">{{ _("en prendre connaissance", "read it") }}</a></p>{% endif %}
{% if suspended %}<p class="error">{{ _("Votre accès aux outils d'IA externes est suspendu jusqu'au",
 "Your access to external AI tools is suspended until") }} {{ suspended }}.</p>{% endif %}
<p>{{ policy_title }} — {{ _("version", "version") }} {{ version }}.</p>
<h2>{{ _("Mes accès accordés", "My grants") }}</h2>
{% if grants %}<table><tr><th>{{ _("Outil", "Tool") }}</th><th>{{ _("Accordé par", "Granted by") }}</th>
<th>{{ _("Expire le", "Expires") }}</th></tr>
{% for g in grants %}<tr><td>{{ tool_name(g.tool) }}</td><td>{{ g.granted_by }}</td><td>{{ day(g.expires) }}</td></tr>
{% endfor %}</table>{% else %}<p class="muted">{{ _("Aucun accès en cours.", "No access granted.") }}</p>{% endif %}
<h2>{{ _("Mes demandes", "My requests") }}</h2>
{% if requests %}<table><tr><th>N°</th><th>{{ _("Type", "Kind") }}</th><th>{{ _("Outil", "Tool") }}</th>
<th>{{ _("État", "Status") }}</th><th>{{ _("Commentaire", "Comment") }}</th></tr>
{% for r in requests %}<tr><td>{{ r.id }}</td><td>{{ kind_label(r.kind) }}</td><td>{{ tool_name(r.tool) }}</td>
<td>{{ status_label(r.status, r.step) }}</td><td>{{ r.comment }}</td></tr>{% endfor %}</table>
{% else %}<p class="muted">{{ _("Aucune demande.", "No request.") }}</p>{% endif %}
<h2>{{ _("Vos référents IA", "Your AI referents") }}</h2>
<ul>{% for r in referents %}<li>{{ r.name }} — {{ r.contact }}</li>{% endfor %}</ul>
{% endblock %}"""

_JUSTIFY = (
    """{% extends "base" %}{% block content %}
<p>{{ _("La politique IA demande de justifier cet usage avant de continuer :", "The AI policy asks you to justify this use before going on:") }}</p>
<p><strong>{{ tool }}</strong>{% if reason %} — {{ reason }}{% endif %}</p>
<p class="muted">{{ _("Règle", "Rule") }} : <code>{{ rule }}</code>. {{ _("Votre justification est conservée (vos propres mots, jamais le contenu de vos requêtes) et vaut", "Your justification is kept (your own words, never the content of your requests) and is valid for") }} {{ hours }} h.</p>
<form method="post" action="{{ base }}/justifier">"""
    + _CSRF
    + """
<input type="hidden" name="outil" value="{{ tool_id }}"><input type="hidden" name="regle" value="{{ rule }}">
<input type="hidden" name="retour" value="{{ back }}">
<label for="texte">{{ _("Pourquoi avez-vous besoin de cet usage ?", "Why do you need this use?") }}</label>
<textarea id="texte" name="texte" required maxlength="2000"></textarea>
<button type="submit">{{ _("Justifier et continuer", "Justify and continue") }}</button>
</form>{% endblock %}"""
)

_ACCESS = (
    """{% extends "base" %}{% block content %}
<p>{{ _("L'usage de cet outil est soumis à la validation du manager.", "This tool needs your manager's validation.") }}</p>
<p><strong>{{ tool }}</strong>{% if reason %} — {{ reason }}{% endif %}</p>
{% if managers %}<p>{{ _("Votre demande sera adressée à :", "Your request goes to:") }} {{ managers|join(", ") }}.</p>
<form method="post" action="{{ base }}/acces/demander">"""
    + _CSRF
    + """
<input type="hidden" name="outil" value="{{ tool_id }}">
<label for="usage">{{ _("Cas d'usage", "Use case") }}</label>
<textarea id="usage" name="usage" required maxlength="2000"></textarea>
<label for="duree">{{ _("Durée souhaitée (jours)", "Duration (days)") }}</label>
<input type="number" id="duree" name="duree" min="1" max="{{ max_days }}" value="30" required>
<button type="submit">{{ _("Demander la validation", "Ask for validation") }}</button>
</form>{% else %}<p class="error">{{ _("Aucun manager n'est indiqué pour vous dans l'annuaire : contactez un référent IA.",
 "No manager is set for you in the directory: contact an AI referent.") }}</p>{% endif %}{% endblock %}"""
)

_TEAM = (
    """{% extends "base" %}{% block content %}
<h2>{{ _("Demandes de validation à traiter", "Validation requests to decide") }}</h2>
{% if pending %}{% for r in pending %}
<form method="post" action="{{ base }}/acces/decider">"""
    + _CSRF
    + """
<input type="hidden" name="demande" value="{{ r.id }}">
<table><tr><th>N°</th><td>{{ r.id }}</td></tr><tr><th>{{ _("Collaborateur", "Employee") }}</th><td>{{ r.username }}</td></tr>
<tr><th>{{ _("Outil", "Tool") }}</th><td>{{ tool_name(r.tool) }}</td></tr>
<tr><th>{{ _("Cas d'usage", "Use case") }}</th><td>{{ r.use_case }}</td></tr>
<tr><th>{{ _("Durée", "Duration") }}</th><td>{{ r.days }} {{ _("jours", "days") }}</td></tr></table>
<label for="c{{ r.id }}">{{ _("Commentaire", "Comment") }}</label>
<input type="text" id="c{{ r.id }}" name="commentaire" maxlength="1000">
<button type="submit" name="decision" value="approve">{{ _("Approuver", "Approve") }}</button>
<button type="submit" name="decision" value="refuse" class="danger">{{ _("Refuser", "Refuse") }}</button>
</form>{% endfor %}{% else %}<p class="muted">{{ _("Aucune demande en attente.", "No pending request.") }}</p>{% endif %}
<h2>{{ _("Accès en cours dans votre équipe", "Current grants in your team") }}</h2>
{% if grants %}<table><tr><th>{{ _("Collaborateur", "Employee") }}</th><th>{{ _("Outil", "Tool") }}</th><th>{{ _("Expire le", "Expires") }}</th></tr>
{% for g in grants %}<tr><td>{{ g.username }}</td><td>{{ tool_name(g.tool) }}</td><td>{{ day(g.expires) }}</td></tr>{% endfor %}
</table>{% else %}<p class="muted">{{ _("Aucun.", "None.") }}</p>{% endif %}{% endblock %}"""
)

_GRANTS = (
    """{% extends "base" %}{% block content %}
{% if grants %}<table><tr><th>N°</th><th>{{ _("Collaborateur", "Employee") }}</th><th>{{ _("Outil", "Tool") }}</th>
<th>{{ _("Accordé par", "Granted by") }}</th><th>{{ _("Expire le", "Expires") }}</th><th></th></tr>
{% for g in grants %}<tr><td>{{ g.id }}</td><td>{{ g.username }}</td><td>{{ tool_name(g.tool) }}</td><td>{{ g.granted_by }}</td>
<td>{{ day(g.expires) }}</td><td><form class="inline" method="post" action="{{ base }}/acces/revoquer">"""
    + _CSRF
    + """
<input type="hidden" name="acces" value="{{ g.id }}"><button type="submit" class="danger">{{ _("Révoquer", "Revoke") }}</button></form></td></tr>
{% endfor %}</table>{% else %}<p class="muted">{{ _("Aucun accès en cours.", "No current grant.") }}</p>{% endif %}{% endblock %}"""
)

_ADOPT_NEW = (
    """{% extends "base" %}{% block content %}
<p>{{ _("Procédure d'adoption en 4 étapes : demande formelle, validation juridique et informatique, test pilote, déploiement progressif.",
 "4-step adoption procedure: formal request, legal and IT validation, pilot, progressive rollout.") }}</p>
<form method="post" action="{{ base }}/adoption/demander">"""
    + _CSRF
    + """
<label for="outil">{{ _("Outil", "Tool") }}</label>
<select id="outil" name="outil">{% for sid, name in tools %}<option value="{{ sid }}"{% if sid == tool_id %} selected{% endif %}>{{ name }}</option>{% endfor %}</select>
<label for="usage">{{ _("Cas d'usage", "Use case") }}</label><textarea id="usage" name="usage" required maxlength="2000"></textarea>
<label for="donnees">{{ _("Données concernées", "Data involved") }}</label><input type="text" id="donnees" name="donnees" maxlength="500" required>
<label for="equipe">{{ _("Équipe", "Team") }}</label><input type="text" id="equipe" name="equipe" maxlength="200" required>
<button type="submit">{{ _("Demander l'évaluation de cet outil", "Ask for this tool to be evaluated") }}</button>
</form>{% endblock %}"""
)

_ADOPT_QUEUE = """{% extends "base" %}{% block content %}
{% if changes %}<h2>{{ _("Modifications de politique à approuver", "Policy changes to approve") }}</h2>
<ul>{% for c in changes %}<li><a href="{{ base }}/adoption/demande?n={{ c.request_id }}">N° {{ c.request_id }}</a> — {{ c.summary }}
({{ _("proposée par", "proposed by") }} {{ c.proposed_by }})</li>{% endfor %}</ul>{% endif %}
<h2>{{ _("Demandes en cours", "Open requests") }}</h2>
{% if requests %}<table><tr><th>N°</th><th>{{ _("Outil", "Tool") }}</th><th>{{ _("Demandeur", "Requester") }}</th><th>{{ _("Étape", "Step") }}</th><th>{{ _("Ouverte le", "Opened") }}</th></tr>
{% for r in requests %}<tr><td><a href="{{ base }}/adoption/demande?n={{ r.id }}">{{ r.id }}</a></td><td>{{ tool_name(r.tool) }}</td><td>{{ r.username }}</td>
<td>{{ step_label(r.step) }}</td><td>{{ day(r.created) }}</td></tr>{% endfor %}</table>
{% else %}<p class="muted">{{ _("Aucune demande en cours.", "No open request.") }}</p>{% endif %}
{% if closed %}<h2>{{ _("Demandes closes", "Closed requests") }}</h2><table>
{% for r in closed %}<tr><td><a href="{{ base }}/adoption/demande?n={{ r.id }}">{{ r.id }}</a></td><td>{{ tool_name(r.tool) }}</td><td>{{ status_label(r.status, r.step) }}</td></tr>{% endfor %}
</table>{% endif %}{% endblock %}"""

_ADOPT_ONE = (
    """{% extends "base" %}{% block content %}
<table><tr><th>{{ _("Outil", "Tool") }}</th><td>{{ tool_name(r.tool) }}</td></tr>
<tr><th>{{ _("Demandeur", "Requester") }}</th><td>{{ r.username }} ({{ r.team }})</td></tr>
<tr><th>{{ _("Cas d'usage", "Use case") }}</th><td>{{ r.use_case }}</td></tr>
<tr><th>{{ _("Données concernées", "Data involved") }}</th><td>{{ r.data }}</td></tr>
<tr><th>{{ _("État", "Status") }}</th><td>{{ status_label(r.status, r.step) }}</td></tr></table>
<ol class="steps">{% for s, label in all_steps %}<li class="{% if s in done %}done{% elif s == r.step and r.status == 'open' %}current{% endif %}">{{ label }}</li>{% endfor %}</ol>
{% if steps %}<h2>{{ _("Décisions", "Decisions") }}</h2><table><tr><th>{{ _("Étape", "Step") }}</th><th>{{ _("Décision", "Decision") }}</th><th>{{ _("Nom", "Name") }}</th><th>{{ _("Date", "Date") }}</th><th>{{ _("Commentaire", "Comment") }}</th></tr>
{% for s in steps %}<tr><td>{{ step_label(s.step) }}</td><td>{{ decision_label(s.decision) }}</td><td>{{ s.signer }}</td><td>{{ s.day }}</td><td>{{ s.comment }}</td></tr>{% endfor %}</table>{% endif %}
{% for c in changes %}<h2>{{ _("Modification de la politique proposée", "Proposed policy change") }} ({{ c.summary }})</h2>
<p class="muted">{{ _("Proposée par", "Proposed by") }} {{ c.proposed_by }} — {{ _("validée comme check-config ; différences (policy diff) :", "validated as check-config; differences (policy diff):") }}</p>
<pre>{{ diffs[c.id] }}</pre>
{% if c.proposed_by|lower != user|lower %}<form method="post" action="{{ base }}/adoption/approuver">"""
    + _CSRF
    + """
<input type="hidden" name="modification" value="{{ c.id }}">
<button type="submit" name="decision" value="approve">{{ _("Approuver et appliquer (second référent)", "Approve and apply (second referent)") }}</button>
<button type="submit" name="decision" value="reject" class="danger">{{ _("Rejeter", "Reject") }}</button></form>
{% else %}<p class="notice">{{ _("Un second référent doit approuver cette modification.", "A second referent must approve this change.") }}</p>{% endif %}
{% endfor %}
{% if r.status == 'open' and not changes %}<h2>{{ _("Étape en cours :", "Current step:") }} {{ step_label(r.step) }}</h2>
<form method="post" action="{{ base }}/adoption/etape">"""
    + _CSRF
    + """
<input type="hidden" name="demande" value="{{ r.id }}"><input type="hidden" name="etape" value="{{ r.step }}">
<label for="nom">{{ _("Nom du valideur", "Name of the approver") }}</label><input type="text" id="nom" name="nom" required maxlength="200">
<label for="date">{{ _("Date", "Date") }}</label><input type="date" id="date" name="date" value="{{ today }}" required>
<label for="commentaire">{{ _("Commentaire", "Comment") }}</label><textarea id="commentaire" name="commentaire" maxlength="2000"></textarea>
{% if r.step == 'pilot' %}<label for="groupe">{{ _("Groupe pilote", "Pilot group") }}</label>
<select id="groupe" name="groupe">{% for g in groups %}<option value="{{ g }}">{{ g }}</option>{% endfor %}</select>
<label for="fin">{{ _("Fin du pilote", "Pilot end") }}</label><input type="date" id="fin" name="fin" required>{% endif %}
<button type="submit" name="decision" value="accepted">{{ _("Accepter l'étape", "Accept the step") }}</button>
<button type="submit" name="decision" value="refused" class="danger">{{ _("Refuser", "Refuse") }}</button>
</form>{% endif %}{% endblock %}"""
)

_SANCTIONS = (
    """{% extends "base" %}{% block content %}
<p class="muted">{{ _("Échelle graduée de la politique IA : rappel à l'ordre, puis suspension de l'accès aux outils d'IA externes. Les sanctions disciplinaires ne sont jamais automatiques.",
 "The AI policy's graduated ladder: reminder, then suspension of external AI tools. Disciplinary steps are never automatic.") }}</p>
{% if sanctions %}<table><tr><th>N°</th><th>{{ _("Collaborateur", "Employee") }}</th><th>{{ _("Niveau", "Level") }}</th><th>{{ _("État", "Status") }}</th>
<th>{{ _("Blocages", "Refusals") }}</th><th>{{ _("Jusqu'au", "Until") }}</th><th></th></tr>
{% for s in sanctions %}<tr><td>{{ s.id }}</td><td>{{ s.username }}</td><td>{{ level_label(s.level) }}</td><td>{{ sanction_status(s.status) }}</td><td>{{ s.strikes }}</td><td class="nowrap">{{ day(s.until) if s.until else "" }}</td>
<td class="nowrap">{% if roles.referent and s.status in ('active', 'confirmed') %}<form class="inline" method="post" action="{{ base }}/sanctions/decider">"""
    + _CSRF
    + """
<input type="hidden" name="sanction" value="{{ s.id }}">
<button type="submit" name="action" value="lifted" class="secondary">{{ _("Lever", "Lift") }}</button>
{% if s.status == 'active' and s.level == 'suspension' %}<button type="submit" name="action" value="confirmed" class="danger">{{ _("Confirmer", "Confirm") }}</button>{% endif %}
</form>{% endif %}</td></tr>{% endfor %}</table>{% else %}<p class="muted">{{ _("Aucune sanction.", "No sanction.") }}</p>{% endif %}
{% if roles.security %}<h2>{{ _("Suivi disciplinaire (équipe sécurité)", "Disciplinary follow-up (security team)") }}</h2>
<p class="muted">{{ _("Suspensions confirmées par un référent IA : à examiner selon le règlement intérieur.", "Suspensions confirmed by an AI referent: to be reviewed under the company rules.") }}</p>
<ul>{% for s in confirmed %}<li>{{ s.username }} — {{ day(s.created) }} ({{ s.strikes }} {{ _("blocages", "refusals") }})</li>{% else %}<li>{{ _("Aucun.", "None.") }}</li>{% endfor %}</ul>{% endif %}
{% endblock %}"""
)

_HISTORY = """{% extends "base" %}{% block content %}
<h2>{{ _("Mes incidents", "My incidents") }}</h2>
{% if incidents %}<table><tr><th>{{ _("Date", "Date") }}</th><th>{{ _("Outil", "Tool") }}</th><th>{{ _("Décision", "Decision") }}</th><th>{{ _("Règles", "Rules") }}</th></tr>
{% for i in incidents %}<tr><td>{{ day(i.time) }}</td><td>{{ i.tool_name or i.tool or "" }}</td><td>{{ incident_label(i.decision, i.code) }}</td><td>{{ i.rule_ids|join(", ") }}</td></tr>{% endfor %}</table>
{% else %}<p class="muted">{{ _("Aucun incident.", "No incident.") }}</p>{% endif %}
<h2>{{ _("Mes justifications", "My justifications") }}</h2>
{% if justifications %}<table><tr><th>{{ _("Date", "Date") }}</th><th>{{ _("Outil", "Tool") }}</th><th>{{ _("Justification", "Justification") }}</th></tr>
{% for j in justifications %}<tr><td>{{ day(j.created) }}</td><td>{{ tool_name(j.tool) }}</td><td>{{ j.text }}</td></tr>{% endfor %}</table>
{% else %}<p class="muted">{{ _("Aucune.", "None.") }}</p>{% endif %}
<h2>{{ _("Mes sanctions", "My sanctions") }}</h2>
{% if sanctions %}<ul>{% for s in sanctions %}<li>{{ level_label(s.level) }} — {{ sanction_status(s.status) }} — {{ day(s.created) }}</li>{% endfor %}</ul>
{% else %}<p class="muted">{{ _("Aucune.", "None.") }}</p>{% endif %}{% endblock %}"""

_REMINDER = (
    """{% extends "base" %}{% block content %}
<p>{{ _("Plusieurs de vos requêtes ont été bloquées parce qu'elles contenaient des données sensibles.", "Several of your requests were blocked because they contained sensitive data.") }}</p>
<p class="notice"><strong>{{ _("Aucune donnée client ne doit être saisie dans un outil non hébergé par l'entreprise.", "No client data may be entered into a tool that is not hosted by the company.") }}</strong></p>
{% if consequences %}<p>{{ _("En cas de non-respect, la politique prévoit :", "If the rules are not followed, the policy provides for:") }}</p><ol>{% for c in consequences %}<li>{{ c }}</li>{% endfor %}</ol>{% endif %}
{% if sanction_id %}<form method="post" action="{{ base }}/rappel/accuser">"""
    + _CSRF
    + """
<input type="hidden" name="sanction" value="{{ sanction_id }}"><input type="hidden" name="retour" value="{{ back }}">
<button type="submit">{{ _("J'ai pris connaissance de la règle", "I have read the rule") }}</button></form>
{% else %}<p class="muted">{{ _("Aucun rappel en attente.", "No pending reminder.") }}</p>{% endif %}{% endblock %}"""
)

_SUSPENDED = """{% extends "base" %}{% block content %}
<p>{{ _("Votre accès aux outils d'IA externes est suspendu après des blocages répétés pour données sensibles. Les outils hébergés par l'entreprise restent disponibles.",
 "Your access to external AI tools is suspended after repeated refusals for sensitive data. Tools hosted by the company still work.") }}</p>
<p><a href="{{ base }}/historique">{{ _("Voir mon historique", "See my history") }}</a> — {{ _("pour toute question, contactez un référent IA.", "for any question, contact an AI referent.") }}</p>
{% endblock %}"""

_MESSAGE = """{% extends "base" %}{% block content %}<p>{{ message }}</p>{% endblock %}"""

TEMPLATES = {
    "base": _BASE,
    "home": _HOME,
    "justify": _JUSTIFY,
    "access": _ACCESS,
    "team": _TEAM,
    "grants": _GRANTS,
    "adopt_new": _ADOPT_NEW,
    "adopt_queue": _ADOPT_QUEUE,
    "adopt_one": _ADOPT_ONE,
    "sanctions": _SANCTIONS,
    "history": _HISTORY,
    "reminder": _REMINDER,
    "suspended": _SUSPENDED,
    "message": _MESSAGE,
}


@cache
def environment() -> Environment:
    """One environment; ``autoescape=True`` for every template (they are all HTML)."""
    return Environment(loader=DictLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)


def render(name: str, **context: object) -> str:
    return environment().get_template(name).render(**context)
