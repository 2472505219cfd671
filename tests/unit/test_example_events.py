"""The example events of docs/examples match what the emulator plays for them."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from pathlib import Path

import pytest

from edge.imports.eventfile import parse_event_file
from edge.rfid.emulator import (
    LapsScenario,
    RelayScenario,
    TriathlonScenario,
    epc_for_bib,
    relay_bib,
)
from edge.rfid.emulator.cli import build_parser, scenario_from_args
from edge.rfid.emulator.crossings import CrossingScenario, wave_of
from scripts import example_event

EXAMPLES = example_event.EXAMPLES
NOW = dt.datetime(2026, 12, 3, 23, 50, 7, tzinfo=dt.UTC)


def entrants(example: str) -> dict[int, dict[str, str]]:
    with (EXAMPLES / f"{example}-entrants.csv").open(encoding="utf-8") as file:
        return {int(row["bib"]): row for row in csv.DictReader(file)}


def played(example: str, point: str = "FINISH") -> CrossingScenario:
    args = build_parser().parse_args(example_event.emulator_args(example, point))
    scenario = scenario_from_args(args)
    assert isinstance(scenario, CrossingScenario)
    return scenario


@pytest.mark.parametrize("example", list(example_event.EMULATED))
def test_each_example_is_a_valid_event_today_with_its_waves_gaps_kept(example: str) -> None:
    text = (EXAMPLES / f"{example}.yaml").read_text(encoding="utf-8")
    before = parse_event_file(text)
    after = parse_event_file(example_event.started_now(text, NOW))
    assert after.races[0].format is before.races[0].format
    starts = [w.start_us for w in before.races[0].waves]
    moved = [w.start_us for w in after.races[0].waves]
    assert moved[0] == int(NOW.timestamp()) * 1_000_000
    assert [s - starts[0] for s in starts] == [m - moved[0] for m in moved]
    assert after.date in (NOW.date(), NOW.date() + dt.timedelta(days=1))  # its offset's day


@pytest.mark.parametrize("example", list(example_event.EMULATED))
def test_every_tag_the_emulator_plays_is_an_entrant_of_the_example(example: str) -> None:
    rows = entrants(example)
    assert all(row["tag"] == epc_for_bib(bib).hex() for bib, row in rows.items())
    for point in example_event.EMULATED[example]:
        bibs = {crossing.bib for crossing in played(example, point).crossings()}
        assert bibs <= set(rows)
        assert len(bibs) >= 0.8 * len(rows)  # dropouts and misses aside, everyone plays


def test_the_lap_examples_play_laps_that_min_lap_keeps_and_bounces_it_rejects() -> None:
    for example, min_lap_s in (("laps", 60), ("timed", 180)):
        race = played(example)
        assert isinstance(race, LapsScenario)
        by_bib: dict[int, list[int]] = {}
        for crossing in race.crossings():
            if crossing.label.startswith("lap "):
                by_bib.setdefault(crossing.bib, []).append(crossing.offset_us)
        laps = [b - a for offsets in by_bib.values() for a, b in itertools.pairwise([0, *offsets])]
        assert min(laps) > min_lap_s * 1_000_000 > race.bounce_s[1] * 1_000_000
    assert played("laps").laps == 10  # the criterium's laps: 10


def test_relay_entrants_are_the_emulators_teams_and_legs() -> None:
    relay = played("relay")
    assert isinstance(relay, RelayScenario)
    rows = entrants("relay")
    teams = {row["team"] for row in rows.values()}
    assert len(teams) == relay.teams
    for team in range(1, relay.teams + 1):
        legs = [rows[relay_bib(team, leg)] for leg in range(1, relay.legs + 1)]
        assert [row["leg"] for row in legs] == ["L1", "L2", "L3"]
        assert len({row["team"] for row in legs}) == 1


def test_triathlon_entrants_are_in_the_wave_the_emulators_start_them_in() -> None:
    tri = played("triathlon")
    assert isinstance(tri, TriathlonScenario)
    rows = entrants("triathlon")
    assert len(rows) == tri.runners
    for bib, row in rows.items():
        assert row["wave"] == f"W{wave_of(bib - 1, tri.runners, tri.waves) + 1}"


def test_example_event_writes_a_folder_to_play(tmp_path: Path) -> None:
    example_event.main("triathlon", tmp_path)
    args = {p.name for p in tmp_path.glob("emulator-*.args")}
    assert args == {f"emulator-{point}.args" for point in example_event.EMULATED["triathlon"]}
    lines = (tmp_path / "emulator-T1_IN.args").read_text(encoding="utf-8").splitlines()
    assert lines == example_event.emulator_args("triathlon", "T1_IN")
    assert parse_event_file((tmp_path / "event.yaml").read_text(encoding="utf-8")).slug == (
        "triathlon-du-lac-2026"
    )
    assert (tmp_path / "entrants.csv").read_bytes() == (
        EXAMPLES / "triathlon-entrants.csv"
    ).read_bytes()
