"""Clock reports (table ``slave_clock``): a SLAVE's offset to its MASTER, one row per SLAVE.

The MASTER upserts each SLAVE's report as it arrives; a SLAVE upserts its own measurement
in its own database too, for its /setup page. Plain SQL, for the async sessions of the web
process and for raw sqlite3 connections alike.
"""

from __future__ import annotations

from pathlib import Path

from edge.store import reads as raw

UPSERT = (
    "INSERT INTO slave_clock (device_id, point, offset_us, delay_us, samples, measured_us,"
    " received_us) VALUES (:device_id, :point, :offset_us, :delay_us, :samples, :measured_us,"
    " :received_us) ON CONFLICT (device_id) DO UPDATE SET point = excluded.point,"
    " offset_us = excluded.offset_us, delay_us = excluded.delay_us,"
    " samples = excluded.samples, measured_us = excluded.measured_us,"
    " received_us = excluded.received_us"
)


def record_clock(path: Path, values: dict[str, object]) -> None:
    """Upsert one clock report in the database at ``path`` (one write transaction)."""
    connection = raw.connect(path)
    try:
        with raw.write_transaction(connection):
            connection.execute(UPSERT, values)
    finally:
        connection.close()
