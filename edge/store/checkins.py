"""Check-in reads, stored with plain sqlite3 by the reader service (``edge.domain.checkin``).

A read of a chip whose latest check-in pass ended less than ``PASS_GAP_US`` before it
belongs to that pass (``last_us`` and ``read_count`` move on); any other read opens a
new pass. Everything happens in one BEGIN IMMEDIATE transaction per batch, so a
committed batch is stored whole, and replaying it adds nothing (a read not after the
pass's ``last_us`` is already counted).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from edge.clock import now_us
from edge.ids import new_id
from edge.store.reads import ReadIn, write_transaction

PASS_GAP_US = 10_000_000
"""A chip unseen for this long and read again is checked again (the runner came back)."""

_LATEST = (
    "SELECT id, first_us, last_us FROM checkin WHERE event_id = ? AND epc = ?"
    " ORDER BY first_us DESC LIMIT 1"
)
_INSERT = (
    "INSERT INTO checkin (id, event_id, device_id, epc, antenna, first_us, last_us, read_count,"
    " created_us) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)"
)
_EXTEND = "UPDATE checkin SET last_us = max(last_us, ?), read_count = read_count + 1 WHERE id = ?"


def record_checkins(
    connection: sqlite3.Connection,
    event_id: str,
    reads: Iterable[ReadIn],
    *,
    device_id: str = "",
    gap_us: int = PASS_GAP_US,
) -> int:
    """Store check-in reads in one transaction; return how many new passes they opened."""
    opened = 0
    created = now_us()
    with write_transaction(connection):
        for read in sorted(reads, key=lambda r: r.corrected_time_us):
            at = read.corrected_time_us
            latest = connection.execute(_LATEST, (event_id, read.epc)).fetchone()
            if latest is not None:
                pass_id, first_us, last_us = latest
                if first_us <= at <= last_us:
                    continue  # a read of this pass stored already (a replayed batch)
                if last_us < at <= last_us + gap_us:
                    connection.execute(_EXTEND, (at, pass_id))
                    continue
            connection.execute(
                _INSERT, (new_id(), event_id, device_id, read.epc, read.antenna, at, at, created)
            )
            opened += 1
    return opened
