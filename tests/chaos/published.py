"""Central's published results against the results the ground truth gives, by the same engine.

The truth's results come from a box of their own that never ran: a fresh database with the
rig's event and entrants, into which ``chrono-edge reads import`` puts, per point, every read
its emulator delivered (sent, and not cut in flight by a fault: the "not received" reads
never reached a box, so no box could count them), with the RSSI the scenario gave it. The
import derives the passings as the reader does and ``chrono-edge results export`` ranks
them: the box's own engine. Central's side is the race's document on its public API.

Per bib: the same status; for a finisher, its gun time and its split within
``TOLERANCE_US`` (the 0.15 s of the held-out check, plus the tenth the sheet truncates),
and a rank that only the runners whose times lie within that tolerance of its own can
explain (two runners 0.05 s apart may swap: the box's clock correction is not the truth's).
A split on one side only is accepted when it is within the tolerance of zero: each point
plays its own race, so a runner may cross START and KM5 13 ms apart, and the boxes'
clock corrections can put those two passings in the other order (seed 12, 4 minutes).
"""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
from pathlib import Path
from typing import Any

from edge.clock import parse_duration
from edge.rfid.emulator import RaceScenario
from tests.browser import box_env
from tests.chaos.heldout import TOLERANCE_US as HELD_OUT_US
from tests.chaos.rig import RACE, EventFiles
from tests.chaos.truth import GroundTruth, Key
from tests.e2e.eventlab import edge, nsctl
from tests.e2e.netns import Namespace
from tests.syncbox import SLUG

TOLERANCE_US = HELD_OUT_US + 100_000  # the sheet's times are truncated to the tenth
Row = dict[str, Any]


def delivered_reads(race: RaceScenario, truth: GroundTruth, absent: set[Key]) -> str:
    """The ``epc,antenna,rssi,timestamp_us`` CSV of the reads a box was delivered."""
    zero_us = truth.zero_us or 0
    rssi = {
        (read.epc.hex().upper(), read.antenna_id, zero_us + read.offset_us): read.peak_rssi_dbm
        for read in race.reads()
    }
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["epc", "antenna", "rssi", "timestamp_us"])
    for sent in truth.reads:
        if sent.key not in absent:
            _, epc, antenna, time_us = sent.key
            writer.writerow([epc, antenna, rssi[(epc, antenna, time_us)], time_us])
    return out.getvalue()


def truth_results(folder: Path, event: EventFiles, delivered: dict[str, str]) -> dict[str, Row]:
    """The race's results, by bib, from ``delivered`` (point -> reads CSV) in a fresh box."""
    folder.mkdir(parents=True, exist_ok=True)
    db, env = folder / "edge.db", box_env(folder)
    steps: list[tuple[str, ...]] = [
        ("db", "upgrade"),
        ("event", "load", str(event.event)),
        ("entrants", "import", str(event.entrants), "--event", SLUG),
    ]
    for point, reads in delivered.items():
        path = folder / f"reads-{point}.csv"
        path.write_text(reads, encoding="ascii")
        steps.append(("reads", "import", str(path), "--event", SLUG, "--point", point))
    steps.append(("results", "export", "--event", SLUG, "--race", RACE, "--format", "json"))
    done = None
    for args in steps:
        done = subprocess.run(edge(db, *args), env=env, cwd=folder, capture_output=True,
                              text=True, check=False)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"chrono-edge {' '.join(args[:2])}: {done.stderr.strip()}")
    assert done is not None
    return {str(row["bib"]): row for row in json.loads(done.stdout)}


def published_results(hq: Namespace, central_url: str) -> dict[str, Row] | None:
    """The race's document on central's public API, by bib (None: nothing published yet)."""
    url = f"{central_url}/api/v1/public/events/{SLUG}/results?race={RACE}"
    body = nsctl(hq, "get", url, "--body", "--attempts", "3", "--pause", "0.5", check=False)
    if not body:
        return None
    document = json.loads(body)
    columns = document.get("columns", [])
    rows = [row if isinstance(row, dict) else dict(zip(columns, row, strict=False))
            for row in document.get("rows", [])]  # fmt: skip
    return {str(row["bib"]): row for row in rows}


def _us(cell: object) -> float:
    return parse_duration(str(cell)) if cell not in (None, "") else math.inf


def differences(truth: dict[str, Row], published: dict[str, Row]) -> list[str]:
    """What differs, one line per bib: status, times beyond the tolerance, ranks."""
    found = [
        f"bib {bib}: published, not in the truth's results"
        for bib in published.keys() - truth.keys()
    ]
    found += [
        f"bib {bib}: in the truth's results, not published"
        for bib in truth.keys() - published.keys()
    ]
    times = {bib: (_us(row.get("gun_time")), _us(published.get(bib, {}).get("gun_time")))
             for bib, row in truth.items()}  # fmt: skip
    for bib in sorted(truth.keys() & published.keys(), key=lambda b: (len(b), b)):
        mine, theirs = truth[bib], published[bib]
        if mine["status"] != theirs["status"]:
            found.append(
                f"bib {bib}: status {theirs['status']} published, {mine['status']} from the truth"
            )
            continue
        for column in [c for c in mine if c == "gun_time" or c.startswith("split_")]:
            a, b = _us(mine[column]), _us(theirs.get(column))
            if min(a, b) <= TOLERANCE_US and max(a, b) == math.inf:
                continue  # two passings closer than the tolerance: which came first is unknown
            if (a == math.inf) != (b == math.inf) or (a != math.inf and abs(a - b) > TOLERANCE_US):
                found.append(f"bib {bib}: {column} {theirs.get(column)} published,"
                             f" {mine[column]} from the truth")  # fmt: skip
        if mine["rank"] is None:
            continue
        at = times[bib][0]
        ahead = 1 + sum(max(t) < at - TOLERANCE_US for other, t in times.items() if other != bib)
        behind = 1 + sum(min(t) < at + TOLERANCE_US for other, t in times.items() if other != bib)
        if not ahead <= int(theirs["rank"]) <= behind:
            found.append(
                f"bib {bib}: rank {theirs['rank']} published, {mine['rank']} from the truth"
                f" (runners within {TOLERANCE_US / 1e6:g} s allow {ahead}-{behind})"
            )
    return found
