"""Chain verification, shared by the backends: walk the records in id order and report the first problem.

Per record three checks, in this order:

1. link — its ``prev_hash`` is the hash of the record before it (else: a record was deleted,
   inserted, or rewritten with a recomputed hash);
2. hash — ``sha256(prev_hash + recorded canonical JSON)`` is its ``hash`` (else: the recorded content
   or the hash was edited);
3. columns — the canonical JSON rebuilt from the columns the security team reads is the recorded one
   (else: a column was edited; the changed fields are named).

The oldest remaining record must start the chain (``GENESIS``) or follow the records a purge deleted:
a checkpoint names the hash of the last deleted record. With ``expected_latest`` (the hash the proxy
logged or exported), a chain that no longer contains that hash lost its newest records.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from .model import GENESIS, StoredIncident, VerifyResult, canonical, chain_hash, record_content

MIN_EXPECTED_PREFIX = 12


class ChainRow(NamedTuple):
    """One stored row as read for verification."""

    id: int
    prev_hash: str
    hash: str
    record: str  # the canonical JSON the hash was computed over
    stored: StoredIncident | None  # rebuilt from the columns; None when a column is unreadable
    error: str | None = None  # why the columns could not be read


def columns_canonical(stored: StoredIncident) -> str:
    """The canonical JSON of a record rebuilt from its columns."""
    return canonical(
        record_content(
            stored,
            seq=stored.id,
            kind=stored.kind,
            replica=stored.replica,
            uid=stored.uid,
            checkpoint=stored.checkpoint,
        )
    )


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def diff_fields(recorded: str, current: str) -> tuple[tuple[str, ...], str]:
    """Fields whose value differs between two canonical JSON texts, and a readable description."""
    try:
        before = json.loads(recorded)
        after = json.loads(current)
    except ValueError:
        return (), "the recorded content is not valid JSON"
    if not isinstance(before, dict) or not isinstance(after, dict):
        return (), "the recorded content is not a JSON object"
    names = tuple(sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k)))
    parts = [f"{n}: {_short(before.get(n))} when recorded, {_short(after.get(n))} now" for n in names]
    return names, "; ".join(parts)


class _Peekable:
    def __init__(self, rows: Iterable[ChainRow]):
        self._it: Iterator[ChainRow] = iter(rows)
        self._next: list[ChainRow] = []

    def __iter__(self) -> _Peekable:
        return self

    def __next__(self) -> ChainRow:
        if self._next:
            return self._next.pop()
        return next(self._it)

    def peek(self) -> ChainRow | None:
        if not self._next:
            try:
                self._next.append(next(self._it))
            except StopIteration:
                return None
        return self._next[-1]


def verify_rows(rows: Iterable[ChainRow], expected_latest: str | None = None) -> VerifyResult:
    """Verify a chain given its rows in id order (see the module docstring)."""
    if expected_latest is not None:
        expected_latest = expected_latest.strip().lower()
        if len(expected_latest) < MIN_EXPECTED_PREFIX:
            raise ValueError(f"expected_latest needs at least {MIN_EXPECTED_PREFIX} hex characters")
    checked = 0
    first: ChainRow | None = None
    prev: ChainRow | None = None
    before_prev: ChainRow | None = None
    anchors: dict[str, tuple[int, int]] = {}  # purged last_hash -> (checkpoint id, purged last_id)
    seen_expected = False

    def bad(issue: str, row_id: int | None, problem: str, changed: tuple[str, ...] = ()) -> VerifyResult:
        return VerifyResult(False, checked, problem, row_id, issue, changed, prev.hash if prev else None)

    it = _Peekable(rows)
    for row in it:
        checked += 1
        if prev is None:
            first = row
        elif row.prev_hash != prev.hash:
            nxt = it.peek()
            if before_prev is not None and row.prev_hash == before_prev.hash:
                return bad(
                    "inserted",
                    prev.id,
                    f"record {prev.id} was inserted: record {row.id} links to record {before_prev.id}",
                )
            if nxt is not None and nxt.prev_hash == prev.hash:
                return bad(
                    "inserted",
                    row.id,
                    f"record {row.id} was inserted: record {nxt.id} links to record {prev.id}",
                )
            if row.id > prev.id + 1:
                missing = row.id - prev.id - 1
                ids = str(prev.id + 1) if missing == 1 else f"{prev.id + 1}..{row.id - 1}"
                return bad(
                    "deleted", row.id, f"{missing} record(s) deleted before record {row.id} (id {ids})"
                )
            return bad(
                "broken",
                prev.id,
                f"chain broken between records {prev.id} and {row.id}: record {prev.id} was rewritten "
                f"with a recomputed hash, or records were deleted or inserted and renumbered",
            )
        if chain_hash(row.prev_hash, row.record) != row.hash:
            changed: tuple[str, ...] = ()
            detail = ""
            if row.stored is not None:
                changed, detail = diff_fields(row.record, columns_canonical(row.stored))
            return bad(
                "edited",
                row.id,
                f"record {row.id} was edited: its recorded content no longer matches its hash"
                + (f" ({detail})" if detail else ""),
                changed,
            )
        if row.stored is None:
            return bad("edited", row.id, f"record {row.id} was edited: {row.error or 'unreadable column'}")
        current = columns_canonical(row.stored)
        if current != row.record:
            changed, detail = diff_fields(row.record, current)
            return bad("edited", row.id, f"record {row.id} was edited: {detail}", changed)
        if row.stored.kind == "checkpoint" and row.stored.checkpoint:
            cp = row.stored.checkpoint
            anchors[str(cp.get("last_hash"))] = (row.id, int(cp.get("last_id") or 0))
        if expected_latest is not None and row.hash.startswith(expected_latest):
            seen_expected = True
        before_prev, prev = prev, row

    if first is not None and first.prev_hash != GENESIS:
        anchor = anchors.get(first.prev_hash)
        if anchor is None:
            return bad(
                "deleted",
                first.id,
                f"records before record {first.id} were deleted without a purge checkpoint",
            )
        checkpoint_id, last_id = anchor
        if first.id != last_id + 1:
            return bad(
                "deleted",
                first.id,
                f"records {last_id + 1}..{first.id - 1} were deleted after the purge of checkpoint "
                f"{checkpoint_id}",
            )
    if expected_latest is not None and not seen_expected:
        if any(h.startswith(expected_latest) for h in anchors):
            seen_expected = True  # purged since it was logged: the chain still follows it
    if expected_latest is not None and not seen_expected:
        end = f"the chain now ends at record {prev.id}" if prev else "the store is empty"
        return bad(
            "truncated",
            prev.id + 1 if prev else None,
            f"the record with the last known hash {expected_latest[:16]}… is missing: newest records were "
            f"deleted or the chain was rewritten ({end})",
        )
    return VerifyResult(True, checked, None, None, None, (), prev.hash if prev else None)
