"""End-to-end fixtures: a real ``dlp-proxy run`` process and a fake provider on 127.0.0.1.

Clients (the real openai / anthropic SDKs, curl) talk to the providers' real host names through the
proxy; ``map_remote`` inside the proxy sends the decrypted requests to the fake provider.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import certifi
import pytest

from tests.e2e.fakeprovider import FakeProvider
from tests.ports import free_port as free_port  # re-exported: the e2e modules import it from here

REPO = Path(__file__).resolve().parents[2]
DLP_PROXY = str(Path(sys.executable).parent / "dlp-proxy")

# provider host -> prefix on the fake provider
ROUTES = {
    "api.openai.com": "openai",
    "api.anthropic.com": "anthropic",
    "api.deepseek.com": "openai",
    "api.mistral.ai": "openai",
    "chat.deepseek.com": "web",
    "chatgpt.com": "web",
    "llm.interne.example.fr": "ollama",
}


@dataclass
class ProxyProcess:
    """A running ``dlp-proxy run`` and what a test needs to use and inspect it."""

    proc: subprocess.Popen
    port: int
    metrics_port: int
    confdir: Path
    data_dir: Path
    stderr_path: Path
    bundle: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ca_pem(self) -> Path:
        return self.confdir / "mitmproxy-ca-cert.pem"

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.bundle))

    def logs(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as r:
            return r.read().decode()

    def incidents(self) -> list[dict]:
        """Every record of the proxy's incident store (its SQLite file), read as another process would."""
        from dlp_proxy.incidents import IncidentFilter, open_store

        store = open_store(None, self.data_dir)
        try:
            return [r.to_dict() for r in store.query(IncidentFilter(kind=None))]
        finally:
            store.close()

    def incidents_when(self, ready: Callable[[list[dict]], bool], timeout: float = 10.0) -> list[dict]:
        """:meth:`incidents` once ``ready`` holds for them (the store's writer thread writes them after the
        answer), or as they are after ``timeout`` seconds, for the caller's assertion to show."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.incidents()
            if ready(rows) or time.monotonic() > deadline:
                return rows
            time.sleep(0.05)

    def data_bytes(self) -> bytes:
        """Raw bytes of every file in the data dir (database, WAL, spool): for "no value anywhere" checks."""
        return b"".join(p.read_bytes() for p in sorted(self.data_dir.rglob("*")) if p.is_file())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_proxy(
    tmp: Path, provider: FakeProvider, rules: Path | None = None, extra: list[str] = ()
) -> ProxyProcess:
    """Start a proxy routed to ``provider``; wait until it listens and is ready."""
    tmp.mkdir(parents=True, exist_ok=True)
    port, metrics_port = free_port(), free_port()
    confdir, data_dir = tmp / "conf", tmp / "data"
    stderr_path = tmp / "proxy.stderr"
    cmd = [
        DLP_PROXY,
        "run",
        "--listen-port",
        str(port),
        "--metrics-port",
        str(metrics_port),
        "--confdir",
        str(confdir),
        "--data-dir",
        str(data_dir),
    ]
    if rules is not None:
        cmd += ["--rules", str(rules)]
    for host, prefix in ROUTES.items():
        rx = host.replace(".", r"\.")
        cmd += ["--set", f"map_remote=|https://{rx}/|http://127.0.0.1:{provider.port}/{prefix}/"]
    cmd += list(extra)
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=tmp)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"dlp-proxy exited with {proc.returncode}:\n{stderr_path.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/readyz", timeout=1) as r:
                if r.status == 200:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"dlp-proxy not ready in time:\n{stderr_path.read_text()}")
        time.sleep(0.1)
    try:
        bundle = tmp / "bundle.pem"
        bundle.write_text(
            Path(certifi.where()).read_text() + "\n" + (confdir / "mitmproxy-ca-cert.pem").read_text()
        )
    except BaseException:
        proc.kill()
        raise
    return ProxyProcess(proc, port, metrics_port, confdir, data_dir, stderr_path, bundle)


@pytest.fixture(scope="session")
def provider() -> Iterator[FakeProvider]:
    p = FakeProvider()
    yield p
    p.stop()


@pytest.fixture(scope="session")
def proxy(tmp_path_factory: pytest.TempPathFactory, provider: FakeProvider) -> Iterator[ProxyProcess]:
    """The shipped example policy, as README's run command uses it."""
    p = start_proxy(tmp_path_factory.mktemp("proxy"), provider)
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def _reset_provider(request: pytest.FixtureRequest) -> None:
    if "provider" in request.fixturenames:
        request.getfixturevalue("provider").reset()


def copy_rules(dst: Path) -> Path:
    """A private copy of the shipped rules that a test may edit."""
    shutil.copytree(REPO / "rules", dst)
    return dst
