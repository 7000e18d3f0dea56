"""The ``dlp-proxy`` command: run the proxy, hand out its CA, check the policy.

Sub-commands: ``run``, ``ca``, ``check-config`` (and the referents' tools as they land).
Exit codes: 0 success, 1 a check failed, 2 bad usage or a configuration that cannot start.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from dlp_proxy import __version__
from dlp_proxy.logs import configure_logging, get_logger
from dlp_proxy.paths import default_data_dir, default_rules_dir

DEFAULT_CONFDIR = "~/.mitmproxy"
DEFAULT_METRICS_PORT = 9464


def _add_rules(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--rules",
        type=Path,
        default=None,
        help="policy directory (default: the shipped example policy, or $DLP_PROXY_RULES)",
    )


def _fail_on(text: str) -> frozenset[str]:
    from dlp_proxy.scan import parse_fail_on

    try:
        return parse_fail_on(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; kept separate so tests and docs can inspect it."""
    parser = argparse.ArgumentParser(
        prog="dlp-proxy",
        description="Data-leak prevention proxy for generative-AI traffic (mitmproxy addon).",
    )
    parser.add_argument("--version", action="version", version=f"dlp-proxy {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the proxy")
    _add_rules(run)
    run.add_argument("--listen-host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    run.add_argument("--listen-port", type=int, default=8080, help="proxy port (default 8080)")
    run.add_argument("--confdir", default=DEFAULT_CONFDIR, help="mitmproxy confdir holding the CA")
    run.add_argument(
        "--metrics-port",
        type=int,
        default=DEFAULT_METRICS_PORT,
        help=f"port for /metrics, /healthz, /readyz (default {DEFAULT_METRICS_PORT}; 0 disables)",
    )
    run.add_argument("--metrics-host", default="127.0.0.1", help="address of the metrics port")
    run.add_argument(
        "--portal-port",
        type=int,
        default=0,
        help="port of the AI portal's direct HTTPS listener (HTTP Basic, the proxy's users; 0: off)",
    )
    run.add_argument("--portal-host", default="127.0.0.1", help="address of the AI portal's direct listener")
    run.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="records directory (default $DLP_PROXY_DATA_DIR or ./dlp-proxy-data)",
    )
    run.add_argument(
        "--store",
        default=None,
        help="incident store URL: sqlite:///path or postgresql://… (default $DLP_PROXY_STORE or SQLite)",
    )
    run.add_argument(
        "--state",
        default=None,
        help="pseudonym vaults shared by replicas: redis://host:6379/0 (default $DLP_PROXY_STATE, else in "
        "memory); encryption key in $DLP_PROXY_STATE_KEY",
    )
    run.add_argument(
        "--access-log",
        type=Path,
        default=None,
        metavar="FILE",
        help="JSON-lines log of allowed AI requests (tool, user, model, sizes, durations; never content), "
        "rotated at 50 MB x 10",
    )
    run.add_argument(
        "--set",
        dest="setoptions",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any mitmproxy option, exactly as mitmdump --set (repeatable)",
    )
    run.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])

    ca = sub.add_parser("ca", help="print the path of the proxy's CA certificate (create it if missing)")
    ca.add_argument("--confdir", default=DEFAULT_CONFDIR)
    ca.add_argument("--pem", action="store_true", help="print the certificate itself")

    check = sub.add_parser("check-config", help="validate the policy; print file:line: problem")
    _add_rules(check)

    scan = sub.add_parser("scan", help="find personal data in files or stdin, as the proxy would")
    scan.add_argument("files", nargs="*", type=Path, help="files to scan (default: stdin)")
    _add_rules(scan)
    fmt = scan.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON document")
    fmt.add_argument(
        "--jsonl", action="store_true", help='read JSON lines {"id", "text"}; write one result line per input'
    )
    scan.add_argument(
        "--all", action="store_true", help="every type and score, not only what the policy acts on"
    )
    scan.add_argument("--workers", type=int, default=1, help="detection processes (default 1)")
    scan.add_argument(
        "--fail-on",
        metavar="TYPES|any",
        type=_fail_on,
        default=None,
        help="exit 1 (for CI) when a finding of these comma-separated types (e.g. FR_NIR,IBAN_CODE), or of "
        "any type, is reported",
    )

    rule_tests = sub.add_parser("check-rules", help="run the rule tests in rules/tests/*.yaml")
    _add_rules(rule_tests)
    for register in _registered_commands():
        register(sub)
    return parser


def _registered_commands() -> list:
    """Modules that add their own sub-commands: each has ``register(subparsers)`` setting ``func``."""
    from dlp_proxy.incidents.cli import register as incidents_commands
    from dlp_proxy.policy.cli import register as policy_commands
    from dlp_proxy.portal.cli import register as portal_commands
    from dlp_proxy.report.cli import register as report_commands

    return [policy_commands, incidents_commands, report_commands, portal_commands]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dlp-proxy`` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "run":
        return cmd_run(args)
    if args.command == "ca":
        return cmd_ca(args)
    if args.command == "check-config":
        return cmd_check_config(args)
    if args.command == "scan":
        return cmd_scan(args)
    if args.command == "check-rules":
        return cmd_check_rules(args)
    func = getattr(args, "func", None)
    if func is not None:  # sub-commands registered by their own modules (register(subparsers))
        return int(func(args))
    return 2  # pragma: no cover - argparse enforces the choices


def cmd_check_config(args: argparse.Namespace) -> int:
    from dlp_proxy.errors import ConfigError
    from dlp_proxy.policy import check_config, load_policy
    from dlp_proxy.shadow import load_shadow_rules

    rules_dir = args.rules or default_rules_dir()
    problems = check_config(rules_dir)
    try:
        load_shadow_rules(rules_dir)
    except ConfigError as exc:
        problems = [*problems, *exc.problems]
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        print(f"{len(problems)} problem(s) in {rules_dir}", file=sys.stderr)
        return 1
    policy = load_policy(rules_dir)
    print(
        f"OK: {rules_dir} — policy {policy.version}, {len(policy.tools)} tools listed, "
        f"{len(policy.catalog.services)} catalog services, next review {policy.next_review.isoformat()}"
    )
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    configure_logging("warning")
    from dlp_proxy.scan import run_scan

    mode = "jsonl" if args.jsonl else "json" if args.json else "table"
    return run_scan(
        list(args.files) or None,
        rules_dir=args.rules or default_rules_dir(),
        mode=mode,
        all_types=args.all,
        stdin=sys.stdin,
        stdout=sys.stdout,
        stderr=sys.stderr,
        workers=max(1, args.workers),
        fail_on=args.fail_on,
    )


def cmd_check_rules(args: argparse.Namespace) -> int:
    configure_logging("warning")
    from dlp_proxy.detect.engine import DetectionEngine
    from dlp_proxy.detect.ruletests import run_rule_tests
    from dlp_proxy.errors import ConfigError

    rules_dir = args.rules or default_rules_dir()
    try:
        report = run_rule_tests(rules_dir, DetectionEngine(rules_dir))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(report.format())
    return 0 if report.passed else 1


def cmd_ca(args: argparse.Namespace) -> int:
    from mitmproxy.certs import CertStore

    confdir = Path(args.confdir).expanduser()
    CertStore.from_store(confdir, "mitmproxy", 2048)
    pem = confdir / "mitmproxy-ca-cert.pem"
    if args.pem:
        sys.stdout.write(pem.read_text())
    else:
        print(pem)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    try:
        return asyncio.run(_run(args))
    except KeyboardInterrupt:  # pragma: no cover
        return 0


async def _run(args: argparse.Namespace) -> int:
    from mitmproxy import exceptions, options
    from mitmproxy.tools.dump import DumpMaster

    from dlp_proxy.addon import DlpProxy
    from dlp_proxy.serving import drain, drain_seconds

    log = get_logger("dlp_proxy.cli")
    try:
        deadline = drain_seconds()
    except ValueError as exc:
        print(f"dlp-proxy: {exc}", file=sys.stderr)
        return 2
    rules_dir = args.rules or default_rules_dir()
    data_dir = args.data_dir or default_data_dir()
    opts = options.Options(listen_host=args.listen_host, listen_port=args.listen_port, confdir=args.confdir)
    master = DumpMaster(opts, with_termlog=False, with_dumper=False)
    addon = DlpProxy()
    try:
        master.addons.add(addon)
        master.options.update(
            dlp_rules=str(rules_dir),
            dlp_data_dir=str(data_dir),
            dlp_metrics_port=args.metrics_port,
            dlp_metrics_host=args.metrics_host,
            dlp_store=args.store or "",
            dlp_state=args.state or "",
            dlp_access_log=str(args.access_log) if args.access_log else "",
            dlp_portal_port=args.portal_port,
            dlp_portal_host=args.portal_host,
        )
        if args.setoptions:
            # One call for all of them: list options such as map_remote accumulate, as in mitmdump.
            master.options.set(*args.setoptions)
    except exceptions.OptionsError as exc:
        print(f"dlp-proxy: {exc}", file=sys.stderr)
        return 2

    loop = asyncio.get_running_loop()
    draining: list[asyncio.Task] = []

    async def drain_then_stop() -> None:
        in_flight, runtime = addon.in_flight, addon.runtime
        await drain(lambda: len(in_flight), deadline, set_draining=runtime.set_draining)
        master.shutdown()

    def on_sigterm() -> None:
        # First SIGTERM: finish the in-flight AI requests and streams (dlp_proxy.serving); a second one
        # (or Ctrl-C) stops at once.
        if draining:
            master.shutdown()
        else:
            draining.append(loop.create_task(drain_then_stop()))

    loop.add_signal_handler(signal.SIGINT, master.shutdown)
    loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    # SIGHUP (re-read the policy) is installed by the addon itself, so `mitmdump -s` has it too.
    log.info(
        "proxy_starting",
        listen_host=args.listen_host,
        listen_port=args.listen_port,
        rules_dir=str(rules_dir),
        data_dir=str(data_dir),
    )
    await master.run()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
