"""The shipped policy loads and decides as written; broken rules files are reported with file and line."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from dlp_proxy.errors import ConfigError, ConfigProblem
from dlp_proxy.policy import ModelRule, Policy, check_config, load_policy, parse_size

RULES = Path(__file__).resolve().parent.parent / "rules"
RULES_FILES = ("catalog.yaml", "policy.yaml", "directory.yaml")


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(RULES)


def decide(policy: Policy, service_id: str, groups: tuple[str, ...] = (), model: str | None = None):
    service = policy.catalog.get(service_id)
    assert service is not None, service_id
    return policy.decide(service, groups, model)


# -- the shipped rules -------------------------------------------------------------------------------


def test_shipped_rules_load(policy: Policy) -> None:
    assert check_config(RULES) == []
    assert policy.version == "2026.4"
    assert policy.language == "fr"
    assert policy.next_review > policy.last_review
    assert {r.role for r in policy.referents} == {"informatique", "juridique", "metier"}
    assert policy.body_size_limit == 10 * 1024 * 1024
    assert policy.scan_timeout_seconds > 0
    assert policy.source_files == tuple(RULES / name for name in RULES_FILES)
    assert policy.changelog[0].version == policy.version
    assert set(policy.usages) == {"libre", "validation_manager", "interdit"}
    assert all(policy.usages.values())


@pytest.mark.parametrize("service_id", ["openai-api", "mistral-api", "anthropic-api", "llm-interne"])
def test_approved_tools_are_allowed(policy: Policy, service_id: str) -> None:
    decision = decide(policy, service_id, model="some-model")
    assert decision.action == "allow"
    assert decision.code is None
    assert decision.rule_id == f"outil:{service_id}:autorise"
    assert decision.status == "approved"
    assert decision.service_id == service_id
    assert decision.tool_name == policy.catalog.get(service_id).name


@pytest.mark.parametrize("service_id", ["deepseek-api", "deepseek-chat"])
def test_deepseek_is_forbidden_with_a_french_reason(policy: Policy, service_id: str) -> None:
    decision = decide(policy, service_id, groups=("pilote-ia", "direction"))
    assert decision.action == "block"
    assert decision.code == "tool_forbidden"
    assert decision.rule_id == f"outil:{service_id}:interdit"
    assert "hors UE" in decision.reason
    assert "garanties contractuelles" in decision.reason
    assert policy.tool_policy(service_id).listed


def test_chatgpt_web_is_a_pilot_for_pilote_ia(policy: Policy) -> None:
    assert policy.tool_policy("chatgpt-web").groups == ("pilote-ia",)
    outside = decide(policy, "chatgpt-web", groups=("marketing",))
    assert (outside.action, outside.code, outside.rule_id) == (
        "block",
        "tool_pilot_only",
        "outil:chatgpt-web:pilote",
    )
    assert outside.status == "pilot"
    assert "pilote" in outside.reason
    nobody = decide(policy, "chatgpt-web", groups=())
    assert nobody.code == "tool_pilot_only"
    inside = decide(policy, "chatgpt-web", groups=("marketing", "pilote-ia"))
    assert (inside.action, inside.code, inside.rule_id) == ("allow", None, "outil:chatgpt-web:pilote")


@pytest.mark.parametrize("model", ["o1-pro", "o1-pro-2025-03-19", "O1-PRO-2025-03-19", "openai/o1-pro"])
def test_o1_pro_is_denied_on_openai_api(policy: Policy, model: str) -> None:
    decision = decide(policy, "openai-api", model=model)
    assert decision.action == "block"
    assert decision.code == "model_forbidden"
    assert decision.rule_id == "modele:openai-api:o1-pro*"
    assert decision.reason == "coût et usage non validé"
    assert decision.model == model


@pytest.mark.parametrize("model", ["gpt-4o", "o1", "o1-mini", "gpt-4o-o1-pro", None, ""])
def test_other_openai_models_are_allowed(policy: Policy, model: str | None) -> None:
    decision = decide(policy, "openai-api", model=model)
    assert decision.action == "allow", model
    assert decision.rule_id == "outil:openai-api:autorise"


@pytest.mark.parametrize(
    "service_id", ["claude-web", "gemini-api", "le-chat", "groq", "xai-api", "openrouter"]
)
def test_unlisted_catalog_services_are_forbidden_by_default(policy: Policy, service_id: str) -> None:
    tool = policy.tool_policy(service_id)
    assert not tool.listed
    assert tool.status == "forbidden"
    decision = decide(policy, service_id, groups=("direction",))
    assert (decision.action, decision.code, decision.rule_id) == (
        "block",
        "tool_forbidden",
        "outil:defaut:interdit",
    )
    assert "demande formelle" in decision.reason
    assert decision.tool_name == policy.catalog.get(service_id).name


def test_tool_status_is_checked_before_the_model(policy: Policy) -> None:
    assert decide(policy, "deepseek-api", model="o1-pro").code == "tool_forbidden"
    assert decide(policy, "chatgpt-web", model="o1-pro").code == "tool_pilot_only"


def test_approved_tools_names_for_alternatives(policy: Policy) -> None:
    names = policy.approved_tools()
    assert len(names) == 4
    assert policy.catalog.get("openai-api").name in names
    assert policy.catalog.get("llm-interne").name in names
    assert policy.catalog.get("deepseek-api").name not in names
    assert policy.catalog.get("chatgpt-web").name not in names


def test_data_rules_follow_the_client_data_rule(policy: Policy) -> None:
    def actions(hosting: str) -> dict[str, str]:
        return {entity: rule.action for rule in policy.data_rules_for(hosting) for entity in rule.entities}

    for hosting in ("eu", "outside_eu"):
        found = actions(hosting)
        # the table of the detection issue: block the first row, redact the second, outside the company
        for entity in ("SECRET", "FR_NIR", "CREDIT_CARD", "FR_NIF", "FR_PASSPORT", "FR_CNI"):
            assert found[entity] == "block"
        # pseudonymized (restored in answers) per the extraction issue; identifiers redacted
        for entity in ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "ADDRESS", "CLIENT_NAME"):
            assert found[entity] == "pseudonymize"
        for entity in (
            "IBAN_CODE",
            "DATE_OF_BIRTH",
            "FR_SIREN",
            "FR_SIRET",
            "FR_TVA",
            "IP_ADDRESS",
            "FR_LICENSE_PLATE",
        ):
            assert found[entity] == "redact"
    assert set(actions("company").values()) == {"allow"}
    assert all(0 <= rule.min_score <= 1 for rule in policy.data_rules)


def test_intercepts_catalog_and_extra_hosts(policy: Policy) -> None:
    assert policy.intercepts("api.openai.com")
    assert policy.intercepts("llm.interne.example.fr")
    assert not policy.intercepts("www.example.org")


def test_text_picks_the_policy_language(policy: Policy) -> None:
    assert policy.text("bonjour", "hello") == "bonjour"
    english = _load_variant(policy, language="en")
    assert english.text("bonjour", "hello") == "hello"
    assert english.text("bonjour", None) == "bonjour"
    assert decide(english, "openai-api", model="o1-pro").reason == "cost and use not validated"


def _load_variant(policy: Policy, **changes: object) -> Policy:
    from dataclasses import replace

    return replace(policy, **changes)


def test_review_overdue(policy: Policy) -> None:
    assert not policy.review_overdue(policy.last_review)
    assert policy.review_overdue(date(policy.next_review.year + 1, 1, 1))


# -- directory -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "ip", "expected"),
    [
        ("cmartin", None, ("informatique", "pilote-ia")),
        ("CMartin", None, ("informatique", "pilote-ia")),
        (None, "10.20.3.4", ("rh",)),
        ("::ffff:10.20.3.4", None, ()),
        (None, "::ffff:10.20.3.4", ("rh",)),
        (None, "fd12:3456:789a:20::17", ("rh",)),
        (None, "fd12:3456:789a:21::17", ()),
        ("jbernard", "10.20.3.4", ("marketing", "pilote-ia", "rh")),
        ("adurand", "10.20.3.4", ("rh",)),
        (None, "127.0.0.1", ()),
        (None, "::1", ()),
        ("inconnu", "192.168.1.1", ()),
        (None, "pas-une-ip", ()),
        (None, "10.20.3.400", ()),
        (None, "", ()),
        (None, None, ()),
    ],
)
def test_groups_for(policy: Policy, user: str | None, ip: str | None, expected: tuple[str, ...]) -> None:
    assert policy.directory.groups_for(user, ip) == expected


def test_pilot_access_through_a_network(policy: Policy) -> None:
    groups = policy.directory.groups_for(None, "10.40.8.12")
    assert decide(policy, "chatgpt-web", groups=groups).action == "allow"
    groups = policy.directory.groups_for(None, "10.30.0.9")
    assert decide(policy, "chatgpt-web", groups=groups).action == "block"


# -- model rules -------------------------------------------------------------------------------------


def test_model_deny_list() -> None:
    rule = ModelRule(mode="deny", patterns=("o1-pro*", "GPT-4.5*"), reason="r", reason_en=None)
    assert rule.forbids("o1-pro")
    assert rule.forbids("gpt-4.5-preview")
    assert not rule.forbids("gpt-4o")
    assert rule.matching_pattern("GPT-4.5-PREVIEW") == "GPT-4.5*"


def test_model_allow_list() -> None:
    rule = ModelRule(mode="allow", patterns=("mistral-small*", "codestral-*"), reason="r", reason_en=None)
    assert not rule.forbids("mistral-small-latest")
    assert not rule.forbids("Codestral-2501")
    assert rule.forbids("mistral-large-latest")
    assert rule.forbids("")


def test_allow_list_decision(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    _edit(
        rules / "policy.yaml",
        "  mistral-api:\n    status: approved\n",
        "  mistral-api:\n    status: approved\n    models:\n      allow: [mistral-small*]\n"
        '      reason: "seul le petit modèle est validé"\n',
    )
    policy = load_policy(rules)
    assert decide(policy, "mistral-api", model="mistral-small-latest").action == "allow"
    blocked = decide(policy, "mistral-api", model="mistral-large-latest")
    assert (blocked.code, blocked.rule_id) == ("model_forbidden", "modele:mistral-api:hors-liste")
    assert blocked.reason == "seul le petit modèle est validé"


def test_unlisted_pilot_default(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    _edit(
        rules / "policy.yaml",
        "  unlisted_tool: forbidden\n",
        "  unlisted_tool: pilot\n  unlisted_groups: [informatique]\n",
    )
    policy = load_policy(rules)
    assert decide(policy, "groq", groups=("informatique",)).rule_id == "outil:defaut:pilote"
    assert decide(policy, "groq", groups=("rh",)).code == "tool_pilot_only"


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("10MiB", 10 * 1024**2),
        ("512 KiB", 512 * 1024),
        ("10Mo", 10_000_000),
        ("1048576", 1048576),
        (2048, 2048),
    ],
)
def test_parse_size(text: str | int, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "dix Mo", "10 MegaBytes", "-1MiB", "0", 0, True])
def test_parse_size_rejects(text: object) -> None:
    with pytest.raises(ValueError):
        parse_size(text)  # type: ignore[arg-type]


# -- broken rules files ----------------------------------------------------------------------------


def _copy_rules(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir()
    for name in RULES_FILES:
        shutil.copy(RULES / name, rules / name)
    return rules


def _edit(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {path.name}"
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


def _line_of(text: str, anchor: str) -> int:
    assert text.count(anchor) == 1, f"anchor {anchor!r} must occur once"
    return text[: text.index(anchor)].count("\n") + 1


# (file, old text, new text, anchor whose line is reported, message)
BROKEN = {
    "bad yaml": (
        "policy.yaml",
        '    reason: "Fournisseur français',
        '   reason: "Fournisseur français',
        "Fournisseur français",
        "invalid YAML: expected <block end>, but found '<block mapping start>'",
    ),
    "unknown key": (
        "policy.yaml",
        "  anthropic-api:\n    status: approved\n",
        "  anthropic-api:\n    stauts: approved\n",
        "stauts",
        "tools.anthropic-api: unknown key 'stauts' (did you mean 'status'?)",
    ),
    "unknown top-level key": (
        "policy.yaml",
        "extra_hosts: []\n",
        "extra_host: []\n",
        "extra_host:",
        "unknown key 'extra_host' (did you mean 'extra_hosts'?)",
    ),
    "bad status": (
        "policy.yaml",
        "  anthropic-api:\n    status: approved\n",
        "  anthropic-api:\n    status: aproved\n",
        "aproved",
        "tools.anthropic-api.status: 'aproved' is not one of approved, warn, validation_manager, pilot, "
        "forbidden (did you mean 'approved'?)",
    ),
    "pilot without groups": (
        "policy.yaml",
        "    groups: [pilote-ia]\n",
        "",
        "status: pilot",
        "tools.chatgpt-web: status pilot needs 'groups' (who may use the tool during the pilot)",
    ),
    "groups on an approved tool": (
        "policy.yaml",
        "  mistral-api:\n    status: approved\n",
        "  mistral-api:\n    status: approved\n    groups: [rh]\n",
        "groups: [rh]",
        "tools.mistral-api.groups: only applies to status pilot, not approved",
    ),
    "forbidden without reason": (
        "policy.yaml",
        "  deepseek-chat:\n",
        "  deepl:\n    status: forbidden # sans motif\n  deepseek-chat:\n",
        "# sans motif",
        "tools.deepl: status forbidden needs a 'reason' (shown to the employee)",
    ),
    "unknown tool id": (
        "policy.yaml",
        "  deepseek-chat:\n",
        "  deepseek:\n    status: forbidden\n    reason: interdit\n  deepseek-chat:\n",
        "deepseek:",
        "tools.deepseek: unknown tool 'deepseek' (not in catalog.yaml) (did you mean 'deepseek-api'?)",
    ),
    "allow and deny": (
        "policy.yaml",
        '      deny: ["o1-pro*"]\n',
        '      deny: ["o1-pro*"]\n      allow: ["gpt-4o*"]\n',
        'deny: ["o1-pro*"]',
        "tools.openai-api.models: use either 'allow' or 'deny', not both",
    ),
    "bad date": (
        "policy.yaml",
        "  next_review: 2027-01-05",
        "  next_review: 2027-13-05",
        "next_review:",
        "policy.next_review: '2027-13-05' is not a date (expected YYYY-MM-DD)",
    ),
    "review dates reversed": (
        "policy.yaml",
        "  next_review: 2027-01-05",
        "  next_review: 2026-01-05",
        "next_review:",
        "policy.next_review: 2026-01-05 must be after policy.last_review (2026-10-05)",
    ),
    "unquoted version": (
        "policy.yaml",
        '  version: "2026.4"\n',
        "  version: 2026.10\n",
        "version: 2026.10",
        "policy.version: expected text, got the number 2026.1 (put it in quotes)",
    ),
    "bad size": (
        "policy.yaml",
        "  body_size_limit: 10MiB\n",
        "  body_size_limit: 10 mégaoctets\n",
        "body_size_limit",
        "defaults.body_size_limit: '10 mégaoctets' is not a size (examples: 10MiB, 512KiB, 10Mo, 1048576)",
    ),
    "bad data rule action": (
        "policy.yaml",
        "    action: redact\n",
        "    action: redacte\n",
        "redacte",
        "data_rules[2].action: 'redacte' is not one of block, redact, pseudonymize, allow, warn, "
        "validation_manager (did you mean 'redact'?)",
    ),
    "min_score out of range": (
        "policy.yaml",
        "    action: block\n    min_score: 0.5\n",
        "    action: block\n    min_score: 50\n",
        "min_score: 50",
        "data_rules[0].min_score: expected a number from 0 to 1, got the number 50",
    ),
    "bad cidr": (
        "directory.yaml",
        "  - cidr: 10.30.0.0/16",
        "  - cidr: 10.30.0.0/33",
        "10.30.0.0/33",
        "networks[1].cidr: '10.30.0.0/33' is not a valid network ('33' is not a valid netmask)",
    ),
    "cidr with host bits": (
        "directory.yaml",
        "  - cidr: 10.30.0.0/16",
        "  - cidr: 10.30.0.1/16",
        "10.30.0.1/16",
        "networks[1].cidr: '10.30.0.1/16' is not a valid network (10.30.0.1/16 has host bits set)",
    ),
    "unknown group for a user": (
        "directory.yaml",
        "  adurand: [rh]\n",
        "  adurand: [rhh]\n",
        "adurand: [rhh]",
        "users.adurand: unknown group 'rhh' (declare it under groups:) (did you mean 'rh'?)",
    ),
    "unknown group for a pilot": (
        "policy.yaml",
        "    groups: [pilote-ia]\n",
        "    groups: [pilotes-ia]\n",
        "pilotes-ia",
        "tools.chatgpt-web.groups: unknown group 'pilotes-ia' (not declared in directory.yaml) "
        "(did you mean 'pilote-ia'?)",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_rules_are_reported_with_file_and_line(tmp_path: Path, case: str) -> None:
    file_name, old, new, anchor, message = BROKEN[case]
    rules = _copy_rules(tmp_path)
    text = _edit(rules / file_name, old, new)
    line = _line_of(text, anchor)
    with pytest.raises(ConfigError) as info:
        load_policy(rules)
    problems = info.value.problems
    assert problems == [ConfigProblem(str(rules / file_name), line, message)]
    assert str(problems[0]) == f"{rules / file_name}:{line}: {message}"
    assert check_config(rules) == problems


def test_missing_referents_section(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    text = (rules / "policy.yaml").read_text(encoding="utf-8")
    start = text.index("referents:\n")
    end = text.index("defaults:\n")
    (rules / "policy.yaml").write_text(text[:start] + "referents: []\n\n" + text[end:], encoding="utf-8")
    line = _line_of(text[:start] + "referents: []\n", "referents: []")
    assert check_config(rules) == [
        ConfigProblem(
            str(rules / "policy.yaml"),
            line,
            "missing referents: name at least one AI referent (informatique, juridique or metier)",
        )
    ]


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    _edit(
        rules / "policy.yaml",
        "  anthropic-api:\n    status: approved\n",
        "  anthropic-api:\n    status: maybe\n",
    )
    _edit(rules / "policy.yaml", "  body_size_limit: 10MiB\n", "  body_size_limit: beaucoup\n")
    _edit(rules / "directory.yaml", "  - cidr: 10.30.0.0/16", "  - cidr: 10.300.0.0/16")
    problems = check_config(rules)
    assert [(Path(p.file).name, p.message.split(":")[0]) for p in problems] == [
        ("policy.yaml", "defaults.body_size_limit"),
        ("policy.yaml", "tools.anthropic-api.status"),
        ("directory.yaml", "networks[1].cidr"),
    ]
    with pytest.raises(ConfigError) as info:
        load_policy(rules)
    assert str(info.value).count("\n") == 2


def test_missing_file(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    (rules / "directory.yaml").unlink()
    assert check_config(rules) == [ConfigProblem(str(rules / "directory.yaml"), 0, "file not found")]


def test_broken_catalog_is_reported_with_policy_problems(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    (rules / "catalog.yaml").write_text("services: [\n", encoding="utf-8")
    _edit(
        rules / "policy.yaml",
        "  anthropic-api:\n    status: approved\n",
        "  anthropic-api:\n    status: maybe\n",
    )
    files = [Path(p.file).name for p in check_config(rules)]
    assert files == ["catalog.yaml", "policy.yaml"]


def test_empty_policy_file(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    (rules / "policy.yaml").write_text("# vide\n", encoding="utf-8")
    messages = [p.message for p in check_config(rules)]
    assert messages == [
        "missing required section 'policy' (version, title, last_review, next_review)",
        "missing referents: name at least one AI referent (informatique, juridique or metier)",
    ]


def test_extra_hosts_are_intercepted(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    _edit(rules / "policy.yaml", "extra_hosts: []\n", "extra_hosts: [AI.Partenaire.example.fr.]\n")
    policy = load_policy(rules)
    assert policy.extra_hosts == ("ai.partenaire.example.fr",)
    assert policy.intercepts("ai.partenaire.example.fr")
    assert policy.intercepts("AI.PARTENAIRE.EXAMPLE.FR")
    assert not policy.intercepts("partenaire.example.fr")


def test_a_misspelt_required_key_is_reported_once(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    _edit(rules / "directory.yaml", "    groups: [marketing]\n", "    groupes: [marketing]\n")
    problems = check_config(rules)
    assert [p.message for p in problems] == ["networks[1]: unknown key 'groupes' (did you mean 'groups'?)"]


def test_user_names_ignore_case_and_must_be_unique(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    text = _edit(
        rules / "directory.yaml", "  lpetit: [commercial]\n", "  lpetit: [commercial]\n  LPetit: [rh]\n"
    )
    assert check_config(rules) == [
        ConfigProblem(
            str(rules / "directory.yaml"),
            _line_of(text, "LPetit"),
            f"users.LPetit: same user as line {_line_of(text, 'lpetit: [commercial]')} "
            "(user names ignore case)",
        )
    ]


def test_unlisted_pilot_needs_declared_groups(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    text = _edit(
        rules / "policy.yaml",
        "  unlisted_tool: forbidden\n",
        "  unlisted_tool: pilot\n  unlisted_groups: [informatiques]\n",
    )
    assert check_config(rules) == [
        ConfigProblem(
            str(rules / "policy.yaml"),
            _line_of(text, "[informatiques]"),
            "defaults.unlisted_groups: unknown group 'informatiques' (not declared in directory.yaml) "
            "(did you mean 'informatique'?)",
        )
    ]


def test_tool_data_overrides(tmp_path) -> None:
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    text = (rules / "policy.yaml").read_text()
    marker = "  mistral-api:\n    status: approved\n"
    assert marker in text
    (rules / "policy.yaml").write_text(
        text.replace(marker, marker + "    data: {FR_SIREN: allow, IBAN_CODE: block}\n")
    )
    policy = load_policy(rules)
    assert policy.tool_policy("mistral-api").data_overrides == {"FR_SIREN": "allow", "IBAN_CODE": "block"}
    (rules / "policy.yaml").write_text(text.replace(marker, marker + "    data: {iban: nope}\n"))
    problems = check_config(rules)
    assert any("must be upper case" in str(p) for p in problems)


def test_unscannable_content_policy(policy: Policy, tmp_path) -> None:
    assert policy.unscannable_action("openai-api", "outside_eu", "image") == "allow"
    assert policy.unscannable_action("openai-api", "outside_eu", "token_ids") == "block"
    assert policy.unscannable_action("llm-interne", "company", "binary") == "allow"
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    text = (rules / "policy.yaml").read_text()
    marker = "  mistral-api:\n    status: approved\n"
    (rules / "policy.yaml").write_text(text.replace(marker, marker + "    unscannable: {image: block}\n"))
    assert load_policy(rules).unscannable_action("mistral-api", "eu", "image") == "block"
    (rules / "policy.yaml").write_text(text.replace(marker, marker + "    unscannable: {imag: block}\n"))
    assert any("imag" in str(p) for p in check_config(rules))


def test_unknown_entity_types_are_refused_with_a_suggestion(tmp_path: Path) -> None:
    """A typo such as FR_NRI used to pass check-config and then never match anything."""
    rules = _copy_rules(tmp_path)
    _edit(rules / "policy.yaml", "  mistral-api:\n", "  mistral-api:\n    data: {URLL: block}\n")
    lines = (rules / "policy.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, x in enumerate(lines, 1) if "entities:" in x and "FR_NIR" in x)
    _edit(rules / "policy.yaml", lines[line - 1] + "\n", lines[line - 1].replace("FR_NIR", "FR_NRI") + "\n")
    with pytest.raises(ConfigError) as exc:
        load_policy(rules)
    messages = [str(p) for p in exc.value.problems]
    assert any(f"policy.yaml:{line}:" in m and "'FR_NRI'" in m and "FR_NIR" in m for m in messages), messages
    assert any("'URLL'" in m and "URL" in m for m in messages), messages


def test_custom_recogniser_types_may_be_named(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    shutil.copy(RULES / "recognizers.yaml", rules / "recognizers.yaml")
    _edit(rules / "policy.yaml", "  mistral-api:\n", "  mistral-api:\n    data: {NUMERO_CLIENT: block}\n")
    assert load_policy(rules).tool_policy("mistral-api").data_overrides == {"NUMERO_CLIENT": "block"}
    (rules / "recognizers.yaml").unlink()
    with pytest.raises(ConfigError):
        load_policy(rules)
