"""The quarterly report for the AI referents: figures (:func:`build_report`) and their renderings.

``dlp-proxy report --quarter 2026-Q4`` writes ``rapport-ia-2026-Q4.html`` (self-contained, French,
printable), ``.csv`` and ``.json`` side by side; see :mod:`dlp_proxy.report.cli`.
"""

from __future__ import annotations

from .build import build_report
from .export import write_csv, write_json
from .html import render_html
from .model import Report, Suggestion, pseudonym

__all__ = ["Report", "Suggestion", "build_report", "pseudonym", "render_html", "write_csv", "write_json"]
