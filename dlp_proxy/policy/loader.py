"""Read the rules directory (catalog, policy, directory) into a validated :class:`Policy`.

The referents who edit these files are not programmers: every mistake is reported with its file and
line, all of them at once, and nothing is silently ignored (an unknown key is an error, because a
misspelt ``staus: forbidden`` must not leave a tool open).
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

from dlp_proxy.catalog import Catalog
from dlp_proxy.entities import known_codes
from dlp_proxy.errors import ConfigError, ConfigProblem
from dlp_proxy.yamlload import LineDict, LineList, load_yaml

from .fields import FileChecker, join, parse_size, show, suggest
from .model import (
    DATA_ACTIONS,
    HOSTING_CLASSES,
    LANGUAGES,
    MISMATCH_ACTIONS,
    REFERENT_ROLES,
    STATUSES,
    USAGE_KINDS,
    ChangelogEntry,
    DataRule,
    Directory,
    ModelRule,
    NetworkRule,
    Policy,
    Referent,
    ToolPolicy,
    normalize_host,
)
from .workflows import ROLE_KEYS, parse_portal, parse_roles, parse_sanctions

CATALOG_FILE = "catalog.yaml"
POLICY_FILE = "policy.yaml"
DIRECTORY_FILE = "directory.yaml"
RECOGNIZERS_FILE = "recognizers.yaml"

DEFAULT_BODY_SIZE_LIMIT = 10 * 1024**2
DEFAULT_SCAN_TIMEOUT_SECONDS = 10.0
DEFAULT_MIN_SCORE = 0.5
DEFAULT_UNLISTED_REASON = (
    "Cet outil d'IA ne fait pas partie des outils autorisés par l'entreprise. Pour le proposer, "
    "adressez une demande formelle à un référent IA : validation juridique et informatique, "
    "test pilote, puis déploiement progressif."
)
DEFAULT_UNLISTED_REASON_EN = (
    "This AI tool is not one of the tools approved by the company. To propose it, send a formal "
    "request to an AI referent: legal and IT validation, pilot, then progressive rollout."
)

_TOP_KEYS = (
    "policy",
    "referents",
    "defaults",
    "tools",
    "usages",
    "data_rules",
    "extra_hosts",
    "portal",
    "sanctions",
)
_META_KEYS = ("version", "title", "language", "last_review", "next_review", "changelog", "consequences")
_CHANGELOG_KEYS = ("version", "date", "changes")
_REFERENT_KEYS = ("role", "name", "contact")
_DEFAULTS_KEYS = (
    "destination_mismatch",
    "unlisted_tool",
    "unlisted_reason",
    "unlisted_reason_en",
    "unlisted_groups",
    "body_size_limit",
    "scan_timeout_seconds",
    "retention_months",
    "unscannable",
)
_TOOL_KEYS = ("status", "reason", "reason_en", "usage", "groups", "models", "data", "unscannable")
_MODEL_KEYS = ("allow", "deny", "warn", "reason", "reason_en")
_DATA_RULE_KEYS = ("id", "description", "entities", "hosting", "action", "min_score")
_DIRECTORY_KEYS = ("groups", "users", "networks", *ROLE_KEYS)
_GROUP_KEYS = ("description",)
_NETWORK_KEYS = ("cidr", "groups")

_RULE_ID_RE = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_ENTITY_RE = re.compile(r"[A-Z][A-Z0-9_]*")
_GROUP_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_HOST_RE = re.compile(
    r"(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)


def load_policy(rules_dir: Path) -> Policy:
    """Load ``catalog.yaml``, ``policy.yaml`` and ``directory.yaml`` from ``rules_dir`` and validate them.

    Raises one :class:`ConfigError` carrying every problem of the three files (each ``file:line``,
    the file shown as ``rules_dir / name``), so a referent fixes everything in one pass and a broken
    policy never starts a proxy.
    """
    rules_dir = Path(rules_dir)
    catalog_path = rules_dir / CATALOG_FILE
    policy_path = rules_dir / POLICY_FILE
    directory_path = rules_dir / DIRECTORY_FILE
    problems: list[ConfigProblem] = []

    catalog: Catalog | None = None
    try:
        catalog = Catalog.load(catalog_path, display_name=str(catalog_path))
    except ConfigError as exc:
        problems.extend(exc.problems)

    directory_doc = _load_document(directory_path, problems)
    directory = (
        _parse_directory(directory_doc, FileChecker(str(directory_path), problems))
        if directory_doc is not None
        else None
    )

    policy_doc = _load_document(policy_path, problems)
    parts: dict[str, Any] | None = None
    if policy_doc is not None:
        parts = _parse_policy(
            policy_doc,
            FileChecker(str(policy_path), problems),
            service_ids=set(catalog.services) if catalog is not None else None,
            groups=set(directory.groups) if directory is not None else None,
            entity_types=known_codes(custom_entity_types(rules_dir / RECOGNIZERS_FILE)),
        )

    if problems or catalog is None or directory is None or parts is None:
        order = {str(catalog_path): 0, str(policy_path): 1, str(directory_path): 2}
        problems.sort(key=lambda p: (order.get(p.file, 3), p.line))
        raise ConfigError(problems)
    return Policy(
        catalog=catalog,
        directory=directory,
        source_files=(catalog_path, policy_path, directory_path),
        **parts,
    )


def custom_entity_types(path: Path) -> frozenset[str]:
    """The entity types that the custom recognisers of ``recognizers.yaml`` emit (none if absent).

    Read leniently: that file's own mistakes are reported, with their lines, when the detection
    workers load it (``check-rules``, proxy start); here it only widens the names a policy may use.
    """
    if not path.is_file():
        return frozenset()
    try:
        doc = load_yaml(path, str(path))
    except ConfigError:
        return frozenset()
    entries = doc.get("recognizers") if isinstance(doc, dict) else None
    return frozenset(
        e["entity"] for e in entries or () if isinstance(e, dict) and isinstance(e.get("entity"), str)
    )


def check_config(rules_dir: Path) -> list[ConfigProblem]:
    """Every problem in the rules directory, ``[]`` when it is valid; for ``dlp-proxy check-config``."""
    try:
        load_policy(rules_dir)
    except ConfigError as exc:
        return list(exc.problems)
    return []


def _load_document(path: Path, problems: list[ConfigProblem]) -> LineDict | None:
    """The top-level mapping of a YAML file, or ``None`` after recording why it cannot be read."""
    try:
        doc = load_yaml(path, str(path))
    except ConfigError as exc:
        problems.extend(exc.problems)
        return None
    if doc is None:
        empty = LineDict()
        empty.line = 1
        return empty
    if not isinstance(doc, LineDict):
        problems.append(ConfigProblem(str(path), 1, f"expected a mapping at the top level, got {show(doc)}"))
        return None
    return doc


# -- policy.yaml ---------------------------------------------------------------------------------------


def _parse_policy(
    doc: LineDict,
    f: FileChecker,
    *,
    service_ids: set[str] | None,
    groups: set[str] | None,
    entity_types: frozenset[str],
) -> dict[str, Any] | None:
    """Keyword arguments for :class:`Policy` (without catalog/directory), or ``None`` if unusable."""
    f.keys(doc, "", _TOP_KEYS)
    meta = _parse_meta(doc, f)
    referents = _parse_referents(doc, f)
    defaults = _parse_defaults(doc, f, groups)
    tools = _parse_tools(doc, f, service_ids, groups, entity_types)
    usages = _parse_usages(doc, f)
    data_rules = _parse_data_rules(doc, f, entity_types)
    extra_hosts = _parse_extra_hosts(doc, f)
    if meta is None:
        return None
    return {
        **meta,
        **defaults,
        "referents": referents,
        "tools": tools,
        "usages": usages,
        "data_rules": data_rules,
        "extra_hosts": extra_hosts,
        "portal": parse_portal(doc, f),
        "sanctions": parse_sanctions(doc, f),
    }


def _parse_meta(doc: LineDict, f: FileChecker) -> dict[str, Any] | None:
    meta = f.mapping(doc, "policy", "", required=True)
    if meta is None:
        if "policy" not in doc and not f.misspelt(doc, "policy"):
            f.error(doc.line, "missing required section 'policy' (version, title, last_review, next_review)")
        return None
    where = "policy"
    f.keys(meta, where, _META_KEYS)
    version = f.text(meta, "version", where, required=True)
    title = f.text(meta, "title", where, required=True)
    language = f.choice(meta, "language", where, LANGUAGES, "fr")
    last_review = f.date(meta, "last_review", where, required=True)
    next_review = f.date(meta, "next_review", where, required=True)
    if last_review and next_review and next_review <= last_review:
        f.say(
            meta.line_of("next_review"),
            "policy.next_review",
            f"{next_review.isoformat()} must be after policy.last_review ({last_review.isoformat()})",
        )
    changelog = _parse_changelog(meta, f)
    consequences = f.texts(meta, "consequences", where) or ()
    if version is None or title is None or last_review is None or next_review is None:
        return None
    return {
        "version": version,
        "title": title,
        "language": language or "fr",
        "last_review": last_review,
        "next_review": next_review,
        "changelog": changelog,
        "consequences": consequences,
    }


def _parse_changelog(meta: LineDict, f: FileChecker) -> tuple[ChangelogEntry, ...]:
    items = f.sequence(meta, "changelog", "policy")
    entries: list[ChangelogEntry] = []
    for index, item in enumerate(items or ()):
        where = f"policy.changelog[{index}]"
        if not isinstance(item, LineDict):
            f.say(
                items.line_of(index), where, f"expected a mapping (version, date, changes), got {show(item)}"
            )
            continue
        f.keys(item, where, _CHANGELOG_KEYS)
        version = f.text(item, "version", where, required=True)
        when = f.date(item, "date", where, required=True)
        changes = f.texts(item, "changes", where, required=True)
        if version and when and changes is not None:
            entries.append(ChangelogEntry(version=version, date=when, changes=changes))
    return tuple(entries)


def _parse_referents(doc: LineDict, f: FileChecker) -> tuple[Referent, ...]:
    raw = doc.get("referents")
    if raw is None or (isinstance(raw, LineList) and not raw):
        if f.misspelt(doc, "referents"):
            return ()
        line = doc.line_of("referents") if "referents" in doc else doc.line
        f.error(line, "missing referents: name at least one AI referent (informatique, juridique or metier)")
        return ()
    items = f.sequence(doc, "referents", "")
    if items is None:
        return ()
    referents: list[Referent] = []
    for index, item in enumerate(items):
        where = f"referents[{index}]"
        if not isinstance(item, LineDict):
            f.say(items.line_of(index), where, f"expected a mapping (role, name, contact), got {show(item)}")
            continue
        f.keys(item, where, _REFERENT_KEYS)
        role = f.choice(item, "role", where, REFERENT_ROLES, None)
        name = f.text(item, "name", where, required=True)
        contact = f.text(item, "contact", where, required=True)
        if role and name and contact:
            referents.append(Referent(role=role, name=name, contact=contact))
    return tuple(referents)


DEFAULT_RETENTION_MONTHS = 12
UNSCANNABLE_KINDS = ("image", "audio", "video", "token_ids", "document_unreadable", "binary")


def _parse_defaults(doc: LineDict, f: FileChecker, groups: set[str] | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "unlisted_tool": "forbidden",
        "unlisted_reason": DEFAULT_UNLISTED_REASON,
        "unlisted_reason_en": DEFAULT_UNLISTED_REASON_EN,
        "unlisted_groups": (),
        "body_size_limit": DEFAULT_BODY_SIZE_LIMIT,
        "scan_timeout_seconds": DEFAULT_SCAN_TIMEOUT_SECONDS,
        "retention_months": DEFAULT_RETENTION_MONTHS,
        "unscannable": (),
        "destination_mismatch": "block",
    }
    defaults = f.mapping(doc, "defaults", "")
    if defaults is None:
        return result
    where = "defaults"
    f.keys(defaults, where, _DEFAULTS_KEYS)
    status = f.choice(defaults, "unlisted_tool", where, STATUSES, "forbidden") or "forbidden"
    result["unlisted_tool"] = status
    reason = f.text(defaults, "unlisted_reason", where)
    if reason is not None:
        result["unlisted_reason"] = reason
        # A custom French reason must not be paired with the built-in English text that says otherwise.
        result["unlisted_reason_en"] = None
    if (reason_en := f.text(defaults, "unlisted_reason_en", where)) is not None:
        result["unlisted_reason_en"] = reason_en
    group_items = f.text_items(defaults, "unlisted_groups", where)
    unlisted_groups = None if group_items is None else tuple(name for name, _ in group_items)
    if status == "pilot" and not unlisted_groups:
        f.say(
            defaults.line_of("unlisted_tool"),
            "defaults.unlisted_tool",
            "pilot needs 'unlisted_groups' (who may use unlisted tools)",
        )
    elif status != "pilot" and unlisted_groups is not None:
        f.say(
            defaults.line_of("unlisted_groups"),
            "defaults.unlisted_groups",
            "only applies when unlisted_tool is pilot",
        )
    if group_items:
        _check_groups(f, group_items, join(where, "unlisted_groups"), groups)
        result["unlisted_groups"] = unlisted_groups
    if "body_size_limit" in defaults:
        raw = defaults["body_size_limit"]
        try:
            result["body_size_limit"] = parse_size(raw)
        except (ValueError, TypeError):
            f.say(
                defaults.line_of("body_size_limit"),
                "defaults.body_size_limit",
                f"{show(raw)} is not a size (examples: 10MiB, 512KiB, 10Mo, 1048576)",
            )
    timeout = f.number(
        defaults, "scan_timeout_seconds", where, DEFAULT_SCAN_TIMEOUT_SECONDS, low=0, high=600, low_open=True
    )
    if timeout is not None:
        result["scan_timeout_seconds"] = timeout
    months = f.number(
        defaults, "retention_months", where, DEFAULT_RETENTION_MONTHS, low=1, high=120, low_open=False
    )
    if months is not None:
        if months != int(months):
            f.say(
                defaults.line_of("retention_months"),
                "defaults.retention_months",
                "expected a whole number of months",
            )
        else:
            result["retention_months"] = int(months)
    result["unscannable"] = _parse_unscannable(defaults, f, where)
    mismatch = f.choice(defaults, "destination_mismatch", where, MISMATCH_ACTIONS, "block")
    result["destination_mismatch"] = mismatch or "block"
    return result


def _parse_tools(
    doc: LineDict,
    f: FileChecker,
    service_ids: set[str] | None,
    groups: set[str] | None,
    entity_types: frozenset[str],
) -> dict[str, ToolPolicy]:
    tools_map = f.mapping(doc, "tools", "")
    tools: dict[str, ToolPolicy] = {}
    for service_id, entry in (tools_map or {}).items():
        line = tools_map.line_of(service_id)
        if not isinstance(service_id, str):
            f.say(line, "tools", f"tool id must be a catalog id such as openai-api, got {show(service_id)}")
            continue
        where = join("tools", service_id)
        if service_ids is not None and service_id not in service_ids:
            hint = suggest(service_id, sorted(service_ids))
            f.error(line, f"{where}: unknown tool {service_id!r} (not in {CATALOG_FILE}){hint}")
        if not isinstance(entry, LineDict):
            f.say(line, where, f"expected a mapping (status, reason, ...), got {show(entry)}")
            continue
        tool = _parse_tool(service_id, entry, f, groups, entity_types)
        if tool is not None:
            tools[service_id] = tool
    return tools


def _parse_tool(
    service_id: str, entry: LineDict, f: FileChecker, groups: set[str] | None, entity_types: frozenset[str]
) -> ToolPolicy | None:
    where = join("tools", service_id)
    f.keys(entry, where, _TOOL_KEYS)
    status = f.choice(entry, "status", where, STATUSES, None)
    reason = f.text(entry, "reason", where)
    reason_en = f.text(entry, "reason_en", where)
    usage = f.texts(entry, "usage", where) or ()
    group_items = f.text_items(entry, "groups", where)
    tool_groups = None if group_items is None else tuple(name for name, _ in group_items)
    models = _parse_models(entry, f, where)
    data = _parse_data_overrides(entry, f, where, entity_types)
    unscannable = _parse_unscannable(entry, f, where)
    needs_reason = status in ("pilot", "forbidden", "warn", "validation_manager")
    if needs_reason and reason is None and entry.get("reason") is None:
        f.say(entry.line_of("status"), where, f"status {status} needs a 'reason' (shown to the employee)")
    if status == "pilot" and not tool_groups:
        line = entry.line_of("groups") if "groups" in entry else entry.line_of("status")
        f.say(line, where, "status pilot needs 'groups' (who may use the tool during the pilot)")
    if status != "pilot" and status is not None and tool_groups is not None:
        f.say(entry.line_of("groups"), join(where, "groups"), f"only applies to status pilot, not {status}")
    if status == "forbidden" and "models" in entry:
        f.say(entry.line_of("models"), join(where, "models"), "has no effect on a forbidden tool")
    if group_items:
        _check_groups(f, group_items, join(where, "groups"), groups)
    if status is None:
        return None
    return ToolPolicy(
        service_id=service_id,
        status=status,
        reason=reason or "",
        reason_en=reason_en,
        usage=usage,
        groups=tool_groups or (),
        models=models,
        listed=True,
        data=data,
        unscannable=unscannable,
    )


def _parse_unscannable(entry: LineDict, f: FileChecker, where: str) -> tuple[tuple[str, str], ...]:
    """``unscannable: {image: allow, document_unreadable: block}``: content the proxy cannot read."""
    node = f.mapping(entry, "unscannable", where)
    if node is None:
        return ()
    path = join(where, "unscannable")
    f.keys(node, path, UNSCANNABLE_KINDS)
    out: list[tuple[str, str]] = []
    for kind in node:
        if kind in UNSCANNABLE_KINDS:
            action = f.choice(node, kind, path, ("allow", "block"), None)
            if action is not None:
                out.append((kind, action))
    return tuple(out)


def _parse_data_overrides(
    entry: LineDict, f: FileChecker, tool_where: str, entity_types: frozenset[str]
) -> tuple[tuple[str, str], ...]:
    """``data: {ENTITY_TYPE: action}``: this tool's exceptions to the data rules."""
    data = f.mapping(entry, "data", tool_where)
    if data is None:
        return ()
    where = join(tool_where, "data")
    out: list[tuple[str, str]] = []
    for entity in data:
        if not isinstance(entity, str) or not entity.isupper() or not entity.replace("_", "").isalnum():
            f.say(data.line_of(entity), where, f"entity type {entity!r} must be upper case, like FR_NIR")
            continue
        _check_entity_type(f, entity, data.line_of(entity), where, entity_types)
        action = f.choice(data, entity, where, DATA_ACTIONS, None)
        if action is not None:
            out.append((entity, action))
    return tuple(out)


def _parse_models(entry: LineDict, f: FileChecker, tool_where: str) -> ModelRule | None:
    models = f.mapping(entry, "models", tool_where)
    if models is None:
        return None
    where = join(tool_where, "models")
    f.keys(models, where, _MODEL_KEYS)
    if "allow" in models and "deny" in models:
        f.say(models.line_of("deny"), where, "use either 'allow' or 'deny', not both")
        return None
    warn = f.texts(models, "warn", where) or ()
    if "allow" not in models and "deny" not in models and not warn:
        f.say(
            models.line,
            where,
            "needs 'deny' (models refused), 'allow' (the only models permitted) or 'warn' (models used "
            "with a justification)",
        )
        return None
    mode = "allow" if "allow" in models else "deny"
    patterns = f.texts(models, mode, where, required=not warn) or ()
    reason = f.text(models, "reason", where, required=True)
    reason_en = f.text(models, "reason_en", where)
    if not (patterns or warn) or reason is None:
        return None
    return ModelRule(mode=mode, patterns=patterns, reason=reason, reason_en=reason_en, warn=warn)


def _check_groups(f: FileChecker, items: list[tuple[str, int]], where: str, groups: set[str] | None) -> None:
    """Each group named in a policy entry must be declared in directory.yaml (skipped if it did not load)."""
    if groups is None:
        return
    for name, line in items:
        if name not in groups:
            hint = suggest(name, sorted(groups))
            f.say(line, where, f"unknown group {name!r} (not declared in {DIRECTORY_FILE}){hint}")


def _parse_usages(doc: LineDict, f: FileChecker) -> dict[str, tuple[str, ...]]:
    usages = f.mapping(doc, "usages", "")
    result: dict[str, tuple[str, ...]] = {kind: () for kind in USAGE_KINDS}
    if usages is None:
        return result
    f.keys(usages, "usages", USAGE_KINDS)
    for kind in USAGE_KINDS:
        result[kind] = f.texts(usages, kind, "usages") or ()
    return result


def _check_entity_type(f: FileChecker, entity: str, line: int, where: str, known: frozenset[str]) -> None:
    """A type no recogniser emits would never match: refuse it (``FR_NRI`` → did you mean FR_NIR?)."""
    if entity not in known:
        hint = suggest(entity, sorted(known))
        f.say(line, where, f"unknown entity type {entity!r}: no recogniser finds it{hint}")


def _parse_data_rules(doc: LineDict, f: FileChecker, entity_types: frozenset[str]) -> tuple[DataRule, ...]:
    items = f.sequence(doc, "data_rules", "")
    rules: list[DataRule] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items or ()):
        where = f"data_rules[{index}]"
        if not isinstance(item, LineDict):
            message = f"expected a mapping (id, entities, hosting, action), got {show(item)}"
            f.say(items.line_of(index), where, message)
            continue
        rule = _parse_data_rule(item, where, f, seen, entity_types)
        if rule is not None:
            rules.append(rule)
    return tuple(rules)


def _parse_data_rule(
    item: LineDict, where: str, f: FileChecker, seen: dict[str, int], entity_types: frozenset[str]
) -> DataRule | None:
    """One data rule; ``seen`` maps rule ids to their line so a duplicate id names the first one."""
    f.keys(item, where, _DATA_RULE_KEYS)
    rule_id = f.text(item, "id", where, required=True)
    if rule_id is not None:
        id_where = join(where, "id")
        if not _RULE_ID_RE.fullmatch(rule_id):
            f.say(item.line_of("id"), id_where, f"{rule_id!r}: use lower-case letters, digits, '-', '_'")
        elif rule_id in seen:
            f.say(item.line_of("id"), id_where, f"{rule_id!r} already used on line {seen[rule_id]}")
        else:
            seen[rule_id] = item.line_of("id")
    description = f.text(item, "description", where, required=True)
    entities = f.text_items(item, "entities", where, required=True)
    for entity, line in entities or ():
        if not _ENTITY_RE.fullmatch(entity):
            message = f"{entity!r} is not an entity type name (upper case, e.g. FR_NIR, IBAN_CODE)"
            f.say(line, join(where, "entities"), message)
        else:
            _check_entity_type(f, entity, line, join(where, "entities"), entity_types)
    hosting = f.text_items(item, "hosting", where, required=True)
    for hosting_class, line in hosting or ():
        if hosting_class not in HOSTING_CLASSES:
            hint = suggest(hosting_class, HOSTING_CLASSES)
            message = f"{hosting_class!r} is not one of {', '.join(HOSTING_CLASSES)}{hint}"
            f.say(line, join(where, "hosting"), message)
    action = f.choice(item, "action", where, DATA_ACTIONS, None)
    min_score = f.number(item, "min_score", where, DEFAULT_MIN_SCORE, low=0, high=1, low_open=False)
    if not (rule_id and description and entities and hosting and action) or min_score is None:
        return None
    return DataRule(
        id=rule_id,
        description=description,
        entities=tuple(dict.fromkeys(entity for entity, _ in entities)),
        hosting=tuple(dict.fromkeys(h for h, _ in hosting)),
        action=action,
        min_score=min_score,
    )


def _parse_extra_hosts(doc: LineDict, f: FileChecker) -> tuple[str, ...]:
    items = f.sequence(doc, "extra_hosts", "")
    hosts: list[str] = []
    for index, item in enumerate(items or ()):
        line = items.line_of(index)
        where = f"extra_hosts[{index}]"
        if not isinstance(item, str) or not _HOST_RE.fullmatch(normalize_host(item)):
            f.say(
                line,
                where,
                f"{show(item)} is not a host name (e.g. ai.partenaire.example.fr, no scheme or path)",
            )
            continue
        host = normalize_host(item)
        if host in hosts:
            f.say(line, where, f"{host!r} is listed twice")
            continue
        hosts.append(host)
    return tuple(hosts)


# -- directory.yaml ------------------------------------------------------------------------------------


def _parse_directory(doc: LineDict, f: FileChecker) -> Directory:
    """Groups, users and networks; returns what is usable even when some entries are wrong."""
    f.keys(doc, "", _DIRECTORY_KEYS)
    declared = _parse_groups(doc, f)
    users: dict[str, tuple[str, ...]] = {}
    users_map = f.mapping(doc, "users", "")
    user_lines: dict[str, int] = {}
    for user, _ in (users_map or {}).items():
        line = users_map.line_of(user)
        if not isinstance(user, str) or not user.strip():
            f.say(line, "users", f"user name must be text, got {show(user)} (put it in quotes)")
            continue
        key = user.strip().casefold()
        if key in user_lines:
            f.say(line, join("users", user), f"same user as line {user_lines[key]} (user names ignore case)")
            continue
        user_lines[key] = line
        users[key] = _group_list(users_map, user, "users", f, declared)
    networks: list[NetworkRule] = []
    items = f.sequence(doc, "networks", "")
    for index, item in enumerate(items or ()):
        where = f"networks[{index}]"
        if not isinstance(item, LineDict):
            f.say(items.line_of(index), where, f"expected a mapping (cidr, groups), got {show(item)}")
            continue
        f.keys(item, where, _NETWORK_KEYS)
        cidr = f.text(item, "cidr", where, required=True)
        network = None
        if cidr is not None:
            try:
                # Parse with the family the text looks like, so the message names the real mistake
                # ("'33' is not a valid netmask") instead of "does not appear to be an IPv4 or IPv6 network".
                family = ipaddress.IPv6Network if ":" in cidr else ipaddress.IPv4Network
                network = family(cidr, strict=True)
            except ValueError as exc:
                f.say(item.line_of("cidr"), join(where, "cidr"), f"{cidr!r} is not a valid network ({exc})")
        if "groups" not in item or item["groups"] is None:
            f.missing(item, "groups", where)
            continue
        network_groups = _group_list(item, "groups", where, f, declared)
        if network is not None:
            networks.append(NetworkRule(network=network, groups=network_groups))
    return Directory(groups=declared, users=users, networks=tuple(networks), roles=parse_roles(doc, f))


def _parse_groups(doc: LineDict, f: FileChecker) -> dict[str, str]:
    groups_map = f.mapping(doc, "groups", "", required=True)
    declared: dict[str, str] = {}
    if groups_map is None:
        if "groups" not in doc and not f.misspelt(doc, "groups"):
            f.error(doc.line, "missing required key 'groups' (the groups that users and networks belong to)")
        return declared
    for name, value in groups_map.items():
        line = groups_map.line_of(name)
        if not isinstance(name, str) or not _GROUP_RE.fullmatch(name):
            f.say(line, "groups", f"group name {show(name)}: use letters, digits, '-', '_', '.'")
            continue
        where = join("groups", name)
        description = ""
        if isinstance(value, str):
            description = value.strip()
        elif isinstance(value, LineDict):
            f.keys(value, where, _GROUP_KEYS)
            description = f.text(value, "description", where) or ""
        elif value is not None:
            f.say(line, where, f"expected a description, got {show(value)}")
        declared[name] = description
    return declared


def _group_list(
    m: LineDict, key: str, where: str, f: FileChecker, declared: dict[str, str]
) -> tuple[str, ...]:
    """The groups listed under ``m[key]``, reporting any that ``groups:`` does not declare."""
    items = f.text_items(m, key, where) or []
    for name, line in items:
        if name not in declared:
            hint = suggest(name, sorted(declared))
            f.say(line, join(where, key), f"unknown group {name!r} (declare it under groups:){hint}")
    return tuple(sorted({name for name, _ in items}))
