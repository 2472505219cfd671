"""JSON files the box writes: each carries a schema version, older ones are migrated on read.

A document kind names its current version and, for each older version, the
function that upgrades a document of that version to the next one (the way
numbered database migrations work). A file without ``"schema"`` is version 1.
A file that is not a JSON object (a torn write from before the atomic writer, a
hand edit gone wrong) is moved aside as ``<name>.corrupt-<time>`` with a warning
naming it, and reads as absent: the box carries on instead of crashing.
reader.json is stricter on purpose (a bad one is refused with every problem
named, ``edge.roleconfig``) and does not go through here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from edge.store.files import DEFAULT_MODE, create_atomic, move_aside, write_atomic

log = logging.getLogger(__name__)

SCHEMA_KEY = "schema"

Migration = Callable[[dict[str, Any]], dict[str, Any]]
"""Upgrades a document of version n to version n + 1 (``schema`` is set by the caller)."""


class NewerDocument(ValueError):
    """The file was written by a newer ChronoEdge than this one."""


@dataclass(frozen=True)
class DocumentKind:
    """A kind of JSON file: its name in logs, current version and migrations."""

    name: str
    version: int = 1
    migrations: Mapping[int, Migration] = field(default_factory=dict)

    def upgrade(self, raw: dict[str, Any]) -> dict[str, Any]:
        """``raw`` brought to the current version by the migrations from its own."""
        version = raw.get(SCHEMA_KEY, 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValueError(f"{self.name}: schema {version!r} is not a version number")
        if version > self.version:
            raise NewerDocument(f"{self.name}: schema {version} is newer than {self.version}")
        while version < self.version:
            raw = {**self.migrations[version](raw), SCHEMA_KEY: version + 1}
            version += 1
        return raw


def read_document(path: Path, kind: DocumentKind) -> dict[str, Any] | None:
    """The document at ``path`` at the current version; None if missing or set aside."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        return kind.upgrade(raw)
    except NewerDocument:
        raise  # a downgrade: keep the file for the release that understands it
    except (UnicodeDecodeError, ValueError) as error:
        set_aside(path, kind, str(error))
        return None


def write_document(
    path: Path,
    kind: DocumentKind,
    body: Mapping[str, Any],
    mode: int = DEFAULT_MODE,
    *,
    exclusive: bool = False,
) -> None:
    """Write ``body`` at the current version, atomically (``edge.store.files``).

    ``exclusive``: only if the file does not exist yet (else FileExistsError).
    """
    text = json.dumps({SCHEMA_KEY: kind.version, **body}, separators=(",", ":")) + "\n"
    if exclusive:
        create_atomic(path, text, mode)
    else:
        write_atomic(path, text, mode)


def set_aside(path: Path, kind: DocumentKind, reason: str) -> Path:
    """Move a corrupt file out of the way, keeping it for a look; its new path."""
    moved = move_aside(path, f"corrupt-{datetime.now():%Y%m%dT%H%M%S.%f}")
    log.warning("%s at %s is corrupt (%s): moved aside to %s", kind.name, path, reason, moved)
    return moved
