"""``dlp-proxy report``: the quarterly report for the AI referents, as HTML, CSV and JSON.

    dlp-proxy report --quarter 2026-Q4
    dlp-proxy report --from 2026-10-01 --to 2026-11-15 --output /srv/rapports/point-novembre.html

writes ``rapport-ia-2026-Q4.html`` (self-contained, French, printable), ``rapport-ia-2026-Q4.csv`` and
``rapport-ia-2026-Q4.json`` in the current directory (or next to ``--output``). The referents' rule
tests run by default (they load the NLP model: a few seconds); ``--no-rule-tests`` skips them.

People appear as pseudonyms (``U-3F9A2C``) unless ``--names``. The pseudonyms are keyed hashes, stable
from one report to the next: the key is ``$DLP_PROXY_REPORT_KEY``, else the file
``report-pseudonym.key`` of the data directory (created on first use, readable by its owner only).

Exit codes: 0 report written; 2 bad usage, policy or store problem (a message, never a traceback).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from dlp_proxy.incidents.cli import STORE_ENV, UsageError, handles_errors, open_cli_store
from dlp_proxy.paths import default_data_dir, default_rules_dir

KEY_ENV = "DLP_PROXY_REPORT_KEY"
KEY_FILE = "report-pseudonym.key"


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``report`` to the ``dlp-proxy`` parser (sets ``func``)."""
    p = subparsers.add_parser(
        "report",
        help="quarterly report for the AI referents (HTML, CSV, JSON)",
        description="Figures of a quarter (or any period) from the incident store, with suggestions "
        "for the quarterly policy review.",
    )
    period = p.add_mutually_exclusive_group(required=True)
    period.add_argument("--quarter", metavar="YYYY-QN", help="a calendar quarter, e.g. 2026-Q4")
    period.add_argument("--from", dest="date_from", metavar="DATE", help="first day (YYYY-MM-DD, UTC)")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="last day, included (with --from)")
    p.add_argument(
        "--output",
        "-o",
        type=Path,
        default=None,
        help="the HTML file to write; the .csv and .json go next to it (default: ./rapport-ia-<period>.html)",
    )
    p.add_argument("--names", action="store_true", help="show user names instead of pseudonyms")
    p.add_argument(
        "--store",
        metavar="URL",
        default=None,
        help=f"incident store (default ${STORE_ENV}, else SQLite in the data directory)",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="records directory (default $DLP_PROXY_DATA_DIR or ./dlp-proxy-data)",
    )
    p.add_argument(
        "--rules",
        type=Path,
        default=None,
        help="policy directory (default: the shipped example policy, or $DLP_PROXY_RULES)",
    )
    p.add_argument(
        "--no-rule-tests",
        dest="rule_tests",
        action="store_false",
        help="do not run the rule tests (they load the NLP model)",
    )
    p.set_defaults(func=cmd_report)
    return p


def pseudonym_key(data_dir: Path) -> bytes:
    """The key of the report pseudonyms: ``$DLP_PROXY_REPORT_KEY``, else a key file created once."""
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    path = Path(data_dir) / KEY_FILE
    try:
        key = path.read_bytes().strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key + b"\n")
    return key


def output_paths(args: argparse.Namespace, label: str) -> tuple[Path, Path, Path]:
    html = args.output if args.output is not None else Path.cwd() / f"rapport-ia-{label}.html"
    if html.suffix.lower() not in (".html", ".htm"):
        html = html.with_name(html.name + ".html")
    return html, html.with_suffix(".csv"), html.with_suffix(".json")


@handles_errors
def cmd_report(args: argparse.Namespace) -> int:
    from dlp_proxy.policy import load_policy

    from . import build_report, render_html, write_csv, write_json
    from .periods import parse_moment, parse_quarter

    if args.quarter:
        if args.date_to:
            raise UsageError("--to goes with --from, not with --quarter")
        start, end = parse_quarter(args.quarter)
        label = f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    else:
        if not args.date_to:
            raise UsageError("--from needs --to (the last day of the period)")
        start = parse_moment(args.date_from).date()
        end = parse_moment(args.date_to, end=True).date()
        if end < start:
            raise UsageError(f"--to ({end}) is before --from ({start})")
        label = f"{start.isoformat()}_{end.isoformat()}"

    rules_dir = args.rules or default_rules_dir()
    policy = load_policy(rules_dir)
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    key = None if args.names else pseudonym_key(data_dir)
    html_path, csv_path, json_path = output_paths(args, label)
    if args.rule_tests:
        print("running the rule tests (loads the NLP model)…", file=sys.stderr)
    store = open_cli_store(args)
    try:
        report = build_report(
            store,
            policy,
            start,
            end,
            names=args.names,
            rules_dir=rules_dir,
            rule_tests=args.rule_tests,
            pseudonym_key=key,
        )
    finally:
        store.close()
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(render_html(report), encoding="utf-8")
    write_csv(report, csv_path)
    write_json(report, json_path)
    print(f"{html_path}\n{csv_path}\n{json_path}")
    tests = report.rule_tests
    tests_text = (
        "rule tests not run"
        if not tests.ran
        else f"rule tests: {tests.error}"
        if tests.error
        else f"rule tests: {tests.failed} failed of {tests.total}"
    )
    print(
        f"report {report.period_label}: {report.total} incident(s), {report.shadow.total} shadow-AI "
        f"connection(s), {len(report.suggestions)} suggestion(s); {tests_text}",
        file=sys.stderr,
    )
    return 0
