"""Pseudonym vaults shared through a real Redis: atomic, encrypted at rest, fail closed when it is down.

Each test module gets its own ``redis-server`` (``tests/redisserver.py``) so that it can stop it, restart
it and read every key; ``test_two_registries_on_the_ci_redis`` uses the Redis that ``.ci/run`` starts
(``$DLP_REDIS_URL``, default ``redis://127.0.0.1:6379/0``), as deployed replicas would.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from cryptography.exceptions import InvalidTag

from dlp_proxy.pipeline import Block, HttpRequest, Rewrite, evaluate_request, new_context
from dlp_proxy.pseudonyms import VaultRegistry
from dlp_proxy.runtime import load_rules
from dlp_proxy.state import ENV, StateUnavailable, open_vaults, redacted_url, state_url
from dlp_proxy.state.keys import ENV as KEY_ENV
from dlp_proxy.state.keys import StateKeyError, StateKeys
from dlp_proxy.state.redis_vaults import RedisVaultRegistry
from tests.redisserver import RedisServer

REPO = Path(__file__).resolve().parents[1]
NAME, EMAIL = "Jeanne Moreau", "jeanne.moreau@exemple-client.fr"


@dataclass
class Finding:
    entity_type: str
    start: int
    end: int
    score: float = 0.9


def findings_for(text: str, **values: str) -> list[Finding]:
    out = []
    for etype, value in values.items():
        for m in re.finditer(re.escape(value), text):
            out.append(Finding(etype.rstrip("_0123456789"), m.start(), m.end()))
    return out


def new_keys() -> StateKeys:
    return StateKeys.from_secret(secrets.token_bytes(32))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    s = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield s
    s.stop()


@pytest.fixture
def live(server: RedisServer) -> RedisServer:
    """The module's server, running and empty at the start of the test."""
    if server.proc is None:
        server.start()
    server.client().flushall()
    return server


def registry(server: RedisServer, keys: StateKeys, **kw) -> RedisVaultRegistry:
    return RedisVaultRegistry(server.url, keys, **kw)


# -- the key -------------------------------------------------------------------------------------------


def test_key_missing_short_or_unreadable_is_refused_in_french_and_english() -> None:
    for text, fr, en in (
        (None, "clé de chiffrement", "encryption key"),
        ("   ", "clé de chiffrement", "encryption key"),
        (base64.b64encode(b"x" * 16).decode(), "trop courte", "too short"),
        ("pas une clé !", "illisible", "unreadable"),
    ):
        with pytest.raises(StateKeyError) as excinfo:
            StateKeys.from_text(text)
        message = str(excinfo.value)
        assert KEY_ENV in message and fr in message and en in message
        if text and text.strip():
            assert text not in message  # the key itself is never shown


def test_key_accepted_as_base64_base64url_or_hex_and_never_shown() -> None:
    raw = secrets.token_bytes(32)
    ids = {
        StateKeys.from_text(base64.b64encode(raw).decode()).key_id,
        StateKeys.from_text(base64.urlsafe_b64encode(raw).decode().rstrip("=")).key_id,
        StateKeys.from_text(raw.hex()).key_id,
    }
    assert len(ids) == 1
    keys = StateKeys.from_secret(raw)
    assert raw.hex() not in repr(keys) and keys.seal_key.hex() not in repr(keys)
    assert StateKeys.from_secret(secrets.token_bytes(32)).key_id != keys.key_id


def test_sealed_value_is_bound_to_its_user_and_slot() -> None:
    keys = new_keys()
    uid, other = keys.user_id("alice"), keys.user_id("bob")
    slot = keys.slot(uid, "PERSON", "jeanne moreau", "placeholder")
    blob = keys.seal(uid, slot, NAME)
    assert NAME.encode() not in blob
    assert keys.open(uid, blob) == (slot, NAME)
    with pytest.raises(InvalidTag):
        keys.open(other, blob)  # moved to another user
    other_slot = keys.slot(uid, "PERSON", "paul durand", "placeholder")
    with pytest.raises(InvalidTag):
        keys.open(uid, other_slot.encode() + blob[len(slot) :])  # moved to another slot
    with pytest.raises(InvalidTag):
        new_keys().open(uid, blob)  # another key
    # keyed hashes: the same value gives another slot under another key or for another user
    assert new_keys().slot(uid, "PERSON", "jeanne moreau", "placeholder") != slot
    assert keys.slot(other, "PERSON", "jeanne moreau", "placeholder") != slot


# -- choosing the vaults -------------------------------------------------------------------------------


def test_open_vaults_in_memory_by_default_and_from_the_environment(monkeypatch, live: RedisServer) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert state_url("") is None
    assert isinstance(open_vaults(None), VaultRegistry) and open_vaults(None).remote is False
    monkeypatch.setenv(ENV, live.url)
    assert state_url("") == live.url
    assert state_url("redis://other:6379/1") == "redis://other:6379/1"  # the option wins
    monkeypatch.setenv(KEY_ENV, base64.b64encode(secrets.token_bytes(32)).decode())
    vaults = open_vaults(state_url(""))
    assert isinstance(vaults, RedisVaultRegistry) and vaults.remote is True
    assert vaults.vault_for("alice").placeholder("PERSON", NAME) == "[[PERSON_1]]"


def test_open_vaults_refuses_a_missing_key_or_a_bad_address(monkeypatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(ValueError, match="DLP_PROXY_STATE_KEY"):
        open_vaults("redis://127.0.0.1:6379/0")
    monkeypatch.setenv(KEY_ENV, base64.b64encode(secrets.token_bytes(32)).decode())
    with pytest.raises(ValueError, match="redis://") as excinfo:
        open_vaults("http://127.0.0.1:6379/")
    assert "non prise en charge" in str(excinfo.value) and "unsupported" in str(excinfo.value)


def test_redacted_url_hides_the_password() -> None:
    assert redacted_url("redis://:s3cret@redis:6379/0") == "redis://:***@redis:6379/0"
    assert redacted_url("rediss://user:s3cret@redis:6380/1") == "rediss://user:***@redis:6380/1"
    assert redacted_url("redis://redis:6379/0") == "redis://redis:6379/0"


# -- two replicas, one Redis ---------------------------------------------------------------------------


def test_two_replicas_share_placeholders_and_restore_each_others(live: RedisServer) -> None:
    keys = new_keys()
    a, b = registry(live, keys), registry(live, keys)
    text = f"Écris à {NAME} ({EMAIL}) ; copie à JEANNE  MOREAU."
    found = findings_for(text, PERSON=NAME, EMAIL_ADDRESS=EMAIL, PERSON_2="JEANNE  MOREAU")
    out_a = a.vault_for("alice").pseudonymize(text, found)
    assert out_a == "Écris à [[PERSON_1]] ([[EMAIL_ADDRESS_1]]) ; copie à [[PERSON_1]]."
    assert b.vault_for("alice").pseudonymize(text, found) == out_a  # same value, same placeholder
    # b gives the next number for a new value; a restores it, first spelling of each value
    assert b.vault_for("alice").placeholder("PERSON", "Paul Durand") == "[[PERSON_2]]"
    repl = a.replacements_for("alice")
    assert repl is not None
    assert repl.restore("[[PERSON_1]], [[PERSON_2]], [[EMAIL_ADDRESS_1]]") == f"{NAME}, Paul Durand, {EMAIL}"
    # users never share: Bob has his own numbering and never gets Alice's values back
    assert b.replacements_for("bob") is None
    assert a.vault_for("bob").placeholder("PERSON", "Paul Durand") == "[[PERSON_1]]"
    assert b.replacements_for("bob").restore("[[PERSON_1]] [[PERSON_2]]") == "Paul Durand [[PERSON_2]]"


def test_batch_keeps_the_rules_of_the_in_memory_vault(live: RedisServer) -> None:
    """Placeholders already in the request are skipped; redacted types never enter the vault."""
    from dlp_proxy.redact import Redactor

    vaults = registry(live, new_keys())
    first = f"Le wiki écrit [[PERSON_1]] et [[PERSON_2]] pour {NAME}"
    second = f"IBAN FR7630006000011234567890189 de {NAME}"
    items = [
        (first, findings_for(first, PERSON=NAME)),
        (second, findings_for(second, PERSON=NAME, IBAN_CODE="FR7630006000011234567890189")),
    ]
    out = vaults.vault_for("alice").pseudonymize_all(
        items, redact_types={"IBAN_CODE"}, redactor=Redactor(), avoid=first + "\n" + second
    )
    assert out == [
        "Le wiki écrit [[PERSON_1]] et [[PERSON_2]] pour [[PERSON_3]]",
        "IBAN [IBAN_CODE_1] de [[PERSON_3]]",
    ]
    assert vaults.vault_for("alice").mapping() == {"[[PERSON_3]]": NAME}


def test_concurrent_replicas_never_give_one_value_two_numbers_or_one_number_two_values(
    live: RedisServer,
) -> None:
    keys = new_keys()
    replicas = [registry(live, keys) for _ in range(4)]
    names = [f"Personne Numéro{i}" for i in range(60)]
    start = threading.Barrier(8)

    def work(i: int) -> dict[str, str]:
        order = names[i % 3 :] + names[: i % 3]
        order = order if i % 2 else order[::-1]
        vault = replicas[i % 4].vault_for("alice")
        start.wait()
        return {n: vault.placeholder("PERSON", n) for n in order}

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    assert all(r == results[0] for r in results)  # every replica, every thread: the same numbers
    assert len(set(results[0].values())) == len(names)  # one number, one value
    assert sorted(results[0].values()) == sorted(f"[[PERSON_{i}]]" for i in range(1, len(names) + 1))
    assert replicas[3].vault_for("alice").mapping() == {p: n for n, p in results[0].items()}


def test_two_registries_on_the_ci_redis() -> None:
    """The Redis that `.ci/run` starts (as the replicas of a deployment share one); required under CI."""
    url = os.environ.get("DLP_REDIS_URL", "redis://127.0.0.1:6379/0")
    keys = new_keys()  # a fresh key: a namespace of its own on a shared server
    a, b = RedisVaultRegistry(url, keys, ttl_seconds=60), RedisVaultRegistry(url, keys, ttl_seconds=60)
    assert a.ping(), f"no Redis answers at {redacted_url(url)} (.ci/run starts one)"
    p = a.vault_for("ci-user").placeholder("EMAIL_ADDRESS", EMAIL)
    assert b.vault_for("ci-user").placeholder("EMAIL_ADDRESS", EMAIL.upper()) == p
    assert b.replacements_for("ci-user").restore(p) == EMAIL
    client = redis.Redis.from_url(url)
    names = a.names(keys.user_id("ci-user"))
    assert 0 < client.pttl(names[0]) <= 60_000
    client.delete(*names)


# -- what Redis holds ----------------------------------------------------------------------------------


def test_redis_holds_no_value_no_user_and_no_unkeyed_hash(live: RedisServer) -> None:
    vaults = registry(live, new_keys())
    values = [NAME, EMAIL, "06 12 34 56 78", "0612345678"]
    text = " ; ".join(values)
    found = findings_for(text, PERSON=NAME, EMAIL_ADDRESS=EMAIL, PHONE_NUMBER="06 12 34 56 78")
    found += findings_for(text, PHONE_NUMBER_2="0612345678")
    vaults.vault_for("jean.proxyuser").pseudonymize(text, found)
    vaults.vault_for("ip:192.0.2.7").placeholder("PERSON", NAME)
    dump = live.dump_everything()
    assert dump and b"PERSON_1" in dump  # the scan does see the placeholders
    for value in [*values, "jean.proxyuser", "192.0.2.7"]:
        for form in {value, value.lower(), " ".join(value.split()).casefold(), value.replace(" ", "")}:
            assert form.encode() not in dump, form
            for digest in (hashlib.sha256, hashlib.md5, hashlib.sha1):
                assert digest(form.encode()).hexdigest().encode() not in dump
                assert digest(form.encode()).digest() not in dump


def test_maps_expire_together_and_numbering_restarts_only_then(live: RedisServer) -> None:
    keys = new_keys()
    vaults = registry(live, keys, ttl_seconds=0.3)
    assert vaults.vault_for("alice").placeholder("PERSON", NAME) == "[[PERSON_1]]"
    names = vaults.names(keys.user_id("alice"))
    client = live.client()
    assert all(0 < client.pttl(n) <= 300 for n in names)
    time.sleep(0.5)
    assert client.exists(*names) == 0
    fresh = registry(live, keys)  # another replica: nothing left of the expired map
    assert fresh.replacements_for("alice") is None


def test_entries_are_bounded_oldest_first_and_numbers_never_reused(live: RedisServer) -> None:
    vaults = registry(live, new_keys(), max_entries_per_user=2)
    vault = vaults.vault_for("alice")
    a = vault.placeholder("PERSON", "A")
    vault.placeholder("PERSON", "B")
    time.sleep(0.002)
    vault.placeholder("PERSON", "A")  # A used again: B is now the oldest
    time.sleep(0.002)
    vault.placeholder("PERSON", "C")
    assert sorted(vault.mapping().values()) == ["A", "C"]
    assert vault.placeholder("PERSON", "A") == a
    assert vault.placeholder("PERSON", "B") == "[[PERSON_4]]"  # B's old number is not given again


def test_an_altered_or_moved_entry_is_never_restored(live: RedisServer) -> None:
    keys = new_keys()
    vaults = registry(live, keys)
    vault = vaults.vault_for("alice")
    p1, p2 = vault.placeholder("PERSON", NAME), vault.placeholder("PERSON", "Paul Durand")
    client = live.client()
    rev = vaults.names(keys.user_id("alice"))[1]
    one, two = client.hget(rev, p1), client.hget(rev, p2)
    client.hset(rev, mapping={p1: two, p2: one})  # swap the sealed values
    client.hincrby(vaults.names(keys.user_id("alice"))[2], "~v", 1)
    assert registry(live, keys).replacements_for("alice") is None  # neither is given back


# -- Redis down ----------------------------------------------------------------------------------------


def test_redis_down_new_pseudonym_fails_closed_known_ones_go_on(live: RedisServer) -> None:
    vaults = registry(live, new_keys())
    vault = vaults.vault_for("alice")
    p = vault.placeholder("PERSON", NAME)
    live.stop()
    try:
        t0 = time.perf_counter()
        with pytest.raises(StateUnavailable) as excinfo:
            vault.placeholder("PERSON", "Paul Durand")
        assert time.perf_counter() - t0 < 3  # refused quickly, not after a long hang
        assert "Paul" not in str(excinfo.value)
        assert vault.placeholder("PERSON", NAME.upper()) == p  # already known here: goes on
        repl = vaults.replacements_for("alice")  # retried, then the last map this replica saw
        assert repl is not None and repl.restore(p) == NAME
        assert registry(live, vaults.keys).replacements_for("alice") is None  # a replica that saw nothing
    finally:
        live.start()
    assert vault.placeholder("PERSON", "Paul Durand") == "[[PERSON_2]]"  # persisted: numbering goes on


def test_what_a_replica_keeps_of_the_maps_is_bounded_for_all_users(live: RedisServer) -> None:
    vaults = registry(live, new_keys(), max_known_entries=10)
    for user in ("alice", "bob", "carol"):
        vault = vaults.vault_for(user)
        for i in range(3):
            vault.placeholder("PERSON", f"{user} {i}")
        assert vaults.replacements_for(user) is not None  # read back: mapping and opened, 6 entries
    assert list(vaults._known) == [vaults.keys.user_id("carol")] and vaults._known_total == 6
    # forgotten here, not in Redis: every map is still read and restored
    for user in ("alice", "bob"):
        assert vaults.replacements_for(user).restore("[[PERSON_2]]") == f"{user} 1"
    assert vaults._known_total <= 10


def test_a_map_lost_in_redis_is_never_mixed_with_the_old_one(live: RedisServer) -> None:
    """Redis restarted empty: the new [[PERSON_1]] is someone else; the fallback must not mix maps."""
    vaults = registry(live, new_keys())
    vault = vaults.vault_for("alice")
    assert vault.placeholder("PERSON", NAME) == "[[PERSON_1]]"
    live.client().flushall()  # the map is lost (a Redis without persistence restarted)
    assert vault.placeholder("PERSON", "Paul Durand") == "[[PERSON_1]]"
    live.stop()
    try:
        repl = vaults.replacements_for("alice")  # Redis down: the last map this replica knows
        assert repl is not None and repl.restore("[[PERSON_1]]") == "Paul Durand"
        with pytest.raises(StateUnavailable):
            vault.placeholder("PERSON", NAME)  # its old pseudonym belongs to the lost map
    finally:
        live.start()


def test_reads_are_retried_through_a_short_outage(live: RedisServer) -> None:
    keys = new_keys()
    reader, writer = registry(live, keys), registry(live, keys)
    assert reader.replacements_for("alice") is None
    p = writer.vault_for("alice").placeholder("PERSON", NAME)  # the reader has never seen it
    live.stop()
    restarter = threading.Timer(0.05, live.start)
    restarter.start()
    try:
        repl = reader.replacements_for("alice")  # fails first, then reads Redis again
    finally:
        restarter.join()
    assert repl is not None and repl.restore(p) == NAME


class ValueScanner:
    """Finds the given e-mail addresses where they are (the detector has its own tests)."""

    def __init__(self, *emails: str) -> None:
        self.emails = emails

    async def scan(self, texts, *, entities=None, min_score=0.5, timeout=None):
        return [[f for e in self.emails for f in findings_for(t, EMAIL_ADDRESS=e)] for t in texts]


def test_pipeline_answers_503_state_unavailable_when_redis_is_down(live: RedisServer) -> None:
    """The whole request path: a value needing a new pseudonym while Redis is down is never sent."""
    policy = load_rules(REPO / "rules").policy
    vaults = registry(live, new_keys())
    other = "paul.durand@cabinet-durand.fr"

    def ask(text: str, *emails: str):
        body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]})
        headers = {"content-type": "application/json"}
        request = HttpRequest("POST", "/v1/chat/completions", headers, body.encode())
        rc = new_context("api.openai.com", policy.catalog.services["openai-api"])
        rc.user = "alice"
        return asyncio.run(evaluate_request(rc, request, policy, ValueScanner(*emails), vaults))

    verdict = ask(f"Écris à {EMAIL}", EMAIL)
    assert isinstance(verdict, Rewrite) and b"[[EMAIL_ADDRESS_1]]" in verdict.body
    live.stop()
    try:
        verdict = ask(f"Écris encore à {EMAIL}", EMAIL)  # known to this replica: rewritten the same way
        assert isinstance(verdict, Rewrite) and b"[[EMAIL_ADDRESS_1]]" in verdict.body
        verdict = ask(f"Écris à {other} et {EMAIL}", EMAIL, other)  # needs a new pseudonym
        assert isinstance(verdict, Block) and verdict.code == "state_unavailable"
        assert other not in repr(verdict) and EMAIL not in repr(verdict)
    finally:
        live.start()


# -- wiring: dlp-proxy run --state, mitmdump -s --set dlp_state ----------------------------------------

DLP = str(Path(sys.executable).parent / "dlp-proxy")


def test_run_refuses_to_start_without_a_usable_state_key(tmp_path: Path, live: RedisServer) -> None:
    env = {k: v for k, v in os.environ.items() if k not in (KEY_ENV, ENV)}
    cmd = [DLP, "run", "--listen-port", "0", "--metrics-port", "0", "--confdir", str(tmp_path / "c")]
    cmd += ["--data-dir", str(tmp_path / "d"), "--state", live.url]
    for key, fr, en in (
        (None, "clé de chiffrement", "encryption key"),
        ("trop-court", "trop courte", "too short"),
    ):
        if key is not None:
            env[KEY_ENV] = key
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 2, out.stderr
        assert KEY_ENV in out.stderr and fr in out.stderr and en in out.stderr
        assert "Traceback" not in out.stderr


def test_dlp_state_option_of_the_addon(monkeypatch, tmp_path: Path, live: RedisServer) -> None:
    """Under ``mitmdump -s dlp_proxy/addon.py --set dlp_state=redis://…`` (same addon as dlp-proxy run)."""
    from mitmproxy import exceptions
    from mitmproxy.test import taddons

    from dlp_proxy.addon import DlpProxy

    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setenv(KEY_ENV, base64.b64encode(secrets.token_bytes(32)).decode())
    addon = DlpProxy()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, confdir=str(tmp_path / "conf"), dlp_data_dir=str(tmp_path))
        assert isinstance(addon.vaults, VaultRegistry)  # the default: in memory
        tctx.configure(addon, dlp_state=live.url)
        assert isinstance(addon.vaults, RedisVaultRegistry)
        monkeypatch.delenv(KEY_ENV)
        with pytest.raises(exceptions.OptionsError, match=KEY_ENV):
            tctx.configure(addon, dlp_state=live.url)
        addon.done()
