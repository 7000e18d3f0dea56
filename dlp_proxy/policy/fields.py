"""Small validators that read one YAML value and record a ``file:line`` problem when it is wrong.

Every validator reports and carries on (returning ``None`` or a default) instead of raising, so one
run lists every mistake in the rules files, not only the first one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from dlp_proxy.errors import ConfigProblem
from dlp_proxy.yamlload import LineDict, LineList

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SIZE_RE = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-z]*)")
# k/m/g follow mitmproxy's own options (powers of 1024); kB/MB/GB and the French ko/Mo/Go are SI
# (powers of 1000); KiB/MiB/GiB and kio/Mio/Gio are binary.
_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "o": 1,
    "k": 1024,
    "kib": 1024,
    "kio": 1024,
    "kb": 1000,
    "ko": 1000,
    "m": 1024**2,
    "mib": 1024**2,
    "mio": 1024**2,
    "mb": 1000**2,
    "mo": 1000**2,
    "g": 1024**3,
    "gib": 1024**3,
    "gio": 1024**3,
    "gb": 1000**3,
    "go": 1000**3,
}


def parse_size(value: str | int) -> int:
    """Bytes for ``10MiB``, ``512 KiB``, ``10 Mo``, ``1048576``; ``ValueError`` when not a positive size."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(value)
        return value
    match = _SIZE_RE.fullmatch(str(value).strip().lower())
    if not match or match.group(2) not in _SIZE_UNITS:
        raise ValueError(value)
    size = int(float(match.group(1).replace(",", ".")) * _SIZE_UNITS[match.group(2)])
    if size <= 0:
        raise ValueError(value)
    return size


def closest(value: Any, choices: Iterable[str]) -> str | None:
    """The choice that ``value`` is most likely a typo of, if any."""
    close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def suggest(value: Any, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a choice is close to ``value``, else an empty string."""
    close = closest(value, choices)
    return f" (did you mean {close!r}?)" if close else ""


def show(value: Any) -> str:
    """A short, readable rendering of a wrong value for an error message."""
    if value is None:
        return "nothing"
    if isinstance(value, LineDict):
        return "a mapping"
    if isinstance(value, LineList):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    return repr(value)


def join(where: str, key: Any) -> str:
    """Dotted path of a child, as shown in messages (``tools.openai-api.status``)."""
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else str(key)


class FileChecker:
    """Collects the problems of one rules file; ``name`` is how the file is shown to the referent."""

    def __init__(self, name: str, problems: list[ConfigProblem]):
        self.name = name
        self.problems = problems
        # (mapping id, key) pairs for which a misspelt key was already reported: saying also
        # "missing required key 'status'" after "unknown key 'stauts' (did you mean 'status'?)" is noise.
        self._misspelt: set[tuple[int, str]] = set()

    def error(self, line: int, message: str) -> None:
        self.problems.append(ConfigProblem(self.name, line, message))

    def say(self, line: int, where: str, message: str) -> None:
        """Record ``where: message`` (or just ``message`` at the top level)."""
        self.error(line, f"{where}: {message}" if where else message)

    # -- structure ---------------------------------------------------------------------------------

    def keys(self, m: LineDict, where: str, allowed: Sequence[str]) -> None:
        """Unknown keys are errors: a typo must not silently drop a rule."""
        for key in m:
            if key not in allowed:
                close = closest(key, allowed)
                if close is not None:
                    self._misspelt.add((id(m), close))
                    hint = f" (did you mean {close!r}?)"
                else:
                    hint = f" (expected one of: {', '.join(allowed)})"
                self.say(m.line_of(key), where, f"unknown key {key!r}{hint}")

    def misspelt(self, m: LineDict, key: str) -> bool:
        """True when an unknown key of ``m`` was already reported as a likely typo of ``key``."""
        return (id(m), key) in self._misspelt

    def missing(self, m: LineDict, key: str, where: str) -> None:
        """Report a required key that is absent, or present with nothing after the colon."""
        if self.misspelt(m, key):
            return
        if key in m:
            self.say(m.line_of(key), join(where, key), "must not be empty")
        else:
            self.say(m.line, where, f"missing required key {key!r}")

    def mapping(self, m: LineDict, key: str, where: str, *, required: bool = False) -> LineDict | None:
        """The child mapping ``m[key]``; an empty section counts as absent."""
        value = m.get(key)
        path = join(where, key)
        if value is None:
            if required and key in m:
                self.say(m.line_of(key), path, "must not be empty")
            return None
        if not isinstance(value, LineDict):
            self.say(m.line_of(key), path, f"expected a mapping (key: value), got {show(value)}")
            return None
        return value

    def sequence(self, m: LineDict, key: str, where: str) -> LineList | None:
        """The child list ``m[key]``; an empty section counts as absent."""
        value = m.get(key)
        if value is None:
            return None
        if not isinstance(value, LineList):
            hint = f" (write it as a list: [{value}])" if isinstance(value, str) else ""
            self.say(m.line_of(key), join(where, key), f"expected a list, got {show(value)}{hint}")
            return None
        return value

    # -- scalars ----------------------------------------------------------------------------------

    def text(self, m: LineDict, key: str, where: str, *, required: bool = False) -> str | None:
        """A non-empty text; numbers are refused so ``version: 2026.10`` cannot become ``2026.1``."""
        value = m.get(key)
        path = join(where, key)
        if value is None:
            if required:
                self.missing(m, key, where)
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.say(m.line_of(key), path, f"expected text, got {show(value)} (put it in quotes)")
            return None
        if not isinstance(value, str) or not value.strip():
            self.say(m.line_of(key), path, f"expected a non-empty text, got {show(value)}")
            return None
        return value.strip()

    def choice(
        self, m: LineDict, key: str, where: str, choices: Sequence[str], default: str | None
    ) -> str | None:
        """One of ``choices``; ``default`` when absent (``None`` default means required)."""
        value = m.get(key)
        path = join(where, key)
        if value is None:
            if default is None:
                self.missing(m, key, where)
            return default
        if value not in choices:
            hint = suggest(value, choices)
            self.say(m.line_of(key), path, f"{show(value)} is not one of {', '.join(choices)}{hint}")
            return None
        return str(value)

    def date(self, m: LineDict, key: str, where: str, *, required: bool = False) -> date | None:
        """An ISO date ``YYYY-MM-DD`` (YAML timestamps are kept as text so we can check them here)."""
        value = m.get(key)
        path = join(where, key)
        if value is None:
            if required:
                self.missing(m, key, where)
            return None
        if isinstance(value, str) and _DATE_RE.fullmatch(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.say(m.line_of(key), path, f"{show(value)} is not a date (expected YYYY-MM-DD)")
        return None

    def number(
        self, m: LineDict, key: str, where: str, default: float, *, low: float, high: float, low_open: bool
    ) -> float | None:
        """A number within bounds (``low`` excluded when ``low_open``); ``default`` when absent."""
        value = m.get(key)
        if value is None:
            return default
        bound = f"greater than {low:g} and at most {high:g}" if low_open else f"from {low:g} to {high:g}"
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or value > high or value < low or (low_open and value == low):
            self.say(m.line_of(key), join(where, key), f"expected a number {bound}, got {show(value)}")
            return None
        return float(value)

    def texts(self, m: LineDict, key: str, where: str, *, required: bool = False) -> tuple[str, ...] | None:
        """A list of non-empty texts (``None`` when absent or wrong, after reporting)."""
        items = self.text_items(m, key, where, required=required)
        return None if items is None else tuple(text for text, _ in items)

    def text_items(
        self, m: LineDict, key: str, where: str, *, required: bool = False
    ) -> list[tuple[str, int]] | None:
        """Like :meth:`texts`, with each text's line, for checks that report on one item."""
        if m.get(key) is None:
            if required:
                self.missing(m, key, where)
            return None
        items = self.sequence(m, key, where)
        if items is None:
            return None
        path = join(where, key)
        result: list[tuple[str, int]] = []
        for index, item in enumerate(items):
            if isinstance(item, str) and item.strip():
                result.append((item.strip(), items.line_of(index)))
            else:
                self.say(
                    items.line_of(index), join(path, index), f"expected a non-empty text, got {show(item)}"
                )
        if required and not items:
            self.say(items.line, path, "must not be empty")
        return result
