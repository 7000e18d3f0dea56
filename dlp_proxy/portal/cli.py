"""``dlp-proxy grants|requests|sanctions``: the portal's state for scripts.

``grants list [--active] [--user U]`` / ``grants revoke ID --by REFERENT``;
``requests list [--kind validation|adoption] [--status S]`` / ``requests show ID``;
``sanctions list [--status S]`` / ``sanctions lift ID --by REFERENT``.
Same store options as ``dlp-proxy incidents``; ``--json`` prints JSON lines. A revocation or a lift
is recorded in the incident hash chain under the ``--by`` name, which must be an AI referent of the
directory (``--rules``). Exit codes: 0 done, 1 nothing to do (unknown or closed id), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from dlp_proxy.incidents.cli import UsageError, _add_store, handles_errors, open_cli_store
from dlp_proxy.paths import default_rules_dir

_COLUMNS = {
    "grants": ("id", "username", "tool", "granted_by", "created", "expires", "revoked", "revoked_by"),
    "requests": ("id", "kind", "username", "tool", "status", "step", "manager", "decided_by", "created"),
    "sanctions": ("id", "username", "level", "status", "strikes", "created", "until", "decided_by"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    for name, helptext in (
        ("grants", "accesses granted by managers in the AI portal (list, revoke)"),
        ("requests", "manager-validation and tool-adoption requests of the AI portal (list, show)"),
        ("sanctions", "the sanctions ladder: reminders and suspensions (list, lift)"),
    ):
        parser = subparsers.add_parser(name, help=helptext)
        sub = parser.add_subparsers(dest=f"{name}_command", required=True, metavar="COMMAND")
        p_list = sub.add_parser("list", help=f"{name}, newest first")
        _add_store(p_list)
        p_list.add_argument("--json", action="store_true", help="JSON lines")
        p_list.add_argument("--user", help="proxy user name")
        if name == "grants":
            p_list.add_argument("--active", action="store_true", help="only grants in force")
        else:
            p_list.add_argument("--status", help="e.g. open, done, refused / active, lifted, confirmed")
        if name == "requests":
            p_list.add_argument("--kind", choices=("validation", "adoption"))
        p_list.set_defaults(func=handles_errors(_list), table=name)
        if name == "requests":
            p_show = sub.add_parser("show", help="one request with its steps and policy changes")
            _add_store(p_show)
            p_show.add_argument("id", type=int)
            p_show.set_defaults(func=handles_errors(_show))
        else:
            verb = "revoke" if name == "grants" else "lift"
            p_act = sub.add_parser(verb, help=f"{verb} one by id (recorded in the hash chain)")
            _add_store(p_act)
            p_act.add_argument("id", type=int)
            p_act.add_argument("--by", required=True, help="the AI referent acting (directory.yaml)")
            p_act.add_argument("--rules", type=Path, default=None, help="policy directory (for the roles)")
            p_act.set_defaults(func=handles_errors(_act), table=name)


def _portal(args: argparse.Namespace) -> tuple[Any, Any]:
    from .store import PortalStore

    store = open_cli_store(args)
    return store, PortalStore(store)


def _print(rows: list[Any], columns: tuple[str, ...], as_json: bool) -> None:
    for row in rows:
        values = {c: row[c] for c in columns}
        if as_json:
            print(json.dumps(values, ensure_ascii=False))
        else:
            print("  ".join(f"{c}={values[c]}" for c in columns if values[c] not in (None, "")))


def _list(args: argparse.Namespace) -> int:
    store, portal = _portal(args)
    try:
        if args.table == "grants":
            rows = portal.grants(args.user, active=args.active)
        elif args.table == "requests":
            rows = portal.requests(kind=args.kind, user=args.user, status=args.status)
        else:
            rows = portal.sanctions(args.user, status=args.status)
        _print(rows, _COLUMNS[args.table], args.json)
    finally:
        portal.close()
        store.close()
    return 0


def _show(args: argparse.Namespace) -> int:
    store, portal = _portal(args)
    try:
        row = portal.request(args.id)
        if row is None:
            print(f"error: no request {args.id}", file=sys.stderr)
            return 1
        out = dict(row._values)
        out["steps"] = [dict(s._values) for s in portal.steps(args.id)]
        out["changes"] = [
            {k: v for k, v in c._values.items() if k != "new_text"}
            for c in portal.changes(request_id=args.id)
        ]
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    finally:
        portal.close()
        store.close()
    return 0


def _act(args: argparse.Namespace) -> int:
    from dlp_proxy.policy import load_policy

    roles = load_policy(args.rules or default_rules_dir()).directory.roles
    if not roles.is_referent(args.by):
        raise UsageError(f"{args.by!r} is not an AI referent (ai_referents in directory.yaml)")
    store, portal = _portal(args)
    try:
        if args.table == "grants":
            done = portal.revoke_grant(args.id, args.by)
        else:
            done = portal.set_sanction(args.id, args.by, "lifted")
        store.flush(10)
    finally:
        portal.close()
        store.close()
    if not done:
        print(f"error: no {args.table[:-1]} {args.id} in force", file=sys.stderr)
        return 1
    print(f"{args.table[:-1]} {args.id}: {'revoked' if args.table == 'grants' else 'lifted'} by {args.by}")
    return 0
