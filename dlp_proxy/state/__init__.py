"""Where the pseudonym vaults live: this process (default), or Redis shared by every replica.

``dlp-proxy run --state redis://host:6379/0`` (or ``DLP_PROXY_STATE``, or the mitmproxy option
``dlp_state`` under ``mitmdump -s``) puts every user's vault in Redis or Valkey
(:mod:`dlp_proxy.state.redis_vaults`), encrypted with a key from ``DLP_PROXY_STATE_KEY``
(:mod:`dlp_proxy.state.keys`). Without it, vaults stay in memory as before. Design notes:
``docs/state.md``.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from dlp_proxy.logs import get_logger
from dlp_proxy.pseudonyms import MAX_TOTAL_ENTRIES, VaultRegistry, Vaults
from dlp_proxy.state.errors import StateUnavailable

__all__ = [
    "ENV",
    "MAX_TOTAL_ENTRIES",
    "StateUnavailable",
    "open_vaults",
    "redacted_url",
    "state_url",
    "vault_snapshot",
]

log = get_logger("dlp_proxy.state")

ENV = "DLP_PROXY_STATE"
SCHEMES = ("redis", "rediss", "unix")

#: Vault bounds, the same in memory and in Redis.
TTL_SECONDS = 24 * 3600
MAX_USERS = 5_000
MAX_ENTRIES_PER_USER = 10_000


def state_url(option: str | None) -> str | None:
    """The state URL: the option (``--state`` / ``dlp_state``), else ``$DLP_PROXY_STATE``, else none."""
    return (option or "").strip() or os.environ.get(ENV, "").strip() or None


def redacted_url(url: str) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return parts._replace(netloc=user + netloc).geturl()


def vault_snapshot(vaults: Vaults) -> dict[str, float] | None:
    """The in-memory vaults' figures for ``/metrics`` (:data:`dlp_proxy.metrics.VAULT_METRICS`); ``None``
    for vaults in Redis (their bounds are Redis's)."""
    if not isinstance(vaults, VaultRegistry):
        return None
    s = vaults.stats()
    return {
        "dlp_proxy_vault_users": s.users,
        "dlp_proxy_vault_entries": s.entries,
        "dlp_proxy_vault_entries_limit": s.max_entries,
        "dlp_proxy_vault_evictions": s.evictions,
    }


def open_vaults(url: str | None, max_total_entries: int = 0) -> Vaults:
    """The vaults for ``url`` (``None``: in memory). ``ValueError`` with a bilingual message when the
    URL or the key is unusable; an unreachable Redis is only logged (requests needing a new pseudonym
    get a 503 until it is back), so a replica restarted during a Redis failover still starts.

    ``max_total_entries`` (option ``dlp_vault_entries``; 0: :data:`MAX_TOTAL_ENTRIES`): the in-memory
    vaults' bound on the entries of all users together; with Redis (which keeps its own bound, per user,
    with expiry), the bound of what this replica keeps of the maps it read, its fallback while Redis
    cannot be reached."""
    if max_total_entries < 0:
        raise ValueError(f"dlp_vault_entries must be 0 or more, not {max_total_entries}")
    if url is None:
        return VaultRegistry(
            max_users=MAX_USERS,
            max_entries_per_user=MAX_ENTRIES_PER_USER,
            ttl_seconds=TTL_SECONDS,
            max_total_entries=max_total_entries or MAX_TOTAL_ENTRIES,
        )
    scheme = urlsplit(url).scheme
    if scheme not in SCHEMES:
        raise ValueError(
            f"adresse d'état non prise en charge ({scheme or 'sans schéma'}) : attendu redis://, rediss:// "
            f"ou unix:// / unsupported state address ({scheme or 'no scheme'}): expected redis://, "
            "rediss:// or unix://"
        )
    from dlp_proxy.state.keys import StateKeys
    from dlp_proxy.state.redis_vaults import RedisVaultRegistry

    keys = StateKeys.from_env()
    registry = RedisVaultRegistry(
        url,
        keys,
        ttl_seconds=TTL_SECONDS,
        max_entries_per_user=MAX_ENTRIES_PER_USER,
        max_known_users=MAX_USERS,
        max_known_entries=max_total_entries or MAX_TOTAL_ENTRIES,
    )
    if registry.ping():
        log.info("state_connected", url=redacted_url(url), key_id=keys.key_id)
    else:
        log.error("state_unreachable", url=redacted_url(url), key_id=keys.key_id)
    return registry
