"""What the benches share: child processes that die with the bench, ports, dlp-proxy start-up, stats.

Imported by ``proxy_overhead.py``, ``streaming.py`` and ``detection_speed.py`` as ``harness`` (each of
them puts this folder on ``sys.path`` first, so ``python bench/x.py`` and pytest both find it). Only the
process management and the helpers that are the same for every bench live here; what a bench measures,
prints and checks stays in its own file.
"""

from __future__ import annotations

import contextlib
import os
import platform
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
OPENAI_HOST = "api.openai.com"
API_PATH = "/v1/chat/completions"
UPSTREAM_PREFIX = "/openai"


class BenchError(RuntimeError):
    """The run cannot give meaningful numbers (a process died, an unexpected answer, a time-out)."""


# -------------------------------------------------------------------------------------- processes
def die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: the child gets SIGTERM if the bench itself is killed without cleaning up."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def clean_env() -> dict[str, str]:
    """This environment without ``*_proxy`` variables: no child may send its traffic elsewhere."""
    return {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path | None = None

    def tail(self, n: int = 30) -> str:
        if self.log is None or not self.log.exists():
            return ""
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(lines[-n:])

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise BenchError(f"{self.name} exited with {self.popen.returncode}:\n{self.tail()}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()


def spawn(name: str, cmd: list[str], log: Path, cwd: Path, env: dict[str, str] | None = None) -> Proc:
    """Start ``cmd`` with its output in ``log``, in a session of its own, dying with the bench.

    ``env`` adds to (or overrides) this environment, e.g. ``PYTHONPATH`` to run another source tree."""
    with open(log, "wb") as out:
        popen = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**clean_env(), **(env or {})},
            cwd=cwd,
            start_new_session=True,  # Ctrl-C reaches the bench only; it stops them in order
            preexec_fn=die_with_parent,
        )
    return Proc(name, popen, log)


def wait_port(proc: Proc, port: int, deadline: float, ready_url: str | None = None) -> None:
    """Until ``port`` accepts connections (and ``ready_url`` answers 200, if given)."""
    while True:
        proc.check_alive()
        try:
            if ready_url is not None:
                with urllib.request.urlopen(ready_url, timeout=1) as r:
                    if r.status != 200:
                        raise OSError("not ready")
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise BenchError(f"{proc.name} not listening on {port} in time:\n{proc.tail()}")
        time.sleep(0.1)


def start_port_reporter(
    stack: contextlib.ExitStack,
    name: str,
    script: str,
    args: list[str],
    timeout: float,
    cwd: Path | None = None,
) -> tuple[Proc, int]:
    """Run a bench ``script`` again with ``args`` (a server mode); it prints its port once it listens."""
    popen = subprocess.Popen(
        [sys.executable, "-u", str(Path(script).resolve()), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        env=clean_env(),
        cwd=cwd,
        start_new_session=True,  # Ctrl-C reaches the bench only; it stops them in order
        preexec_fn=die_with_parent,
        text=True,
    )
    proc = Proc(name, popen)
    stack.callback(proc.stop)
    assert popen.stdout is not None
    readable, _, _ = select.select([popen.stdout], [], [], timeout)
    line = popen.stdout.readline().strip() if readable else ""
    if not line.isdigit():
        raise BenchError(f"{name} did not report its port (got {line!r})")
    return proc, int(line)


def make_ca(confdir: Path) -> Path:
    """Create the proxies' CA beforehand; return a bundle clients trust (certifi + that CA)."""
    import certifi

    subprocess.run(
        [str(BIN / "dlp-proxy"), "ca", "--confdir", str(confdir)],
        check=True,
        stdout=subprocess.DEVNULL,
        env=clean_env(),
        timeout=60,
    )
    bundle = confdir.parent / "bundle.pem"
    ca = (confdir / "mitmproxy-ca-cert.pem").read_text()
    bundle.write_text(Path(certifi.where()).read_text() + "\n" + ca)
    return bundle


def map_remote(upstream_port: int, host: str = OPENAI_HOST) -> str:
    """``map_remote`` sending ``https://host/`` to the local upstream (no flow filter)."""
    # mitmproxy's "|regex|replacement" form (no flow filter, no closing separator).
    pattern = host.replace(".", r"\.")
    return rf"map_remote=|https://{pattern}/|http://{HOST}:{upstream_port}{UPSTREAM_PREFIX}/"


def start_dlp_proxy(
    stack: contextlib.ExitStack,
    tmp: Path,
    confdir: Path,
    settings: list[str],
    timeout: float,
    source: Path | None = None,
) -> tuple[Proc, int, int]:
    """``dlp-proxy run`` (lazy upstream connections, then ``--set`` each of ``settings``) on free
    ports; returns once its ``/readyz`` answers 200: (process, proxy port, metrics port).

    ``source``: run the dlp_proxy package (and rules) of that source tree instead of this one."""
    port, metrics_port = free_port(), free_port()
    cmd = [
        str(BIN / "dlp-proxy"), "run",
        "--listen-port", str(port),
        "--metrics-port", str(metrics_port),
        "--confdir", str(confdir),
        "--data-dir", str(tmp / "dlp-data"),
        "--set", "connection_strategy=lazy",
    ]  # fmt: skip
    env = None
    if source is not None:
        cmd = [sys.executable, "-m", "dlp_proxy.cli", *cmd[1:], "--rules", str(source / "rules")]
        env = {"PYTHONPATH": str(source)}
    for setting in settings:
        cmd += ["--set", setting]
    proc = spawn("dlp-proxy", cmd, tmp / "dlp-proxy.log", tmp, env)
    stack.callback(proc.stop)
    wait_port(proc, port, time.monotonic() + timeout, f"http://{HOST}:{metrics_port}/readyz")
    return proc, port, metrics_port


def run_interruptible(run: Callable[[Any], int], args: Any) -> int:
    """``run(args)`` with SIGTERM behaving like Ctrl-C: unwind, stopping every process started here."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("interrupted; all processes stopped", file=sys.stderr)
        return 130


# ------------------------------------------------------------------------------------ measurement
def percentile(values: list[float], p: float) -> float:
    """Linear-interpolated percentile (numpy's default)."""
    s = sorted(values)
    if len(s) == 1:
        return s[0]
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def proxy_run_meta(started: float, load_start: float) -> dict:
    """The machine and the run, for the proxy benches' meta: versions, CPUs, time, load average."""
    import mitmproxy.version

    return {
        "python": platform.python_version(),
        "mitmproxy": mitmproxy.version.VERSION,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "elapsed_s": time.monotonic() - started,
        "load_average_1min": [load_start, os.getloadavg()[0]],
    }
