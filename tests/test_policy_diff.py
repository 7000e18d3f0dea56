"""``dlp-proxy policy diff``: the compte-rendu of a policy review says precisely what changed.

Each test copies the shipped rules twice, edits the copy the way a referent would after a quarterly
review, and checks the Markdown (French, and English with ``--lang en``) names every change.
"""

from __future__ import annotations

import argparse
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from dlp_proxy.policy import load_policy
from dlp_proxy.policy.cli import register
from dlp_proxy.policy.diff import PolicyDiff, diff_policies, render_markdown
from dlp_proxy.policy.review import format_date, review_status

RULES = Path(__file__).resolve().parent.parent / "rules"
RULES_FILES = ("catalog.yaml", "policy.yaml", "directory.yaml", "recognizers.yaml")


# -- helpers -----------------------------------------------------------------------------------------


def copy_rules(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in RULES_FILES:
        shutil.copyfile(RULES / name, dest / name)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must occur exactly once) in ``path``."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def replace_block(path: Path, start: str, end: str, new: str) -> None:
    """Replace the text from ``start`` (occurring once) up to, not including, the next ``end``."""
    text = path.read_text(encoding="utf-8")
    assert text.count(start) == 1, start
    first = text.index(start)
    last = text.index(end, first)
    path.write_text(text[:first] + new + text[last:], encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def section(markdown: str, heading: str) -> str:
    """The body of the ``## heading`` section (up to the next ``## ``), which must exist."""
    marker = f"\n## {heading}\n"
    assert marker in markdown, f"no section {heading!r} in:\n{markdown}"
    body = markdown.split(marker, 1)[1]
    return body.split("\n## ", 1)[0]


def compare(old_dir: Path, new_dir: Path) -> tuple[PolicyDiff, str, str]:
    diff = diff_policies(load_policy(old_dir), load_policy(new_dir))
    return diff, render_markdown(diff), render_markdown(diff, lang="en")


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    return copy_rules(tmp_path / "old"), copy_rules(tmp_path / "new")


def bump_version(policy_file: Path, changes: list[str] | None = None) -> None:
    """What a referent does after a review: new version, dates moved by a quarter, changelog entry."""
    edit(policy_file, 'version: "2026.4"\n  title', 'version: "2027.1"\n  title')
    edit(policy_file, "last_review: 2026-10-05", "last_review: 2027-01-05")
    edit(policy_file, "next_review: 2027-01-05 #", "next_review: 2027-04-05 #")
    if changes is not None:
        entry = '    - version: "2027.1"\n      date: 2027-01-05\n      changes:\n'
        entry += "".join(f'        - "{change}"\n' for change in changes)
        edit(policy_file, "  changelog:\n", "  changelog:\n" + entry)


# -- nothing changed ---------------------------------------------------------------------------------


def test_identical_policies_say_no_change(dirs: tuple[Path, Path]) -> None:
    diff, fr, en = compare(*dirs)
    assert diff.is_empty and not diff.rules_changed
    assert "**Aucun changement**" in fr
    assert "**No changes**" in en
    for heading in ("Outils ajoutés", "Outils retirés", "Changements de statut", "Limitations de modèles"):
        assert f"## {heading}" not in fr
    assert "## Calendrier de révision" not in fr
    assert "## Ce qui change selon les référents" not in fr  # the 2026.4 entry was already published
    # The reminder and the contacts close every compte-rendu.
    assert "## Rappel : adopter un nouvel outil d'IA" in fr
    assert "referent-ia-juridique@example.fr" in section(fr, "Vos référents IA")


def test_only_the_review_dates_moved(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    bump_version(new / "policy.yaml")
    diff, fr, en = compare(old, new)
    assert not diff.is_empty and not diff.rules_changed and diff.review_changed
    assert fr.startswith(
        "# Politique IA : version 2026.4 (5 octobre 2026) → version 2027.1 (5 janvier 2027)\n"
    )
    assert en.startswith("# AI policy: version 2026.4 (5 October 2026) → version 2027.1 (5 January 2027)\n")
    assert "**Aucun changement** des règles" in fr
    calendar = section(fr, "Calendrier de révision")
    assert "- Dernière révision : 5 octobre 2026 → 5 janvier 2027" in calendar
    assert "- Prochaine révision : 5 janvier 2027 → 5 avril 2027" in calendar
    assert "- Next review: 5 January 2027 → 5 April 2027" in section(en, "Review calendar")
    assert "## Outils" not in fr


# -- tools -------------------------------------------------------------------------------------------


def test_status_change_pilot_to_approved(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    policy = new / "policy.yaml"
    edit(policy, "  chatgpt-web:\n    status: pilot", "  chatgpt-web:\n    status: approved")
    edit(policy, "    groups: [pilote-ia]\n", "")
    replace_block(
        policy,
        "    reason: >-\n      ChatGPT (interface web) est en test pilote",
        "    usage:",
        '    reason: "Contrat entreprise signé : ChatGPT est ouvert à tous."\n'
        '    reason_en: "Enterprise agreement signed: ChatGPT is open to all."\n',
    )

    diff, fr, en = compare(old, new)
    assert [c.service_id for c in diff.status_changes] == ["chatgpt-web"]
    assert (
        "- **ChatGPT (interface web)** : test pilote (groupe pilote-ia) → autorisé. "
        "Motif : « Contrat entreprise signé : ChatGPT est ouvert à tous. »"
    ) in section(fr, "Changements de statut")
    assert (
        "- **ChatGPT (interface web)**: pilot (group pilote-ia) → approved. "
        "Reason: “Enterprise agreement signed: ChatGPT is open to all.”"
    ) in section(en, "Status changes")
    assert "## Groupes des tests pilotes" not in fr  # the groups went with the pilot status


def test_new_forbidden_tool(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    edit(
        new / "policy.yaml",
        "  deepseek-chat:\n",
        "  perplexity-web:\n    status: forbidden\n"
        '    reason: "Pas de contrat entreprise, sources non maîtrisées."\n'
        '    reason_en: "No enterprise agreement."\n\n  deepseek-chat:\n',
    )
    diff, fr, en = compare(old, new)
    assert [c.service_id for c in diff.tools_added] == ["perplexity-web"]
    assert (
        "- **Perplexity (interface web)** : interdit ; auparavant interdit par défaut (outil non listé). "
        "Motif : « Pas de contrat entreprise, sources non maîtrisées. »"
    ) in section(fr, "Outils ajoutés")
    assert (
        "- **Perplexity (interface web)**: forbidden; previously forbidden by default (tool not listed). "
        "Reason: “No enterprise agreement.”"
    ) in section(en, "Tools added")


def test_tool_removed_falls_back_to_the_default(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    edit(
        new / "policy.yaml",
        "  anthropic-api:\n    status: approved\n",
        "  claude-web:\n    status: approved\n",
    )
    diff, fr, _ = compare(old, new)
    assert [c.service_id for c in diff.tools_removed] == ["anthropic-api"]
    assert [c.service_id for c in diff.tools_added] == ["claude-web"]
    removed = section(fr, "Outils retirés")
    assert (
        "- **Anthropic API (Claude)** : retiré de la liste des outils, désormais interdit par défaut "
        "(outil non listé) ; auparavant autorisé. Motif : « Cet outil d'IA ne fait pas partie"
    ) in removed
    assert "- **Claude (interface web)** : autorisé ; auparavant interdit par défaut" in section(
        fr, "Outils ajoutés"
    )


def test_tool_removed_from_policy_and_catalog(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    replace_block(new / "policy.yaml", "  deepseek-api:\n", "  deepseek-chat:\n", "")
    replace_block(new / "catalog.yaml", "  - id: deepseek-api\n", "  - id: deepseek-chat\n", "")
    diff, fr, en = compare(old, new)
    assert [(c.service_id, c.new_known) for c in diff.tools_removed] == [("deepseek-api", False)]
    assert not diff.service_changes  # already told under "Outils retirés"
    assert (
        "- **DeepSeek API** : retiré de la politique et du catalogue des services suivis par le proxy ; "
        "auparavant interdit."
    ) in section(fr, "Outils retirés")
    assert "removed from the policy and from the catalog" in section(en, "Tools removed")


def test_a_tool_now_forbidden_drops_its_model_limits(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    replace_block(
        new / "policy.yaml",
        "  openai-api:\n    status: approved\n",
        "  anthropic-api:\n",
        '  openai-api:\n    status: forbidden\n    reason: "Contrat résilié."\n\n',
    )
    diff, fr, _ = compare(old, new)
    assert [c.service_id for c in diff.status_changes] == ["openai-api"]
    assert not diff.model_changes and not diff.usage_changes
    assert "- **OpenAI API** : autorisé → interdit. Motif : « Contrat résilié. »" in fr
    assert "## Limitations de modèles" not in fr


def test_pilot_groups_changed(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    edit(new / "policy.yaml", "    groups: [pilote-ia]\n", "    groups: [pilote-ia, marketing]\n")
    diff, fr, en = compare(old, new)
    assert [c.service_id for c in diff.group_changes] == ["chatgpt-web"]
    assert not diff.status_changes
    assert (
        "- **ChatGPT (interface web)** : test pilote (groupe pilote-ia) → test pilote "
        "(groupes pilote-ia et marketing) (ouvert à : marketing)"
    ) in section(fr, "Groupes des tests pilotes")
    assert "(opened to: marketing)" in section(en, "Pilot groups")


def test_default_for_unlisted_tools_changed(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    edit(
        new / "policy.yaml",
        "  unlisted_tool: forbidden\n",
        "  unlisted_tool: pilot\n  unlisted_groups: [informatique]\n",
    )
    diff, fr, _ = compare(old, new)
    assert diff.unlisted_change is not None
    assert (
        "- **Outils du catalogue non listés dans la politique** : "
        "interdit → test pilote (groupe informatique)."
    ) in section(fr, "Changements de statut")
    # No longer forbidden by default: the reminder must not claim it.
    assert "interdit par défaut" not in section(fr, "Rappel : adopter un nouvel outil d'IA")


# -- models ------------------------------------------------------------------------------------------


def test_model_limits_added_and_extended(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    policy = new / "policy.yaml"
    edit(policy, 'deny: ["o1-pro*"]', 'deny: ["o1-pro*", "gpt-4.5*"]')
    edit(
        policy,
        "  mistral-api:\n    status: approved\n",
        "  mistral-api:\n    status: approved\n    models:\n"
        '      allow: ["mistral-large*", "mistral-small*"]\n'
        '      reason: "seuls les modèles validés par la DSI"\n'
        '      reason_en: "only the models validated by IT"\n',
    )
    diff, fr, en = compare(old, new)
    assert [(c.service_id, c.kind) for c in diff.model_changes] == [
        ("mistral-api", "added"),
        ("openai-api", "changed"),
    ]
    assert diff.model_changes[1].patterns_added == ("gpt-4.5*",)
    models = section(fr, "Limitations de modèles")
    assert (
        "- **Mistral AI API** : nouvelle limitation, seuls les modèles `mistral-large*` et "
        "`mistral-small*` sont autorisés. Motif : « seuls les modèles validés par la DSI »."
    ) in models
    assert (
        "- **OpenAI API** : désormais interdits : `gpt-4.5*`. Motif : « coût et usage non validé »."
    ) in models
    models_en = section(en, "Model limits")
    assert "- **OpenAI API**: now forbidden: `gpt-4.5*`. Reason: “cost and use not validated”." in models_en
    assert "only models `mistral-large*` and `mistral-small*` are allowed" in models_en


def test_model_limit_lifted(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    edit(
        new / "policy.yaml",
        '    models:\n      deny: ["o1-pro*"]\n      reason: "coût et usage non validé"\n'
        '      reason_en: "cost and use not validated"\n',
        "",
    )
    _, fr, _ = compare(old, new)
    assert "- **OpenAI API** : limitation levée (auparavant : modèles interdits : `o1-pro*`)." in section(
        fr, "Limitations de modèles"
    )


# -- data rules --------------------------------------------------------------------------------------


def test_data_rule_action_and_score_changed(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    edit(
        new / "policy.yaml",
        "    hosting: [eu, outside_eu]\n    action: redact\n    min_score: 0.5\n",
        "    hosting: [eu, outside_eu]\n    action: block\n    min_score: 0.7\n",
    )
    diff, fr, en = compare(old, new)
    assert [(c.rule_id, c.kind) for c in diff.data_rule_changes] == [
        ("identifiants-retires-hors-entreprise", "changed")
    ]
    rules = section(fr, "Règles de protection des données")
    assert "- **Règle `identifiants-retires-hors-entreprise` modifiée** :" in rules
    assert "  - Action : masqué → bloqué (la requête est refusée)" in rules
    assert "  - Score minimal de détection : 0,5 → 0,7" in rules
    rules_en = section(en, "Data protection rules")
    assert "  - Action: redacted → blocked (the request is refused)" in rules_en
    assert "  - Minimum detection score: 0.5 → 0.7" in rules_en


def test_data_rule_entities_hosting_added_removed_and_reordered(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    policy = new / "policy.yaml"
    edit(
        policy,
        "    entities: [SECRET, FR_NIR, CREDIT_CARD, FR_NIF, FR_PASSPORT, FR_CNI]\n"
        "    hosting: [eu, outside_eu]\n",
        "    entities: [SECRET, FR_NIR, CREDIT_CARD, FR_NIF, FR_PASSPORT, FR_CNI, IBAN_CODE]\n"
        "    hosting: [outside_eu]\n",
    )
    text = policy.read_text(encoding="utf-8")
    # Move the company rule first, and add a rule for a custom type (pseudonymised).
    start = text.index("  - id: outils-heberges-par-l-entreprise")
    end = text.index("\n# Hôtes supplémentaires")
    company_rule = text[start:end].rstrip("\n") + "\n\n"
    text = text[:start] + text[end:]
    first = text.index("  - id: identifiants-sensibles-hors-entreprise")
    new_rule = (
        "  - id: numeros-clients\n    description: Les numéros clients sont pseudonymisés.\n"
        "    entities: [NUMERO_CLIENT]\n    hosting: [eu]\n    action: pseudonymize\n\n"
    )
    policy.write_text(text[:first] + company_rule + new_rule + text[first:], encoding="utf-8")

    diff, fr, en = compare(old, new)
    assert [(c.rule_id, c.kind) for c in diff.data_rule_changes] == [
        ("numeros-clients", "added"),
        ("identifiants-sensibles-hors-entreprise", "changed"),
    ]
    assert diff.data_rule_order == (
        "outils-heberges-par-l-entreprise",
        "numeros-clients",
        "identifiants-sensibles-hors-entreprise",
        "donnees-personnelles-hors-entreprise",
        "identifiants-retires-hors-entreprise",
    )
    rules = section(fr, "Règles de protection des données")
    assert "- **Nouvelle règle `numeros-clients`** : Les numéros clients sont pseudonymisés." in rules
    assert "  - Données : `NUMERO_CLIENT`" in rules
    assert "  - Pour les outils hébergés dans l'UE" in rules
    assert (
        "  - Action : pseudonymisé "
        "(les valeurs sont remplacées avant l'envoi, puis restaurées dans la réponse)" in rules
    )
    assert "  - Données ajoutées : IBAN (`IBAN_CODE`)" in rules
    assert (
        "  - S'applique désormais aux outils hébergés hors UE "
        "(auparavant : outils hébergés dans l'UE et hors UE)" in rules
    )
    assert (
        "- **Ordre des règles modifié** (la première règle applicable décide) : "
        "`outils-heberges-par-l-entreprise`, `numeros-clients`, "
        "`identifiants-sensibles-hors-entreprise`, `donnees-personnelles-hors-entreprise`, "
        "`identifiants-retires-hors-entreprise`." in rules
    )
    assert "  - Data added: IBAN (`IBAN_CODE`)" in section(en, "Data protection rules")


def test_data_rule_removed(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    policy = new / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    start = text.index("  - id: outils-heberges-par-l-entreprise")
    end = text.index("\n# Hôtes supplémentaires")
    policy.write_text(text[:start] + text[end:], encoding="utf-8")
    diff, fr, _ = compare(old, new)
    assert [(c.rule_id, c.kind) for c in diff.data_rule_changes] == [
        ("outils-heberges-par-l-entreprise", "removed")
    ]
    assert diff.data_rule_order is None
    assert (
        "- **Règle supprimée `outils-heberges-par-l-entreprise`** : Les outils hébergés par l'entreprise"
        in section(fr, "Règles de protection des données")
    )
    assert "(elle s'appliquait aux outils hébergés par l'entreprise : autorisé)" in fr


def test_per_tool_data_override(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    edit(
        new / "policy.yaml",
        "  mistral-api:\n    status: approved\n",
        "  mistral-api:\n    status: approved\n    data:\n      FR_SIREN: allow\n",
    )
    diff, fr, en = compare(old, new)
    assert [(c.service_id, c.entity, c.old, c.new) for c in diff.override_changes] == [
        ("mistral-api", "FR_SIREN", None, "allow")
    ]
    assert (
        "- **Mistral AI API**, SIREN (`FR_SIREN`) : "
        "autorisé (aucune action), nouvelle exception à la règle générale."
        in section(fr, "Exceptions par outil aux règles de protection des données")
    )
    assert "allowed (nothing is done), new exception to the general rule." in en


# -- guidance, catalog, referents, changelog ---------------------------------------------------------


def test_usage_guidance_changes(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    edit(
        new / "policy.yaml",
        '    - "Saisir des mots de passe',
        '    - "Coller du code source client dans un outil d\'IA."\n    - "Saisir des mots de passe',
    )
    _, fr, en = compare(old, new)
    usages = section(fr, "Usages et consignes")
    assert (
        "- **Usages interdits** :\n  - Ajouté : « Coller du code source client dans un outil d'IA. »"
        in usages
    )
    assert "- **Forbidden uses**:\n  - Added: “Coller du code source client dans un outil d'IA.”" in en


def test_new_catalog_service_is_forbidden_by_default_and_hosting_change(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    catalog = new / "catalog.yaml"
    with catalog.open("a", encoding="utf-8") as fh:
        fh.write(
            "\n  - id: nouvelle-ia\n    name: Nouvelle IA\n    vendor: Exemple SAS\n    family: generic\n"
            "    kind: api\n    hosting: eu\n    hosts:\n      - api.nouvelle-ia.example.com\n"
        )
    edit(
        catalog,
        "    family: mistral\n    kind: api\n    hosting: eu\n",
        "    family: mistral\n    kind: api\n    hosting: outside_eu\n",
    )
    diff, fr, en = compare(old, new)
    assert [(c.service_id, c.kind) for c in diff.service_changes] == [
        ("mistral-api", "changed"),
        ("nouvelle-ia", "added"),
    ]
    services = section(fr, "Services d'IA reconnus par le proxy")
    assert (
        "- **Nouvelle IA** (Exemple SAS, hébergé dans l'UE) : nouveau dans le catalogue, interdit par défaut "
        "comme tout outil non listé dans la politique."
    ) in services
    assert "- **Mistral AI API** : hébergement dans l'UE → hors UE" in services
    assert "new in the catalog, forbidden by default like any tool not listed in the policy." in en


def test_referent_changed(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    edit(
        new / "policy.yaml",
        'name: "Sophie Lefèvre (direction juridique)"',
        'name: "Marc Dubois (direction juridique)"',
    )
    edit(
        new / "policy.yaml",
        'contact: "referent-ia-metier@example.fr"',
        'contact: "julien.bernard@example.fr"',
    )
    diff, fr, en = compare(old, new)
    assert [(c.role, c.old.name, c.new.name) for c in diff.referent_changes] == [
        ("juridique", "Sophie Lefèvre (direction juridique)", "Marc Dubois (direction juridique)"),
        ("metier", "Julien Bernard (marketing)", "Julien Bernard (marketing)"),
    ]
    referents = section(fr, "Référents IA")
    assert (
        "- **Référent juridique** : Sophie Lefèvre (direction juridique) → Marc Dubois (direction juridique)"
        " — referent-ia-juridique@example.fr"
    ) in referents
    assert (
        "- **Référent métier** : Julien Bernard (marketing) : referent-ia-metier@example.fr → "
        "julien.bernard@example.fr"
    ) in referents
    assert (
        "- **Référent juridique** : Marc Dubois (direction juridique), referent-ia-juridique@example.fr"
        in section(fr, "Vos référents IA")
    )
    assert "- **Legal referent**: Sophie Lefèvre (direction juridique) → Marc Dubois" in en


def test_changelog_entry_of_the_new_version_comes_first(dirs: tuple[Path, Path]) -> None:
    old, new = dirs
    bump_version(new / "policy.yaml", ["ChatGPT reste en pilote.", "Nouvelle session de formation en mars."])
    diff, fr, en = compare(old, new)
    assert diff.changelog is not None and diff.changelog.version == "2027.1"
    referents = section(fr, "Ce qui change selon les référents")
    assert "Journal des modifications, version 2027.1 (5 janvier 2027) :" in referents
    assert "- ChatGPT reste en pilote.\n- Nouvelle session de formation en mars." in referents
    assert fr.index("## Ce qui change selon les référents") < fr.index("## Calendrier de révision")
    assert "## What changes, according to the referents" in en


def test_full_review_french_and_english(dirs: tuple[Path, Path]) -> None:
    """Several changes at once: every section in its place, deterministic output."""
    old, new = dirs
    policy = new / "policy.yaml"
    bump_version(policy, ["ChatGPT ouvert au marketing."])
    edit(policy, "    groups: [pilote-ia]\n", "    groups: [pilote-ia, marketing]\n")
    edit(policy, 'deny: ["o1-pro*"]', 'deny: ["o1-pro*", "gpt-4.5*"]')
    edit(
        policy,
        "  deepseek-chat:\n",
        '  perplexity-web:\n    status: forbidden\n    reason: "Non validé."\n\n  deepseek-chat:\n',
    )
    first = render_markdown(diff_policies(load_policy(old), load_policy(new)))
    again = render_markdown(diff_policies(load_policy(old), load_policy(new)))
    assert first == again
    headings = [line for line in first.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Ce qui change selon les référents",
        "## Outils ajoutés",
        "## Groupes des tests pilotes",
        "## Limitations de modèles",
        "## Calendrier de révision",
        "## Rappel : adopter un nouvel outil d'IA",
        "## Vos référents IA",
    ]
    procedure = section(first, "Rappel : adopter un nouvel outil d'IA")
    for step in (
        "1. **Demande formelle**",
        "2. **Validation juridique et informatique**",
        "3. **Test pilote**",
        "4. **Déploiement progressif**",
    ):
        assert step in procedure
    assert "Tout outil d'IA qui ne figure pas dans la politique est interdit par défaut." in procedure
    en = render_markdown(diff_policies(load_policy(old), load_policy(new)), lang="en")
    assert "1. **Formal request**" in en and "4. **Progressive rollout**" in en
    assert "Aucun" not in en and "Outils" not in en


def test_render_rejects_an_unknown_language(dirs: tuple[Path, Path]) -> None:
    diff, _, _ = compare(*dirs)
    with pytest.raises(ValueError, match="unsupported language"):
        render_markdown(diff, lang="de")


# -- the command -------------------------------------------------------------------------------------


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dlp-proxy")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_writes_french_to_stdout(dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    old, new = dirs
    edit(new / "policy.yaml", "  chatgpt-web:\n    status: pilot", "  chatgpt-web:\n    status: approved")
    edit(new / "policy.yaml", "    groups: [pilote-ia]\n", "")
    # OLD as a directory, NEW as its policy.yaml.
    assert run_cli(["policy", "diff", str(old), str(new / "policy.yaml")]) == 0
    out, err = capsys.readouterr()
    assert "**ChatGPT (interface web)** : test pilote (groupe pilote-ia) → autorisé" in out
    assert "same version" in err  # a hint for the referent, not part of the compte-rendu


def test_cli_english_to_a_file(dirs: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    old, new = dirs
    bump_version(new / "policy.yaml", ["Dates only."])
    target = tmp_path / "compte-rendu.md"
    assert run_cli(["policy", "diff", str(old), str(new), "--lang", "en", "--output", str(target)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# AI policy: version 2026.4")
    assert "- Dates only." in text


def test_cli_policy_file_with_another_name(tmp_path: Path, capsys) -> None:
    """``rules/policy-2026.4.yaml`` next to the current files: loaded with its siblings."""
    rules = copy_rules(tmp_path / "rules")
    shutil.copyfile(rules / "policy.yaml", rules / "policy-2026.4.yaml")
    bump_version(rules / "policy.yaml")
    assert run_cli(["policy", "diff", str(rules / "policy-2026.4.yaml"), str(rules)]) == 0
    assert "version 2026.4 (5 octobre 2026) → version 2027.1" in capsys.readouterr().out

    edit(
        rules / "policy-2026.4.yaml",
        "  llm-interne:\n    status: approved",
        "  llm-interne:\n    status: aproved",
    )
    assert run_cli(["policy", "diff", str(rules / "policy-2026.4.yaml"), str(rules)]) == 2
    line = line_of(rules / "policy-2026.4.yaml", "status: aproved")
    assert f"{rules / 'policy-2026.4.yaml'}:{line}: " in capsys.readouterr().err


def test_cli_broken_new_policy_exits_2_with_file_and_line(dirs: tuple[Path, Path], capsys) -> None:
    old, new = dirs
    policy = new / "policy.yaml"
    edit(policy, "  deepseek-api:\n    status: forbidden", "  deepseek-api:\n    status: forbiden")
    edit(new / "directory.yaml", "  rh:\n    description:", "  rh:\n    descripton:")
    assert run_cli(["policy", "diff", str(old), str(new)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert any(line.startswith(f"{policy}:{line_of(policy, 'status: forbiden')}: ") for line in lines), err
    directory = new / "directory.yaml"
    assert any(line.startswith(f"{directory}:{line_of(directory, 'descripton:')}: ") for line in lines), err


def test_cli_missing_path_exits_2(dirs: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    old, _ = dirs
    assert run_cli(["policy", "diff", str(old), str(tmp_path / "nowhere")]) == 2
    assert f"{tmp_path / 'nowhere'}:0: no such file or directory" in capsys.readouterr().err


def test_cli_policy_without_subcommand_exits_2(capsys) -> None:
    assert run_cli(["policy"]) == 2
    assert "diff" in capsys.readouterr().err


# -- review status -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return load_policy(RULES)


def test_review_status_before_on_and_after_the_date(shipped) -> None:
    due = shipped.next_review
    assert due == date(2027, 1, 5)

    before = review_status(shipped, due - timedelta(days=1))
    assert (before.overdue, before.days_left) == (False, 1)
    assert before.message_fr == (
        "Prochaine révision trimestrielle de la politique IA (version 2026.4) le 5 janvier 2027, dans 1 jour."
    )
    assert before.message_en.endswith("on 5 January 2027, in 1 day.")

    on = review_status(shipped, due)
    assert (on.overdue, on.days_left) == (False, 0)
    assert "prévue aujourd'hui (5 janvier 2027)" in on.message_fr
    assert "is due today" in on.message_en
    assert on.overdue == shipped.review_overdue(due)

    after = review_status(shipped, due + timedelta(days=1))
    assert (after.overdue, after.days_left) == (True, -1)
    assert after.overdue == shipped.review_overdue(due + timedelta(days=1))
    assert "est en retard : prévue le 5 janvier 2027, dépassée de 1 jour." in after.message_fr
    assert "compte-rendu" in after.message_fr
    assert "is overdue: it was due on 5 January 2027, 1 day ago." in after.message_en

    late = review_status(shipped, due + timedelta(days=40))
    assert late.days_left == -40 and "40 jours" in late.message_fr and "40 days" in late.message_en
    assert "dans 92 jours" in review_status(shipped, date(2026, 10, 5)).message_fr


def test_format_date() -> None:
    assert format_date(date(2027, 1, 1)) == "1er janvier 2027"
    assert format_date(date(2026, 8, 15)) == "15 août 2026"
    assert format_date(date(2027, 1, 1), "en") == "1 January 2027"


def test_cli_two_lone_policy_files_use_the_shipped_catalog(tmp_path: Path, capsys) -> None:
    """Two policy.yaml kept alone (an e-mail attachment, last quarter's copy): the shipped catalog,
    directory and custom recognisers complete them, and the referent is told so."""
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    shutil.copyfile(RULES / "policy.yaml", tmp_path / "old" / "policy.yaml")
    shutil.copyfile(RULES / "policy.yaml", tmp_path / "new" / "policy.yaml")
    edit(
        tmp_path / "new" / "policy.yaml",
        "  chatgpt-web:\n    status: pilot",
        "  chatgpt-web:\n    status: approved",
    )
    edit(tmp_path / "new" / "policy.yaml", "    groups: [pilote-ia]\n", "")
    assert (
        run_cli(
            ["policy", "diff", str(tmp_path / "old" / "policy.yaml"), str(tmp_path / "new" / "policy.yaml")]
        )
        == 0
    )
    out, err = capsys.readouterr()
    assert "**ChatGPT (interface web)** : test pilote (groupe pilote-ia) → autorisé" in out
    for name in ("catalog.yaml", "directory.yaml", "recognizers.yaml"):
        assert f"note: no {name} next to {tmp_path / 'old' / 'policy.yaml'}: using the shipped" in err
    assert "file not found" not in err


def test_cli_lone_policy_uses_its_own_catalog_when_there_is_one(tmp_path: Path, capsys) -> None:
    rules = copy_rules(tmp_path / "rules")
    edit(rules / "catalog.yaml", "  - id: deepseek-chat\n", "  - id: deepseek-chat-renamed\n")
    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copyfile(rules / "policy.yaml", lone / "policy.yaml")
    # its own (broken: the policy names a tool its catalog no longer has) catalog is the one checked
    assert run_cli(["policy", "diff", str(lone / "policy.yaml"), str(rules / "policy.yaml")]) == 2
    err = capsys.readouterr().err
    assert f"note: no catalog.yaml next to {lone / 'policy.yaml'}" in err
    assert "note: no catalog.yaml next to " + str(rules / "policy.yaml") not in err
    assert str(rules / "policy.yaml") + ":" in err and "deepseek-chat" in err
