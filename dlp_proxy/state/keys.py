"""The secret that protects the shared pseudonym state: ``DLP_PROXY_STATE_KEY``.

One master key (at least 32 random bytes, base64 or hex; ``openssl rand -base64 32``) is stretched with
HKDF-SHA256 into independent keys, so that no key serves two purposes:

* ``seal``: AES-256-GCM key of the original values stored in Redis (encrypted at rest);
* ``index``: HMAC-SHA256 key of the value look-ups (a value's slot in a user's map is a keyed hash of the
  value, so someone who reads Redis cannot test a guess such as "is jean.dupont@… in there?");
* ``user``: HMAC-SHA256 key of the user names and client addresses in the key names;
* ``key_id``: a short public id of the master key, put in every Redis key name: a new master key writes
  in a new namespace and never tries to decrypt what another key wrote (see docs/state.md, rotation).

A missing, short or unreadable key refuses to start, with a message in French and English: the proxy
never stores pseudonym state in clear, and never makes up a key that the other replicas would not share.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ENV = "DLP_PROXY_STATE_KEY"
MIN_BYTES = 32
_NONCE = 12


class StateKeyError(ValueError):
    """The state key is missing or unusable; the message is bilingual and never shows the key."""


def _parse(text: str) -> bytes:
    text = text.strip()
    if re.fullmatch(r"[0-9a-fA-F]+", text) and len(text) % 2 == 0 and len(text) >= 2 * MIN_BYTES:
        return bytes.fromhex(text)
    try:
        padded = text + "=" * (-len(text) % 4)
        if re.fullmatch(r"[A-Za-z0-9_\-]+=*", padded):
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise StateKeyError(
            f"{ENV} illisible : attendu au moins {MIN_BYTES} octets aléatoires en base64 ou en hexadécimal "
            f"(par ex. `openssl rand -base64 32`) / {ENV} unreadable: expected at least {MIN_BYTES} random "
            "bytes in base64 or hex (e.g. `openssl rand -base64 32`)"
        ) from None


@dataclass(frozen=True, repr=False)
class StateKeys:
    """The keys derived from the master key. ``repr`` never shows them."""

    seal_key: bytes
    index_key: bytes
    user_key: bytes
    key_id: str
    _aead: AESGCM = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_aead", AESGCM(self.seal_key))

    def __repr__(self) -> str:
        return f"<StateKeys id={self.key_id}>"

    @classmethod
    def from_secret(cls, master: bytes) -> StateKeys:
        if len(master) < MIN_BYTES:
            raise StateKeyError(
                f"{ENV} trop courte : {len(master)} octets, il en faut au moins {MIN_BYTES} "
                f"(`openssl rand -base64 32`) / {ENV} too short: {len(master)} bytes, at least {MIN_BYTES} "
                "are needed (`openssl rand -base64 32`)"
            )

        def derive(purpose: bytes) -> bytes:
            hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"dlp-proxy state v1", info=purpose)
            return hkdf.derive(master)

        return cls(
            seal_key=derive(b"seal"),
            index_key=derive(b"index"),
            user_key=derive(b"user"),
            key_id=derive(b"key id")[:4].hex(),
        )

    @classmethod
    def from_text(cls, text: str | None) -> StateKeys:
        """The keys from the environment variable's text; :class:`StateKeyError` when unusable."""
        if not text or not text.strip():
            raise StateKeyError(
                f"--state demande une clé de chiffrement commune à toutes les instances dans {ENV} "
                f"(au moins {MIN_BYTES} octets aléatoires en base64 : `openssl rand -base64 32`) / "
                f"--state needs an encryption key shared by every replica in {ENV} (at least {MIN_BYTES} "
                "random bytes in base64: `openssl rand -base64 32`)"
            )
        return cls.from_secret(_parse(text))

    @classmethod
    def from_env(cls) -> StateKeys:
        return cls.from_text(os.environ.get(ENV))

    # -- keyed hashes -------------------------------------------------------------------------------------

    def user_id(self, user_key: str) -> str:
        """The user's id in key names: a keyed hash, never the login or the address itself."""
        return hmac.new(self.user_key, user_key.encode(), hashlib.sha256).digest()[:16].hex()

    def slot(self, user_id: str, entity_type: str, norm: str, kind: str) -> str:
        """A value's field in the user's map: a keyed hash of (user, type, normalised value, kind)."""
        msg = "\0".join((user_id, entity_type, norm, kind)).encode()
        return hmac.new(self.index_key, msg, hashlib.sha256).digest()[:16].hex()

    # -- sealing ------------------------------------------------------------------------------------------

    def _aad(self, user_id: str, slot: str) -> bytes:
        return f"dlp-proxy vault v1\0{self.key_id}\0{user_id}\0{slot}".encode()

    def seal(self, user_id: str, slot: str, original: str) -> bytes:
        """``slot.`` + nonce + AES-GCM(original), bound to its user and slot (cannot be moved to another)."""
        nonce = secrets.token_bytes(_NONCE)
        sealed = self._aead.encrypt(nonce, original.encode(), self._aad(user_id, slot))
        return slot.encode() + b"." + nonce + sealed

    def open(self, user_id: str, blob: bytes) -> tuple[str, str]:
        """(slot, original) of a sealed entry; ``InvalidTag`` if it was altered or moved."""
        slot, _, rest = blob.partition(b".")
        original = self._aead.decrypt(rest[:_NONCE], rest[_NONCE:], self._aad(user_id, slot.decode()))
        return slot.decode(), original.decode()
