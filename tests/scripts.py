"""Load a stand-alone script of the repository (``models/*.py``, ``bench/*.py``) as a module, for tests.

The scripts are run as files, not imported from a package; a test needs their functions all the same.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def load_script(relative: str, name: str) -> ModuleType:
    """``REPO / relative`` loaded as module ``name`` (registered in ``sys.modules`` first, so that
    dataclasses and pickling can find it while it runs)."""
    spec = importlib.util.spec_from_file_location(name, REPO / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
