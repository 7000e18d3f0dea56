"""Reversible pseudonyms: one vault per user, so answers can be given back with the original values.

``VaultRegistry.vault_for(user)`` gives the user's ``PseudonymVault``. A vault turns a detected value into a
pseudonym that is stable for that user — the same value gets the same pseudonym in every message of a
request and in later requests of the conversation, which lets a model follow who is who across turns and
lets a server-side conversation (``previous_response_id``) be restored later — and it keeps the reverse
map that ``dlp_proxy.restore`` uses on the answer.

Placeholder format: ``[[PERSON_1]]``, ``[[EMAIL_ADDRESS_2]]``, ``[[FR_NIR_1]]``.

* ASCII only, made of pieces byte-level BPE tokenizers see all the time (``[[``/``]]`` from wiki links and
  code, upper-case words, ``_``, digits), so a model has every reason to copy it verbatim — in prose, in
  Markdown and inside JSON tool arguments. Non-ASCII brackets (``⟦…⟧``, ``«…»``) fall apart into rare byte
  tokens and risk being "corrected" to ``[``; a random suffix (``PERSON_7_X3Q``) risks being dropped or
  mistyped; a single bracket (``[PERSON_1]``, what ``redact.py`` writes) reads like a Markdown link label or
  a citation, much closer to ordinary text. (Reasoned, not measured: no tokenizer files offline here.)
* Nothing in it needs escaping in JSON, HTML or Markdown (an underscore inside a word is not emphasis), so
  the answer carries it byte for byte whatever the wrapping.
* It cannot collide with text: ``[[`` + upper-case type + ``_`` + number + ``]]`` does not occur in prose,
  and when the request text already contains the would-be placeholder (a user pasting an earlier redacted
  text, a wiki page), the vault takes the next number instead (``avoid=``). Numbers are never reused in a
  vault's life, even after an entry expires, so an old answer never restores to another person's value.
  (Once a user's whole vault has expired, numbering starts again: a server-side conversation older than
  ``ttl_seconds`` is not restored reliably.)
* It says what was removed (the type), never the value, and ``dlp_proxy.restore`` recognises it with a
  prefix test, holding back at most ``len(placeholder) - 1`` characters of a stream.

Surrogates (option, per entity type): a realistic French value of the same type from Faker ``fr_FR`` —
"Camille Texier", an ``example.org`` address, a phone number in ARCEP's fiction ranges, an IBAN, SIREN,
SIRET, NIR or card number with a valid checksum, an IP address from the documentation ranges — laid out like
the original (spaces, dots, ``+33``). It is stable per value (derived from a per-vault secret seed and the
value), never equal to another surrogate of the vault, to a value the vault has seen, or to anything the
request text contains. Types without a sensible fake (``SECRET``, custom types) get a placeholder.

Keys are normalised (case, whitespace; separators for identifiers; ``+33`` for phones), so "DUPONT" and
"Dupont", or "06 12 34 56 78" and "0612345678", share a pseudonym. Answers get the first spelling seen.

By default vaults live in this process's memory only (:class:`VaultRegistry`); with ``--state redis://…``
they live in Redis, shared by every replica (``dlp_proxy.state``, same placeholders, same interface
:class:`Vaults`). In memory they are bounded (LRU on users, on entries per user and on entries of all users
together: ``max_total_entries``), expire after ``ttl_seconds`` without use, are never shared between users
and never logged: no ``repr`` here shows a value.

Losing a mapping (expiry, eviction) only costs restoring: scanning never reads a vault (the detector finds
the value again in a later request, which gets a pseudonym again), and an answer's pseudonym whose
mapping is gone is left as it is (``dlp_proxy.restore`` only replaces the pseudonyms it knows). A user's
numbering survives the eviction of their whole vault (the counters are kept, bounded), so a pseudonym of
an old answer never restores to a newer value.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from dlp_proxy.dates import MONTHS_FR
from dlp_proxy.decide import FindingLike
from dlp_proxy.entities import IDENTIFIER_TYPES
from dlp_proxy.lru import LruDict
from dlp_proxy.restore.text import Replacements

if TYPE_CHECKING:
    from faker import Faker

#: What a placeholder looks like (for documentation and tests; restoring uses the vault's exact strings).
PLACEHOLDER_PATTERN = re.compile(r"\[\[[A-Z][A-Z0-9_]*_[1-9][0-9]*\]\]")


class _Redactor(Protocol):
    def placeholder(self, entity_type: str, value: str) -> str: ...


PLACEHOLDER = "placeholder"
SURROGATE = "surrogate"


def placeholder_type(entity_type: str) -> str:
    """The entity type as written in a placeholder: upper-case ASCII letters, digits and underscores."""
    cleaned = re.sub(r"[^A-Z0-9]+", "_", entity_type.upper()).strip("_")
    if not cleaned or not cleaned[0].isalpha():
        cleaned = "X_" + cleaned if cleaned else "DATA"
    return cleaned


def normalise(entity_type: str, value: str) -> str:
    """The vault key of a value: same key, same pseudonym."""
    if entity_type in IDENTIFIER_TYPES:
        key = re.sub(r"[\W_]+", "", value).casefold()
        if entity_type == "PHONE_NUMBER":
            key = re.sub(r"^(?:\+|00)33(?:0)?", "0", re.sub(r"[^\d+]", "", value))
        return key
    return " ".join(value.split()).casefold()


@dataclass(slots=True, repr=False)
class _Entry:
    key: bytes  # keyed digest of (entity type, PLACEHOLDER | SURROGATE, normalised value): see _key
    pseudonym: str
    original: str
    last_used: float


def merge_spans(
    findings: Sequence[FindingLike], redact_types: Container[str] = ()
) -> list[tuple[int, int, str, bool]]:
    """(start, end, entity type, irreversible) of each span to replace, overlapping findings merged
    (the first type wins; a merged span is irreversible if any of its findings' types is redacted)."""
    spans = sorted(((f.start, f.end, f.entity_type) for f in findings), key=lambda s: (s[0], -s[1]))
    merged: list[tuple[int, int, str, bool]] = []
    for start, end, etype in spans:
        irreversible = etype in redact_types
        if merged and start < merged[-1][1]:
            ps, pe, pt, pr = merged[-1]
            merged[-1] = (ps, max(pe, end), pt, pr or irreversible)
        else:
            merged.append((start, end, etype, irreversible))
    return merged


class Vault(Protocol):
    """What the pipeline needs of one user's vault (in memory, or shared: ``dlp_proxy.state``)."""

    def pseudonymize_all(
        self,
        items: Sequence[tuple[str, Sequence[FindingLike]]],
        *,
        redact_types: Container[str] = (),
        redactor: _Redactor | None = None,
        avoid: str = "",
    ) -> list[str]: ...


class Vaults(Protocol):
    """Where the vaults live: :class:`VaultRegistry` (this process) or ``dlp_proxy.state`` (Redis).

    ``remote``: its calls do network I/O, so the proxy makes them from a thread, off the event loop.
    """

    remote: bool

    def vault_for(self, user_key: str) -> Vault: ...

    def replacements_for(self, user_key: str) -> Replacements | None: ...


class PseudonymVault:
    """One user's pseudonyms. Thread-safe; bounded; entries expire ``ttl_seconds`` after their last use."""

    def __init__(
        self,
        *,
        max_entries: int = 10_000,
        ttl_seconds: float = 24 * 3600,
        clock: Callable[[], float] = time.monotonic,
        seed: bytes | None = None,
        counters: Mapping[str, int] | None = None,
        budget: _Budget | None = None,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max_entries = max_entries
        self._ttl = ttl_seconds
        self._clock = clock
        self._secret = seed if seed is not None else secrets.token_bytes(16)
        self._lock = threading.RLock()
        self._entries: LruDict[bytes, _Entry] = LruDict()  # least recently used first
        self._by_pseudonym: dict[str, _Entry] = {}
        # hash of the casefolded original → entries holding it (a surrogate must never be one; a hash
        # collision only makes a surrogate be drawn again): an int, not a second copy of each value
        self._originals: dict[int, int] = {}
        self._counters: dict[str, int] = dict(counters or {})  # label → last number given
        self._budget = budget  # the registry's count of all users' entries (None: not in a registry)
        self._version = 0
        self._compiled: tuple[int, Replacements] | None = None
        self._faker: Faker | None = None
        self.last_used = clock()

    def __repr__(self) -> str:
        return f"<PseudonymVault entries={len(self._entries)}>"

    def __len__(self) -> int:
        with self._lock:
            self._purge(self._clock())
            return len(self._entries)

    # -- giving pseudonyms -------------------------------------------------------------------------------

    def placeholder(self, entity_type: str, value: str, *, avoid: str = "") -> str:
        """``[[TYPE_N]]`` for this value, the same every time; never a string that ``avoid`` contains."""
        with self._lock:
            now = self._touch()
            key = self._key(entity_type, PLACEHOLDER, normalise(entity_type, value))
            entry = self._get(key, now)
            if entry is None:
                entry = self._add(key, self._new_placeholder(entity_type, avoid), value, now)
            pseudonym = entry.pseudonym
        if self._budget is not None:
            self._budget.after_add(self)  # outside this vault's lock: may evict from other vaults
        return pseudonym

    def surrogate(self, entity_type: str, value: str, *, avoid: str = "") -> str:
        """A realistic French fake of the same type, stable for this value (a placeholder if none fits)."""
        generator = SURROGATES.get(entity_type)
        if generator is None:
            return self.placeholder(entity_type, value, avoid=avoid)
        with self._lock:
            now = self._touch()
            norm = normalise(entity_type, value)
            key = self._key(entity_type, SURROGATE, norm)
            entry = self._get(key, now)
            if entry is None:
                fake = self._new_surrogate(entity_type, norm, value, generator, avoid)
                if fake is None:
                    return self.placeholder(entity_type, value, avoid=avoid)
                entry = self._add(key, fake, value, now)
            pseudonym = entry.pseudonym
        if self._budget is not None:
            self._budget.after_add(self)
        return pseudonym

    def pseudonymize(
        self,
        text: str,
        findings: Sequence[FindingLike],
        *,
        surrogate_types: Container[str] = (),
        redact_types: Container[str] = (),
        redactor: _Redactor | None = None,
        avoid: str | None = None,
    ) -> str:
        """``text`` with every finding replaced; overlapping spans are merged first.

        ``surrogate_types``: entity types that get a realistic fake instead of a placeholder.
        ``redact_types`` + ``redactor`` (e.g. ``dlp_proxy.redact.Redactor()`` of the request): types the
        policy redacts for good — they get the redactor's ``[TYPE_N]`` and never enter the vault, so they are
        not restored in the answer; a merged span holding any such type is redacted.
        ``avoid``: the whole request's text (every segment), so no new pseudonym equals something it already
        contains; defaults to ``text``.
        """
        avoid = text if avoid is None else avoid
        out: list[str] = []
        pos = 0
        for start, end, etype, irreversible in merge_spans(findings, redact_types):
            out.append(text[pos:start])
            value = text[start:end]
            if irreversible:
                if redactor is None:
                    raise ValueError("redact_types needs a redactor")
                out.append(redactor.placeholder(etype, value))
            elif etype in surrogate_types:
                out.append(self.surrogate(etype, value, avoid=avoid))
            else:
                out.append(self.placeholder(etype, value, avoid=avoid))
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def pseudonymize_all(
        self,
        items: Sequence[tuple[str, Sequence[FindingLike]]],
        *,
        redact_types: Container[str] = (),
        redactor: _Redactor | None = None,
        avoid: str = "",
    ) -> list[str]:
        """:meth:`pseudonymize` for every (text, findings) of a request, in order (one call, so that a
        shared vault can do it in one round trip)."""
        return [
            self.pseudonymize(text, found, redact_types=redact_types, redactor=redactor, avoid=avoid)
            for text, found in items
        ]

    # -- giving values back ------------------------------------------------------------------------------

    def mapping(self) -> dict[str, str]:
        """A snapshot: pseudonym (placeholder or surrogate) → original value."""
        with self._lock:
            self._purge(self._clock())
            return {e.pseudonym: e.original for e in self._entries.values()}

    def replacements(self) -> Replacements:
        """The snapshot compiled for ``dlp_proxy.restore`` (cached until the vault changes)."""
        with self._lock:
            self._purge(self._clock())
            if self._compiled is not None and self._compiled[0] == self._version:
                return self._compiled[1]
            version = self._version
            snapshot = {e.pseudonym: e.original for e in self._entries.values()}
        compiled = Replacements(snapshot)  # built outside the lock: other requests of the user go on
        with self._lock:
            if self._version == version:
                self._compiled = (version, compiled)
        return compiled

    def restore_text(self, text: str) -> str:
        """``text`` with every pseudonym of this vault replaced by its original value."""
        return self.replacements().restore(text)

    # -- bounds kept by the registry ---------------------------------------------------------------------

    def counters(self) -> dict[str, int]:
        """Label → last number given (what a new vault of the same user must start after)."""
        with self._lock:
            return dict(self._counters)

    def evict_oldest(self, n: int) -> int:
        """Drop up to ``n`` least recently used entries; the number dropped. Their pseudonyms are no longer
        restored (they stay pseudonyms in an answer) and their numbers are never given again."""
        with self._lock:
            dropped = 0
            while dropped < n and (oldest := self._entries.oldest()) is not None:
                self._drop(oldest[1])
                dropped += 1
            return dropped

    def detach(self) -> int:
        """Leave the registry's count (the vault was dropped from it); the number of entries it held."""
        with self._lock:
            self._budget = None
            return len(self._entries)

    # -- internals (called with the lock held) ----------------------------------------------------------

    def _key(self, entity_type: str, kind: str, norm: str) -> bytes:
        """The entry's key: 16 bytes rather than a tuple and a normalised copy of the value (~0.1 KB less
        per entry); keyed with this vault's secret, 128 bits: two values never share an entry."""
        data = f"{entity_type}\x00{kind}\x00{norm}".encode("utf-8", "surrogatepass")
        return hashlib.blake2b(data, digest_size=16, key=self._secret, person=b"dlp-vault-key").digest()

    def _touch(self) -> float:
        now = self._clock()
        self.last_used = now
        self._purge(now)
        return now

    def _get(self, key: bytes, now: float) -> _Entry | None:
        entry = self._entries.get(key)  # now the most recently used
        if entry is not None:
            entry.last_used = now
        return entry

    def _add(self, key: bytes, pseudonym: str, original: str, now: float) -> _Entry:
        entry = _Entry(key, pseudonym, original, now)
        self._entries.put(key, entry)
        self._by_pseudonym[pseudonym] = entry
        folded = hash(original.casefold())
        self._originals[folded] = self._originals.get(folded, 0) + 1
        self._version += 1
        self._compiled = None  # stale: free it now rather than at the next answer
        if self._budget is not None:
            self._budget.add(1)
        while len(self._entries) > self._max_entries and (oldest := self._entries.oldest()) is not None:
            self._drop(oldest[1])
        return entry

    def _drop(self, entry: _Entry) -> None:
        self._entries.pop(entry.key)
        self._by_pseudonym.pop(entry.pseudonym, None)
        folded = hash(entry.original.casefold())
        left = self._originals.get(folded, 1) - 1
        if left:
            self._originals[folded] = left
        else:
            self._originals.pop(folded, None)
        self._version += 1
        self._compiled = None
        if self._budget is not None:
            self._budget.add(-1)

    def _purge(self, now: float) -> None:
        deadline = now - self._ttl
        while (item := self._entries.oldest()) is not None:
            if item[1].last_used > deadline:
                break
            self._drop(item[1])

    def _new_placeholder(self, entity_type: str, avoid: str) -> str:
        label = placeholder_type(entity_type)
        n = self._counters.get(label, 0)
        while True:
            n += 1
            candidate = f"[[{label}_{n}]]"
            if candidate not in avoid and candidate not in self._by_pseudonym:
                self._counters[label] = n
                return candidate

    def _new_surrogate(
        self,
        entity_type: str,
        norm: str,
        value: str,
        generator: Callable[[Faker, str], str],
        avoid: str,
    ) -> str | None:
        if self._faker is None:
            from faker import Faker  # imported on first use: ~70 ms, only where surrogates are asked for

            self._faker = Faker("fr_FR")
        faker = self._faker
        avoid_folded = avoid.casefold()
        value_folded = " ".join(value.split()).casefold()
        for attempt in range(32):
            digest = hmac.new(self._secret, f"{entity_type}\0{norm}\0{attempt}".encode(), hashlib.sha256)
            faker.seed_instance(int.from_bytes(digest.digest()[:8], "big"))
            fake = generator(faker, value)
            folded = fake.casefold()
            if (
                fake
                and fake not in self._by_pseudonym
                and hash(folded) not in self._originals
                and folded != value_folded
                and normalise(entity_type, fake) != norm
                and folded not in avoid_folded
                and not PLACEHOLDER_PATTERN.search(fake)
            ):
                return fake
        return None


class _Budget:
    """The count of every user's entries in one registry, and the registry's hook once a vault grew.

    ``add`` is called with a vault's lock held and takes only its own lock (never another), so the lock
    order is always registry → vault → budget."""

    __slots__ = ("_lock", "total", "_on_grow")

    def __init__(self, on_grow: Callable[[PseudonymVault], None]) -> None:
        self._lock = threading.Lock()
        self.total = 0
        self._on_grow = on_grow

    def add(self, n: int) -> None:
        with self._lock:
            self.total += n

    def after_add(self, vault: PseudonymVault) -> None:
        self._on_grow(vault)


@dataclass(frozen=True)
class VaultStats:
    """The in-memory vaults now, and the entries evicted since start-up (for the metrics endpoint)."""

    users: int
    entries: int
    max_entries: int
    evictions: int


#: Default bound on the entries of all users of one process together. One entry costs ~0.43 KB (the
#: value, its pseudonym, a 16-byte key, indexes) plus ~0.16 KB in the user's compiled restore map and
#: ~0.3 KB more when tool-call arguments are restored (JSON variant), measured with tracemalloc on
#: CPython 3.12 (e-mail addresses and phone numbers): ~12 MB, at most ~18 MB, next to the findings
#: cache's bound.
MAX_TOTAL_ENTRIES = 20_000


class VaultRegistry:
    """The vaults of all users: at most ``max_users`` (least recently used dropped first), each dropped
    after ``ttl_seconds`` without use, and at most ``max_total_entries`` entries all users together
    (beyond it, the oldest entries of the least recently used users are evicted, then their emptied
    vaults; the user being served goes last). Thread-safe."""

    remote = False  # in this process: no I/O, called on the event loop

    def __init__(
        self,
        max_users: int = 1_000,
        max_entries_per_user: int = 10_000,
        ttl_seconds: float = 24 * 3600,
        *,
        max_total_entries: int = MAX_TOTAL_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_users < 1:
            raise ValueError("max_users must be at least 1")
        if max_total_entries < 1:
            raise ValueError("max_total_entries must be at least 1")
        self._max_users = max_users
        self._max_entries = max_entries_per_user
        self._max_total = max_total_entries
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.RLock()
        self._vaults: OrderedDict[str, PseudonymVault] = OrderedDict()  # LRU first
        # Counters of vaults evicted for room (not expired): a returning user's numbering goes on, so an
        # old answer's [[PERSON_1]] never restores to a newer value. A few labels per user, bounded.
        self._numbering: OrderedDict[str, dict[str, int]] = OrderedDict()
        self._budget = _Budget(self._enforce)
        self.evictions = 0

    def __repr__(self) -> str:
        return f"<VaultRegistry users={len(self._vaults)}>"

    def __len__(self) -> int:
        with self._lock:
            self._purge(self._clock())
            return len(self._vaults)

    @property
    def total_entries(self) -> int:
        """Entries of all users together (expired ones included until their vault is next used)."""
        return self._budget.total

    def stats(self) -> VaultStats:
        with self._lock:
            return VaultStats(len(self._vaults), self._budget.total, self._max_total, self.evictions)

    def vault_for(self, user_key: str) -> PseudonymVault:
        """The user's vault, created on first use. ``user_key`` identifies the user (proxy login, else IP)."""
        with self._lock:
            now = self._clock()
            self._purge(now)
            vault = self._vaults.get(user_key)
            if vault is None:
                vault = PseudonymVault(
                    max_entries=self._max_entries,
                    ttl_seconds=self._ttl,
                    clock=self._clock,
                    counters=self._numbering.pop(user_key, None),
                    budget=self._budget,
                )
                self._vaults[user_key] = vault
                while len(self._vaults) > self._max_users:
                    self._evict_user(next(iter(self._vaults)))
            else:
                self._vaults.move_to_end(user_key)
            vault.last_used = now
            return vault

    def get(self, user_key: str) -> PseudonymVault | None:
        """The user's vault if there is a live one; never creates one (for the answer side)."""
        with self._lock:
            self._purge(self._clock())
            return self._vaults.get(user_key)

    def replacements_for(self, user_key: str) -> Replacements | None:
        """The user's compiled pseudonym map for restoring an answer; ``None`` when there is none."""
        vault = self.get(user_key)
        return vault.replacements() if vault is not None and len(vault) else None

    def drop(self, user_key: str) -> None:
        with self._lock:
            vault = self._vaults.pop(user_key, None)
            if vault is not None:
                self._budget.add(-vault.detach())

    def _evict_user(self, user_key: str) -> None:
        """Drop a user's vault for room, keeping its numbering (called with the lock held)."""
        vault = self._vaults.pop(user_key)
        self._budget.add(-vault.detach())
        self._numbering[user_key] = vault.counters()
        self._numbering.move_to_end(user_key)
        while len(self._numbering) > self._max_users:
            self._numbering.popitem(last=False)

    def _enforce(self, grown: PseudonymVault) -> None:
        """Evict the least recently used entries beyond ``max_total_entries`` (after ``grown`` added one)."""
        if self._budget.total <= self._max_total:
            return
        with self._lock:
            emptied = []
            for user_key, vault in self._vaults.items():  # least recently used first; usually one
                excess = self._budget.total - self._max_total
                if excess <= 0:
                    break
                if vault is grown and len(self._vaults) > 1:
                    continue  # the user being served: last
                self.evictions += vault.evict_oldest(excess)
                if vault is not grown and not vault._entries:
                    emptied.append(user_key)
            for user_key in emptied:
                self._evict_user(user_key)
            excess = self._budget.total - self._max_total
            if excess > 0 and grown._budget is self._budget:
                self.evictions += grown.evict_oldest(excess)

    def _purge(self, now: float) -> None:
        deadline = now - self._ttl
        while self._vaults:
            key, oldest = next(iter(self._vaults.items()))
            if oldest.last_used > deadline:
                break
            del self._vaults[key]
            self._budget.add(-oldest.detach())


# -- surrogates ----------------------------------------------------------------------------------------

# ARCEP reserves these blocks of 10,000 numbers for fiction: they never ring anyone.
_FICTION_PHONE_BLOCKS = {
    "01": "019900",
    "02": "026191",
    "03": "035301",
    "04": "046571",
    "05": "053649",
}
_FICTION_MOBILE_BLOCK = "063998"
_DOC_IPV4_NETS = ("192.0.2", "198.51.100", "203.0.113")  # RFC 5737
_SIV_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"  # French plates use neither I, O nor U


def _lay_out_like(original: str, generated: str, *, group: int = 0) -> str:
    """``generated``'s letters and digits in the original's layout (same separators at the same places)
    when both have as many; else ``generated``, grouped by ``group`` if the original had spaces."""
    chars = [c for c in generated if c.isalnum()]
    slots = sum(1 for c in original if c.isalnum())
    if slots == len(chars):
        it = iter(chars)
        return "".join(next(it) if c.isalnum() else c for c in original)
    if group and " " in original.strip():
        compact = "".join(chars)
        return " ".join(compact[i : i + group] for i in range(0, len(compact), group))
    return generated


def _person(faker: Faker, original: str) -> str:
    words = original.split()
    if len(words) <= 1:
        fake = faker.last_name()
        for _ in range(8):  # one word for one word ("Le Gall" would not fit)
            if " " not in fake:
                break
            fake = faker.last_name()
        return fake.upper() if original.isupper() else fake
    first, last = faker.first_name(), faker.last_name()
    if original.isupper():
        return f"{first} {last}".upper()
    if words[0].isupper() and len(words[0]) > 1 and not words[-1].isupper():  # "DUPONT Jean"
        return f"{last.upper()} {first}"
    return f"{first} {last}"


def _email(faker: Faker, original: str) -> str:
    return faker.email(safe=True)


def _phone(faker: Faker, original: str) -> str:
    digits = re.sub(r"\D", "", original)
    international = original.lstrip().startswith(("+", "00"))
    national = "0" + digits[2:] if international and digits.startswith(("33", "0033")) else digits
    if national.startswith("0033"):
        national = "0" + national[4:]
    block = _FICTION_PHONE_BLOCKS.get(national[:2], _FICTION_MOBILE_BLOCK)
    fake = block + faker.numerify("####")
    if international:
        prefix = "0033" if original.lstrip().startswith("00") else "+33"
        return _lay_out_like(original, prefix + fake[1:])
    return _lay_out_like(original, fake)


def _iban(faker: Faker, original: str) -> str:
    return _lay_out_like(original, faker.iban(), group=4)


def _card(faker: Faker, original: str) -> str:
    return _lay_out_like(original, faker.credit_card_number(card_type="visa16"), group=4)


def _nir(faker: Faker, original: str) -> str:
    fake = faker.ssn()
    if sum(c.isdigit() for c in original) == 13:  # written without its key
        fake = fake[:13]
    return _lay_out_like(original, fake)


def _siren_number(faker: Faker) -> str:
    return re.sub(r"\D", "", faker.siren())


def _siren(faker: Faker, original: str) -> str:
    return _lay_out_like(original, _siren_number(faker))


def _siret(faker: Faker, original: str) -> str:
    return _lay_out_like(original, re.sub(r"\D", "", faker.siret()))


def _tva(faker: Faker, original: str) -> str:
    siren = _siren_number(faker)
    key = (12 + 3 * (int(siren) % 97)) % 97
    return _lay_out_like(original, f"FR{key:02d}{siren}")


def _nif(faker: Faker, original: str) -> str:
    head = str(faker.random_int(0, 3)) + faker.numerify("#########")
    return _lay_out_like(original, f"{head}{int(head) % 511:03d}")


def _same_shape(faker: Faker, original: str) -> str:
    """Every digit replaced by a digit and every letter by a letter of the same case."""
    out = []
    for c in original:
        if c.isdigit():
            out.append(str(faker.random_digit()))
        elif c.isalpha():
            letter = faker.random_uppercase_letter()
            out.append(letter if c.isupper() else letter.lower())
        else:
            out.append(c)
    return "".join(out)


def _plate(faker: Faker, original: str) -> str:
    letters = "".join(faker.random_element(_SIV_LETTERS) for _ in range(4))
    fake = f"{letters[:2]}-{faker.numerify('###')}-{letters[2:]}"
    if re.fullmatch(r"[A-Za-z]{2}\W?\d{3}\W?[A-Za-z]{2}", original.strip()):
        return _lay_out_like(original, fake)
    return fake


def _ip(faker: Faker, original: str) -> str:
    if ":" in original:
        return "2001:db8::" + ":".join(f"{faker.random_int(1, 0xFFFF):x}" for _ in range(2))
    return f"{faker.random_element(_DOC_IPV4_NETS)}.{faker.random_int(1, 254)}"


def _address(faker: Faker, original: str) -> str:
    return f"{faker.street_address()}, {faker.postcode()} {faker.city()}"


def _date_of_birth(faker: Faker, original: str) -> str:
    d = faker.date_of_birth(minimum_age=18, maximum_age=90)
    text = original.strip()
    if re.search(r"[^\W\d_]", text):  # "12 mars 1980"
        return f"{d.day} {MONTHS_FR[d.month - 1]} {d.year}"
    digits = sum(c.isdigit() for c in text)
    if re.match(r"\d{4}", text):
        return _lay_out_like(original, f"{d:%Y%m%d}") if digits == 8 else d.isoformat()
    if digits == 8:
        return _lay_out_like(original, f"{d:%d%m%Y}")
    if digits == 6:
        return _lay_out_like(original, f"{d:%d%m%y}")
    return f"{d:%d/%m/%Y}"


def _url(faker: Faker, original: str) -> str:
    return f"https://www.{faker.domain_word()}.example/"


#: Entity type → generator of a realistic fake from a seeded Faker ``fr_FR`` and the original value.
SURROGATES: Mapping[str, Callable[[Any, str], str]] = {
    "PERSON": _person,
    "EMAIL_ADDRESS": _email,
    "PHONE_NUMBER": _phone,
    "IBAN_CODE": _iban,
    "CREDIT_CARD": _card,
    "FR_NIR": _nir,
    "FR_SIREN": _siren,
    "FR_SIRET": _siret,
    "FR_TVA": _tva,
    "FR_NIF": _nif,
    "FR_CNI": _same_shape,
    "FR_PASSPORT": _same_shape,
    "FR_LICENSE_PLATE": _plate,
    "IP_ADDRESS": _ip,
    "ADDRESS": _address,
    "LOCATION": lambda faker, original: faker.city(),
    "DATE_OF_BIRTH": _date_of_birth,
    "CLIENT_NAME": lambda faker, original: faker.company(),
    "ORGANIZATION": lambda faker, original: faker.company(),
    "URL": _url,
}
