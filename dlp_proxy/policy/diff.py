"""What changed between two versions of the AI policy, as data and as the compte-rendu for staff.

The guide asks that every quarterly review be communicated: « Publiez un compte-rendu et mettez en
lumière les nouvelles règles ». :func:`diff_policies` compares two loaded :class:`Policy` objects and
returns a typed :class:`PolicyDiff` (pure, deterministic: easy to test and to reuse);
:func:`render_markdown` turns it into the Markdown summary published to staff, in French by default
or in English. Only what matters to staff is reported: tool statuses, pilot groups, model limits,
data-protection rules and per-tool exceptions, usage guidance, new or removed catalog services, the
referents and the review calendar — not technical settings such as body size limits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from dlp_proxy.entities import BY_CODE as ENTITY_TYPES
from dlp_proxy.entities import label as entity_label

from .model import USAGE_KINDS, ChangelogEntry, DataRule, ModelRule, Policy, Referent, ToolPolicy
from .review import format_date

__all__ = [
    "DataRuleChange",
    "ModelChange",
    "OverrideChange",
    "PolicyDiff",
    "PolicyInfo",
    "ReferentChange",
    "ServiceChange",
    "TextChange",
    "ToolChange",
    "diff_policies",
    "render_markdown",
]

ChangeKind = Literal["added", "removed", "changed"]

#: Key of :attr:`PolicyDiff.guideline_changes` for the consequences of not following the policy.
CONSEQUENCES = "consequences"


# -- the diff as data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyInfo:
    """The identity of one policy version, for the title and the review calendar."""

    version: str
    title: str
    last_review: date
    next_review: date


@dataclass(frozen=True)
class ToolChange:
    """One tool as the old and the new policy treat it.

    ``old`` and ``new`` are the *effective* entries (:meth:`Policy.tool_policy`): ``listed`` is False
    when the tool was (or is) not in the ``tools`` section and gets the default status.
    ``old_known`` / ``new_known`` say whether the service was in that version's catalog at all.
    """

    service_id: str
    name: str
    old: ToolPolicy
    new: ToolPolicy
    old_known: bool = True
    new_known: bool = True


def _kind(old: object, new: object) -> ChangeKind:
    """Added when there was nothing before, removed when nothing is left, changed otherwise."""
    if old is None:
        return "added"
    if new is None:
        return "removed"
    return "changed"


@dataclass(frozen=True)
class ModelChange:
    """A tool's model limit (deny-list or allow-list) that was added, lifted or changed."""

    service_id: str
    name: str
    old: ModelRule | None
    new: ModelRule | None

    @property
    def kind(self) -> ChangeKind:
        return _kind(self.old, self.new)

    @property
    def patterns_added(self) -> tuple[str, ...]:
        """Patterns of the new rule missing from the old one (all of them if the mode changed)."""
        if self.new is None:
            return ()
        if self.old is None or self.old.mode != self.new.mode:
            return self.new.patterns
        return tuple(p for p in self.new.patterns if p not in self.old.patterns)

    @property
    def patterns_removed(self) -> tuple[str, ...]:
        if self.old is None:
            return ()
        if self.new is None or self.old.mode != self.new.mode:
            return self.old.patterns
        return tuple(p for p in self.old.patterns if p not in self.new.patterns)


@dataclass(frozen=True)
class DataRuleChange:
    """A data-protection rule (matched by id) that was added, removed or changed."""

    rule_id: str
    old: DataRule | None
    new: DataRule | None

    @property
    def kind(self) -> ChangeKind:
        return _kind(self.old, self.new)

    @property
    def entities_added(self) -> tuple[str, ...]:
        return _added(self.old.entities if self.old else (), self.new.entities if self.new else ())

    @property
    def entities_removed(self) -> tuple[str, ...]:
        return _added(self.new.entities if self.new else (), self.old.entities if self.old else ())

    @property
    def hosting_added(self) -> tuple[str, ...]:
        return _added(self.old.hosting if self.old else (), self.new.hosting if self.new else ())

    @property
    def hosting_removed(self) -> tuple[str, ...]:
        return _added(self.new.hosting if self.new else (), self.old.hosting if self.old else ())


@dataclass(frozen=True)
class OverrideChange:
    """A per-tool exception to the data rules (``tools.<id>.data``) for one entity type."""

    service_id: str
    name: str
    entity: str
    old: str | None  # action, or None when there was no exception
    new: str | None


@dataclass(frozen=True)
class TextChange:
    """Lines of guidance added to or removed from one list (a tool's usage, a usage kind, consequences)."""

    key: str  # service id, usage kind (libre, validation_manager, interdit) or CONSEQUENCES
    name: str
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class ReferentChange:
    """An AI referent named, replaced (or whose contact changed) or no longer named, for one role."""

    role: str
    old: Referent | None
    new: Referent | None


@dataclass(frozen=True)
class ServiceChange:
    """A catalog service that staff should know about, with how the new policy treats it.

    Added services not listed in the policy take the default status (forbidden, normally); removed
    ones are no longer recognised by the proxy; a hosting change moves a usable tool under other
    data rules.
    """

    service_id: str
    name: str
    vendor: str
    old_hosting: str | None  # None: not in the old catalog
    new_hosting: str | None  # None: not in the new catalog
    tool: ToolPolicy  # the new policy's effective entry

    @property
    def kind(self) -> ChangeKind:
        return _kind(self.old_hosting, self.new_hosting)


@dataclass(frozen=True)
class PolicyDiff:
    """Everything staff should hear about between two versions; every tuple in a stable order."""

    old: PolicyInfo
    new: PolicyInfo
    tools_added: tuple[ToolChange, ...] = ()  # newly listed in the policy
    tools_removed: tuple[ToolChange, ...] = ()  # no longer listed: the default status applies
    status_changes: tuple[ToolChange, ...] = ()
    group_changes: tuple[ToolChange, ...] = ()  # same pilot status, other groups
    reason_changes: tuple[ToolChange, ...] = ()  # same status and groups, other reason shown
    unlisted_change: ToolChange | None = None  # the default for tools missing from the policy
    model_changes: tuple[ModelChange, ...] = ()
    data_rule_changes: tuple[DataRuleChange, ...] = ()
    data_rule_order: tuple[str, ...] | None = None  # the new order, when rules kept moved around
    override_changes: tuple[OverrideChange, ...] = ()
    usage_changes: tuple[TextChange, ...] = ()  # per tool
    guideline_changes: tuple[TextChange, ...] = ()  # usages libres / validation / interdits, consequences
    service_changes: tuple[ServiceChange, ...] = ()
    referent_changes: tuple[ReferentChange, ...] = ()
    changelog: ChangelogEntry | None = None  # the new version's entry, unless the old policy had it
    referents: tuple[Referent, ...] = ()  # the new policy's, for the closing contacts
    unlisted: ToolPolicy | None = None  # the new policy's default entry, for the closing reminder

    @property
    def title_changed(self) -> bool:
        return self.old.title != self.new.title

    @property
    def review_changed(self) -> bool:
        return (self.old.last_review, self.old.next_review) != (self.new.last_review, self.new.next_review)

    @property
    def rules_changed(self) -> bool:
        """True when any rule or guidance changed (review dates and changelog aside)."""
        return bool(
            self.tools_added
            or self.tools_removed
            or self.status_changes
            or self.group_changes
            or self.reason_changes
            or self.unlisted_change
            or self.model_changes
            or self.data_rule_changes
            or self.data_rule_order
            or self.override_changes
            or self.usage_changes
            or self.guideline_changes
            or self.service_changes
            or self.referent_changes
            or self.title_changed
        )

    @property
    def is_empty(self) -> bool:
        """True when the two versions are the same for staff: nothing at all to report."""
        return not (
            self.rules_changed
            or self.review_changed
            or self.changelog is not None
            or self.old.version != self.new.version
        )


def _added(before: tuple[str, ...], after: tuple[str, ...]) -> tuple[str, ...]:
    """Items of ``after`` missing from ``before``, in ``after`` order."""
    return tuple(item for item in after if item not in before)


# -- computing the diff ------------------------------------------------------------------------------


def _info(policy: Policy) -> PolicyInfo:
    return PolicyInfo(
        version=policy.version,
        title=policy.title,
        last_review=policy.last_review,
        next_review=policy.next_review,
    )


def _display_name(service_id: str, new: Policy, old: Policy) -> str:
    """The catalog name, qualified for web apps (« ChatGPT (interface web) ») unless already qualified."""
    service = new.catalog.get(service_id) or old.catalog.get(service_id)
    if service is None:
        return service_id
    if service.kind == "webapp" and "(" not in service.name:
        return f"{service.name} (interface web)"
    return service.name


def _sort_key(name: str, service_id: str) -> tuple[str, str]:
    return (name.casefold(), service_id)


def diff_policies(old: Policy, new: Policy) -> PolicyDiff:
    """Compare two loaded policies; pure and deterministic (tools by name, rules in file order)."""

    def name(service_id: str) -> str:
        return _display_name(service_id, new, old)

    tool_ids = sorted(set(old.tools) | set(new.tools), key=lambda sid: _sort_key(name(sid), sid))
    added: list[ToolChange] = []
    removed: list[ToolChange] = []
    statuses: list[ToolChange] = []
    groups: list[ToolChange] = []
    reasons: list[ToolChange] = []
    models: list[ModelChange] = []
    overrides: list[OverrideChange] = []
    usages: list[TextChange] = []
    for sid in tool_ids:
        before, after = old.tool_policy(sid), new.tool_policy(sid)
        change = ToolChange(
            service_id=sid,
            name=name(sid),
            old=before,
            new=after,
            old_known=sid in old.catalog,
            new_known=sid in new.catalog,
        )
        if not before.listed:
            added.append(change)
        elif not after.listed:
            removed.append(change)
        elif before.status != after.status:
            statuses.append(change)
        elif before.groups != after.groups:
            groups.append(change)
        elif (before.reason, before.reason_en) != (after.reason, after.reason_en):
            reasons.append(change)
        if before.listed and after.listed and before.usage != after.usage:
            came, gone = _added(before.usage, after.usage), _added(after.usage, before.usage)
            if after.status == "forbidden":
                gone = ()  # guidance for using a tool that is now blocked: no point listing it
            if came or gone or after.status != "forbidden":
                usages.append(TextChange(key=sid, name=change.name, added=came, removed=gone))
        if after.status == "forbidden":
            continue  # a blocked tool: its model limits and data exceptions no longer matter
        if before.models != after.models:
            models.append(ModelChange(service_id=sid, name=change.name, old=before.models, new=after.models))
        old_data, new_data = before.data_overrides, after.data_overrides
        for entity in sorted(set(old_data) | set(new_data)):
            if old_data.get(entity) != new_data.get(entity):
                overrides.append(
                    OverrideChange(
                        service_id=sid,
                        name=change.name,
                        entity=entity,
                        old=old_data.get(entity),
                        new=new_data.get(entity),
                    )
                )

    old_default, new_default = old.tool_policy(""), new.tool_policy("")
    unlisted_change = None
    if (old_default.status, old_default.groups, old_default.reason, old_default.reason_en) != (
        new_default.status,
        new_default.groups,
        new_default.reason,
        new_default.reason_en,
    ):
        unlisted_change = ToolChange(service_id="", name="", old=old_default, new=new_default)

    rule_changes, rule_order = _diff_data_rules(old.data_rules, new.data_rules)
    return PolicyDiff(
        old=_info(old),
        new=_info(new),
        tools_added=tuple(added),
        tools_removed=tuple(removed),
        status_changes=tuple(statuses),
        group_changes=tuple(groups),
        reason_changes=tuple(reasons),
        unlisted_change=unlisted_change,
        model_changes=tuple(models),
        data_rule_changes=rule_changes,
        data_rule_order=rule_order,
        override_changes=tuple(overrides),
        usage_changes=tuple(usages),
        guideline_changes=_diff_guidelines(old, new),
        service_changes=_diff_services(old, new, name),
        referent_changes=_diff_referents(old.referents, new.referents),
        changelog=_new_changelog(old, new),
        referents=new.referents,
        unlisted=new_default,
    )


def _diff_data_rules(
    old: tuple[DataRule, ...], new: tuple[DataRule, ...]
) -> tuple[tuple[DataRuleChange, ...], tuple[str, ...] | None]:
    """Added and changed rules in the new file order, then removed ones in the old order.

    The first applicable rule decides, so the order of the rules kept on both sides matters: when it
    changed, the new order of all rules is returned as well.
    """
    old_by_id = {rule.id: rule for rule in old}
    new_by_id = {rule.id: rule for rule in new}
    changes = [
        DataRuleChange(rule_id=rule.id, old=old_by_id.get(rule.id), new=rule)
        for rule in new
        if old_by_id.get(rule.id) != rule
    ]
    changes += [
        DataRuleChange(rule_id=rule.id, old=rule, new=None) for rule in old if rule.id not in new_by_id
    ]
    kept_old = [rule.id for rule in old if rule.id in new_by_id]
    kept_new = [rule.id for rule in new if rule.id in old_by_id]
    order = tuple(rule.id for rule in new) if kept_old != kept_new else None
    return tuple(changes), order


def _diff_guidelines(old: Policy, new: Policy) -> tuple[TextChange, ...]:
    lists = [(kind, old.usages.get(kind, ()), new.usages.get(kind, ())) for kind in USAGE_KINDS]
    lists.append((CONSEQUENCES, old.consequences, new.consequences))
    return tuple(
        TextChange(key=key, name=key, added=_added(before, after), removed=_added(after, before))
        for key, before, after in lists
        if before != after and (_added(before, after) or _added(after, before))
    )


def _diff_services(old: Policy, new: Policy, name: Callable[[str], str]) -> tuple[ServiceChange, ...]:
    """New services (not listed in the new policy), removed ones (not listed in the old one), and
    hosting changes of services the new policy does not forbid."""
    changes: list[ServiceChange] = []
    ids = set(old.catalog.services) | set(new.catalog.services)
    for sid in sorted(ids, key=lambda s: _sort_key(name(s), s)):
        before, after = old.catalog.get(sid), new.catalog.get(sid)
        tool = new.tool_policy(sid)
        if before is None and after is not None:
            if sid in new.tools:
                continue  # reported with the tools added to the policy
        elif after is None and before is not None:
            if sid in old.tools:
                continue  # reported with the tools removed from the policy
        elif before is not None and after is not None:
            if before.hosting == after.hosting or tool.status == "forbidden":
                continue
        service = after or before
        assert service is not None
        changes.append(
            ServiceChange(
                service_id=sid,
                name=name(sid),
                vendor=service.vendor,
                old_hosting=before.hosting if before else None,
                new_hosting=after.hosting if after else None,
                tool=tool,
            )
        )
    return tuple(changes)


def _diff_referents(old: tuple[Referent, ...], new: tuple[Referent, ...]) -> tuple[ReferentChange, ...]:
    """Per role (informatique, juridique, métier): one-for-one replacements, else additions/removals."""
    roles = sorted({r.role for r in old} | {r.role for r in new}, key=lambda role: _ROLE_ORDER.get(role, 99))
    changes: list[ReferentChange] = []
    for role in roles:
        before = [r for r in old if r.role == role]
        after = [r for r in new if r.role == role]
        gone = [r for r in before if r not in after]
        came = [r for r in after if r not in before]
        for referent in list(gone):  # same person, new contact
            same = next((r for r in came if r.name == referent.name), None)
            if same is not None:
                changes.append(ReferentChange(role=role, old=referent, new=same))
                gone.remove(referent)
                came.remove(same)
        if len(gone) == 1 and len(came) == 1:  # one person replaced by another
            changes.append(ReferentChange(role=role, old=gone[0], new=came[0]))
            continue
        changes += [ReferentChange(role=role, old=r, new=None) for r in gone]
        changes += [ReferentChange(role=role, old=None, new=r) for r in came]
    return tuple(changes)


_ROLE_ORDER = {"informatique": 0, "juridique": 1, "metier": 2}


def _new_changelog(old: Policy, new: Policy) -> ChangelogEntry | None:
    for entry in new.changelog:
        if entry.version == new.version:
            return None if entry in old.changelog else entry
    return None


# -- rendering ---------------------------------------------------------------------------------------

_STATUS = {
    "fr": {
        "approved": "autorisé",
        "warn": "autorisé avec justification",
        "validation_manager": "soumis à validation du manager",
        "pilot": "test pilote",
        "forbidden": "interdit",
    },
    "en": {
        "approved": "approved",
        "warn": "allowed with a justification",
        "validation_manager": "subject to manager validation",
        "pilot": "pilot",
        "forbidden": "forbidden",
    },
}
_ACTION = {
    "fr": {
        "block": "bloqué",
        "redact": "masqué",
        "pseudonymize": "pseudonymisé",
        "allow": "autorisé",
        "warn": "avec justification",
        "validation_manager": "soumis à validation du manager",
    },
    "en": {
        "block": "blocked",
        "redact": "redacted",
        "pseudonymize": "pseudonymized",
        "allow": "allowed",
        "warn": "with a justification",
        "validation_manager": "subject to manager validation",
    },
}
_ACTION_EFFECT = {
    "fr": {
        "block": "la requête est refusée",
        "redact": "les valeurs sont masquées avant l'envoi",
        "pseudonymize": "les valeurs sont remplacées avant l'envoi, puis restaurées dans la réponse",
        "allow": "aucune action",
        "warn": "le collaborateur justifie l'usage avant l'envoi",
        "validation_manager": "l'usage demande un accès accordé par le manager",
    },
    "en": {
        "block": "the request is refused",
        "redact": "values are masked before sending",
        "pseudonymize": "values are replaced before sending, then restored in the answer",
        "allow": "nothing is done",
        "warn": "the employee justifies the use before sending",
        "validation_manager": "the use needs an access granted by the manager",
    },
}
_HOSTING = {
    "fr": {"company": "par l'entreprise", "eu": "dans l'UE", "outside_eu": "hors UE"},
    "en": {"company": "by the company", "eu": "in the EU", "outside_eu": "outside the EU"},
}
_ROLE = {
    "fr": {"informatique": "informatique", "juridique": "juridique", "metier": "métier"},
    "en": {"informatique": "IT", "juridique": "Legal", "metier": "Business"},
}
_GUIDELINE = {
    "fr": {
        "libre": "Usages libres",
        "validation_manager": "Usages soumis à la validation du manager",
        "interdit": "Usages interdits",
        CONSEQUENCES: "Conséquences en cas de non-respect",
    },
    "en": {
        "libre": "Free uses",
        "validation_manager": "Uses requiring the manager's approval",
        "interdit": "Forbidden uses",
        CONSEQUENCES: "Consequences of not following the policy",
    },
}


class _Writer:
    """Language-aware phrasing helpers shared by the section renderers."""

    def __init__(self, lang: str) -> None:
        if lang not in ("fr", "en"):
            raise ValueError(f"unsupported language {lang!r} (fr or en)")
        self.lang = lang
        self.fr = lang == "fr"

    def t(self, fr: str, en: str) -> str:
        return fr if self.fr else en

    def join(self, items: list[str] | tuple[str, ...]) -> str:
        items = list(items)
        if len(items) <= 1:
            return "".join(items)
        return f"{', '.join(items[:-1])} {self.t('et', 'and')} {items[-1]}"

    def date(self, day: date) -> str:
        return format_date(day, self.lang)

    def quote(self, text: str) -> str:
        return f"« {text} »" if self.fr else f"“{text}”"

    def colon(self) -> str:
        return " :" if self.fr else ":"

    def number(self, value: float) -> str:
        text = f"{value:g}"
        return text.replace(".", ",") if self.fr else text

    def groups(self, groups: tuple[str, ...]) -> str:
        if len(groups) == 1:
            return self.t(f"groupe {groups[0]}", f"group {groups[0]}")
        return self.t(f"groupes {self.join(groups)}", f"groups {self.join(groups)}")

    def status(self, tool: ToolPolicy, known: bool = True) -> str:
        """« autorisé », « test pilote (groupe pilote-ia) », « interdit par défaut (outil non listé) »."""
        if not known:
            return self.t(
                "inconnu du proxy (absent du catalogue)", "unknown to the proxy (not in the catalog)"
            )
        text = _STATUS[self.lang][tool.status]
        if tool.status == "pilot" and tool.groups:
            text += f" ({self.groups(tool.groups)})"
        if not tool.listed:
            text += self.t(" par défaut (outil non listé)", " by default (tool not listed)")
        return text

    def reason(self, tool: ToolPolicy | ModelRule) -> str:
        text = tool.reason if self.fr else (tool.reason_en or tool.reason)
        return text.strip()

    def with_reason(self, line: str, tool: ToolPolicy | ModelRule) -> str:
        reason = self.reason(tool)
        if not reason:
            return f"{line}."
        return f"{line}. {self.t('Motif', 'Reason')}{self.colon()} {self.quoted_sentence(reason)}"

    def quoted_sentence(self, text: str) -> str:
        """The quoted text ending a sentence: a full stop after it unless it has its own."""
        end = "" if text[-1:] in (".", "!", "?", "…") else "."
        return f"{self.quote(text)}{end}"

    def action(self, action: str) -> str:
        return _ACTION[self.lang][action]

    def action_effect(self, action: str) -> str:
        return f"{self.action(action)} ({_ACTION_EFFECT[self.lang][action]})"

    def entity(self, entity: str) -> str:
        if entity not in ENTITY_TYPES:
            return f"`{entity}`"  # a custom type (recognizers.yaml): its code is its name
        return f"{entity_label(entity, self.lang)} (`{entity}`)"

    def entities(self, entities: tuple[str, ...]) -> str:
        return self.join([self.entity(e) for e in entities])

    def hosting(self, hosting: tuple[str, ...]) -> str:
        words = self.join([_HOSTING[self.lang][h] for h in hosting])
        return self.t(f"outils hébergés {words}", f"tools hosted {words}")

    def patterns(self, patterns: tuple[str, ...]) -> str:
        return self.join([f"`{p}`" for p in patterns])

    def referent(self, referent: Referent) -> str:
        return f"{referent.name} — {referent.contact}"

    def referent_change(self, old: Referent, new: Referent) -> str:
        if old.name == new.name:
            return f"{new.name}{self.colon()} {old.contact} → {new.contact}"
        if old.contact == new.contact:
            return f"{old.name} → {new.name} — {new.contact}"
        return f"{self.referent(old)} → {self.referent(new)}"

    def role(self, role: str) -> str:
        word = _ROLE[self.lang].get(role, role)
        return self.t(f"Référent {word}", f"{word} referent")


def render_markdown(diff: PolicyDiff, lang: str = "fr") -> str:
    """The compte-rendu for staff, in French (``fr``) or English (``en``); ends with a newline.

    Sections with nothing to say are left out; the adoption procedure and the referents' contacts
    always close the document.
    """
    w = _Writer(lang)
    old, new = diff.old, diff.new
    out: list[str] = []
    out.append(
        w.t(
            f"# Politique IA : version {old.version} ({w.date(old.last_review)}) → "
            f"version {new.version} ({w.date(new.last_review)})",
            f"# AI policy: version {old.version} ({w.date(old.last_review)}) → "
            f"version {new.version} ({w.date(new.last_review)})",
        )
    )
    out.append("")
    out.append(
        w.t(
            f"Compte-rendu de la révision de la {w.quote(new.title)}, à l'attention de tous les "
            "collaborateurs : voici ce qui change et ce que cela implique pour vous.",
            f"Summary of the review of the {w.quote(new.title)}, for all staff: what changes "
            "and what it means for you.",
        )
    )
    if diff.title_changed:
        out.append("")
        out.append(
            w.t(
                f"La politique s'intitule désormais {w.quote(new.title)} (auparavant {w.quote(old.title)}).",
                f"The policy is now titled {w.quote(new.title)} (previously {w.quote(old.title)}).",
            )
        )
    if diff.is_empty:
        out.append("")
        if old.version == new.version:
            out.append(
                w.t(
                    f"**Aucun changement** : les deux politiques comparées (version {new.version}) "
                    "sont identiques.",
                    f"**No changes**: the two policies compared (version {new.version}) are identical.",
                )
            )
        else:
            out.append(
                w.t(
                    f"**Aucun changement** entre la version {old.version} et la version {new.version}.",
                    f"**No changes** between version {old.version} and version {new.version}.",
                )
            )
    elif not diff.rules_changed:
        out.append("")
        out.append(
            w.t(
                "**Aucun changement** des règles : la révision confirme la politique en vigueur.",
                "**No changes** to the rules: the review confirms the policy in force.",
            )
        )

    sections = (
        _changelog_section,
        _tools_added_section,
        _tools_removed_section,
        _status_section,
        _groups_section,
        _models_section,
        _data_rules_section,
        _overrides_section,
        _usage_section,
        _catalog_section,
        _referents_section,
        _review_section,
    )
    for section in sections:
        lines = section(diff, w)
        if lines:
            out.append("")
            out.extend(lines)
    out.append("")
    out.extend(_procedure_section(diff, w))
    out.append("")
    out.extend(_contacts_section(diff, w))
    return "\n".join(out) + "\n"


def _changelog_section(diff: PolicyDiff, w: _Writer) -> list[str]:
    entry = diff.changelog
    if entry is None:
        return []
    lines = [
        w.t("## Ce qui change selon les référents", "## What changes, according to the referents"),
        "",
        w.t(
            f"Journal des modifications, version {entry.version} ({w.date(entry.date)}) :",
            f"Changelog, version {entry.version} ({w.date(entry.date)}), as written by the referents:",
        ),
        "",
    ]
    lines += [f"- {change}" for change in entry.changes]
    return lines


def _tool_usage_lines(tool: ToolPolicy, w: _Writer) -> list[str]:
    return [f"  - {w.t('Consigne', 'Guidance')}{w.colon()} {w.quote(line)}" for line in tool.usage]


def _tools_added_section(diff: PolicyDiff, w: _Writer) -> list[str]:
    if not diff.tools_added:
        return []
    lines = [w.t("## Outils ajoutés", "## Tools added"), ""]
    for change in diff.tools_added:
        before = w.status(change.old, change.old_known)
        line = w.t(
            f"- **{change.name}** : {w.status(change.new)} ; auparavant {before}",
            f"- **{change.name}**: {w.status(change.new)}; previously {before}",
        )
        lines.append(w.with_reason(line, change.new))
        lines += _tool_usage_lines(change.new, w)
    return lines


def _tools_removed_section(diff: PolicyDiff, w: _Writer) -> list[str]:
    if not diff.tools_removed:
        return []
    lines = [w.t("## Outils retirés", "## Tools removed"), ""]
    for change in diff.tools_removed:
        before = w.status(change.old)
        if not change.new_known:
            lines.append(
                w.t(
                    f"- **{change.name}** : retiré de la politique et du catalogue des services "
                    f"suivis par le proxy ; auparavant {before}.",
                    f"- **{change.name}**: removed from the policy and from the catalog of services "
                    f"the proxy follows; previously {before}.",
                )
            )
            continue
        line = w.t(
            f"- **{change.name}** : retiré de la liste des outils, désormais {w.status(change.new)} ; "
            f"auparavant {before}",
            f"- **{change.name}**: removed from the list of tools, now {w.status(change.new)}; "
            f"previously {before}",
        )
        lines.append(w.with_reason(line, change.new))
    return lines


def _status_section(diff: PolicyDiff, w: _Writer) -> list[str]:
    if not diff.status_changes and diff.unlisted_change is None:
        return []
    lines = [w.t("## Changements de statut", "## Status changes"), ""]
    for change in diff.status_changes:
        line = f"- **{change.name}**{w.colon()} {w.status(change.old)} → {w.status(change.new)}"
        lines.append(w.with_reason(line, change.new))
    if diff.unlisted_change is not None:
        change = diff.unlisted_change
        label = w.t(
            "Outils du catalogue non listés dans la politique", "Catalog tools not listed in the policy"
        )
        before, after = _unlisted_status(change.old, w), _unlisted_status(change.new, w)
        line = f"- **{label}**{w.colon()} {before} → {after}"
        if before == after:
            line = w.t(
                f"- **{label}** : toujours {after}, motif mis à jour",
                f"- **{label}**: still {after}, reason updated",
            )
        lines.append(w.with_reason(line, change.new))
    return lines


def _unlisted_status(tool: ToolPolicy, w: _Writer) -> str:
    text = _STATUS[w.lang][tool.status]
    if tool.status == "pilot" and tool.groups:
        text += f" ({w.groups(tool.groups)})"
    return text


def _groups_section(diff: PolicyDiff, w: _Writer) -> list[str]:
    if not diff.group_changes:
        return []
    lines = [w.t("## Groupes des tests pilotes", "## Pilot groups"), ""]
    for change in diff.group_changes:
        came = _added(change.old.groups, change.new.groups)
        gone = _added(change.new.groups, change.old.groups)
        details = []
        if came:
            details.append(w.t(f"ouvert à : {w.join(came)}", f"opened to: {w.join(came)}"))
        if gone:
            details.append(w.t(f"fermé à : {w.join(gone)}", f"closed to: {w.join(gone)}"))
        line = (
            f"- **{change.name}**{w.colon()} {w.status(change.old)} → {w.status(change.new)} "
            f"({'; '.join(details)})"
        )
        lines.append(w.with_reason(line, change.new))
    return lines


def _model_rule_text(rule: ModelRule, w: _Writer) -> str:
    if rule.mode == "deny":
        return w.t(
            f"modèles interdits : {w.patterns(rule.patterns)}",
            f"forbidden models: {w.patterns(rule.patterns)}",
        )
    return w.t(
        f"seuls les modèles {w.patterns(rule.patterns)} sont autorisés",
        f"only models {w.patterns(rule.patterns)} are allowed",
    )


def _models_section(diff: PolicyDiff, w: _Writer) -> list[str]:
    if not diff.model_changes:
        return []
    lines = [w.t("## Limitations de modèles", "## Model limits"), ""]
    for change in diff.model_changes:
        head = f"- **{change.name}**{w.colon()} "
        if change.new is None:
            assert change.old is not None
            lines.append(
                head
                + w.t(
                    f"limitation levée (auparavant : {_model_rule_text(change.old, w)}).",
                    f"limit lifted (previously: {_model_rule_text(change.old, w)}).",
                )
            )
            continue
        if change.old is None:
            text = w.t(
                f"nouvelle limitation, {_model_rule_text(change.new, w)}",
                f"new limit, {_model_rule_text(change.new, w)}",
            )
            lines.append(w.with_reason(head + text, change.new))
            continue
        if change.old.mode != change.new.mode:
            text = w.t(
                f"{_model_rule_text(change.new, w)} (auparavant : {_model_rule_text(change.old, w)})",
                f"{_model_rule_text(change.new, w)} (previously: {_model_rule_text(change.old, w)})",
            )
            lines.append(w.with_reason(head + text, change.new))
            continue
        parts = []
        came, gone = change.patterns_added, change.patterns_removed
        if change.new.mode == "deny":
            if came:
                parts.append(
                    w.t(f"désormais interdits : {w.patterns(came)}", f"now forbidden: {w.patterns(came)}")
                )
            if gone:
                parts.append(
                    w.t(f"de nouveau autorisés : {w.patterns(gone)}", f"allowed again: {w.patterns(gone)}")
                )
        else:
            if came:
                parts.append(
                    w.t(
                        f"ajoutés aux modèles autorisés : {w.patterns(came)}",
                        f"now allowed: {w.patterns(came)}",
                    )
                )
            if gone:
                parts.append(
                    w.t(
                        f"retirés des modèles autorisés : {w.patterns(gone)}",
                        f"no longer allowed: {w.patterns(gone)}",
                    )
                )
        if not parts:  # same patterns (maybe reordered): only the reason changed
            parts.append(w.t("motif mis à jour", "reason updated"))
        lines.append(w.with_reason(head + "; ".join(parts), change.new))
    return lines


def _data_rules_section(diff: PolicyDiff, w: _Writer) -> list[str]:
    if not diff.data_rule_changes and not diff.data_rule_order:
        return []
    lines = [w.t("## Règles de protection des données", "## Data protection rules"), ""]
    for change in diff.data_rule_changes:
        if change.kind == "added":
            rule = change.new
            assert rule is not None
            lines.append(
                w.t(
                    f"- **Nouvelle règle `{rule.id}`** : {rule.description}",
                    f"- **New rule `{rule.id}`**: {rule.description}",
                )
            )
            lines += _rule_detail_lines(rule, w)
        elif change.kind == "removed":
            rule = change.old
            assert rule is not None
            lines.append(
                w.t(
                    f"- **Règle supprimée `{rule.id}`** : {rule.description} (elle s'appliquait "
                    f"aux {w.hosting(rule.hosting)} : {w.action(rule.action)})",
                    f"- **Rule removed `{rule.id}`**: {rule.description} (it applied to "
                    f"{w.hosting(rule.hosting)}: {w.action(rule.action)})",
                )
            )
        else:
            lines.append(
                w.t(f"- **Règle `{change.rule_id}` modifiée** :", f"- **Rule `{change.rule_id}` changed**:")
            )
            lines += _rule_change_lines(change, w)
    if diff.data_rule_order:
        order = ", ".join(f"`{rule_id}`" for rule_id in diff.data_rule_order)
        lines.append(
            w.t(
                f"- **Ordre des règles modifié** (la première règle applicable décide) : {order}.",
                f"- **Rule order changed** (the first applicable rule decides): {order}.",
            )
        )
    return lines


def _rule_detail_lines(rule: DataRule, w: _Writer) -> list[str]:
    return [
        f"  - {w.t('Données', 'Data')}{w.colon()} {w.entities(rule.entities)}",
        f"  - {w.t('Pour les', 'For')} {w.hosting(rule.hosting)}",
        f"  - {w.t('Action', 'Action')}{w.colon()} {w.action_effect(rule.action)}",
        f"  - {w.t('Score minimal de détection', 'Minimum detection score')}{w.colon()} "
        f"{w.number(rule.min_score)}",
    ]


def _rule_change_lines(change: DataRuleChange, w: _Writer) -> list[str]:
    before, after = change.old, change.new
    assert before is not None and after is not None
    lines: list[str] = []
    if before.action != after.action:
        lines.append(
            f"  - {w.t('Action', 'Action')}{w.colon()} "
            f"{w.action(before.action)} → {w.action_effect(after.action)}"
        )
    if change.entities_added:
        lines.append(
            f"  - {w.t('Données ajoutées', 'Data added')}{w.colon()} {w.entities(change.entities_added)}"
        )
    if change.entities_removed:
        lines.append(
            f"  - {w.t('Données retirées', 'Data removed')}{w.colon()} {w.entities(change.entities_removed)}"
        )
    if before.hosting != after.hosting:
        lines.append(
            w.t(
                f"  - S'applique désormais aux {w.hosting(after.hosting)} "
                f"(auparavant : {w.hosting(before.hosting)})",
                f"  - Now applies to {w.hosting(after.hosting)} (previously: {w.hosting(before.hosting)})",
            )
        )
    if before.min_score != after.min_score:
        lines.append(
            f"  - {w.t('Score minimal de détection', 'Minimum detection score')}{w.colon()} "
            f"{w.number(before.min_score)} → {w.number(after.min_score)}"
        )
    if before.description != after.description:
        lines.append(f"  - {w.t('Description', 'Description')}{w.colon()} {w.quote(after.description)}")
    if before.entities != after.entities and not (change.entities_added or change.entities_removed):
        lines.append(f"  - {w.t('Ordre des données modifié', 'Data types reordered')}")
    return lines


def _overrides_section(diff: PolicyDiff, w: _Writer) -> list[str]:
    if not diff.override_changes:
        return []
    lines = [
        w.t(
            "## Exceptions par outil aux règles de protection des données",
            "## Per-tool exceptions to the data rules",
        ),
        "",
    ]
    for change in diff.override_changes:
        head = f"- **{change.name}**, {w.entity(change.entity)}{w.colon()} "
        if change.old is None:
            assert change.new is not None
            text = w.t(
                f"{w.action_effect(change.new)}, nouvelle exception à la règle générale.",
                f"{w.action_effect(change.new)}, new exception to the general rule.",
            )
        elif change.new is None:
            text = w.t(
                f"exception supprimée (auparavant : {w.action(change.old)}) : la règle générale s'applique.",
                f"exception removed (previously: {w.action(change.old)}): the general rule applies.",
            )
        else:
            text = f"{w.action(change.old)} → {w.action_effect(change.new)}."
        lines.append(head + text)
    return lines


def _text_change_lines(change: TextChange, w: _Writer) -> list[str]:
    lines = [f"  - {w.t('Ajouté', 'Added')}{w.colon()} {w.quote(text)}" for text in change.added]
    lines += [f"  - {w.t('Retiré', 'Removed')}{w.colon()} {w.quote(text)}" for text in change.removed]
    if not lines:
        lines.append(f"  - {w.t('Ordre modifié', 'Reordered')}")
    return lines


def _usage_section(diff: PolicyDiff, w: _Writer) -> list[str]:
    if not (diff.usage_changes or diff.reason_changes or diff.guideline_changes):
        return []
    lines = [w.t("## Usages et consignes", "## Uses and guidance"), ""]
    for change in diff.guideline_changes:
        lines.append(f"- **{_GUIDELINE[w.lang][change.key]}**{w.colon()}")
        lines += _text_change_lines(change, w)
    for text_change in diff.usage_changes:
        lines.append(
            w.t(f"- **{text_change.name}**, consignes d'usage :", f"- **{text_change.name}**, guidance:")
        )
        lines += _text_change_lines(text_change, w)
    for change in diff.reason_changes:
        lines.append(
            w.t(
                f"- **{change.name}** ({w.status(change.new)}) : "
                f"nouveau motif {w.quoted_sentence(w.reason(change.new))}",
                f"- **{change.name}** ({w.status(change.new)}): "
                f"new reason {w.quoted_sentence(w.reason(change.new))}",
            )
        )
    return lines


def _catalog_section(diff: PolicyDiff, w: _Writer) -> list[str]:
    if not diff.service_changes:
        return []
    lines = [w.t("## Services d'IA reconnus par le proxy", "## AI services known to the proxy"), ""]
    for change in diff.service_changes:
        if change.kind == "added":
            assert change.new_hosting is not None
            hosted = _HOSTING[w.lang][change.new_hosting]
            lines.append(
                w.t(
                    f"- **{change.name}** ({change.vendor}, hébergé {hosted}) : nouveau dans le catalogue, "
                    f"{_new_service_status(change.tool, w)}.",
                    f"- **{change.name}** ({change.vendor}, hosted {hosted}): new in the catalog, "
                    f"{_new_service_status(change.tool, w)}.",
                )
            )
        elif change.kind == "removed":
            lines.append(
                w.t(
                    f"- **{change.name}** ({change.vendor}) : retiré du catalogue, "
                    "le proxy ne le reconnaît plus.",
                    f"- **{change.name}** ({change.vendor}): removed from the catalog, the proxy no longer "
                    "recognises it.",
                )
            )
        else:
            assert change.old_hosting is not None and change.new_hosting is not None
            before, after = _HOSTING[w.lang][change.old_hosting], _HOSTING[w.lang][change.new_hosting]
            lines.append(
                w.t(
                    f"- **{change.name}** : hébergement {before} → {after} ; les règles de protection des "
                    f"données des outils hébergés {after} s'appliquent désormais.",
                    f"- **{change.name}**: hosting {before} → {after}; the data protection rules for tools "
                    f"hosted {after} now apply.",
                )
            )
    return lines


def _new_service_status(tool: ToolPolicy, w: _Writer) -> str:
    if tool.status == "forbidden":
        return w.t(
            "interdit par défaut comme tout outil non listé dans la politique",
            "forbidden by default like any tool not listed in the policy",
        )
    return w.t(
        f"{_unlisted_status(tool, w)} par défaut (outil non listé dans la politique)",
        f"{_unlisted_status(tool, w)} by default (tool not listed in the policy)",
    )


def _referents_section(diff: PolicyDiff, w: _Writer) -> list[str]:
    if not diff.referent_changes:
        return []
    lines = [w.t("## Référents IA", "## AI referents"), ""]
    for change in diff.referent_changes:
        role = w.role(change.role)
        if change.old is None:
            assert change.new is not None
            lines.append(
                w.t(
                    f"- **{role}** : {w.referent(change.new)} (nouveau)",
                    f"- **{role}**: {w.referent(change.new)} (new)",
                )
            )
        elif change.new is None:
            lines.append(
                w.t(
                    f"- **{role}** : {w.referent(change.old)} n'est plus référent",
                    f"- **{role}**: {w.referent(change.old)} is no longer a referent",
                )
            )
        else:
            lines.append(f"- **{role}**{w.colon()} {w.referent_change(change.old, change.new)}")
    return lines


def _review_section(diff: PolicyDiff, w: _Writer) -> list[str]:
    if not diff.review_changed:
        return []
    old, new = diff.old, diff.new
    lines = [w.t("## Calendrier de révision", "## Review calendar"), ""]
    if old.last_review != new.last_review:
        lines.append(
            f"- {w.t('Dernière révision', 'Last review')}{w.colon()} "
            f"{w.date(old.last_review)} → {w.date(new.last_review)}"
        )
    if old.next_review != new.next_review:
        lines.append(
            f"- {w.t('Prochaine révision', 'Next review')}{w.colon()} "
            f"{w.date(old.next_review)} → {w.date(new.next_review)}"
        )
    return lines


def _procedure_section(diff: PolicyDiff, w: _Writer) -> list[str]:
    lines = [
        w.t("## Rappel : adopter un nouvel outil d'IA", "## Reminder: adopting a new AI tool"),
        "",
        w.t(
            "Pour utiliser un outil d'IA qui n'est pas autorisé, suivez la procédure en 4 étapes :",
            "To use an AI tool that is not approved, follow the 4-step procedure:",
        ),
        "",
        w.t("1. **Demande formelle** auprès d'un référent IA ;", "1. **Formal request** to an AI referent;"),
        w.t(
            "2. **Validation juridique et informatique** (contrat, hébergement des données, sécurité) ;",
            "2. **Legal and IT validation** (contract, data hosting, security);",
        ),
        w.t(
            "3. **Test pilote**, réservé à un groupe restreint ;",
            "3. **Pilot**, restricted to a small group;",
        ),
        w.t(
            "4. **Déploiement progressif** à l'ensemble des collaborateurs.",
            "4. **Progressive rollout** to all staff.",
        ),
    ]
    if diff.unlisted is not None and diff.unlisted.status == "forbidden":
        lines += [
            "",
            w.t(
                "Tout outil d'IA qui ne figure pas dans la politique est interdit par défaut.",
                "Any AI tool that is not in the policy is forbidden by default.",
            ),
        ]
    return lines


def _contacts_section(diff: PolicyDiff, w: _Writer) -> list[str]:
    lines = [w.t("## Vos référents IA", "## Your AI referents"), ""]
    if not diff.referents:
        return lines + [w.t("Aucun référent n'est nommé.", "No referent is named.")]
    referents = sorted(diff.referents, key=lambda r: _ROLE_ORDER.get(r.role, 99))
    lines += [f"- **{w.role(r.role)}**{w.colon()} {r.name}, {r.contact}" for r in referents]
    lines += [
        "",
        w.t(
            "Pour toute question sur ces changements ou sur un usage de l'IA, contactez l'un d'eux.",
            "For any question about these changes or about a use of AI, contact one of them.",
        ),
    ]
    return lines
