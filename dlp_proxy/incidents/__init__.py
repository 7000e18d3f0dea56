"""Incident records for the security team — what the policy acted on, never a value found in traffic.

``open_store(url, data_dir)`` gives an :class:`IncidentStore` (SQLite by default, PostgreSQL for
several replicas) whose records form a hash chain; see :mod:`.store` for the write path,
:mod:`.verify` for tamper detection and :mod:`.maintenance` for the periodic hash report and purge.
"""

from __future__ import annotations

from .factory import open_store
from .maintenance import StoreMaintenance
from .model import (
    GENESIS,
    Incident,
    IncidentFilter,
    Sighting,
    StoredIncident,
    VerifyResult,
    canonical,
    chain_hash,
    chain_head_number,
    hash_value,
    iso_week,
    value_hashes,
)
from .store import IncidentStore, StoreError

__all__ = [
    "GENESIS",
    "Incident",
    "IncidentFilter",
    "IncidentStore",
    "Sighting",
    "StoreError",
    "StoreMaintenance",
    "StoredIncident",
    "VerifyResult",
    "canonical",
    "chain_hash",
    "chain_head_number",
    "hash_value",
    "iso_week",
    "open_store",
    "value_hashes",
]
