"""Opening the incident store a URL names: SQLite (one replica) or PostgreSQL (a fleet).

Its own module so that the backends build on :mod:`.store` and this module builds on the backends,
with no import going back up (no cycle, no function-level imports).
"""

from __future__ import annotations

from pathlib import Path

from .postgres import PostgresIncidentStore
from .sqlite import SqliteIncidentStore
from .store import DEFAULT_SQLITE_NAME, IncidentStore


def sqlite_path(url: str | None, data_dir: Path) -> Path | None:
    """The SQLite file a store URL names, or None when it is not a SQLite URL."""
    if not url:
        return Path(data_dir) / DEFAULT_SQLITE_NAME
    if not url.startswith("sqlite:"):
        return None
    rest = url[len("sqlite:") :]
    if rest.startswith("//"):
        rest = rest[2:]
        if not rest.startswith("/"):
            raise ValueError(
                f"invalid SQLite store URL {url!r}: use sqlite:///absolute/path.sqlite3 or "
                "sqlite:relative/path (relative to the data directory)"
            )
    if not rest:
        raise ValueError(f"invalid SQLite store URL {url!r}: no file name")
    path = Path(rest)
    return path if path.is_absolute() else Path(data_dir) / path


def open_store(
    url: str | None,
    data_dir: Path,
    *,
    hmac_key: bytes | None = None,
    replica: str | None = None,
    retry_initial: float | None = None,
    retry_max: float | None = None,
) -> IncidentStore:
    """Open the incident store named by ``url`` (``--store`` / ``DLP_PROXY_STORE``).

    - ``None`` or ``""``: SQLite at ``data_dir/incidents.sqlite3``;
    - ``sqlite:///abs/path.sqlite3`` or ``sqlite:relative/path`` (relative to ``data_dir``);
    - ``postgresql://user@host:5432/db[?schema=name]`` (also ``postgres://``): several replicas, one
      chain; the schema (default ``dlp_proxy``) and tables are created if missing. A PostgreSQL store
      that is down at start-up does not fail here: incidents are spooled until it answers.

    The spool and rejected-record files live in ``data_dir``. Raises ValueError for an unknown URL and
    StoreError when a SQLite file cannot be opened.
    """
    data_dir = Path(data_dir)
    path = sqlite_path(url, data_dir)
    if path is not None:
        return SqliteIncidentStore(
            path,
            data_dir,
            hmac_key=hmac_key,
            replica=replica,
            retry_initial=retry_initial,
            retry_max=retry_max,
        )
    assert url is not None
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme in ("postgresql", "postgres"):
        return PostgresIncidentStore(
            url,
            data_dir,
            hmac_key=hmac_key,
            replica=replica,
            retry_initial=retry_initial,
            retry_max=retry_max,
        )
    shown = f"scheme {scheme!r}" if scheme else "no scheme"
    raise ValueError(
        f"unknown incident store URL ({shown}): use sqlite:///path/to/incidents.sqlite3, "
        "sqlite:relative/path (in the data directory) or postgresql://user@host:5432/db[?schema=name]"
    )
