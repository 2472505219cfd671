"""YAML read as the organiser typed it: plain strings, lists and mappings, with lines.

PyYAML's SafeLoader follows YAML 1.1: unquoted ``00:25:00`` becomes the sexagesimal
integer 1500, ``2026-04-12T09:30:00+02:00`` a datetime, ``NO`` a boolean. An event
file must not change meaning with quoting, so every scalar is kept as its text
(only an unquoted empty value, ``~`` or ``null`` becomes None) and validation
converts it afterwards. Each path remembers the line it was written on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from edge.errors import InvalidInput, Problem

Path = tuple[str | int, ...]
_NULL = "tag:yaml.org,2002:null"


def format_path(path: Path) -> str:
    """Render a path as ``races[0].waves[1].start``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass
class YamlDocument:
    """A YAML document as plain values, and the 1-based line of every path in it."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor present in the document."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


def load_yaml(text: str, source: str) -> YamlDocument:
    """Parse one YAML document; a syntax error or duplicate key raises InvalidInput."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = f"YAML syntax error: {error.problem or error}"
        if mark is not None:
            reason += f" (column {mark.column + 1})"
        raise InvalidInput([Problem("", reason, line)], f"{source} is not valid YAML") from None
    except yaml.YAMLError as error:
        raise InvalidInput(
            [Problem("", f"YAML error: {error}")], f"{source} is not valid YAML"
        ) from None
    document = YamlDocument(data=None)
    problems: list[Problem] = []
    if node is not None:
        document.data = _plain(node, (), document, problems)
    if problems:
        raise InvalidInput(problems, f"{source} is not a valid event file")
    return document


def _plain(node: yaml.Node, path: Path, document: YamlDocument, problems: list[Problem]) -> Any:
    document.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in mapping:
                problems.append(
                    Problem(
                        format_path((*path, key)),
                        "appears twice in the same block",
                        key_node.start_mark.line + 1,
                    )
                )
                continue
            # A key's own line, so a missing or bad value points at where it was typed.
            document.lines[(*path, key)] = key_node.start_mark.line + 1
            mapping[key] = _plain(value_node, (*path, key), document, problems)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, (*path, i), document, problems) for i, item in enumerate(node.value)]
    if node.tag == _NULL and getattr(node, "style", None) is None:
        return None
    return str(node.value)
