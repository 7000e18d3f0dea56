"""The policy change an accepted adoption step produces: ``policy.yaml`` edited, checked, then applied.

The pilot step puts the tool in ``pilot`` for one group, the rollout step makes it ``approved``; each
change bumps the policy version and adds a changelog entry (the compte-rendu published to the teams).
The file is edited with ruamel.yaml's round-trip mode so the referents' comments and layout stay.
A proposal is validated exactly as ``dlp-proxy check-config`` does (the whole rules directory, copied
with the new file) and shown as ``dlp-proxy policy diff`` shows it. A second referent approves it;
:func:`apply` then writes it atomically, only if ``policy.yaml`` has not changed in the meantime; the
proxy's rules watcher reloads it (every replica watching that directory).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from dlp_proxy.errors import ConfigError
from dlp_proxy.policy import Policy, check_config, load_policy
from dlp_proxy.policy.diff import diff_policies, render_markdown

POLICY_FILE = "policy.yaml"


class ChangeError(Exception):
    """The change cannot be made (unknown tool, invalid result, policy changed meanwhile)."""


@dataclass(frozen=True)
class Change:
    base_sha: str
    text: str
    summary: str


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def next_version(version: str) -> str:
    """``2026.4`` → ``2026.4.1`` → ``2026.4.2``: a revision of the quarter's policy."""
    parts = version.split(".")
    if len(parts) >= 3 and parts[-1].isdigit():
        return ".".join([*parts[:-1], str(int(parts[-1]) + 1)])
    return f"{version}.1"


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 100
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def propose(
    rules_dir: Path, policy: Policy, request: Any, step: str, details: dict[str, str], signer: str, day: str
) -> Change:
    """The new ``policy.yaml`` text for an accepted pilot or rollout step, checked like check-config."""
    tool = request.tool
    service = policy.catalog.get(tool)
    if service is None:
        raise ChangeError("outil absent du catalogue (catalog.yaml) : ajoutez-le d'abord")
    path = Path(rules_dir) / POLICY_FILE
    base = path.read_text(encoding="utf-8")
    y = _yaml()
    doc = y.load(base)
    tools = doc.setdefault("tools", {})
    if tools is None:
        doc["tools"] = tools = {}
    entry = tools.get(tool)
    if entry is None:
        entry = {}
        tools[tool] = entry
    today = date.today().isoformat()
    if step == "pilot":
        group, end = details["group"], details["end"]
        reason = (
            f"{service.name} est en test pilote (étape 3 de la procédure d'adoption, demande "
            f"n° {request.id}), réservé au groupe {group} jusqu'au {end}."
        )
        entry["status"] = "pilot"
        entry["groups"] = [group]
        entry["reason"] = reason
        entry.pop("reason_en", None)
        summary = f"{service.name} passe en test pilote, réservé au groupe {group} (jusqu'au {end})."
    elif step == "rollout":
        entry["status"] = "approved"
        entry.pop("groups", None)
        entry["reason"] = (
            f"{service.name} est autorisé après la procédure d'adoption (demande n° {request.id}) : "
            f"validations juridique et informatique, test pilote, déploiement progressif."
        )
        entry.pop("reason_en", None)
        summary = f"{service.name} est autorisé pour tous (déploiement progressif, demande n° {request.id})."
    else:
        raise ChangeError(f"l'étape {step} ne modifie pas la politique")
    meta = doc["policy"]
    version = next_version(str(meta["version"]))
    meta["version"] = DoubleQuotedScalarString(version)
    meta["last_review"] = today
    log_entries = meta.get("changelog")
    if log_entries is None:
        meta["changelog"] = log_entries = []
    log_entries.insert(
        0,
        {
            "version": DoubleQuotedScalarString(version),
            "date": today,
            "changes": [f"{summary} Validé par {signer} le {day}."],
        },
    )
    out = io.StringIO()
    y.dump(doc, out)
    text = out.getvalue()
    problems = check_text(rules_dir, text)
    if problems:
        raise ChangeError("; ".join(problems[:3]))
    return Change(sha(base), text, summary)


def _with_policy(rules_dir: Path, text: str) -> tempfile.TemporaryDirectory:
    tmp = tempfile.TemporaryDirectory(prefix="dlp-policy-")
    copy = Path(tmp.name) / "rules"
    shutil.copytree(rules_dir, copy)
    (copy / POLICY_FILE).write_text(text, encoding="utf-8")
    return tmp


def check_text(rules_dir: Path, text: str) -> list[str]:
    """``check-config`` on the rules directory with this ``policy.yaml`` (problems, [] when valid)."""
    with _with_policy(rules_dir, text) as tmp:
        return [re.sub(r"^.*/rules/", "", str(p)) for p in check_config(Path(tmp) / "rules")]


def diff_text(rules_dir: Path | None, text: str, lang: str = "fr") -> str:
    """``dlp-proxy policy diff`` between the rules in force and this proposal (Markdown)."""
    if rules_dir is None:
        return ""
    try:
        old = load_policy(rules_dir)
        with _with_policy(rules_dir, text) as tmp:
            new = load_policy(Path(tmp) / "rules")
        return render_markdown(diff_policies(old, new), lang)
    except ConfigError as exc:
        return str(exc)


def apply(rules_dir: Path | None, base_sha: str, text: str) -> None:
    """Write the approved ``policy.yaml`` atomically if nobody changed it since the proposal."""
    if rules_dir is None:
        raise ChangeError("répertoire des règles inconnu")
    path = Path(rules_dir) / POLICY_FILE
    if sha(path.read_text(encoding="utf-8")) != base_sha:
        raise ChangeError("policy.yaml a changé depuis la proposition : proposez de nouveau")
    problems = check_text(rules_dir, text)
    if problems:
        raise ChangeError("; ".join(problems[:3]))
    write_policy(path, text)


def write_policy(path: Path, text: str) -> None:
    """Replace ``policy.yaml`` atomically (the rules watcher never sees half a file)."""
    fd, tmp = tempfile.mkstemp(prefix=".policy-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
