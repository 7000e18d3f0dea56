"""WebSocket text messages to AI hosts are scanned like request bodies (real detection workers)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from mitmproxy import websocket
from mitmproxy.test import taddons, tflow
from wsproto.frame_protocol import Opcode

from dlp_proxy.addon import METADATA_KEY, DlpProxy
from dlp_proxy.runtime import PoolSupervisor

REPO = Path(__file__).resolve().parents[1]
EMAIL = "jeanne.moreau@exemple-client.fr"
NIR = "1 85 05 78 006 084 91"

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def addon(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ws")
    a = DlpProxy()
    with taddons.context(a) as tctx:
        tctx.configure(a, confdir=str(tmp / "c"), dlp_data_dir=str(tmp), dlp_rules=str(REPO / "rules"))
        a.runtime.pools = PoolSupervisor(a.runtime.rules.directory, 1).start()
        assert a.pool.wait_ready(180)
        yield a
        a.done()


def ws_flow(addon: DlpProxy, text: str, from_client: bool = True):
    f = tflow.twebsocketflow(messages=False)
    f.request.host = "chatgpt.com"
    f.request.headers["host"] = "chatgpt.com"
    f.client_conn.sni = "chatgpt.com"
    f.response = None
    addon.requestheaders(f)  # classifies the tool on the handshake
    assert METADATA_KEY in f.metadata
    f.websocket.messages.append(websocket.WebSocketMessage(Opcode.TEXT, from_client, text.encode()))
    return f


def test_personal_data_in_a_websocket_message_is_replaced_then_restored(addon: DlpProxy) -> None:
    f = ws_flow(addon, f'{{"type": "prompt", "text": "Écris à {EMAIL} demain."}}')
    asyncio.run(addon.websocket_message(f))
    sent = f.websocket.messages[-1]
    assert not sent.dropped and EMAIL not in sent.text and "demain" in sent.text
    # the AI answers with the pseudonym: the client gets its value back
    pseudonym = sent.text.split("Écris à ", 1)[1].split(" demain", 1)[0]
    f.websocket.messages.append(
        websocket.WebSocketMessage(Opcode.TEXT, False, f'{{"answer": "Message pour {pseudonym}."}}'.encode())
    )
    asyncio.run(addon.websocket_message(f))
    assert EMAIL in f.websocket.messages[-1].text


def test_blocked_data_drops_the_message(addon: DlpProxy) -> None:
    f = ws_flow(addon, f"Vérifie le NIR {NIR} de l'assuré.")
    asyncio.run(addon.websocket_message(f))
    assert f.websocket.messages[-1].dropped


def test_clean_message_untouched(addon: DlpProxy) -> None:
    text = "Traduis ce paragraphe en anglais."
    f = ws_flow(addon, text)
    asyncio.run(addon.websocket_message(f))
    assert not f.websocket.messages[-1].dropped and f.websocket.messages[-1].text == text


def test_an_internal_error_drops_the_message_and_closes_the_connection(addon: DlpProxy, monkeypatch) -> None:
    """Fail closed: before the shared pipeline, an exception here let the message go out unscanned."""
    from dlp_proxy import pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("boom with request text")

    monkeypatch.setattr(pipeline, "extract_websocket_message", broken)
    f = ws_flow(addon, f"Écris à {EMAIL} demain.")
    before = addon.metrics.fail_closed.labels(hook="websocket_message")._value.get()
    asyncio.run(addon.websocket_message(f))
    assert f.websocket.messages[-1].dropped
    assert f.error is not None  # flow.kill(): the connection is closed rather than guessed
    assert addon.metrics.fail_closed.labels(hook="websocket_message")._value.get() == before + 1


def test_websocket_honours_tool_overrides(addon: DlpProxy, tmp_path) -> None:
    """The WebSocket path uses the same scan plan as HTTP: a tool override applies there too."""
    from dlp_proxy.pipeline import Block, evaluate_message, new_context

    rules = _rules_with_override(tmp_path, "chatgpt-web", "URL")
    rc = new_context("chatgpt.com", rules.policy.catalog.services["chatgpt-web"])
    text = f"Ouvre https://crm.example.fr/fiche?email={EMAIL}&x=1 stp"
    verdict = asyncio.run(evaluate_message(rc, text, rules.policy, addon.pool, addon.vaults))
    assert isinstance(verdict, Block) and verdict.rule_id == "donnees:outil:URL"


def _rules_with_override(tmp_path, tool: str, entity: str):
    """A copy of the shipped rules where ``tool`` blocks ``entity``, a type no data rule names."""
    import shutil

    from dlp_proxy.runtime import load_rules

    rules_dir = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules_dir)
    policy = rules_dir / "policy.yaml"
    text = policy.read_text()
    assert f"\n  {tool}:\n" in text
    policy.write_text(text.replace(f"\n  {tool}:\n", f"\n  {tool}:\n    data: {{{entity}: block}}\n", 1))
    return load_rules(rules_dir)
