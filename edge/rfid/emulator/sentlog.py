"""The emulator's ground truth: every tag report it sent, one JSON line each, in a file.

A test that breaks things on purpose (``tests/chaos``) compares what reached the boxes
and central with what the emulated reader really sent. One line per event:

- ``{"kind": "start", "reader_time_us": R}`` the scenario started (its offset 0, on the
  reader's clock: a read's scenario offset is its reader_time_us minus R);
- ``{"kind": "open", "conn": N, "at_us": T}`` a client connected (connection N);
- ``{"kind": "read", "conn": N, "at_us": T, "epc": "HEX", "antenna": A, "reader_time_us": R}``
  one TagReportData written to connection N (the box stores it as the read
  (point, EPC, antenna, reader_time_us));
- ``{"kind": "missed", "conn": N, "count": K}`` the scenario played K reads while no
  client was inventorying (counted when the next inventory starts);
- ``{"kind": "close", "conn": N, "at_us": T}`` connection N ended.

``at_us`` is the host's wall clock (µs). Each line is flushed as written, so a file
read while the emulator runs holds whole lines up to the last report sent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

from edge.rfid.emulator.frames import TagReportEntry
from edge.rfid.emulator.timeline import host_now_us


class SentLog:
    """An append-only JSON-lines file of what the emulator sent."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] = path.open("a", encoding="ascii")

    def started(self, reader_time_us: int) -> None:
        """Write when the scenario started, on the reader's clock."""
        self._write({"kind": "start", "reader_time_us": reader_time_us})

    def opened(self, conn: int) -> None:
        """Write that connection ``conn`` opened."""
        self._write({"kind": "open", "conn": conn, "at_us": host_now_us()})

    def closed(self, conn: int) -> None:
        """Write that connection ``conn`` ended."""
        self._write({"kind": "close", "conn": conn, "at_us": host_now_us()})

    def missed(self, conn: int, count: int) -> None:
        """Write that ``count`` reads were played while no client was inventorying."""
        if count:
            self._write({"kind": "missed", "conn": conn, "count": count})

    def sent(self, conn: int, entries: list[TagReportEntry]) -> None:
        """Write one line per entry of a report written to connection ``conn``."""
        at_us = host_now_us()
        lines = [
            json.dumps(
                {
                    "kind": "read",
                    "conn": conn,
                    "at_us": at_us,
                    "epc": entry.epc.hex().upper(),
                    "antenna": entry.antenna_id,
                    "reader_time_us": entry.first_seen_us,
                }
            )
            for entry in entries
        ]
        self._file.write("".join(line + "\n" for line in lines))
        self._file.flush()

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def _write(self, line: dict[str, object]) -> None:
        self._file.write(json.dumps(line) + "\n")
        self._file.flush()
