"""``dlp-proxy policy …``: the referents' tools around the policy files.

``dlp-proxy policy diff OLD NEW [--lang fr|en] [--output FILE]`` writes the compte-rendu of a review:
the Markdown summary, for staff, of what changed between two versions of the policy. OLD and NEW are
rules directories (``catalog.yaml``, ``policy.yaml``, ``directory.yaml``) or a policy file whose
sibling ``catalog.yaml``, ``directory.yaml`` and ``recognizers.yaml`` complete it
(``rules/policy-2026.3.yaml`` works too). A lone policy file (a copy kept from last quarter, an e-mail
attachment) is completed by the shipped example's files, said on stderr.

Exit codes: 0 written, 2 when a policy is invalid or missing (``file:line: problem`` on stderr).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from dlp_proxy.errors import ConfigError, ConfigProblem
from dlp_proxy.paths import default_rules_dir

from .loader import CATALOG_FILE, DIRECTORY_FILE, POLICY_FILE, RECOGNIZERS_FILE, load_policy
from .model import Policy


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``policy`` command and its sub-commands to the ``dlp-proxy`` parser."""
    policy = subparsers.add_parser("policy", help="the referents' tools around the policy (diff)")
    policy.set_defaults(func=_usage(policy))
    sub = policy.add_subparsers(dest="policy_command", metavar="{diff}")

    diff = sub.add_parser(
        "diff",
        help="Markdown summary for staff of what changed between two versions of the policy",
        description=(
            "Write the compte-rendu of a policy review: what changed between OLD and NEW (tools, "
            "models, data rules, referents, review dates), in French by default."
        ),
    )
    diff.add_argument("old", type=Path, metavar="OLD", help="previous rules directory (or its policy.yaml)")
    diff.add_argument("new", type=Path, metavar="NEW", help="new rules directory (or its policy.yaml)")
    diff.add_argument(
        "--lang", choices=("fr", "en"), default="fr", help="language of the summary (default fr)"
    )
    diff.add_argument(
        "--output", "-o", type=Path, default=None, metavar="FILE", help="write to FILE (default: stdout)"
    )
    diff.set_defaults(func=cmd_policy_diff)


def _usage(parser: argparse.ArgumentParser):
    def handler(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    return handler


def cmd_policy_diff(args: argparse.Namespace) -> int:
    """Load both policies (reporting every problem of both), then write the summary."""
    from .diff import diff_policies, render_markdown

    problems: list[str] = []
    old = _load(args.old, problems)
    new = _load(args.new, problems)
    if old is None or new is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 2
    diff = diff_policies(old, new)
    text = render_markdown(diff, lang=args.lang)
    if new.version == old.version and not diff.is_empty:
        print(
            f"note: {args.new} has the same version as {args.old} ({new.version}); "
            "change policy.version after a review",
            file=sys.stderr,
        )
    if not any(entry.version == new.version for entry in new.changelog):
        print(
            f"note: the changelog of {args.new} has no entry for version {new.version}; "
            "add one (it is the referents' summary shown first)",
            file=sys.stderr,
        )
    if args.output is None or str(args.output) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"{args.output}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


def _load(path: Path, problems: list[str]) -> Policy | None:
    """The policy at ``path`` (a rules directory or a policy file), or None after recording why not."""
    if path.is_dir():
        return _load_dir(path, problems)
    if not path.exists():
        problems.append(
            f"{path}:0: no such file or directory (expected a rules directory or its {POLICY_FILE})"
        )
        return None
    siblings = (CATALOG_FILE, DIRECTORY_FILE, RECOGNIZERS_FILE)
    if path.name == POLICY_FILE and all((path.parent / name).is_file() for name in siblings):
        return _load_dir(path.parent, problems)
    # Another name (rules/policy-2026.3.yaml) or siblings missing: load it as policy.yaml next to its
    # siblings, the shipped example's where it has none, and report problems with the real file names.
    shipped = default_rules_dir()
    with tempfile.TemporaryDirectory(prefix="dlp-proxy-policy-") as tmp:
        tmp_dir = Path(tmp)
        names = {tmp_dir / POLICY_FILE: path}
        shutil.copyfile(path, tmp_dir / POLICY_FILE)
        for name in siblings:
            sibling = path.parent / name
            if not sibling.is_file() and (shipped / name).is_file():
                print(f"note: no {name} next to {path}: using the shipped {shipped / name}", file=sys.stderr)
                sibling = shipped / name
            names[tmp_dir / name] = sibling
            if sibling.is_file():
                shutil.copyfile(sibling, tmp_dir / name)
        try:
            return load_policy(tmp_dir)
        except ConfigError as exc:
            real = {str(k): str(v) for k, v in names.items()}
            problems.extend(
                str(ConfigProblem(real.get(p.file, p.file), p.line, p.message)) for p in exc.problems
            )
            return None


def _load_dir(rules_dir: Path, problems: list[str]) -> Policy | None:
    try:
        return load_policy(rules_dir)
    except ConfigError as exc:
        problems.extend(str(p) for p in exc.problems)
        return None
