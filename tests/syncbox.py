"""Boxes for sync tests: real SQLite files loaded with the demo event, reads recorded raw."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from edge.cli import cli
from edge.store import migrate
from edge.store.reads import ReadIn, connect, record_reads

ROOT = Path(__file__).resolve().parents[1]
EVENT_FILE = ROOT / "docs/examples/spring-10k.yaml"
SLUG = "spring-10k-2026"
W1_US = 1_775_979_000_000_000  # 2026-04-12T09:30:00+02:00, wave W1's start


def load_box(path: Path) -> Path:
    """Migrate ``path`` and load the demo event into it, as an operator would."""
    migrate.upgrade(path)
    result = CliRunner().invoke(cli, ["--db", str(path), "event", "load", str(EVENT_FILE)])
    assert result.exit_code == 0, result.output
    return path


def crossing(epc: str, peak_us: int, antenna: int = 1) -> list[ReadIn]:
    """A tag's pass over a mat: reads every 50 ms for ±0.5 s around ``peak_us``."""
    times = [(step, peak_us + step * 50_000) for step in range(-10, 11)]
    return [ReadIn(epc, antenna, -50 - 8 * (step / 10) ** 2, t, t) for step, t in times]


def record(path: Path, code: str, reads: list[ReadIn], device_id: str) -> int:
    """Store raw reads at point ``code`` the way the reader process does; return how many new."""
    with closing(connect(path)) as connection:
        event_id, point_id = connection.execute(
            "SELECT e.id, p.id FROM timing_point p JOIN event e ON e.id = p.event_id"
            " WHERE e.slug = ? AND p.code = ?",
            (SLUG, code),
        ).fetchone()
        return record_reads(connection, event_id, point_id, reads, device_id=device_id)


def query(path: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    """Rows of a read-only query."""
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(sql, args).fetchall()


def read_keys(path: Path) -> list[tuple[object, ...]]:
    """Every stored read as (point, epc, antenna, reader_time_us), duplicates kept, sorted."""
    return sorted(
        query(
            path,
            "SELECT p.code, r.epc, r.antenna, r.reader_time_us FROM tag_read r"
            " JOIN timing_point p ON p.id = r.point_id",
        )
    )


def passings(path: Path) -> list[tuple[object, ...]]:
    """Every passing as (point, epc, bib, time_us, method, status), duplicates kept, sorted."""
    return sorted(
        query(
            path,
            "SELECT p.code, x.epc, x.bib, x.time_us, x.method, x.status FROM passing x"
            " JOIN timing_point p ON p.id = x.point_id",
        ),
        key=repr,
    )
