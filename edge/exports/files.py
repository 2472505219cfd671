"""Export file names and their writes into the exports folder."""

from __future__ import annotations

import re
from pathlib import Path

from edge.store.files import DEFAULT_MODE, write_atomic

_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")
EXTENSIONS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _part(text: str) -> str:
    # Underscores separate the name's parts, so none may appear inside one.
    return _UNSAFE.sub("-", text).strip("-.") or "x"


def export_name(event_slug: str, race_code: str, kind: str, extension: str) -> str:
    """``<event>_<race>_<kind>.<ext>``, e.g. ``spring-10k-2026_10K_scratch.xlsx``."""
    return f"{_part(event_slug)}_{_part(race_code)}_{_part(kind)}.{extension}"


def is_export_name(name: str) -> bool:
    """Whether ``name`` could be an export file: a plain name with a known extension."""
    if not _NAME.fullmatch(name) or ".." in name:
        return False
    return name.rsplit(".", 1)[-1] in EXTENSIONS


def write_export(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to ``folder/name`` atomically (``edge.store.files``); its path."""
    return write_atomic(folder / name, data, DEFAULT_MODE)
