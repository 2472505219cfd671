"""Check-in reads, stored with plain sqlite3 by the reader service (``edge.domain.checkin``).

A read of a chip whose latest check-in pass ended less than ``PASS_GAP_US`` before it
belongs to that pass (``last_us`` and ``read_count`` move on); any other read opens a
new pass. A batch is worked out in memory first, so a chip gets one INSERT or UPDATE
per batch however many times it was read (each one an outbox row, migration 0010), all
in one BEGIN IMMEDIATE transaction: a committed batch is stored whole, and replaying
it adds nothing (a read within a stored pass is already counted).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from edge.clock import now_us
from edge.ids import new_id
from edge.store.reads import ReadIn, write_transaction

PASS_GAP_US = 10_000_000
"""A chip unseen for this long and read again is checked again (the runner came back)."""

_LATEST = (
    "SELECT id, antenna, first_us, last_us, read_count FROM checkin"
    " WHERE event_id = ? AND epc = ? ORDER BY first_us DESC LIMIT 1"
)
_INSERT = (
    "INSERT INTO checkin (id, event_id, device_id, epc, antenna, first_us, last_us, read_count,"
    " created_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_EXTEND = "UPDATE checkin SET last_us = ?, read_count = ? WHERE id = ?"


@dataclass
class _Pass:
    id: str
    antenna: int
    first_us: int
    last_us: int
    read_count: int
    stored: bool  # already a row (UPDATE) or new (INSERT)
    changed: bool = False


def record_checkins(
    connection: sqlite3.Connection,
    event_id: str,
    reads: Iterable[ReadIn],
    *,
    device_id: str = "",
    gap_us: int = PASS_GAP_US,
) -> int:
    """Store check-in reads in one transaction; return how many new passes they opened."""
    by_chip: defaultdict[str, list[ReadIn]] = defaultdict(list)
    for read in reads:
        by_chip[read.epc].append(read)
    created = now_us()
    opened = 0
    with write_transaction(connection):
        for epc, chip_reads in by_chip.items():
            passes: list[_Pass] = []
            row = connection.execute(_LATEST, (event_id, epc)).fetchone()
            if row is not None:
                pass_id, antenna, first_us, last_us, count = row
                passes.append(_Pass(pass_id, antenna, first_us, last_us, count, stored=True))
            for read in sorted(chip_reads, key=lambda r: r.corrected_time_us):
                at = read.corrected_time_us
                current = passes[-1] if passes else None
                if current is not None and current.first_us <= at <= current.last_us:
                    continue  # a read of this pass stored already (a replayed batch)
                if current is not None and current.last_us < at <= current.last_us + gap_us:
                    current.last_us, current.read_count = at, current.read_count + 1
                    current.changed = True
                    continue
                passes.append(_Pass(new_id(), read.antenna, at, at, 1, stored=False))
            for found in passes:
                if not found.stored:
                    opened += 1
                    connection.execute(
                        _INSERT,
                        (found.id, event_id, device_id, epc, found.antenna, found.first_us,
                         found.last_us, found.read_count, created),
                    )  # fmt: skip
                elif found.changed:
                    connection.execute(_EXTEND, (found.last_us, found.read_count, found.id))
    return opened
