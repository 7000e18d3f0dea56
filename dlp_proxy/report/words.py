"""French counts for the report: « 1 requête », « 2 requêtes », « 0 incident », « 1 234 incidents ».

In French, 0 and 1 take the singular. Numbers get the narrow no-break space as thousands separator.
"""

from __future__ import annotations


def number(value: int) -> str:
    """``1234`` → ``1 234`` (narrow no-break space)."""
    return f"{value:,}".replace(",", "\u202f")


def plural(count: int, singular: str, many: str | None = None) -> str:
    """The word alone, agreeing with ``count`` (``many`` defaults to ``singular + "s"``, word by word:
    « requête bloquée » → « requêtes bloquées »)."""
    if -2 < count < 2:
        return singular
    return many if many is not None else " ".join(w + "s" for w in singular.split(" "))


def counted(count: int, singular: str, many: str | None = None) -> str:
    """« 1 requête bloquée », « 3 requêtes bloquées »."""
    return f"{number(count)} {plural(count, singular, many)}"
