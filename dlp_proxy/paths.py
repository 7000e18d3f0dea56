"""Where the shipped example policy, the model definition and the records live.

The example policy is the repository's ``rules/`` directory. In a checkout or an editable install
it is found next to the package; a wheel installs it as data files under
``<prefix>/share/dlp-proxy/`` (see ``[tool.setuptools.data-files]`` in pyproject.toml).
Either way ``dlp-proxy run`` finds it whatever the working directory.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    checkout = _PACKAGE_DIR.parent / name
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "dlp-proxy" / name


def default_rules_dir() -> Path:
    """The shipped example policy (``rules/``); ``DLP_PROXY_RULES`` overrides it."""
    env = os.environ.get("DLP_PROXY_RULES")
    return Path(env) if env else _shipped("rules")


def default_models_dir() -> Path:
    """The shipped NLP pipeline definition (``models/``)."""
    return _shipped("models")


def default_data_dir() -> Path:
    """Records go under ``DLP_PROXY_DATA_DIR``, else ``./dlp-proxy-data`` in the working directory."""
    env = os.environ.get("DLP_PROXY_DATA_DIR")
    return Path(env) if env else Path.cwd() / "dlp-proxy-data"
