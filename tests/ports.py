"""Free loopback ports for the servers tests start (proxies, metrics endpoints, Redis).

Why not just bind to port 0 and close: the kernel may hand the same port out again at once, so two
calls in a row ("listen port, metrics port") once returned the same number and the proxy failed to
start ("address already in use", seen in CI). Ports handed out by this process are never handed out
again.
"""

from __future__ import annotations

import socket

_GIVEN: set[int] = set()


def free_port() -> int:
    """A loopback port nothing listens on now and that this process has not handed out before."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port
