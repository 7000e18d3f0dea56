"""The portal's state, in the incident store's database, and its actions in the store's hash chain.

Tables (prefixed ``portal_``, created if missing, beside the incident tables of the same SQLite file or
PostgreSQL schema, so every replica sees the same grants): ``justifications``, ``grants``,
``requests`` (manager validations and tool adoption requests), ``steps`` (what each adoption step
decided), ``changes`` (policy changes waiting for a second referent), ``sanctions``, ``strikes``
(refusals for data, counted by the sanctions ladder) and ``secret`` (the CSRF key shared by replicas).

Every action is also recorded in the hash chain as an incident with ``decision="portal"``: who (the
actor), what (``code``, e.g. ``grant_approved``, and ``request_id`` naming the row), when. Times are
stored as ISO 8601 UTC text, which sorts like the times themselves on both backends.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dlp_proxy.incidents import Incident, IncidentStore
from dlp_proxy.incidents.model import iso

PORTAL_DECISION = "portal"

_TABLES = {
    "secret": "id integer PRIMARY KEY, value text NOT NULL",
    "justifications": "user_key text NOT NULL, username text NOT NULL, tool text NOT NULL, "
    "rule text NOT NULL, text text NOT NULL, created text NOT NULL, expires text NOT NULL",
    "grants": "username text NOT NULL, user_key text NOT NULL, tool text NOT NULL, request_id integer, "
    "granted_by text NOT NULL, comment text NOT NULL, created text NOT NULL, expires text NOT NULL, "
    "revoked text, revoked_by text",
    "requests": "kind text NOT NULL, username text NOT NULL, user_key text NOT NULL, tool text NOT NULL, "
    "use_case text NOT NULL, data text NOT NULL, team text NOT NULL, days integer NOT NULL, "
    "status text NOT NULL, step text NOT NULL, manager text, decided_by text, decided text, "
    "comment text NOT NULL, created text NOT NULL, updated text NOT NULL",
    "steps": "request_id integer NOT NULL, step text NOT NULL, decision text NOT NULL, actor text NOT NULL, "
    "signer text NOT NULL, day text NOT NULL, comment text NOT NULL, details text NOT NULL, at text NOT NULL",
    "changes": "request_id integer NOT NULL, step text NOT NULL, proposed_by text NOT NULL, "
    "base_sha text NOT NULL, new_text text NOT NULL, summary text NOT NULL, step_data text NOT NULL, "
    "status text NOT NULL, "
    "approved_by text, created text NOT NULL, decided text",
    "sanctions": "username text NOT NULL, user_key text NOT NULL, level text NOT NULL, status text NOT NULL, "
    "strikes integer NOT NULL, created text NOT NULL, until text, decided_by text, decided text, "
    "comment text NOT NULL",
    "strikes": "user_key text NOT NULL, code text NOT NULL, at text NOT NULL",
    # the policy.yaml the referents approved, for every replica to write into its rules directory
    "policies": "sha text NOT NULL, text text NOT NULL, approved_by text NOT NULL, created text NOT NULL",
}


def now() -> datetime:
    return datetime.now(UTC)


def key_of(user: str) -> str:
    """Users compare case-insensitively, as in the directory."""
    return user.casefold()


@dataclass(frozen=True)
class Row:
    """One row of a portal table, as a read-only mapping with attribute access."""

    table: str
    _values: dict[str, Any]  # underscored: a column may be called "data"

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self._values[name]


class PortalStore:
    """The portal tables in the incident store's database; thread-safe (one connection, one lock)."""

    def __init__(self, incidents: IncidentStore, *, policy_version: str = "") -> None:
        self.incidents = incidents
        self.policy_version = policy_version
        self._lock = threading.RLock()
        self._conn: Any = None
        path = getattr(incidents, "path", None)
        if path is not None:
            self.kind, self.ph, self._target = "sqlite", "?", path
        elif hasattr(incidents, "_conninfo"):
            self.kind, self.ph = "postgres", "%s"
            self._target = (incidents._conninfo, incidents.schema)  # type: ignore[attr-defined]
        else:
            raise ValueError("the portal needs a SQLite or PostgreSQL incident store")
        with self._cursor() as cur:
            if self.kind == "postgres":
                from dlp_proxy.incidents.postgres import _lock_key

                # The incident store's own DDL lock: replicas starting together create each thing once.
                schema = self._target[1]
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(f"ddl:{schema}"),))
                cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            for name, cols in _TABLES.items():
                pk = (
                    "id integer PRIMARY KEY AUTOINCREMENT"
                    if self.kind == "sqlite"
                    else "id bigserial PRIMARY KEY"
                )
                body = cols if name == "secret" else f"{pk}, {cols}"
                cur.execute(f"CREATE TABLE IF NOT EXISTS portal_{name} ({body})")
            cur.execute(
                "INSERT INTO portal_secret (id, value) VALUES (1, "
                + self.ph
                + ") ON CONFLICT (id) DO NOTHING",
                (secrets.token_hex(32),),
            )
            cur.execute("SELECT value FROM portal_secret WHERE id = 1")
            self.secret = bytes.fromhex(cur.fetchone()[0])

    # ------------------------------------------------------------------ connection
    def _connect(self) -> Any:
        if self.kind == "sqlite":
            conn = sqlite3.connect(self._target, timeout=30.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 30000")
            return conn
        import psycopg

        conninfo, schema = self._target
        conn = psycopg.connect(conninfo, autocommit=True)
        conn.execute(f'SET search_path TO "{schema}"')  # created in __init__, under the DDL lock
        return conn

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        """One transaction on the shared connection (reconnects once after a broken connection)."""
        with self._lock:
            for attempt in (1, 2):
                if self._conn is None:
                    self._conn = self._connect()
                try:
                    cur = self._conn.cursor()
                    cur.execute("BEGIN IMMEDIATE" if self.kind == "sqlite" else "BEGIN")
                    break
                except Exception:
                    self._drop()
                    if attempt == 2:
                        raise
            try:
                yield cur
            except BaseException:
                try:
                    cur.execute("ROLLBACK")
                except Exception:
                    self._drop()
                raise
            cur.execute("COMMIT")

    def _drop(self) -> None:
        try:
            if self._conn is not None:
                self._conn.close()
        except Exception:
            pass
        self._conn = None

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _q(self, sql: str) -> str:
        return sql.replace("?", self.ph)

    def _rows(self, table: str, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        with self._cursor() as cur:
            cur.execute(self._q(sql), tuple(args))
            names = [d[0] for d in cur.description]
            return [Row(table, dict(zip(names, r, strict=True))) for r in cur.fetchall()]

    def _insert(self, cur: Any, table: str, values: dict[str, Any]) -> int:
        cols = ", ".join(values)
        marks = ", ".join([self.ph] * len(values))
        cur.execute(
            f"INSERT INTO portal_{table} ({cols}) VALUES ({marks}) RETURNING id", tuple(values.values())
        )
        return int(cur.fetchone()[0])

    def _update(self, cur: Any, table: str, row_id: int, values: dict[str, Any], where: str = "") -> int:
        sets = ", ".join(f"{k} = {self.ph}" for k in values)
        cur.execute(
            f"UPDATE portal_{table} SET {sets} WHERE id = {self.ph}{where}", (*values.values(), row_id)
        )
        return cur.rowcount

    # ------------------------------------------------------------------ the chain
    def record(self, actor: str | None, code: str, table: str, row_id: int, tool: str | None = None) -> None:
        """The action in the hash chain: who, what (``code``, the row), when — never free text."""
        self.incidents.record(
            Incident(
                request_id=f"portail:{table}:{row_id}",
                user=actor,
                groups=(),
                client_ip=None,
                tool=tool,
                tool_name=None,
                host="",
                model=None,
                decision=PORTAL_DECISION,
                code=code,
                rule_ids=(f"portail:{code}",),
                policy_version=self.policy_version,
            )
        )

    # ------------------------------------------------------------------ justifications
    def add_justification(self, user: str, tool: str, rule: str, text: str, hours: float) -> int:
        t = now()
        with self._cursor() as cur:
            row_id = self._insert(
                cur,
                "justifications",
                {
                    "user_key": key_of(user),
                    "username": user,
                    "tool": tool,
                    "rule": rule,
                    "text": text,
                    "created": iso(t),
                    "expires": iso(t + timedelta(hours=hours)),
                },
            )
        self.record(user, "justification", "justifications", row_id, tool)
        return row_id

    def justifications(self, user: str | None = None, *, active: bool = False) -> list[Row]:
        sql, args = "SELECT * FROM portal_justifications WHERE 1 = 1", []
        if user is not None:
            sql, args = sql + " AND user_key = ?", [key_of(user)]
        if active:
            sql, args = sql + " AND expires > ?", [*args, iso(now())]
        return self._rows("justifications", sql + " ORDER BY id DESC", args)

    # ------------------------------------------------------------------ requests
    def add_request(
        self,
        kind: str,
        user: str,
        tool: str,
        use_case: str,
        *,
        data: str = "",
        team: str = "",
        days: int = 0,
        manager: str | None = None,
    ) -> int:
        t = iso(now())
        with self._cursor() as cur:
            row_id = self._insert(
                cur,
                "requests",
                {
                    "kind": kind,
                    "username": user,
                    "user_key": key_of(user),
                    "tool": tool,
                    "use_case": use_case,
                    "data": data,
                    "team": team,
                    "days": days,
                    "status": "open",
                    "step": "legal" if kind == "adoption" else "manager",
                    "manager": manager,
                    "comment": "",
                    "created": t,
                    "updated": t,
                },
            )
        self.record(user, f"{kind}_requested", "requests", row_id, tool)
        return row_id

    def request(self, row_id: int) -> Row | None:
        rows = self._rows("requests", "SELECT * FROM portal_requests WHERE id = ?", [row_id])
        return rows[0] if rows else None

    def requests(
        self, *, kind: str | None = None, user: str | None = None, status: str | None = None
    ) -> list[Row]:
        sql, args = "SELECT * FROM portal_requests WHERE 1 = 1", []
        for col, value in (("kind", kind), ("user_key", user and key_of(user)), ("status", status)):
            if value is not None:
                sql, args = sql + f" AND {col} = ?", [*args, value]
        return self._rows("requests", sql + " ORDER BY id DESC", args)

    def decide_validation(
        self, row_id: int, manager: str, approve: bool, comment: str, max_days: int
    ) -> int | None:
        """Approve (→ a grant, returned) or refuse an open manager-validation request, once."""
        t = now()
        with self._cursor() as cur:
            req = self._one(cur, "requests", row_id)
            if req is None or req["status"] != "open" or req["kind"] != "validation":
                return None
            status = "approved" if approve else "refused"
            changed = self._update(
                cur,
                "requests",
                row_id,
                {
                    "status": status,
                    "decided_by": manager,
                    "decided": iso(t),
                    "comment": comment,
                    "updated": iso(t),
                },
                " AND status = 'open'",
            )
            if not changed:
                return None
            grant_id = None
            if approve:
                days = max(1, min(int(req["days"]), max_days))
                grant_id = self._insert(
                    cur,
                    "grants",
                    {
                        "username": req["username"],
                        "user_key": req["user_key"],
                        "tool": req["tool"],
                        "request_id": row_id,
                        "granted_by": manager,
                        "comment": comment,
                        "created": iso(t),
                        "expires": iso(t + timedelta(days=days)),
                    },
                )
        self.record(manager, f"validation_{status}", "requests", row_id, req["tool"])
        if grant_id is not None:
            self.record(manager, "grant_created", "grants", grant_id, req["tool"])
        return grant_id if approve else 0

    def _one(self, cur: Any, table: str, row_id: int) -> dict[str, Any] | None:
        cur.execute(f"SELECT * FROM portal_{table} WHERE id = {self.ph}", (row_id,))
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cur.description], row, strict=True))

    # ------------------------------------------------------------------ grants
    def grants(self, user: str | None = None, *, active: bool = False) -> list[Row]:
        sql, args = "SELECT * FROM portal_grants WHERE 1 = 1", []
        if user is not None:
            sql, args = sql + " AND user_key = ?", [key_of(user)]
        if active:
            sql, args = sql + " AND revoked IS NULL AND expires > ?", [*args, iso(now())]
        return self._rows("grants", sql + " ORDER BY id DESC", args)

    def revoke_grant(self, row_id: int, actor: str) -> bool:
        with self._cursor() as cur:
            changed = self._update(
                cur, "grants", row_id, {"revoked": iso(now()), "revoked_by": actor}, " AND revoked IS NULL"
            )
        if changed:
            self.record(actor, "grant_revoked", "grants", row_id)
        return bool(changed)

    # ------------------------------------------------------------------ adoption requests
    def steps(self, request_id: int) -> list[Row]:
        return self._rows(
            "steps", "SELECT * FROM portal_steps WHERE request_id = ? ORDER BY id", [request_id]
        )

    def add_step(
        self,
        request_id: int,
        step: str,
        decision: str,
        actor: str,
        *,
        signer: str,
        day: str,
        comment: str,
        details: dict[str, Any],
        next_step: str | None,
    ) -> int:
        """Record a step's decision; a refusal closes the request, an acceptance moves it on."""
        t = iso(now())
        with self._cursor() as cur:
            step_id = self._insert(
                cur,
                "steps",
                {
                    "request_id": request_id,
                    "step": step,
                    "decision": decision,
                    "actor": actor,
                    "signer": signer,
                    "day": day,
                    "comment": comment,
                    "details": json.dumps(details, ensure_ascii=False, sort_keys=True),
                    "at": t,
                },
            )
            values: dict[str, Any] = {"updated": t}
            if decision == "refused":
                values |= {"status": "refused", "decided": t, "decided_by": actor}
            elif next_step is None:
                values |= {"status": "done", "decided": t, "decided_by": actor}
            else:
                values["step"] = next_step
            self._update(cur, "requests", request_id, values)
        self.record(actor, f"adoption_{step}_{decision}", "requests", request_id)
        return step_id

    def add_change(
        self,
        request_id: int,
        step: str,
        actor: str,
        base_sha: str,
        text: str,
        summary: str,
        step_data: dict[str, Any],
    ) -> int:
        """A policy change waiting for a second referent; ``step_data`` is the step to record then."""
        with self._cursor() as cur:
            row_id = self._insert(
                cur,
                "changes",
                {
                    "request_id": request_id,
                    "step": step,
                    "proposed_by": actor,
                    "base_sha": base_sha,
                    "new_text": text,
                    "summary": summary,
                    "step_data": json.dumps(step_data, ensure_ascii=False, sort_keys=True),
                    "status": "proposed",
                    "created": iso(now()),
                },
            )
        self.record(actor, "policy_change_proposed", "changes", row_id)
        return row_id

    def changes(self, *, request_id: int | None = None, status: str | None = None) -> list[Row]:
        sql, args = "SELECT * FROM portal_changes WHERE 1 = 1", []
        if request_id is not None:
            sql, args = sql + " AND request_id = ?", [request_id]
        if status is not None:
            sql, args = sql + " AND status = ?", [*args, status]
        return self._rows("changes", sql + " ORDER BY id", args)

    def change(self, row_id: int) -> Row | None:
        rows = self._rows("changes", "SELECT * FROM portal_changes WHERE id = ?", [row_id])
        return rows[0] if rows else None

    def close_change(self, row_id: int, actor: str, status: str) -> bool:
        with self._cursor() as cur:
            changed = self._update(
                cur,
                "changes",
                row_id,
                {"status": status, "approved_by": actor, "decided": iso(now())},
                " AND status = 'proposed'",
            )
        if changed:
            self.record(actor, f"policy_change_{status}", "changes", row_id)
        return bool(changed)

    # ------------------------------------------------------------------ approved policies
    def publish_policy(self, sha: str, text: str, actor: str) -> int:
        """The approved ``policy.yaml``, for the replicas that do not share this rules directory."""
        with self._cursor() as cur:
            row_id = self._insert(
                cur, "policies", {"sha": sha, "text": text, "approved_by": actor, "created": iso(now())}
            )
        self.record(actor, "policy_published", "policies", row_id)
        return row_id

    def latest_policy(self) -> Row | None:
        rows = self._rows("policies", "SELECT * FROM portal_policies ORDER BY id DESC LIMIT 1")
        return rows[0] if rows else None

    # ------------------------------------------------------------------ sanctions
    def add_strike(self, user: str, code: str, ladder: Any) -> Row | None:
        """Count a refusal for data; returns the sanction it triggers (reminder, suspension), if any."""
        t = now()
        since = iso(t - timedelta(days=ladder.window_days))
        with self._cursor() as cur:
            self._insert(cur, "strikes", {"user_key": key_of(user), "code": code, "at": iso(t)})
            cur.execute(
                self._q("SELECT count(*) FROM portal_strikes WHERE user_key = ? AND at > ?"),
                (key_of(user), since),
            )
            count = int(cur.fetchone()[0])
            level = None
            if count >= ladder.suspension_after:
                level = "suspension"
            elif count >= ladder.reminder_after:
                level = "reminder"
            if level is None:
                return None
            cur.execute(
                self._q(
                    "SELECT count(*) FROM portal_sanctions WHERE user_key = ? AND level = ? AND created > ?"
                ),
                (key_of(user), level, since),
            )
            if int(cur.fetchone()[0]):
                return None
            until = iso(t + timedelta(days=ladder.suspension_days)) if level == "suspension" else None
            values = {
                "username": user,
                "user_key": key_of(user),
                "level": level,
                "status": "active",
                "strikes": count,
                "created": iso(t),
                "until": until,
                "comment": "",
            }
            row_id = self._insert(cur, "sanctions", values)
        self.record(None, f"sanction_{level}", "sanctions", row_id)
        return Row("sanctions", {"id": row_id, **values})

    def sanctions(self, user: str | None = None, *, status: str | None = None) -> list[Row]:
        sql, args = "SELECT * FROM portal_sanctions WHERE 1 = 1", []
        if user is not None:
            sql, args = sql + " AND user_key = ?", [key_of(user)]
        if status is not None:
            sql, args = sql + " AND status = ?", [*args, status]
        return self._rows("sanctions", sql + " ORDER BY id DESC", args)

    def sanction(self, row_id: int) -> Row | None:
        rows = self._rows("sanctions", "SELECT * FROM portal_sanctions WHERE id = ?", [row_id])
        return rows[0] if rows else None

    def set_sanction(
        self, row_id: int, actor: str, status: str, comment: str = "", *, user: str | None = None
    ) -> bool:
        """Acknowledge (the user, a reminder), lift or confirm (a referent) an active sanction."""
        where = " AND status IN ('active', 'confirmed')"
        args_user = ""
        if user is not None:
            args_user = f" AND user_key = {self.ph}"
        with self._cursor() as cur:
            sets = {"status": status, "decided_by": actor, "decided": iso(now()), "comment": comment}
            cols = ", ".join(f"{k} = {self.ph}" for k in sets)
            extra = (key_of(user),) if user is not None else ()
            cur.execute(
                f"UPDATE portal_sanctions SET {cols} WHERE id = {self.ph}{where}{args_user}",
                (*sets.values(), row_id, *extra),
            )
            changed = cur.rowcount
        if changed:
            self.record(actor, f"sanction_{status}", "sanctions", row_id)
        return bool(changed)

    # ------------------------------------------------------------------ the in-memory view's source
    def active_state(self) -> dict[str, list[tuple[Any, ...]]]:
        """What the decision path needs, in one read: active justifications, grants and sanctions."""
        t = iso(now())
        with self._cursor() as cur:
            out: dict[str, list[tuple[Any, ...]]] = {}
            for name, sql in (
                (
                    "justifications",
                    "SELECT user_key, tool, rule, expires FROM portal_justifications WHERE expires > ?",
                ),
                (
                    "grants",
                    "SELECT user_key, tool, expires FROM portal_grants WHERE revoked IS NULL AND expires > ?",
                ),
                (
                    "sanctions",
                    "SELECT user_key, level, until, id FROM portal_sanctions "
                    "WHERE status IN ('active', 'confirmed') AND (until IS NULL OR until > ?)",
                ),
            ):
                cur.execute(self._q(sql), (t,))
                out[name] = [tuple(r) for r in cur.fetchall()]
        return out
