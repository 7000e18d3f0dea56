"""Logs never carry client addresses or credentials, whoever emits them."""

from __future__ import annotations

import json
import logging

from dlp_proxy.logs import configure_logging, get_logger, scrub


def test_scrub_masks_addresses_and_credentials() -> None:
    text = scrub(
        "10.1.2.3:51234: client connect; Authorization: Bearer sk-abc; [2001:db8::1]:443 key=AIzaXYZ"
    )
    assert (
        "10.1.2.3" not in text and "sk-abc" not in text and "2001:db8" not in text and "AIzaXYZ" not in text
    )


def test_foreign_records_are_json_and_scrubbed(capsys) -> None:
    configure_logging("info")
    logging.getLogger("mitmproxy.proxy.server").warning("192.168.1.20:5555: server disconnect api.openai.com")
    get_logger("dlp_proxy.test").info("request_blocked", tool="deepseek-api")
    lines = [json.loads(x) for x in capsys.readouterr().err.strip().splitlines()]
    assert lines[0]["event"] == "<addr>: server disconnect api.openai.com"
    assert lines[1]["event"] == "request_blocked" and lines[1]["tool"] == "deepseek-api"


def test_mitmproxy_info_is_silenced(capsys) -> None:
    configure_logging("info")
    logging.getLogger("mitmproxy.proxy.server").info("10.0.0.9:1: client connect")
    assert capsys.readouterr().err == ""


def test_exception_messages_are_not_logged(capsys) -> None:
    configure_logging("info")
    try:
        raise ValueError("invalid value jeanne.moreau@exemple-client.fr")
    except ValueError:
        logging.getLogger("dlp_proxy.detect.pool").exception("detector error")
        get_logger("dlp_proxy.test").exception("shadow_sighting_failed")
    err = capsys.readouterr().err
    assert "jeanne.moreau" not in err
    lines = [json.loads(x) for x in err.strip().splitlines()]
    prefix = "ValueError (message not logged) at test_logs.py:"
    assert all(line["exception"].startswith(prefix) for line in lines)
