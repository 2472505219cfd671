"""The invariants: what the emulators sent against what the boxes and central hold.

A read is (point, EPC, antenna, reader_time_us), the key the box stores it under. For
each box: the reads its emulator sent (``--sent-log``), those on the box, on the MASTER
(a SLAVE's, forwarded) and on central. A read sent but not on its box is "not received"
when the reader could not have had it: it was sent on a connection a fault cut (the
reader killed, the box's power cut) after the last read of that connection the box
committed - it was in the socket or the reader's memory when the process died. Any
other missing read is lost; a key held twice anywhere is doubled.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

Key = tuple[str, str, int, int]  # point, EPC, antenna, reader_time_us
CUT_WINDOW_US = 15_000_000  # a connection ending this soon after a reader kill was cut by it


@dataclass(frozen=True)
class Sent:
    """One read the emulator wrote to a connection."""

    key: Key
    conn: int
    at_us: int


@dataclass
class GroundTruth:
    """What one emulator logged."""

    reads: list[Sent] = field(default_factory=list)
    closed_us: dict[int, int] = field(default_factory=dict)  # connection -> when it ended
    missed: int = 0  # played while no reader was connected
    zero_us: int | None = None  # the scenario's start on the reader's clock


def ground_truth(path: Path, point: str) -> GroundTruth:
    """Parse an emulator's ``--sent-log`` (edge/rfid/emulator/sentlog.py)."""
    truth = GroundTruth()
    for line in path.read_text(encoding="ascii").splitlines():
        entry = json.loads(line)
        if entry["kind"] == "read":
            key = (point, entry["epc"], entry["antenna"], entry["reader_time_us"])
            truth.reads.append(Sent(key, entry["conn"], entry["at_us"]))
        elif entry["kind"] == "close":
            truth.closed_us[entry["conn"]] = entry["at_us"]
        elif entry["kind"] == "missed":
            truth.missed += entry["count"]
        elif entry["kind"] == "start":
            truth.zero_us = entry["reader_time_us"]
    return truth


def box_reads(db: Path) -> Counter[Key]:
    """Every read a box's database holds, by key (duplicates counted)."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        rows = connection.execute(
            "SELECT p.code, r.epc, r.antenna, r.reader_time_us FROM tag_read r"
            " JOIN timing_point p ON p.id = r.point_id"
        ).fetchall()
    return Counter((str(p), str(e), int(a), int(t)) for p, e, a, t in rows)


def central_reads(url: str) -> Counter[Key]:
    """Every read central holds (its replicated ``tag_read`` changes), by key."""
    sql = "SELECT payload FROM device_change WHERE table_name = 'tag_read'"
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with closing(sqlite3.connect(f"file:{parsed.database}?mode=ro", uri=True)) as connection:
            payloads = [row[0] for row in connection.execute(sql)]
    else:
        payloads = asyncio.run(_postgres_rows(url, sql))
    found: Counter[Key] = Counter()
    for payload in payloads:
        p = json.loads(payload) if isinstance(payload, str) else payload
        found[(p["point"], p["epc"], p["antenna"], p["reader_time_us"])] += 1
    return found


async def _postgres_rows(url: str, sql: str) -> list[object]:
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        return [row[0] for row in await connection.fetch(sql)]
    finally:
        await connection.close()


@dataclass
class Tally:
    """One box's line of the table."""

    box: str
    sent: int = 0
    received: int = 0  # sent and on the box
    on_master: int = 0  # of those, on the MASTER (the MASTER's own: all)
    on_central: int = 0
    not_received: int = 0  # in flight when a fault cut the reader
    missed: int = 0  # played while no reader was connected
    zero_us: int | None = None  # the scenario's start on the reader's clock (never sent)
    lost: int = 0
    doubled: int = 0
    strays: int = 0  # held somewhere but never sent: a read made up
    examples: list[str] = field(default_factory=list)
    absent: set[Key] = field(default_factory=set)  # the not-received reads' keys

    @property
    def failed(self) -> bool:
        return bool(self.lost or self.doubled or self.strays)


def tally(
    box: str,
    point: str,
    truth: GroundTruth,
    kills_us: list[int],
    on_box: Counter[Key],
    on_master: Counter[Key],
    on_central: Counter[Key],
) -> Tally:
    """Compare one box's ground truth with what its box, the MASTER and central hold.

    ``kills_us``: when the rig killed this box's reader (alone or in a power cut).
    """
    line = Tally(box, sent=len(truth.reads), missed=truth.missed)
    places = (("box", on_box), ("MASTER", on_master), ("central", on_central))
    mine = [
        (name, Counter({k: n for k, n in held.items() if k[0] == point})) for name, held in places
    ]
    last_stored: dict[int, int] = {}
    for sent in truth.reads:
        if sent.key in on_box:
            last_stored[sent.conn] = max(last_stored.get(sent.conn, 0), sent.at_us)
    cut = {conn for conn, closed in truth.closed_us.items()
           if any(0 <= closed - kill <= CUT_WINDOW_US for kill in kills_us)}  # fmt: skip
    sent_keys = Counter(sent.key for sent in truth.reads)
    for sent in truth.reads:
        if sent.key in on_box:
            line.received += 1
            line.on_master += sent.key in on_master
            line.on_central += sent.key in on_central
            for name, held in mine[1:]:
                if sent.key not in held:
                    line.lost += 1
                    _example(line, f"on the box, not on {name}: {sent.key}")
        elif sent.conn in cut and sent.at_us > last_stored.get(sent.conn, 0):
            line.not_received += 1
            line.absent.add(sent.key)
        else:
            line.lost += 1
            _example(line, f"sent on connection {sent.conn}, not on the box: {sent.key}")
    for name, held in mine:
        for key, count in held.items():
            if count > 1:
                line.doubled += count - 1
                _example(line, f"{count} times on {name}: {key}")
            if key not in sent_keys:
                line.strays += 1
                _example(line, f"on {name}, never sent: {key}")
    return line


def _example(line: Tally, text: str) -> None:
    if len(line.examples) < 5:
        line.examples.append(text)


PassingKey = tuple[str, str, str, int, str, str]  # point, EPC, bib, time_us, method, status


def box_passings(db: Path) -> Counter[PassingKey]:
    """Every passing a box computed (duplicates counted)."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        rows = connection.execute(
            "SELECT p.code, x.epc, x.bib, x.time_us, x.method, x.status FROM passing x"
            " JOIN timing_point p ON p.id = x.point_id"
        ).fetchall()
    return Counter(_passing_key(*row) for row in rows)


def central_passings(url: str) -> Counter[PassingKey]:
    """The passings central holds: every box's replicated passing changes, folded in order."""
    sql = (
        "SELECT device_id, row_id, op, payload FROM device_change"
        " WHERE table_name = 'passing' ORDER BY device_id, seq"
    )
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with closing(sqlite3.connect(f"file:{parsed.database}?mode=ro", uri=True)) as connection:
            rows = connection.execute(sql).fetchall()
    else:
        rows = asyncio.run(_postgres_records(url, sql))
    held: dict[tuple[str, str], dict[str, object]] = {}
    for device, row_id, op, payload in rows:
        if op == "delete":
            held.pop((device, row_id), None)
        else:
            held[(device, row_id)] = json.loads(payload) if isinstance(payload, str) else payload
    return Counter(
        _passing_key(p["point"], p["epc"], p["bib"], p["time_us"], p["method"], p["status"])
        for p in held.values()
    )


def _passing_key(*fields: object) -> PassingKey:
    point, epc, bib, time_us, method, status = fields
    return (str(point), str(epc or ""), str(bib or ""), int(str(time_us)), str(method), str(status))


async def _postgres_records(url: str, sql: str) -> list[tuple[object, ...]]:
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        return [tuple(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


def passing_differences(name: str, mine: Counter[PassingKey], theirs: Counter[PassingKey],
                        point: str | None = None) -> list[str]:  # fmt: skip
    """What differs between two boxes' (or a box's and central's) passings, at ``point``."""
    if point is not None:
        mine = Counter({k: n for k, n in mine.items() if k[0] == point})
        theirs = Counter({k: n for k, n in theirs.items() if k[0] == point})
    if mine == theirs:
        return []
    only_mine, only_theirs = mine - theirs, theirs - mine
    where = f" at {point}" if point else ""
    return [
        f"passings{where} differ from {name}: {sum(only_mine.values())} only here"
        f" (e.g. {next(iter(only_mine), None)}), {sum(only_theirs.values())} only there"
        f" (e.g. {next(iter(only_theirs), None)})"
    ]
