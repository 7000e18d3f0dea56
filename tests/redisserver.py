"""A private, real ``redis-server`` on a free loopback port, that a test can stop and start again.

Tests that need Redis use the real server from Debian's ``redis-server`` package (``.ci/run`` installs
it); a missing binary fails the test rather than skipping it. Data survives a stop/start through an
append-only file in the test's directory, as a production Redis with persistence would.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import redis

from tests.ports import free_port


class RedisServer:
    """``redis-server`` on 127.0.0.1:<free port>, data in ``directory``."""

    def __init__(self, directory: Path, *, persistent: bool = True) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (Debian package redis-server; .ci/run installs it)"
        self.binary = binary
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.persistent = persistent
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def start(self) -> RedisServer:
        cmd = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        cmd += ["--dir", str(self.directory), "--appendonly", "yes" if self.persistent else "no"]
        cmd += ["--appendfsync", "always", "--logfile", str(self.directory / "redis.log")]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.client().ping():
                    return self
            except redis.RedisError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{self.log()}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def log(self) -> str:
        path = self.directory / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def dump_everything(self) -> bytes:
        """Every key name and the DUMP of every key's value (what a thief reading Redis would get)."""
        client = self.client()
        out = []
        for key in client.scan_iter(count=1000):
            out += [key, client.dump(key) or b""]
        return b"\n".join(out)
