"""YAML read as the organiser typed it: plain strings, lists and mappings, with lines.

PyYAML's SafeLoader follows YAML 1.1: unquoted ``00:25:00`` becomes the sexagesimal
integer 1500, ``2026-04-12T09:30:00+02:00`` a datetime, ``NO`` a boolean. An event
file must not change meaning with quoting, so the text is only composed (never
constructed): every scalar is kept as its text (only an unquoted empty value, ``~``
or ``null`` becomes None) and validation converts it afterwards. Each path
remembers the line it was written on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from edge.errors import InvalidInput, Problem

Path = tuple[str | int, ...]
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
MAX_VALUES = 100_000
"""Aliases can make a short text expand enormously ("billion laughs"); an event is far smaller."""


def format_path(path: Path) -> str:
    """Render a path as ``races[0].waves[1].start``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass
class YamlDocument:
    """A YAML document as plain values, the 1-based line of every path, and its problems."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor present in the document."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


class _TooLarge(Exception):
    """Raised inside the walk when the document expands beyond MAX_VALUES."""


class _CountingLoader(yaml.SafeLoader):
    """SafeLoader that stops composing past MAX_VALUES nodes: the tree is never built whole."""

    nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self.nodes += 1
        if self.nodes > MAX_VALUES:
            raise _TooLarge
        return super().compose_node(parent, index)


def _compose(text: str) -> yaml.Node | None:
    loader = _CountingLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def load_yaml(text: str, source: str, what: str = "YAML file") -> YamlDocument:
    """Parse one YAML document; a syntax error raises InvalidInput, other problems are kept.

    Duplicate keys, non-text keys and self-referencing aliases are left in
    ``problems`` so the caller can report them together with its own findings.
    Pure Python and CPU-bound: async callers run it in a thread.
    """
    message = f"{source} is not a valid {what}"
    too_large = f"the file expands to more than {MAX_VALUES} values (check its aliases)"
    try:
        node = _compose(text)
    except _TooLarge:
        raise InvalidInput([Problem("", too_large)], message) from None
    except yaml.MarkedYAMLError as error:
        raise InvalidInput([_syntax_problem(error)], message) from None
    except yaml.YAMLError as error:
        raise InvalidInput([Problem("", f"YAML error: {error}")], message) from None
    except RecursionError:
        # PyYAML composes recursively: absurd nesting would otherwise crash the caller.
        raise InvalidInput([Problem("", "the YAML is nested too deeply")], message) from None
    document = YamlDocument(data=None)
    if node is None:
        return document
    try:
        document.data = _Walker(document).plain(node, ())
    except _TooLarge:
        raise InvalidInput([Problem("", too_large)], message) from None
    return document


def _syntax_problem(error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or str(error)
    # PyYAML splits some messages in two ("expected a single document" / "but found another").
    if problem.startswith("but ") and error.context:
        problem = f"{error.context} {problem}"
    reason = f"YAML syntax error: {problem}"
    if mark is None:
        return Problem("", reason)
    reason += f" (column {mark.column + 1})"
    # PyYAML notices an unclosed [ or " only lines later; the opening line is where to look.
    start, context = error.context_mark, error.context
    if start is not None and context and start.line != mark.line and context not in problem:
        reason += f"; see line {start.line + 1} ({context})"
    return Problem("", reason, mark.line + 1)


class _Walker:
    """Turns composed nodes into plain values, recording lines and structural problems."""

    def __init__(self, document: YamlDocument) -> None:
        self.document = document
        self.count = 0
        self.open: set[int] = set()  # ids of the collections being walked, to catch cycles

    def fail(self, path: Path, reason: str, node: yaml.Node) -> None:
        """Record a problem at ``path`` on the line of ``node``."""
        line = node.start_mark.line + 1
        self.document.problems.append(Problem(format_path(path), reason, line))

    def plain(self, node: yaml.Node, path: Path) -> Any:
        """The plain value of ``node`` found at ``path``."""
        self.count += 1
        if self.count > MAX_VALUES:
            raise _TooLarge
        self.document.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _NULL and node.style is None:
                return None
            return str(node.value)
        if id(node) in self.open:
            self.fail(path, "an alias refers to the block that contains it", node)
            return None
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.plain(item, (*path, i)) for i, item in enumerate(node.value)]
            return self.mapping(node, path)
        finally:
            self.open.discard(id(node))

    def mapping(self, node: yaml.Node, path: Path) -> dict[str, Any]:
        """A mapping's fields; ``<<: *anchor`` merges fields not written explicitly."""
        result: dict[str, Any] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(path, "a field name must be plain text", key_node)
                continue
            key = str(key_node.value)
            if key in result:
                self.fail((*path, key), "appears twice in the same block", key_node)
                continue
            # A key's own line, so a missing or bad value points at where it was typed
            # (setdefault: a merged mapping walked later must not move an explicit key).
            self.document.lines.setdefault((*path, key), key_node.start_mark.line + 1)
            result[key] = self.plain(value_node, (*path, key))
        # Explicit fields were read first, so a merged value never overrides them.
        for merge in merges:
            sources = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    self.fail(path, "'<<' must refer to a mapping (e.g. <<: *defaults)", source)
                    continue
                merged = self.plain(source, path)
                for key, value in (merged or {}).items():
                    result.setdefault(key, value)
        return result
