"""Two replicas, one Redis: a conversation served by either replica keeps its pseudonyms.

Two real ``dlp-proxy run --state redis://…`` processes (one detection worker each) share a real
``redis-server`` started for this module (``tests/redisserver.py``), in front of the echo provider
(``echoprovider.py``: it answers with the user's last text, and keeps Responses API conversations for
``previous_response_id``). Clients are the real openai SDK, speaking as one proxy user.

The tests run in file order: the conversation, the restart, what Redis holds, then Redis stopped.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest

from dlp_proxy.state.keys import ENV as KEY_ENV
from tests.e2e.conftest import ProxyProcess, start_proxy
from tests.e2e.echoprovider import EchoProvider, Received
from tests.redisserver import RedisServer

pytestmark = pytest.mark.e2e

NAME, EMAIL, PHONE = "Jeanne Moreau", "jeanne.moreau@exemple-client.fr", "06 12 34 56 78"
PROMPT = f"Écris à {NAME} ({EMAIL}, {PHONE}) pour confirmer."
PROMPT_RX = re.compile(r"Écris à (.+?) \((.+?), (.+?)\) pour confirmer\.")
LATER = f"Rappelle {NAME} au {PHONE} demain."
LATER_RX = re.compile(r"Rappelle (.+?) au (.+?) demain\.")
T_NAME, T_EMAIL = "Paul Durand", "paul.durand@cabinet-durand.fr"
THIRD = f"Mets {T_NAME} ({T_EMAIL}) en copie."
THIRD_RX = re.compile(r"Mets (.+?) \((.+?)\) en copie\.")
R_NAME, R_EMAIL = "Lucie Bernard", "lucie.bernard@notaires-bernard.fr"
RESPONSES_PROMPT = f"Prépare un courrier pour {R_NAME} ({R_EMAIL})."
RESPONSES_RX = re.compile(r"Prépare un courrier pour (.+?) \((.+?)\)\.")
N_NAME = "Hélène Fabre"  # first seen while Redis is down

VALUES = [NAME, EMAIL, PHONE, "0612345678", T_NAME, T_EMAIL, R_NAME, R_EMAIL, N_NAME]
USER = "alice"


@dataclass
class Fleet:
    redis: RedisServer
    a: ProxyProcess
    b: ProxyProcess
    tmp: Path
    args: list[str]

    def restart_a(self, echo: EchoProvider) -> None:
        self.a.stop()
        self.a = start_proxy(self.tmp / "a", echo, None, self.args)


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoProvider]:
    p = EchoProvider()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, echo: EchoProvider) -> Iterator[Fleet]:
    tmp = tmp_path_factory.mktemp("fleet")
    server = RedisServer(tmp / "redis").start()
    saved = os.environ.get(KEY_ENV)
    os.environ[KEY_ENV] = base64.b64encode(secrets.token_bytes(32)).decode()  # both replicas share it
    args = ["--state", server.url, "--set", "dlp_workers=1", "--set", "proxyauth=any"]
    started: list[ProxyProcess] = []
    try:
        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(start_proxy, tmp / name, echo, None, args) for name in ("a", "b")]
        started = [f.result() for f in futures if f.exception() is None]
        if len(started) < 2:
            raise next(f.exception() for f in futures if f.exception() is not None)
        fleet = Fleet(server, started[0], started[1], tmp, args)
        yield fleet
        started = [fleet.a, fleet.b]
    finally:
        for p in started:
            p.stop()
        server.stop()
        if saved is None:
            os.environ.pop(KEY_ENV, None)
        else:
            os.environ[KEY_ENV] = saved


@pytest.fixture(autouse=True)
def _never_reaches_the_provider(echo: EchoProvider) -> Iterator[None]:
    echo.reset()
    start = len(echo.history)
    yield
    seen = echo.all_bodies(start)
    for value in VALUES:
        assert value.encode() not in seen, f"the provider received {value!r}"


def client(proxy: ProxyProcess) -> openai.OpenAI:
    http_client = openai.DefaultHttpxClient(
        proxy=f"http://{USER}:secret@127.0.0.1:{proxy.port}", verify=proxy.ssl_context()
    )
    return openai.OpenAI(api_key="sk-test-not-real", http_client=http_client, max_retries=0, timeout=30)


def last(echo: EchoProvider, pattern: str) -> Received:
    recs = echo.matching(pattern)
    assert recs, [r.path for r in echo.received]
    return recs[-1]


def found(rec: Received, rx: re.Pattern[str]) -> list[tuple[str, ...]]:
    return rx.findall(rec.text())


def chat_stream(c: openai.OpenAI, messages: list[dict]) -> str:
    deltas = []
    for chunk in c.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True):
        if chunk.choices and chunk.choices[0].delta.content:
            deltas.append(chunk.choices[0].delta.content)
    assert len(deltas) > 5  # really streamed, in pieces
    return "".join(deltas)


def test_one_conversation_alternating_between_two_replicas(fleet: Fleet, echo: EchoProvider) -> None:
    a, b = client(fleet.a), client(fleet.b)
    history: list[dict] = [{"role": "user", "content": PROMPT}]

    # turn 1 on A
    out = a.chat.completions.create(model="gpt-4o-mini", messages=history)
    assert out.choices[0].message.content == PROMPT
    (first,) = found(last(echo, r"/chat/completions$"), PROMPT_RX)
    assert len(set(first)) == 3 and not set(first) & {NAME, EMAIL, PHONE}

    # turn 2 on B, streamed: the history gets A's placeholders, the new message the same ones
    history += [{"role": "assistant", "content": PROMPT}, {"role": "user", "content": LATER}]
    assert chat_stream(b, history) == LATER
    rec = last(echo, r"/chat/completions$")
    assert found(rec, PROMPT_RX) == [first, first]  # user and assistant turns, as on A
    assert found(rec, LATER_RX) == [(first[0], first[2])]

    # turn 3 on A, streamed: a new value, numbered after those B and A gave
    history += [{"role": "assistant", "content": LATER}, {"role": "user", "content": THIRD}]
    assert chat_stream(a, history) == THIRD
    rec = last(echo, r"/chat/completions$")
    assert found(rec, PROMPT_RX)[0] == first and found(rec, LATER_RX)[0] == (first[0], first[2])
    (third,) = found(rec, THIRD_RX)
    assert third[0] not in first and third[1] not in first

    # turn 4 on B: the answer quotes a placeholder only A gave; B restores it from Redis
    quoting = f"Qui est {third[0]}, joignable à {third[1]} ?"
    history += [{"role": "assistant", "content": THIRD}, {"role": "user", "content": quoting}]
    out = b.chat.completions.create(model="gpt-4o-mini", messages=history)
    assert out.choices[0].message.content == f"Qui est {T_NAME}, joignable à {T_EMAIL} ?"
    # and the whole history went out with the same placeholders from both replicas
    rec = last(echo, r"/chat/completions$")
    assert found(rec, THIRD_RX) == [third, third]


def test_responses_previous_response_id_restored_after_a_replica_restarts(
    fleet: Fleet, echo: EchoProvider
) -> None:
    first = client(fleet.a).responses.create(model="gpt-4.1", input=RESPONSES_PROMPT)
    assert first.output_text == RESPONSES_PROMPT
    (sent,) = found(last(echo, r"/responses$"), RESPONSES_RX)

    fleet.restart_a(echo)  # a new process: nothing in memory
    follow = "Ajoute la date de signature."
    again = client(fleet.a).responses.create(model="gpt-4.1", input=follow, previous_response_id=first.id)
    rec = last(echo, r"/responses$")
    assert rec.json()["previous_response_id"] == first.id and R_NAME not in rec.text()
    assert again.output_text == f"{RESPONSES_PROMPT}\n{follow}"  # the provider recalled the pseudonyms

    # the other replica, streamed, one turn further in the same server-side conversation
    deltas = []
    with client(fleet.b).responses.stream(
        model="gpt-4.1", input="Relis tout.", previous_response_id=again.id
    ) as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
    assert "".join(deltas) == f"{RESPONSES_PROMPT}\n{follow}\nRelis tout." and len(deltas) > 10
    # and the restarted replica gives the same values the same placeholders as before its restart
    client(fleet.a).responses.create(model="gpt-4.1", input=RESPONSES_PROMPT)
    assert found(last(echo, r"/responses$"), RESPONSES_RX) == [sent]


def test_redis_holds_no_value_and_no_unkeyed_hash_of_one(fleet: Fleet) -> None:
    """``redis-cli --scan`` lists every key; the DUMP of each is searched for every test value."""
    listed = subprocess.run(
        ["redis-cli", "-p", str(fleet.redis.port), "--scan"], capture_output=True, check=True, timeout=30
    ).stdout.split()
    assert len(listed) >= 4 and all(k.startswith(b"dlp:ps:{") for k in listed)
    db = fleet.redis.client()
    dump = b"\n".join(k + b"\n" + (db.dump(k) or b"") for k in listed)
    assert b"[[PERSON_" in dump  # placeholders are there: the search does look at the right bytes
    for value in [*VALUES, USER]:
        for form in {value, value.lower(), " ".join(value.split()).casefold(), value.replace(" ", "")}:
            data = form.encode()
            assert data not in dump, form
            for digest in (hashlib.sha256, hashlib.md5):
                assert digest(data).hexdigest().encode() not in dump, (form, digest)
                assert digest(data).digest() not in dump, (form, digest)
    # nor in what the replicas log or export
    for proxy in (fleet.a, fleet.b):
        seen = proxy.logs() + proxy.metrics()
        for value in VALUES:
            assert value not in seen


def test_redis_stopped_mid_run_new_pseudonyms_fail_closed(fleet: Fleet, echo: EchoProvider) -> None:
    a = client(fleet.a)
    a.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}])
    fleet.redis.stop()
    try:
        echo.reset()
        # values this replica already has pseudonyms for: the request goes on, the answer is restored
        out = a.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": LATER}])
        assert out.choices[0].message.content == LATER
        # a value that needs a new pseudonym: refused with a clear 503, nothing sent
        echo.reset()
        with pytest.raises(openai.APIStatusError) as excinfo:
            a.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": f"Écris à {N_NAME}."}]
            )
        err = excinfo.value
        assert err.status_code == 503
        assert err.code == "state_unavailable"
        assert "pseudonymes" in err.message and "Réessayez" in err.message
        assert N_NAME not in err.message
        assert err.response.headers.get("retry-after")
        assert echo.received == []
    finally:
        fleet.redis.start()
    # Redis back: the same request goes through, numbering goes on from the persisted map
    out = client(fleet.b).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"Écris à {N_NAME}."}]
    )
    assert out.choices[0].message.content == f"Écris à {N_NAME}."
    assert re.search(r"\[\[PERSON_[3-9]\]\]", last(echo, r"/chat/completions$").text())
