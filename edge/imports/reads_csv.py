"""Reader logs (``epc,antenna,rssi,timestamp_us``), e.g. recovered after an outage."""

from __future__ import annotations

import re
from dataclasses import dataclass

from edge.errors import InvalidInput, Problem
from edge.imports.csvfile import read_csv_table
from edge.imports.headers import map_headers, normalise_header
from edge.store.reads import ReadIn

ALIASES = {
    normalise_header(alias): field
    for field, names in {
        "epc": ["epc", "tag", "puce"],
        "antenna": ["antenna", "antenne", "antenna id"],
        "rssi": ["rssi", "peak rssi", "rssi dbm"],
        "timestamp_us": ["timestamp_us", "timestamp", "time us"],
    }.items()
    for alias in names
}
_HEX = re.compile(r"^(?:[0-9A-F]{2}){4,32}$")
_INT = re.compile(r"^\d+$")
_FLOAT = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


@dataclass(frozen=True)
class ReadsFile:
    """A parsed reader log: valid reads and every problem."""

    reads: list[ReadIn]
    problems: list[Problem]


def parse_reads_csv(data: bytes) -> ReadsFile:
    """Parse a reader log; the timestamp is µs since the epoch (UTC, box-corrected)."""
    table = read_csv_table(data)
    columns, _ignored, problems = map_headers(table.headers, ALIASES)
    missing = [f for f in ("epc", "antenna", "rssi", "timestamp_us") if f not in columns]
    if missing:
        problems.append(Problem("header", f"missing column(s): {', '.join(missing)}", 1))
    if problems:
        raise InvalidInput(problems, "the reads file's header cannot be used")
    reads: list[ReadIn] = []
    for line, cells in table.rows:
        value = {f: cells[i].strip() if i < len(cells) else "" for f, i in columns.items()}
        epc = re.sub(r"\s+", "", value["epc"]).upper()
        found = []
        if not _HEX.match(epc):
            found.append(f"epc {value['epc']!r} is not 8 to 64 hexadecimal digits")
        if not _INT.match(value["antenna"]) or not 1 <= int(value["antenna"]) <= 65535:
            found.append(f"antenna {value['antenna']!r} is not a number from 1")
        if not _FLOAT.match(value["rssi"]):
            found.append(f"rssi {value['rssi']!r} is not a number of dBm")
        if not _INT.match(value["timestamp_us"]):
            found.append(f"timestamp_us {value['timestamp_us']!r} is not whole microseconds")
        if found:
            problems.extend(Problem(f"epc {epc}" if epc else "epc", r, line) for r in found)
            continue
        time_us = int(value["timestamp_us"])
        reads.append(
            ReadIn(
                epc=epc,
                antenna=int(value["antenna"]),
                rssi_dbm=float(value["rssi"].replace(",", ".")),
                reader_time_us=time_us,
                corrected_time_us=time_us,
            )
        )
    return ReadsFile(reads=reads, problems=problems)
