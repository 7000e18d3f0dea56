"""Pseudonym vaults in Redis (or Valkey), shared by every replica of the proxy.

Same placeholders as the in-memory vaults (``[[PERSON_1]]``), same interface
(:class:`dlp_proxy.pseudonyms.Vaults`), so a conversation can go from one replica to another, or survive a
restart, and its answers are still restored.

Key layout, one user (``u`` = keyed hash of the login or client address, ``k`` = public id of the key),
all in one hash slot (``{k:u}``) so the script below also runs on a Redis Cluster::

    dlp:ps:{k:u}:fwd   HASH  slot → pseudonym        slot = HMAC(index key, u, type, normalised value)
    dlp:ps:{k:u}:rev   HASH  pseudonym → slot "." nonce AES-GCM(original)   (bound to u and slot;
                                                       read only if fwd[slot] is this pseudonym)
    dlp:ps:{k:u}:ctr   HASH  label → last number given; "~e" creation time, "~v" version of the map
    dlp:ps:{k:u}:lru   ZSET  slot → last use (ms): the oldest entries go beyond ``max_entries``

Nothing in Redis is a value, a user name or an unkeyed hash of one. The four keys expire together,
``ttl_seconds`` after the user's last new or re-used pseudonym.

**Atomic get-or-assign**: one Lua script per request gives every value of the request its pseudonym —
the existing one, or the next free number of its type (never one the request text already contains,
never one given before in the map's life) — so two replicas can never give one value two numbers or
one number two values.

**Failure**: if Redis cannot be reached, a request whose values all have a pseudonym this replica already
knows goes on with them; one that needs a *new* pseudonym raises
:class:`~dlp_proxy.state.StateUnavailable` (the proxy answers 503: nothing unchecked, nothing unrestorable
goes out). Reading a map for an answer is retried, then falls back to the last map this replica saw.

Every call does network I/O: the proxy makes them from a thread (``remote = True``).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Container, Sequence
from dataclasses import dataclass, field

import redis
from cryptography.exceptions import InvalidTag
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from dlp_proxy.decide import FindingLike
from dlp_proxy.logs import get_logger
from dlp_proxy.pseudonyms import PLACEHOLDER, PLACEHOLDER_PATTERN, merge_spans, normalise, placeholder_type
from dlp_proxy.restore.text import Replacements
from dlp_proxy.state.errors import StateUnavailable
from dlp_proxy.state.keys import StateKeys

log = get_logger("dlp_proxy.state")

PREFIX = "dlp:ps"

# KEYS: fwd, rev, ctr, lru. ARGV: now (ms), ttl (ms), max entries, n, n pseudonyms the request text
# already contains, then (slot, label, sealed original) for each value. Returns the map's creation time
# ("~e": a map that expired or was lost and was made again has another) then the pseudonyms in order.
_ASSIGN = """
local now, ttl, maxn, navoid = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local avoid = {}
for i = 5, 4 + navoid do avoid[ARGV[i]] = true end
redis.call('HSETNX', KEYS[3], '~e', ARGV[1])
local out, added = {redis.call('HGET', KEYS[3], '~e')}, 0
for i = 5 + navoid, #ARGV, 3 do
  local slot, label, sealed = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local p = redis.call('HGET', KEYS[1], slot)
  if not p then
    repeat
      local n = redis.call('HINCRBY', KEYS[3], label, 1)
      p = '[[' .. label .. '_' .. n .. ']]'
    until not avoid[p] and redis.call('HEXISTS', KEYS[2], p) == 0
    redis.call('HSET', KEYS[1], slot, p)
    redis.call('HSET', KEYS[2], p, sealed)
    added = added + 1
  end
  redis.call('ZADD', KEYS[4], now, slot)
  out[#out + 1] = p
end
if added > 0 then
  redis.call('HINCRBY', KEYS[3], '~v', 1)
  local excess = redis.call('ZCARD', KEYS[4]) - maxn
  if excess > 0 then
    for _, old in ipairs(redis.call('ZRANGE', KEYS[4], 0, excess - 1)) do
      local q = redis.call('HGET', KEYS[1], old)
      if q then redis.call('HDEL', KEYS[2], q) end
      redis.call('HDEL', KEYS[1], old)
      redis.call('ZREM', KEYS[4], old)
    end
  end
end
for k = 1, 4 do redis.call('PEXPIRE', KEYS[k], ttl) end
return out
"""


@dataclass(repr=False)
class _Known:
    """What this replica last knew of one user's map: the fallback while Redis cannot be reached."""

    epoch: bytes | None = None  # the map's creation time ("~e"): another one is another map
    version: tuple[bytes | None, bytes | None] | None = None
    compiled: Replacements | None = None  # the map at ``version``, as read from Redis
    mapping: dict[str, str] = field(default_factory=dict)  # pseudonym → original (first spelling)
    slots: dict[str, str] = field(default_factory=dict)  # slot → pseudonym
    opened: dict[bytes, tuple[bytes, str, str]] = field(
        default_factory=dict
    )  # pseudonym → (blob, slot, original)


class RedisVaultRegistry:
    """Every user's vault, in Redis. Thread-safe (one connection pool); see the module docstring."""

    remote = True

    def __init__(
        self,
        url: str,
        keys: StateKeys,
        *,
        ttl_seconds: float = 24 * 3600,
        max_entries_per_user: int = 10_000,
        max_known_users: int = 5_000,
        max_known_entries: int = 20_000,
        timeout: float = 0.5,
        read_attempts: int = 4,
        read_seconds: float = 1.0,
        client: redis.Redis | None = None,
    ) -> None:
        if max_entries_per_user < 1:
            raise ValueError("max_entries_per_user must be at least 1")
        self.keys = keys
        self._ttl_ms = int(ttl_seconds * 1000)
        self._max_entries = max_entries_per_user
        self._max_known = max_known_users
        # What this replica keeps of the maps it read (the fallback while Redis cannot be reached), all
        # users together: least recently used users forgotten beyond it (like the in-memory vaults).
        self._max_known_entries = max(1, max_known_entries)
        self._known_sizes: dict[str, int] = {}
        self._known_total = 0
        self._read_attempts = max(1, read_attempts)
        self._read_seconds = read_seconds
        # One quick retry inside the client (a connection reset by a failover); longer waits are ours.
        self.client = client or redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), 1),
            retry_on_timeout=True,
        )
        self._assign = self.client.register_script(_ASSIGN)
        self._lock = threading.Lock()
        self._known: OrderedDict[str, _Known] = OrderedDict()  # user id → _Known, LRU first

    def __repr__(self) -> str:
        return f"<RedisVaultRegistry key={self.keys.key_id}>"

    # -- the Vaults interface ----------------------------------------------------------------------------

    def vault_for(self, user_key: str) -> RedisVault:
        return RedisVault(self, self.keys.user_id(user_key))

    def get(self, user_key: str) -> RedisVault:
        """A handle on the user's vault (it may be empty: nothing is read until it is used)."""
        return self.vault_for(user_key)

    def replacements_for(self, user_key: str) -> Replacements | None:
        repl = self._replacements(self.keys.user_id(user_key))
        return repl if repl else None

    # -- life ----------------------------------------------------------------------------------------------

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def close(self) -> None:
        self.client.close()

    # -- internals -----------------------------------------------------------------------------------------

    def names(self, user_id: str) -> list[str]:
        base = f"{PREFIX}:{{{self.keys.key_id}:{user_id}}}"
        return [f"{base}:fwd", f"{base}:rev", f"{base}:ctr", f"{base}:lru"]

    def _known_for(self, user_id: str) -> _Known:
        with self._lock:
            known = self._known.get(user_id)
            if known is None:
                known = self._known[user_id] = _Known()
                while len(self._known) > self._max_known:
                    self._forget(next(iter(self._known)))
            else:
                self._known.move_to_end(user_id)
            return known

    def _forget(self, user_id: str) -> None:
        """Drop what this replica knows of a user's map (called with the lock held)."""
        self._known.pop(user_id, None)
        self._known_total -= self._known_sizes.pop(user_id, 0)

    def _resized(self, user_id: str, known: _Known) -> None:
        """Count ``known``'s entries again and forget the least recently used users beyond the bound
        (called with the lock held; the user just served is kept)."""
        if self._known.get(user_id) is not known:
            return  # forgotten meanwhile
        size = len(known.mapping) + len(known.opened)
        self._known_total += size - self._known_sizes.get(user_id, 0)
        self._known_sizes[user_id] = size
        while self._known_total > self._max_known_entries and len(self._known) > 1:
            oldest = next(iter(self._known))
            self._forget(oldest if oldest != user_id else list(self._known)[1])

    def assign(self, user_id: str, wanted: dict[str, tuple[str, str]], avoid: str) -> dict[str, str]:
        """slot → pseudonym for every ``slot: (label, original)``, atomically (one script call)."""
        known = self._known_for(user_id)
        labels = {label for label, _ in wanted.values()}
        in_text = sorted({p for p in PLACEHOLDER_PATTERN.findall(avoid) if p[2:].rsplit("_", 1)[0] in labels})
        args: list[bytes | str | int] = [
            int(time.time() * 1000),
            self._ttl_ms,
            self._max_entries,
            len(in_text),
            *in_text,
        ]
        for slot, (label, original) in wanted.items():
            args += [slot, label, self.keys.seal(user_id, slot, original)]
        try:
            result = self._assign(keys=self.names(user_id), args=args)
        except redis.RedisError as exc:
            with self._lock:
                if all(slot in known.slots for slot in wanted):  # nothing new is needed: go on
                    log.warning("state_unreachable_known_pseudonyms", error=type(exc).__name__)
                    return {slot: known.slots[slot] for slot in wanted}
            log.error("state_unavailable", error=type(exc).__name__)
            raise StateUnavailable(type(exc).__name__) from None
        epoch, pseudonyms = result[0], result[1:]
        out = {slot: p.decode() for slot, p in zip(wanted, pseudonyms, strict=True)}
        with self._lock:
            if known.epoch != epoch:  # the map was lost or expired and made anew: forget the old one
                known.version, known.compiled = None, None
                known.mapping, known.slots, known.opened = {}, {}, {}
                known.epoch = epoch
            for slot, pseudonym in out.items():
                known.slots[slot] = pseudonym
                known.mapping.setdefault(pseudonym, wanted[slot][1])
            self._resized(user_id, known)
        return out

    def _read(self, user_id: str, known: _Known) -> Replacements:
        fwd, rev, ctr, _ = self.names(user_id)
        version = tuple(self.client.hmget(ctr, ["~e", "~v"]))
        if known.compiled is not None and version == known.version:
            return known.compiled
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hmget(ctr, ["~e", "~v"])
            pipe.hgetall(rev)
            pipe.hgetall(fwd)
            version_raw, entries, forward = pipe.execute()
        mapping, slots, opened = {}, {}, {}
        for pseudonym, blob in entries.items():
            seen = known.opened.get(pseudonym)
            if seen is not None and seen[0] == blob:  # decrypted at an earlier read
                slot, original = seen[1], seen[2]
            else:
                try:
                    slot, original = self.keys.open(user_id, blob)
                except (InvalidTag, ValueError, UnicodeDecodeError):
                    log.warning("state_entry_unreadable")  # altered, or written with another key
                    continue
            opened[pseudonym] = (blob, slot, original)
            if forward.get(slot.encode()) != pseudonym:  # sealed for another pseudonym: moved
                log.warning("state_entry_unreadable")
                continue
            mapping[pseudonym.decode()] = original
            slots[slot] = pseudonym.decode()
        compiled = Replacements(mapping)
        with self._lock:
            known.version, known.compiled = tuple(version_raw), compiled
            known.epoch = version_raw[0]
            known.mapping, known.slots, known.opened = dict(mapping), slots, opened
            self._resized(user_id, known)
        return compiled

    def mapping(self, user_id: str) -> dict[str, str]:
        self._replacements(user_id)
        known = self._known_for(user_id)
        with self._lock:
            return dict(known.mapping)

    def _replacements(self, user_id: str) -> Replacements:
        """The user's map, read again only when its version changed; retried, then the last one known."""
        known = self._known_for(user_id)
        delay, deadline = 0.05, time.monotonic() + self._read_seconds
        for attempt in range(self._read_attempts):
            try:
                return self._read(user_id, known)
            except redis.RedisError as exc:
                error = type(exc).__name__
                if attempt + 1 == self._read_attempts or time.monotonic() + delay > deadline:
                    break  # an answer waits at most ~read_seconds for Redis, then uses what is known
                time.sleep(delay)
                delay *= 3
        log.warning("state_read_failed", error=error, fallback=len(known.mapping))
        with self._lock:
            if known.compiled is not None and len(known.compiled) == len(known.mapping):
                return known.compiled
            return Replacements(known.mapping)


class RedisVault:
    """One user's vault in Redis: placeholders only (surrogates fall back to placeholders, see docs)."""

    def __init__(self, registry: RedisVaultRegistry, user_id: str) -> None:
        self._registry = registry
        self._user_id = user_id

    def __repr__(self) -> str:
        return "<RedisVault>"

    def __len__(self) -> int:
        return len(self.replacements())

    def pseudonymize_all(
        self,
        items: Sequence[tuple[str, Sequence[FindingLike]]],
        *,
        redact_types: Container[str] = (),
        redactor: object | None = None,
        avoid: str = "",
    ) -> list[str]:
        """Every text with its findings replaced, like ``PseudonymVault.pseudonymize`` (one round trip)."""
        keys, uid = self._registry.keys, self._user_id
        plans = []
        wanted: dict[str, tuple[str, str]] = {}
        for text, found in items:
            plan = []
            for start, end, etype, irreversible in merge_spans(found, redact_types):
                value = text[start:end]
                if irreversible:
                    if redactor is None:
                        raise ValueError("redact_types needs a redactor")
                    plan.append((start, end, redactor.placeholder(etype, value)))  # type: ignore[attr-defined]
                    continue
                slot = keys.slot(uid, etype, normalise(etype, value), PLACEHOLDER)
                wanted.setdefault(slot, (placeholder_type(etype), value))
                plan.append((start, end, slot))
            plans.append(plan)
        given = self._registry.assign(uid, wanted, avoid) if wanted else {}
        out = []
        for (text, _), plan in zip(items, plans, strict=True):
            parts, pos = [], 0
            for start, end, what in plan:
                parts += [text[pos:start], given.get(what, what)]
                pos = end
            parts.append(text[pos:])
            out.append("".join(parts))
        return out

    def pseudonymize(
        self,
        text: str,
        findings: Sequence[FindingLike],
        *,
        surrogate_types: Container[str] = (),
        redact_types: Container[str] = (),
        redactor: object | None = None,
        avoid: str | None = None,
    ) -> str:
        """One text; ``surrogate_types`` get placeholders too (surrogates are not shared yet)."""
        avoid = text if avoid is None else avoid
        return self.pseudonymize_all(
            [(text, findings)], redact_types=redact_types, redactor=redactor, avoid=avoid
        )[0]

    def placeholder(self, entity_type: str, value: str, *, avoid: str = "") -> str:
        slot = self._registry.keys.slot(
            self._user_id, entity_type, normalise(entity_type, value), PLACEHOLDER
        )
        return self._registry.assign(self._user_id, {slot: (placeholder_type(entity_type), value)}, avoid)[
            slot
        ]

    def surrogate(self, entity_type: str, value: str, *, avoid: str = "") -> str:
        return self.placeholder(entity_type, value, avoid=avoid)

    def replacements(self) -> Replacements:
        return self._registry._replacements(self._user_id)

    def mapping(self) -> dict[str, str]:
        """A snapshot: pseudonym → original value (for tests and tools; answers use ``replacements``)."""
        return self._registry.mapping(self._user_id)

    def restore_text(self, text: str) -> str:
        return self.replacements().restore(text)
