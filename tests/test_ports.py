"""tests/ports.py: the free ports handed to the servers tests start are never handed out twice."""

from __future__ import annotations

import socket

from tests.ports import free_port


def test_free_ports_are_distinct_and_free() -> None:
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    with socket.socket() as s:
        s.bind(("127.0.0.1", ports[-1]))  # nothing listens there
