"""YAML loading that remembers line numbers, so validation errors can say ``file:line``.

Mappings load as :class:`LineDict` and sequences as :class:`LineList`; both carry
``line`` (1-based line of the node) and ``key_lines`` / ``item_lines`` for their children.
Scalars load as plain Python values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, ConfigProblem


class LineDict(dict):
    """A dict that knows the line of itself and of each of its keys."""

    line: int = 0
    file: str = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        """Line of ``key`` if present, else the line of the mapping itself."""
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A list that knows the line of itself and of each item."""

    line: int = 0
    file: str = ""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class _LineLoader(yaml.SafeLoader):
    file_name = ""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:  # type: ignore[override]
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.file = self.file_name
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise ConfigError(
                    [ConfigProblem(self.file_name, key_node.start_mark.line + 1, f"duplicate key {key!r}")]
                )
            seen.add(key)
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:  # type: ignore[override]
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.file = self.file_name
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LineLoader.construct_sequence)
# Dates stay strings: validation parses them itself so a bad date gets a precise message.
_LineLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(path: Path, display_name: str | None = None) -> Any:
    """Load one YAML file with line numbers; raise :class:`ConfigError` naming file and line on bad YAML."""
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(name, 0, "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([ConfigProblem(name, 0, f"not valid UTF-8 ({exc.reason})")]) from None
    except OSError as exc:
        raise ConfigError([ConfigProblem(name, 0, f"cannot read file ({exc.strerror})")]) from None
    loader = _LineLoader(text)
    loader.file_name = name
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise ConfigError([ConfigProblem(name, line, f"invalid YAML: {exc.problem or exc}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(name, 0, f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
