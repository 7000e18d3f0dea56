"""Configuration errors that point a referent at the exact file and line to fix.

A broken rules file must never start a proxy, and the person fixing it needs
``file:line: problem`` rather than a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in one rules file."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ConfigError(Exception):
    """Raised when rules files are invalid; carries every problem found, not only the first."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
