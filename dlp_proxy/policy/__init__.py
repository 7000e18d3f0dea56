"""The company AI policy as data: typed, validated, with errors naming file and line.

``load_policy(rules_dir)`` reads ``catalog.yaml``, ``policy.yaml`` and ``directory.yaml`` and returns a
:class:`Policy` whose :meth:`Policy.decide` is the single, pure answer to "may this person use this tool
and this model?" for the proxy, the CLI and the tests alike.
"""

from __future__ import annotations

from .fields import parse_size
from .loader import check_config, load_policy
from .model import (
    DATA_ACTIONS,
    HOSTING_CLASSES,
    REFERENT_ROLES,
    STATUSES,
    USAGE_KINDS,
    ChangelogEntry,
    DataRule,
    Decision,
    Directory,
    ModelRule,
    NetworkRule,
    Policy,
    Referent,
    ToolPolicy,
)

__all__ = [
    "DATA_ACTIONS",
    "HOSTING_CLASSES",
    "REFERENT_ROLES",
    "STATUSES",
    "USAGE_KINDS",
    "ChangelogEntry",
    "DataRule",
    "Decision",
    "Directory",
    "ModelRule",
    "NetworkRule",
    "Policy",
    "Referent",
    "ToolPolicy",
    "check_config",
    "load_policy",
    "parse_size",
]
