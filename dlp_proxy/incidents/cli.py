"""``dlp-proxy incidents …``: the security team's view of the incident store.

Sub-commands::

    incidents list     [filters] [--limit N]          newest first, one line per incident
    incidents show ID|REF [--json]                    every field of one record (or of a request's)
    incidents export   [filters] --format csv|jsonl [--output FILE]
    incidents verify   [--expected-latest HASH]       is the hash chain intact?
    incidents purge    --before DATE | --older-than-months N [--dry-run]
    incidents backup FILE                             consistent copy (SQLite) or pg_dump (PostgreSQL)
    incidents restore FILE [--force]                  put a verified backup back (proxy stopped)

Filters: ``--since/--until`` (a date = that whole UTC day, or an ISO 8601 time), ``--quarter 2026-Q4``,
``--user``, ``--group``, ``--tool``, ``--decision``, ``--entity-type``, ``--rule``.
The store is ``--store URL``, else ``$DLP_PROXY_STORE``, else SQLite in ``--data-dir``
(``$DLP_PROXY_DATA_DIR``, ``./dlp-proxy-data``).

Exit codes: 0 done (``verify``: chain intact); 1 ``verify`` found tampering; 2 bad usage, store
unreachable or unreadable — always a one-line message, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from dlp_proxy.paths import default_data_dir

STORE_ENV = "DLP_PROXY_STORE"
DEFAULT_LIST_LIMIT = 100
DECISION_CHOICES = ("blocked", "redacted", "pseudonymized", "warned")
EXPORT_FIELDS = (
    "id",
    "kind",
    "time",
    "request_id",
    "user",
    "groups",
    "client_ip",
    "tool",
    "tool_name",
    "host",
    "model",
    "decision",
    "code",
    "rule_ids",
    "policy_version",
    "entity_counts",
    "excerpt",
    "value_hashes",
    "replica",
    "uid",
    "checkpoint",
    "prev_hash",
    "hash",
)


class UsageError(Exception):
    """A problem with the command line that argparse could not see (exit 2)."""


# ------------------------------------------------------------------------------------------ parser


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``incidents`` and its sub-commands to the ``dlp-proxy`` parser; each sets ``func``."""
    parser = subparsers.add_parser(
        "incidents",
        help="read, export, verify and purge the incident store (security team)",
        description="The incident store: what the policy blocked or redacted — never the data itself.",
    )
    sub = parser.add_subparsers(dest="incidents_command", required=True, metavar="COMMAND")

    p_list = sub.add_parser("list", help="incidents, newest first, as a table")
    _add_store(p_list)
    _add_filters(p_list)
    p_list.add_argument(
        "--limit",
        type=_positive_int,
        default=DEFAULT_LIST_LIMIT,
        help=f"at most N rows (default {DEFAULT_LIST_LIMIT})",
    )
    p_list.set_defaults(func=cmd_list)

    p_show = sub.add_parser("show", help="every field of one record")
    p_show.add_argument(
        "id",
        metavar="ID|REF",
        help="the record id (first column of 'list'), or the request reference printed on the block page "
        "and in API errors (x-request-id)",
    )
    _add_store(p_show)
    p_show.add_argument("--json", action="store_true", help="print the record as JSON")
    p_show.set_defaults(func=cmd_show)

    p_export = sub.add_parser("export", help="incidents as CSV or JSON lines, oldest first")
    _add_store(p_export)
    _add_filters(p_export)
    p_export.add_argument("--limit", type=_positive_int, default=None, help="at most N records")
    p_export.add_argument(
        "--format", choices=("csv", "jsonl"), default="jsonl", help="output format (default jsonl)"
    )
    p_export.add_argument("--output", "-o", type=Path, default=None, help="file to write (default: stdout)")
    p_export.set_defaults(func=cmd_export)

    p_verify = sub.add_parser(
        "verify",
        help="check the hash chain: exit 0 intact, 1 tampered, 2 store error",
        description="Walk the whole chain and report the first edited, inserted or deleted record.",
    )
    _add_store(p_verify)
    p_verify.add_argument(
        "--expected-latest",
        metavar="HASH",
        default=None,
        help="a latest hash logged earlier by the proxy (full or at least 12 hex characters): "
        "also detects the removal of the newest records",
    )
    p_verify.set_defaults(func=cmd_verify)

    p_purge = sub.add_parser(
        "purge",
        help="delete records older than a date (a checkpoint keeps the chain verifiable)",
    )
    _add_store(p_purge)
    when = p_purge.add_mutually_exclusive_group()
    when.add_argument(
        "--before", metavar="DATE", default=None, help="delete records older than this date/time"
    )
    when.add_argument(
        "--older-than-months",
        metavar="N",
        type=_positive_int,
        default=None,
        help="delete records older than N months",
    )
    p_purge.add_argument(
        "--rules",
        type=Path,
        default=None,
        help="policy directory, for its retention period (default: shipped policy)",
    )
    p_purge.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    p_purge.set_defaults(func=cmd_purge)

    p_backup = sub.add_parser(
        "backup",
        help="copy the store while the proxy runs (SQLite online backup; pg_dump for PostgreSQL)",
    )
    p_backup.add_argument("file", type=Path, help="the backup file to create (never overwritten)")
    _add_store(p_backup)
    p_backup.set_defaults(func=cmd_backup)

    p_restore = sub.add_parser(
        "restore",
        help="replace the store with a backup whose chain verifies (stop the proxy first)",
    )
    p_restore.add_argument("file", type=Path, help="a file made by 'incidents backup'")
    _add_store(p_restore)
    p_restore.add_argument("--force", action="store_true", help="replace a store that already holds records")
    p_restore.set_defaults(func=cmd_restore)
    return parser


def _add_store(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--store",
        metavar="URL",
        default=None,
        help=f"incident store: sqlite:///path or postgresql://user@host/db (default ${STORE_ENV}, "
        "else SQLite in the data directory)",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="records directory (default $DLP_PROXY_DATA_DIR or ./dlp-proxy-data)",
    )


def _add_filters(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("filters")
    g.add_argument("--since", metavar="DATE", help="from this date (YYYY-MM-DD, UTC) or ISO 8601 time")
    g.add_argument("--until", metavar="DATE", help="up to this date, included, or ISO 8601 time")
    g.add_argument("--quarter", metavar="YYYY-QN", help="a calendar quarter, e.g. 2026-Q4")
    g.add_argument("--user", help="proxy user name")
    g.add_argument("--group", help="a group of the user (directory.yaml)")
    g.add_argument("--tool", help="catalogue tool id, e.g. deepseek-chat")
    g.add_argument("--decision", choices=DECISION_CHOICES)
    g.add_argument("--entity-type", metavar="TYPE", help="detected data type, e.g. FR_NIR")
    g.add_argument("--rule", metavar="RULE_ID", help="rule id as recorded, e.g. outil:deepseek-chat:interdit")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text}")
    return value


# ------------------------------------------------------------------------------------------ shared


def handles_errors(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn every expected failure into ``error: message`` on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(args: argparse.Namespace) -> int:
        from dlp_proxy.errors import ConfigError
        from dlp_proxy.incidents import StoreError
        from dlp_proxy.logs import configure_logging

        configure_logging("warning")  # stdout carries the answer (exports): logs go to stderr, warnings only
        try:
            return func(args)
        except BrokenPipeError:  # `… | head`: the reader left, nothing to say
            _silence_stdout()
            return 0
        except (StoreError, UsageError, ValueError, OSError) as exc:
            message = str(exc) or type(exc).__name__
            if isinstance(exc, OSError) and exc.strerror:
                message = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
            print(f"error: {message}", file=sys.stderr)
            return 2
        except ConfigError as exc:
            print("error: invalid policy:", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130

    return wrapper


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def open_cli_store(args: argparse.Namespace, *, must_exist: bool = True) -> Any:
    """The store named by ``--store`` / ``$DLP_PROXY_STORE`` / ``--data-dir``.

    A SQLite file that does not exist is an error for the CLI (a typo in ``--data-dir`` must not
    silently show an empty, freshly created store).
    """
    from dlp_proxy.incidents import open_store
    from dlp_proxy.incidents.factory import sqlite_path

    url = args.store or os.environ.get(STORE_ENV) or None
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    path = sqlite_path(url, data_dir)
    if must_exist and path is not None and not path.is_file():
        raise UsageError(
            f"no incident store at {path} (give --store URL or --data-dir DIR, or set ${STORE_ENV})"
        )
    return open_store(url, data_dir)


def filters_from_args(args: argparse.Namespace, *, limit: int | None, order: str) -> Any:
    from dlp_proxy.incidents import IncidentFilter
    from dlp_proxy.report.periods import day_end, day_start, parse_moment, parse_quarter

    since = parse_moment(args.since) if args.since else None
    until = parse_moment(args.until, end=True) if args.until else None
    if args.quarter:
        if since is not None or until is not None:
            raise UsageError("--quarter cannot be combined with --since/--until")
        first, last = parse_quarter(args.quarter)
        since, until = day_start(first), day_end(last)
    if since is not None and until is not None and until < since:
        raise UsageError(f"--until ({until:%Y-%m-%d %H:%M}) is before --since ({since:%Y-%m-%d %H:%M})")
    return IncidentFilter(
        since=since,
        until=until,
        user=args.user,
        group=args.group,
        tool=args.tool,
        decision=args.decision,
        entity_type=args.entity_type,
        rule=args.rule,
        limit=limit,
        order=order,  # type: ignore[arg-type]
    )


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _types(counts: dict[str, int]) -> str:
    return ", ".join(f"{t}×{n}" for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], max_widths: Sequence[int]) -> str:
    """A plain-text table whose columns are as wide as their content (capped by ``max_widths``)."""
    cells = [[_fit(c.replace("\n", " "), w) for c, w in zip(row, max_widths, strict=True)] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- commands


@handles_errors
def cmd_list(args: argparse.Namespace) -> int:
    filters = filters_from_args(args, limit=args.limit, order="desc")
    store = open_cli_store(args)
    try:
        records = store.query(filters)
    finally:
        store.close()
    if not records:
        print("no incidents match")
        return 0
    rows = [
        [
            _time(r.time),
            str(r.id),
            r.user or "-",
            ",".join(r.groups) or "-",
            r.tool or "-",
            r.model or "-",
            r.decision,
            ",".join(r.rule_ids) or "-",
            _types(r.entity_counts) or "-",
        ]
        for r in records
    ]
    headers = ["TIME (UTC)", "ID", "USER", "GROUPS", "TOOL", "MODEL", "DECISION", "RULES", "TYPES"]
    print(format_table(headers, rows, [20, 10, 24, 24, 22, 24, 13, 48, 48]))
    more = " (limit reached: use --limit or filters to see more)" if len(records) == args.limit else ""
    print(f"{len(records)} incident(s), newest first{more}")
    return 0


def _reference(text: str) -> str:
    """A reference as a user pastes it: « Référence de la demande : 3f2a….» → ``3f2a…``."""
    return text.strip().rsplit(":", 1)[-1].strip().rstrip(".").strip().lower()


def find_records(store: Any, wanted: str) -> list[Any]:
    """The record with id ``wanted`` (a short number), else those of the request reference ``wanted``."""
    from dlp_proxy.incidents import IncidentFilter

    ref = _reference(wanted)
    if ref.isdigit() and len(ref) < 12:  # a record id; references are 16 hex digits
        record = store.get(int(ref))
        return [record] if record is not None else []
    found = store.query(IncidentFilter(request_id=ref)) if ref else []
    if not found and ref.isdigit():
        record = store.get(int(ref))
        found = [record] if record is not None else []
    return found


@handles_errors
def cmd_show(args: argparse.Namespace) -> int:
    store = open_cli_store(args)
    try:
        records = find_records(store, args.id)
    finally:
        store.close()
    if not records:
        raise UsageError(f"no record with id or request reference {_reference(args.id)!r}")
    if args.json:
        data = [r.to_dict() for r in records]
        print(json.dumps(data[0] if len(data) == 1 else data, ensure_ascii=False, indent=2, sort_keys=False))
        return 0
    for n, record in enumerate(records):
        if n:
            print()
        _print_record(record)
    return 0


def _print_record(record: Any) -> None:
    data = record.to_dict()
    width = max(len(k) for k in EXPORT_FIELDS)
    for key in EXPORT_FIELDS:
        value = data.get(key)
        if isinstance(value, list | tuple):
            text = ", ".join(str(v) for v in value) or "-"
        elif isinstance(value, dict):
            text = ", ".join(f"{k}={v}" for k, v in value.items()) or "-"
        elif value is None or value == "":
            text = "-"
        else:
            text = str(value)
        print(f"{key.ljust(width)}  {text}")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=isinstance(value, dict))
    return str(value)


def write_export(records: Sequence[Any], fmt: str, out: IO[str]) -> None:
    """Records as CSV (RFC 4180, list/dict fields as JSON) or as JSON lines (every field)."""
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(EXPORT_FIELDS)
        for r in records:
            data = r.to_dict()
            writer.writerow([_csv_cell(data.get(k)) for k in EXPORT_FIELDS])
    else:
        for r in records:
            data = r.to_dict()
            out.write(json.dumps({k: data.get(k) for k in EXPORT_FIELDS}, ensure_ascii=False) + "\n")


@handles_errors
def cmd_export(args: argparse.Namespace) -> int:
    filters = filters_from_args(args, limit=args.limit, order="asc")
    store = open_cli_store(args)
    try:
        records = store.query(filters)
    finally:
        store.close()
    if args.output is None:
        write_export(records, args.format, sys.stdout)
        sys.stdout.flush()
    else:
        out_path = Path(args.output)
        tmp = out_path.with_name(out_path.name + ".part")
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            write_export(records, args.format, fh)
        tmp.replace(out_path)
        print(f"{len(records)} incident(s) written to {out_path}", file=sys.stderr)
    return 0


@handles_errors
def cmd_verify(args: argparse.Namespace) -> int:
    expected = args.expected_latest
    if expected is not None:
        expected = expected.strip().lower()
        if len(expected) < 12 or any(c not in "0123456789abcdef" for c in expected):
            raise UsageError("--expected-latest needs a hash of at least 12 hexadecimal characters")
    store = open_cli_store(args)
    try:
        result = store.verify(expected_latest=expected)
        bad = store.get(result.first_bad_id) if not result.ok and result.first_bad_id else None
    finally:
        store.close()
    if result.ok:
        latest = f"; latest hash {result.latest_hash}" if result.latest_hash else " (empty store)"
        print(f"OK: chain intact, {result.checked} record(s) checked{latest}")
        return 0
    issue = f" ({result.issue})" if result.issue else ""
    print(f"TAMPERED{issue}: {result.problem}")
    if result.first_bad_id is not None:
        print(f"first bad record: {result.first_bad_id}")
    if result.changed_fields:
        print(f"changed fields: {', '.join(result.changed_fields)}")
    if bad is not None:
        print(
            f"record {bad.id} as stored now: {_time(bad.time)} user={bad.user or '-'} tool={bad.tool or '-'} "
            f"decision={bad.decision} rules={','.join(bad.rule_ids) or '-'}"
        )
    return 1


def _months_ago(now: datetime, months: int) -> datetime:
    month_index = now.year * 12 + (now.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    # Clamp the day (31 March - 1 month = 28/29 February).
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return now.replace(year=year, month=month, day=min(now.day, last_day))


def _retention_cutoff(args: argparse.Namespace, now: datetime) -> tuple[datetime, str]:
    from dlp_proxy.report.periods import parse_moment

    if args.before:
        return parse_moment(args.before), f"before {args.before}"
    if args.older_than_months:
        return _months_ago(now, args.older_than_months), f"older than {args.older_than_months} month(s)"
    # The policy's retention period, when it declares one.
    from dlp_proxy.paths import default_rules_dir
    from dlp_proxy.policy import load_policy

    policy = load_policy(args.rules or default_rules_dir())
    months = getattr(policy, "retention_months", None)
    days = getattr(policy, "retention_days", None)
    if months:
        return _months_ago(now, int(months)), f"older than the policy's retention ({months} months)"
    if days:
        return now - timedelta(days=int(days)), f"older than the policy's retention ({days} days)"
    raise UsageError("give --before DATE or --older-than-months N (the policy declares no retention period)")


@handles_errors
def cmd_purge(args: argparse.Namespace) -> int:
    from dlp_proxy.incidents import IncidentFilter

    now = datetime.now(UTC)
    before, why = _retention_cutoff(args, now)
    if before > now:
        raise UsageError(f"the purge date {before:%Y-%m-%d} is in the future: nothing would be kept")
    store = open_cli_store(args)
    try:
        if args.dry_run:
            older = store.query(IncidentFilter(until=before - timedelta(microseconds=1), kind=None))
            print(f"dry run: {len(older)} record(s) {why} ({before:%Y-%m-%d %H:%M}Z) would be deleted")
            return 0
        count = store.purge(before)
    finally:
        store.close()
    if count:
        print(
            f"purged {count} record(s) {why} ({before:%Y-%m-%d %H:%M}Z); "
            "a checkpoint record keeps the remaining chain verifiable"
        )
    else:
        print(f"nothing to purge {why} ({before:%Y-%m-%d %H:%M}Z)")
    return 0


def _store_target(args: argparse.Namespace) -> tuple[str | None, Path, Path | None]:
    from dlp_proxy.incidents.factory import sqlite_path

    url = args.store or os.environ.get(STORE_ENV) or None
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    return url, data_dir, sqlite_path(url, data_dir)


@handles_errors
def cmd_backup(args: argparse.Namespace) -> int:
    from dlp_proxy.incidents.backup import BackupError, pg_backup, sqlite_backup

    url, _, path = _store_target(args)
    try:
        if path is not None:
            result = sqlite_backup(path, args.file)
            head = result.verify.latest_hash if result.verify else None
            print(
                f"backup written to {result.path}: {result.records} record(s), chain intact"
                + (f", latest hash {head}" if head else "")
            )
        else:
            assert url is not None
            result = pg_backup(url, args.file)
            print(f"pg_dump written to {result.path}: {result.records} record(s) in the store")
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


@handles_errors
def cmd_restore(args: argparse.Namespace) -> int:
    from dlp_proxy.incidents import open_store
    from dlp_proxy.incidents.backup import BackupError, pg_restore, sqlite_restore

    url, data_dir, path = _store_target(args)
    try:
        if path is not None:
            sqlite_restore(args.file, path, force=args.force)
        else:
            assert url is not None
            pg_restore(url, args.file, force=args.force)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    store = open_store(url, data_dir)  # upgrades the schema of an older backup, then check the chain
    try:
        check = store.verify()
    finally:
        store.close()
    if not check.ok:
        print(f"TAMPERED after restore: {check.problem}", file=sys.stderr)
        return 1
    print(
        f"restored {args.file} into {store.url}: {check.checked} record(s), chain intact"
        + (f", latest hash {check.latest_hash}" if check.latest_hash else "")
    )
    return 0
