#!/usr/bin/env python3
"""Validate every deployment file against the schema of the tool that will read it.

    .venv/bin/python deploy/validate.py          # what .ci/run runs; exit 1 on the first failing group

- Kubernetes: the base and each overlay rendered with ``kubectl kustomize`` (the kustomize built into
  kubectl), each object checked with ``kubernetes-validate --strict`` (unknown fields are errors) for the
  oldest and the newest Kubernetes version we support;
- the Prometheus Operator objects (``kubernetes/monitoring/``) against the CRD schemas committed in
  ``deploy/schemas/`` (unknown fields refused too, as ``kubectl apply --validate=strict`` does);
- the compose files against the Compose Specification's JSON schema (``deploy/schemas/``);
- Prometheus: ``promtool check config``, ``promtool check rules`` and ``promtool test rules``.

tests/test_deploy.py calls the same functions, so a broken file fails both CI and the test suite. Each
check raises :class:`Invalid` with the file and the reason; the tools are found on PATH (kubectl ships
with the machine image, promtool with Debian's ``prometheus`` package, installed by .ci/run).
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import yaml

DEPLOY = Path(__file__).resolve().parent
KUBERNETES = DEPLOY / "kubernetes"
SCHEMAS = DEPLOY / "schemas"
PROMETHEUS = DEPLOY / "prometheus"
#: What `kubectl apply -k` is run on: the base (a trial), each overlay, the monitoring objects.
KUSTOMIZATIONS = ("base", "overlays/postgres", "overlays/sqlite", "monitoring")
#: Oldest supported (the preStop `sleep` action needs 1.30) and newest known to kubernetes-validate.
KUBERNETES_VERSIONS = ("1.30.0", "latest")
COMPOSE_FILES = ("compose.yaml", "compose.postgres.yaml")
#: Custom resources and the committed CRD that defines each (kind -> file in deploy/schemas/).
CRDS = {
    "ServiceMonitor": "monitoring.coreos.com_servicemonitors.yaml",
    "PrometheusRule": "monitoring.coreos.com_prometheusrules.yaml",
}


class Invalid(Exception):
    """A deployment file that its tool would refuse; the message names the file and the reason."""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise Invalid(f"{name} not found on PATH (see .ci/run for how it is installed)")
    return path


def _run(argv: list[str]) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise Invalid(f"{' '.join(argv[:3])}…: {(proc.stderr or proc.stdout).strip()}")
    return proc.stdout


# ------------------------------------------------------------------------------------------ kubernetes


def render(kustomization: str) -> list[dict[str, Any]]:
    """The objects ``kubectl apply -k deploy/kubernetes/<kustomization>`` would send."""
    out = _run([_tool("kubectl"), "kustomize", str(KUBERNETES / kustomization)])
    return [d for d in yaml.safe_load_all(out) if d]


def _name(obj: dict[str, Any]) -> str:
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def validate_kubernetes(objects: Iterable[dict[str, Any]], where: str) -> int:
    """kubernetes-validate --strict on every built-in object; custom resources go to the CRD check."""
    import kubernetes_validate

    count = 0
    for obj in objects:
        if obj.get("kind") in CRDS:
            validate_custom_resource(obj, where)
            count += 1
            continue
        for version in KUBERNETES_VERSIONS:
            wanted = kubernetes_validate.latest_version() if version == "latest" else version
            try:
                kubernetes_validate.validate(obj, wanted, strict=True)
            except kubernetes_validate.ValidationError as exc:
                path = ".".join(str(p) for p in exc.path)
                raise Invalid(f"{where}: {_name(obj)} (Kubernetes {wanted}): {path}: {exc.message}") from None
            except kubernetes_validate.SchemaNotFoundError as exc:
                raise Invalid(f"{where}: {_name(obj)}: no schema ({exc})") from None
        count += 1
    return count


def _closed(schema: Any) -> Any:
    """The CRD schema with unknown fields refused, as the API server's strict field validation does."""
    if isinstance(schema, dict):
        schema = {k: _closed(v) for k, v in schema.items()}
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and pattern.startswith("^(?i)"):  # Go's regexp allows it; Python's re
            schema["pattern"] = "(?i)^" + pattern[5:]  # wants global flags first
        if "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
            schema.setdefault("additionalProperties", False)
        return schema
    if isinstance(schema, list):
        return [_closed(v) for v in schema]
    return schema


def crd_schema(kind: str) -> dict[str, Any]:
    """The openAPIV3Schema of the served version of the committed CRD for ``kind``."""
    crd = yaml.safe_load((SCHEMAS / CRDS[kind]).read_text(encoding="utf-8"))
    assert crd["spec"]["names"]["kind"] == kind, CRDS[kind]
    (version,) = [v for v in crd["spec"]["versions"] if v.get("served") and v.get("storage")]
    schema = _closed(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
    # metadata is the API server's ObjectMeta, not described by the CRD.
    schema["properties"]["metadata"] = {"type": "object"}
    schema["properties"]["apiVersion"] = {"const": f"{crd['spec']['group']}/{version['name']}"}
    return schema


def validate_custom_resource(obj: dict[str, Any], where: str) -> None:
    try:
        jsonschema.validate(obj, crd_schema(obj["kind"]), cls=jsonschema.Draft7Validator)
    except jsonschema.ValidationError as exc:
        path = ".".join(str(p) for p in exc.absolute_path)
        raise Invalid(f"{where}: {_name(obj)}: {path}: {exc.message}") from None


# ------------------------------------------------------------------------------------------- compose


def validate_compose(name: str, document: dict[str, Any] | None = None) -> None:
    """One compose file against the Compose Specification schema (deploy/schemas/compose-spec.json)."""
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text(encoding="utf-8"))
    if document is None:
        document = yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        raise Invalid(f"deploy/{name}: {'.'.join(str(p) for p in e.absolute_path)}: {e.message}")


# ---------------------------------------------------------------------------------------- prometheus

PROMETHEUS_RULE = KUBERNETES / "monitoring" / "prometheusrule.yaml"
_PROMETHEUS_RULE_HEADER = """\
# The alert rules of deploy/prometheus/alerts.yaml as a PrometheusRule (Prometheus Operator). Generated:
# edit alerts.yaml (tested with `promtool test rules`), then regenerate this file with
#   .venv/bin/python deploy/validate.py --write-prometheusrule
# tests/test_deploy.py fails when the two differ. Your Prometheus' ruleSelector may need a label here.
"""


def prometheus_rule_text() -> str:
    """deploy/kubernetes/monitoring/prometheusrule.yaml as it must be: alerts.yaml's groups, wrapped."""
    groups = yaml.safe_load((PROMETHEUS / "alerts.yaml").read_text(encoding="utf-8"))["groups"]
    obj = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "dlp-proxy",
            "namespace": "dlp-proxy",
            "labels": {"app.kubernetes.io/name": "dlp-proxy"},
        },
        "spec": {"groups": groups},
    }
    return _PROMETHEUS_RULE_HEADER + yaml.safe_dump(obj, sort_keys=False, allow_unicode=True, width=110)


def check_prometheus_rule_in_sync() -> None:
    if PROMETHEUS_RULE.read_text(encoding="utf-8") != prometheus_rule_text():
        raise Invalid(
            f"{PROMETHEUS_RULE.relative_to(DEPLOY.parent)} differs from deploy/prometheus/alerts.yaml: "
            "run .venv/bin/python deploy/validate.py --write-prometheusrule"
        )


def check_prometheus(
    config: Path = DEPLOY / "prometheus.yml",
    rules: Path = PROMETHEUS / "alerts.yaml",
    rule_tests: Path = PROMETHEUS / "alerts_test.yaml",
) -> list[str]:
    """promtool check config (compose's prometheus.yml and its rule files), check rules, test rules."""
    promtool = _tool("promtool")
    return [
        _run([promtool, "check", "config", str(config)]),
        _run([promtool, "check", "rules", str(rules)]),
        _run([promtool, "test", "rules", str(rule_tests)]),
    ]


# ------------------------------------------------------------------------------------------------ all


def checks() -> Iterator[tuple[str, Any]]:
    """(what, callable) of every check, in the order CI runs them."""
    for k in KUSTOMIZATIONS:
        yield f"kubernetes/{k}", lambda k=k: validate_kubernetes(render(k), f"deploy/kubernetes/{k}")
    for name in COMPOSE_FILES:
        yield name, lambda name=name: validate_compose(name)
    yield "prometheus", check_prometheus
    yield "prometheusrule.yaml = alerts.yaml", check_prometheus_rule_in_sync


def main(argv: list[str] | None = None) -> int:
    if (argv if argv is not None else sys.argv[1:]) == ["--write-prometheusrule"]:
        PROMETHEUS_RULE.write_text(prometheus_rule_text(), encoding="utf-8")
        print(f"wrote {PROMETHEUS_RULE}")
        return 0
    failed = 0
    for what, check in checks():
        try:
            result = check()
        except Invalid as exc:
            failed += 1
            print(f"FAIL {what}: {exc}", file=sys.stderr)
            continue
        detail = f" ({result} objects)" if isinstance(result, int) else ""
        print(f"ok   {what}{detail}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
