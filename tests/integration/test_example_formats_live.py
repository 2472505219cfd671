"""The example events of docs/examples, played live: emulator → sllurp → reader service → export.

Each example is loaded with its own entrants, its waves started now (as
``scripts/example_event.py`` does) and its durations shrunk so that it plays in half a
minute: laps and legs of some 9 s instead of minutes, ``min_lap``, ``min_leg``,
``duration`` and ``min_time`` shrunk alike (the rules do not depend on the scale).
The emulator plays each mat with the example's own arguments plus the shrinking ones,
through a real ``ReaderService`` (sllurp over TCP) into the box's SQLite file, which
makes passings live. The export is checked against the scenario's truth, put on the
box's clock by the offset of each mat's first stored read: lap counts and lap times
(bounces rejected), the hour's laps (the lap in progress at the end not counted),
the relay's legs and team order, the triathlon's segments (emptied around a missed mat).
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import itertools
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from edge.imports.eventfile import parse_event_file
from edge.rfid.emulator import BackgroundEmulator, Crossing
from edge.rfid.emulator.cli import build_parser, scenario_from_args
from edge.rfid.emulator.crossings import CrossingScenario
from edge.rfid.emulator.relay import leg_label, relay_bib
from edge.rfid.emulator.triathlon import COURSE, SEGMENTS, TriathlonScenario
from scripts.example_event import EMULATED, EXAMPLES, emulator_args, started_now
from tests.integration.test_reader_service import chrono, reader_config, reader_service, rows, until

pytestmark = pytest.mark.integration

US = 1_000_000
CLOSE_US = 300_000  # a passing within 0.15 s of the crossing, then tenths truncated
TWO_ANTENNAS = ["--antennas", "2"]  # half the reads of four: the same rules, less CPU


@dataclass
class Played:
    """An example played to a box: its database, scenarios, and the truth on the box's clock."""

    db: Path
    slug: str
    wave_start_us: int
    scenarios: dict[str, CrossingScenario]
    zero_us: dict[str, int]  # per mat: the box time of the scenario's offset 0

    def at(self, point: str, crossing: Crossing) -> int:
        """The box time of a true crossing of ``point``."""
        return self.zero_us[point] + crossing.offset_us

    async def export(self, race: str) -> list[dict[str, str]]:
        """``chrono-edge results export --format csv`` of ``race``."""
        export = ("results", "export", "--event", self.slug, "--race", race, "--format", "csv")
        text = await edge_cli(self.db, *export)
        return list(csv.DictReader(io.StringIO(text)))


async def play(
    tmp_path: Path,
    emulate: Callable[..., BackgroundEmulator],
    example: str,
    rewrites: dict[str, str],
    options: str,
    **fields: Any,
) -> Played:
    """Load ``example`` shrunk by ``rewrites``, play every mat through a reader service.

    ``options`` are emulator options added to the example's own; ``fields`` set scenario
    fields the command line does not reach.
    """
    text = (EXAMPLES / f"{example}.yaml").read_text(encoding="utf-8")
    for old, new in rewrites.items():
        assert old in text, f"{example}.yaml no longer has {old!r}"
        text = text.replace(old, new)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    event = tmp_path / "event.yaml"
    event.write_text(started_now(text, now), encoding="utf-8")
    slug = parse_event_file(event.read_text(encoding="utf-8")).slug
    db = tmp_path / "edge.db"
    await edge_cli(db, "event", "load", str(event))
    entrants = EXAMPLES / f"{example}-entrants.csv"
    await edge_cli(db, "entrants", "import", str(entrants), "--event", slug)
    scenarios = {}
    for point in EMULATED[example]:
        more = [*options.split(), *TWO_ANTENNAS]
        args = build_parser().parse_args([*emulator_args(example, point), *more])
        scenario = scenario_from_args(args)
        assert isinstance(scenario, CrossingScenario)
        scenarios[point] = replace(scenario, **fields)
    reads = sum(len(list(s.reads())) for s in scenarios.values())
    crossings = sum(len(s.crossings()) for s in scenarios.values())
    last_s = max(c.offset_us for s in scenarios.values() for c in s.crossings()) / US
    async with AsyncExitStack() as stack:
        for point, scenario in scenarios.items():
            emulator = emulate(scenario)
            reader = reader_config(emulator.port, antennas=[1, 2])
            await stack.enter_async_context(reader_service(db, reader, slug=slug, point=point))
        await until(lambda: count(db, "tag_read") == reads, f"{reads} reads", last_s + 20)
        await until(lambda: count(db, "passing") == crossings, f"{crossings} passings", 10)
    zero_us = {point: first_read_zero(db, point, s) for point, s in scenarios.items()}
    return Played(db, slug, int(now.timestamp()) * US, scenarios, zero_us)


async def edge_cli(db: Path, *args: str) -> str:
    """``chrono-edge --db DB ARGS`` (it runs its own event loop: in a thread of its own)."""
    return await asyncio.to_thread(chrono, db, *args)


def count(db: Path, table: str) -> int:
    return int(rows(db, f"select count(*) from {table}")[0][0])


def first_read_zero(db: Path, point: str, scenario: CrossingScenario) -> int:
    """The box time of the scenario's offset 0 at ``point``: its first read, stored and sent."""
    ((first_us,),) = rows(
        db,
        "select min(corrected_time_us) from tag_read r join timing_point p on p.id = r.point_id"
        " where p.code = ?",
        point,
    )
    return int(first_us) - min(read.offset_us for read in scenario.reads())


def duration_us(cell: str) -> int:
    """``H:MM:SS.t`` in microseconds."""
    hours, minutes, seconds = cell.split(":")
    return round((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * US)


def assert_close(cell: str, truth_us: int, what: str) -> None:
    assert cell, f"{what}: empty, expected {truth_us / US:.2f} s"
    assert abs(duration_us(cell) - truth_us) <= CLOSE_US, f"{what}: {cell} vs {truth_us / US} s"


def assert_ranked(finishers: list[dict[str, str]], key: Callable[[dict[str, str]], Any]) -> None:
    """Finishers come first, ranked 1..n in the order of ``key`` (ties share a rank)."""
    assert [key(r) for r in finishers] == sorted(key(r) for r in finishers)
    ranks = [int(r["rank"]) for r in finishers]
    assert ranks[:1] == [1]
    assert ranks == sorted(ranks)


def lap_times(played: Played, point: str = "FINISH") -> dict[int, list[int]]:
    """Per bib, the box times of its real lap crossings (bounces left out), in order."""
    laps: dict[int, list[int]] = {}
    for crossing in played.scenarios[point].crossings():
        if crossing.label.startswith("lap "):
            laps.setdefault(crossing.bib, []).append(played.at(point, crossing))
    return laps


async def test_the_criterium_counts_each_lap_once_and_never_a_bounce(
    tmp_path: Path, emulate: Callable[..., BackgroundEmulator]
) -> None:
    played = await play(
        tmp_path,
        emulate,
        "laps",
        {"laps: 10": "laps: 3", 'min_lap: "00:01:00"': 'min_lap: "00:00:06"'},
        "--runners 12 --laps 3 --lap-time 9 --dropouts 0.25 --bounces 0.3 --bounce-after 3.5,4",
        pace_spread=0.05,
    )
    truth = lap_times(played)
    labels = [c.label for c in played.scenarios["FINISH"].crossings()]
    assert any(label.startswith("bounce") for label in labels)  # the race has bounces...
    assert any(len(laps) < 3 for laps in truth.values())  # ...and dropouts
    rows_ = await played.export("CRIT")
    by_bib = {int(r["bib"]): r for r in rows_}
    for bib, laps in truth.items():
        row = by_bib[bib]
        assert row["laps"] == str(len(laps))  # a bounce added no lap
        for n, (begin, end) in enumerate(itertools.pairwise([played.wave_start_us, *laps]), 1):
            assert_close(row[f"lap_{n}"], end - begin, f"bib {bib} lap {n}")
        assert all(row[f"lap_{n}"] == "" for n in range(len(laps) + 1, 4))
        if len(laps) == 3:
            assert row["status"] == "FIN"
            assert_close(row["gun_time"], laps[-1] - played.wave_start_us, f"bib {bib}")
        else:  # still out while the race is open (cutoff 40 min): not ranked
            assert (row["status"], row["rank"]) == ("ONC", "")
    assert all(by_bib[bib]["laps"] == "0" for bib in by_bib.keys() - truth.keys())
    finishers = [r for r in rows_ if r["status"] == "FIN"]
    assert len(finishers) == sum(len(laps) == 3 for laps in truth.values())
    assert_ranked(finishers, lambda r: duration_us(r["gun_time"]))


async def test_the_hour_counts_laps_until_its_end_and_ranks_by_laps_then_time(
    tmp_path: Path, emulate: Callable[..., BackgroundEmulator]
) -> None:
    played = await play(
        tmp_path,
        emulate,
        "timed",
        {
            'duration: "01:00:00"': 'duration: "00:00:30"',
            'min_lap: "00:03:00"': 'min_lap: "00:00:06"',
        },
        "--runners 12 --laps 99 --lap-time 9 --time-limit 30 --dropouts 0.25"
        " --bounces 0.3 --bounce-after 3.5,4",
        pace_spread=0.05,
    )
    end_us = played.wave_start_us + 30 * US
    by_bib = {int(r["bib"]): r for r in await played.export("1H")}
    past_the_end = 0
    for bib, laps in lap_times(played).items():
        row = by_bib[bib]
        sure = sum(t < end_us - CLOSE_US for t in laps)
        either = sum(abs(t - end_us) <= CLOSE_US for t in laps)  # too close to the end to tell
        assert sure <= int(row["laps"]) <= sure + either, f"bib {bib}: {row['laps']} laps"
        assert row["distance_m"] == str(int(row["laps"]) * 1250)
        assert row["status"] == ("FIN" if int(row["laps"]) else "DNF")
        past_the_end += laps[-1] > end_us + CLOSE_US
    assert past_the_end >= 6  # the laps in progress at the end were ridden, and not counted
    finishers = [r for r in by_bib.values() if r["status"] == "FIN"]
    finishers.sort(key=lambda r: int(r["rank"]))
    assert_ranked(finishers, lambda r: (-int(r["laps"]), duration_us(r["gun_time"])))


async def test_the_relay_times_each_leg_from_handover_to_handover(
    tmp_path: Path, emulate: Callable[..., BackgroundEmulator]
) -> None:
    played = await play(
        tmp_path,
        emulate,
        "relay",
        {'min_leg: "00:05:00"': 'min_leg: "00:00:05"'},
        "--teams 8 --leg-time 9 --zone-reads 0.5 --dropouts 0.25",
        zone_s=(2.0, 4.0),
        pace_spread=0.05,
    )
    crossings = played.scenarios["FINISH"].crossings()
    assert any(c.label.startswith("zone") for c in crossings)  # runners read while waiting
    ends = {(c.bib // 10, c.label): played.at("FINISH", c) for c in crossings}
    with (EXAMPLES / "relay-entrants.csv").open(encoding="utf-8") as file:
        team_of = {int(r["bib"]) // 10: r["team"] for r in csv.DictReader(file)}
    by_team = {r["team"]: r for r in await played.export("RELAY")}
    finished = 0
    for team in range(1, 9):
        row = by_team[team_of[team]]
        began = played.wave_start_us
        for leg in (1, 2, 3):
            end = ends.get((team, leg_label(leg)))
            if end is None:
                assert (row[f"leg_L{leg}"], row["rank"], row["total_time"]) == ("", "", "")
                continue
            assert row[f"leg_L{leg}_bib"] == str(relay_bib(team, leg))
            assert_close(row[f"leg_L{leg}"], end - began, f"team {team} leg {leg}")
            began = end
        if (team, leg_label(3)) in ends:
            finished += 1
            assert row["status"] == "FIN"
            assert_close(row["total_time"], began - played.wave_start_us, f"team {team}")
    assert 0 < finished < 8  # some teams lost a runner
    finishers = [r for r in by_team.values() if r["status"] == "FIN"]
    finishers.sort(key=lambda r: int(r["rank"]))
    assert len(finishers) == finished
    assert_ranked(finishers, lambda r: duration_us(r["total_time"]))


async def test_the_triathlon_times_segments_across_six_mats_and_empties_them_round_a_miss(
    tmp_path: Path, emulate: Callable[..., BackgroundEmulator]
) -> None:
    w1, w2 = '"2026-07-05T09:00:00+02:00"', '"2026-07-05T09:05:00+02:00"'
    played = await play(
        tmp_path,
        emulate,
        "triathlon",
        {'min_time: "00:40:00"': 'min_time: "00:00:10"', f"start: {w2}": f"start: {w1}"},
        "--runners 12 --waves 1 --segment-times 5,3,7,3,5 --misses 0.3 --dropouts 0.1",
        start_spread_s=2.0,
    )
    athletes = played.scenarios["FINISH"]
    assert isinstance(athletes, TriathlonScenario)
    by_bib = {int(r["bib"]): r for r in await played.export("TRI")}
    missed = 0
    for athlete in athletes.athletes():
        row = by_bib[athlete.bib]
        seen = {
            point: played.zero_us[point] + offset
            for point, offset in athlete.passed_us.items()
            if point != athlete.unread_at
        }
        missed += athlete.unread_at is not None
        for index, segment in enumerate(SEGMENTS):
            begin, end = COURSE[index], COURSE[index + 1]
            if begin in seen and end in seen:
                assert_close(row[f"seg_{segment}"], seen[end] - seen[begin], f"{athlete.bib}")
            else:
                assert row[f"seg_{segment}"] == "", f"bib {athlete.bib} {segment}"
        if "FINISH" in seen:
            assert row["status"] == "FIN"
            assert_close(row["chip_time"], seen["FINISH"] - seen["START"], f"bib {athlete.bib}")
        else:
            assert row["rank"] == ""
    assert missed >= 2  # tags missed at a transition mat, whose segments stay empty
    finishers = [r for r in by_bib.values() if r["status"] == "FIN"]
    finishers.sort(key=lambda r: int(r["rank"]))
    assert_ranked(finishers, lambda r: duration_us(r["chip_time"]))
