"""Backup and restore of the incident store (``dlp-proxy incidents backup|restore FILE``).

SQLite: SQLite's online backup API copies a consistent snapshot while the proxy keeps writing (it
never copies a half-written transaction, unlike ``cp``); the copy's hash chain is verified before
it is kept. Restore copies a verified backup into the store file with the same API, then upgrades
its schema (an old backup is migrated like an old store).

PostgreSQL: ``pg_dump --format=custom --schema=<store schema>`` and ``pg_restore --clean`` when they
are installed (their major version must be at least the server's); otherwise the exact commands are
printed. The password of the URL goes through ``PGPASSWORD``, never on a command line that ``ps``
shows.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .model import VerifyResult, safe_url
from .postgres import parse_url
from .sqlite import _SELECT, CODEC
from .store import StoreError
from .verify import verify_rows


class BackupError(Exception):
    """The backup or restore was not done (the CLI prints it and exits 2)."""


@dataclass(frozen=True)
class BackupResult:
    """What was copied: the file, how many records, and the chain check of the copy."""

    path: Path
    records: int
    verify: VerifyResult | None  # None for PostgreSQL dumps (checked with `incidents verify` after restore)


# ------------------------------------------------------------------------------------------ SQLite


def _verify_file(path: Path) -> VerifyResult:

    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "incidents" not in tables:
            raise BackupError(f"{path} is not a dlp-proxy incident store (no incidents table)")
        return verify_rows((CODEC.chain_row(r) for r in conn.execute(_SELECT + " ORDER BY seq")), None)


def _copy(src: Path, dest: Path) -> None:
    """Online backup of ``src`` into a new file ``dest`` (rollback journal, like the store)."""
    with closing(sqlite3.connect(f"file:{src}?mode=ro", uri=True)) as source:
        with closing(sqlite3.connect(dest, isolation_level=None)) as target:
            source.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")


def sqlite_backup(store_path: Path, dest: Path) -> BackupResult:
    """Copy the SQLite store to ``dest`` (refused if it exists); the copy's chain must verify."""
    if not store_path.is_file():
        raise BackupError(f"no incident store at {store_path}")
    if dest.exists():
        raise BackupError(f"{dest} exists: choose a new file name (a backup never overwrites)")
    part = dest.with_name(dest.name + ".part")
    part.unlink(missing_ok=True)
    try:
        _copy(store_path, part)
        result = _verify_file(part)
        if not result.ok:
            raise BackupError(f"the store's chain does not verify ({result.problem}): backup not kept")
        os.replace(part, dest)
    except sqlite3.Error as exc:
        raise BackupError(f"backup of {store_path} failed: {exc}") from exc
    finally:
        part.unlink(missing_ok=True)
    return BackupResult(dest, result.checked, result)


def sqlite_restore(backup: Path, store_path: Path, *, force: bool = False) -> BackupResult:
    """Replace the store's content with a verified backup.

    Refused when the store already holds records, unless ``force``: a restore over live evidence must
    be deliberate. Stop the proxy first (a running proxy would append to the restored chain).
    """
    if not backup.is_file():
        raise BackupError(f"no backup file at {backup}")
    try:
        result = _verify_file(backup)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{backup} is not a readable SQLite incident store: {exc}") from exc
    if not result.ok:
        raise BackupError(f"the backup's chain does not verify ({result.problem}): not restored")
    if store_path.is_file() and not force:
        with closing(sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)) as conn:
            try:
                count = conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
            except sqlite3.OperationalError:
                count = 0
        if count:
            raise BackupError(
                f"{store_path} holds {count} record(s): add --force to replace them with the backup"
            )
    try:
        store_path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as source:
            with closing(sqlite3.connect(store_path, timeout=30.0, isolation_level=None)) as target:
                source.backup(target)  # page by page under the target's write lock: all or nothing
    except sqlite3.Error as exc:
        raise BackupError(f"restore into {store_path} failed: {exc}") from exc
    return BackupResult(store_path, result.checked, result)


# -------------------------------------------------------------------------------------- PostgreSQL


def _pg_command(url: str) -> tuple[str, str, dict[str, str]]:
    """(libpq URL without password or ``schema``, schema, environment with PGPASSWORD)."""

    conninfo, schema = parse_url(url)
    parts = urlsplit(conninfo)
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = parts.password
        host = parts.hostname or ""
        netloc = (parts.username or "") + "@" + host + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts), schema, env


def pg_guidance(url: str, file: Path, *, restore: bool) -> str:
    """The commands an operator runs where the PostgreSQL client tools are installed."""

    _, schema = parse_url(url)
    shown = safe_url(url).split("?", 1)[0]
    if restore:
        return (
            f"pg_restore --clean --if-exists --no-owner --dbname '{shown}' '{file}'\n"
            f"then: dlp-proxy incidents verify --store '{safe_url(url)}'"
        )
    return f"pg_dump --format=custom --schema={schema} --dbname '{shown}' --file '{file}'"


def pg_backup(url: str, dest: Path) -> BackupResult:
    """``pg_dump`` of the store's schema to ``dest``; BackupError with the command when impossible."""
    if dest.exists():
        raise BackupError(f"{dest} exists: choose a new file name (a backup never overwrites)")
    if shutil.which("pg_dump") is None:
        raise BackupError(
            "pg_dump is not installed here; run it where it is (same major version as the server or "
            "newer):\n  " + pg_guidance(url, dest, restore=False)
        )
    dbname, schema, env = _pg_command(url)
    part = dest.with_name(dest.name + ".part")
    cmd = ["pg_dump", "--format=custom", f"--schema={schema}", "--dbname", dbname, "--file", str(part)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        part.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {_first_line(done.stderr)}")
    os.replace(part, dest)
    return BackupResult(dest, _pg_count(url), None)


def pg_restore(url: str, backup: Path, *, force: bool = False) -> BackupResult:
    """``pg_restore --clean`` of a dump made by :func:`pg_backup`; refused over records unless ``force``."""
    if not backup.is_file():
        raise BackupError(f"no backup file at {backup}")
    if shutil.which("pg_restore") is None:
        raise BackupError(
            "pg_restore is not installed here; run it where it is:\n  "
            + pg_guidance(url, backup, restore=True)
        )
    count = _pg_count(url)
    if count and not force:
        raise BackupError(f"the store holds {count} record(s): add --force to replace them with the backup")
    dbname, _, env = _pg_command(url)
    cmd = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--dbname", dbname, str(backup)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {_first_line(done.stderr)}")
    return BackupResult(backup, _pg_count(url), None)


def _pg_count(url: str) -> int:
    import psycopg

    conninfo, schema = parse_url(url)
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f'"{schema}".incidents',)).fetchone()
            if not (row and row[0]):
                return 0
            return int(conn.execute(f'SELECT count(*) FROM "{schema}".incidents').fetchone()[0])
    except psycopg.Error as exc:
        raise StoreError(f"incident store {safe_url(url)}: {_first_line(str(exc))}") from exc


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no message"
