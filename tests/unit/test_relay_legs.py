"""The relay leg column of an entrants file: its headers, its values, one runner per team leg."""

from __future__ import annotations

import datetime as dt

import pytest

from edge.imports.entrant_columns import ALIASES
from edge.imports.entrants_csv import EntrantsFile, parse_entrants_csv
from edge.imports.headers import map_headers
from edge.imports.relay_legs import RaceLegs, Runner, team_problems

TODAY = dt.date(2026, 6, 1)
RACES = {"RELAY": ["W1"], "10K": ["W1"]}
LEGS = {"RELAY": ("L1", "L2", "L3")}


def parse(text: str, encoding: str = "utf-8") -> EntrantsFile:
    return parse_entrants_csv(text.encode(encoding), RACES, TODAY, race_legs=LEGS)


def problems(parsed: EntrantsFile) -> list[tuple[int | None, str, str]]:
    return [(p.line, p.where, p.reason) for p in parsed.problems]


@pytest.mark.parametrize(
    "header",
    ["leg", "Leg", "LEG", "relais", "Relais", "RELAIS", "étape", "Étape", "ÉTAPE", "Etape",
     "etape", "Relay leg", "Étape du relais"],
)  # fmt: skip
def test_the_leg_column_is_found_under_its_english_and_french_names(header: str) -> None:
    columns, ignored, header_problems = map_headers(["Dossard", header], ALIASES)
    assert (columns, ignored, header_problems) == ({"bib": 0, "leg": 1}, [], [])


def test_a_french_relay_file_gives_each_runner_its_team_and_leg() -> None:
    parsed = parse(
        "Dossard;Nom;Équipe;Course;Relais\n"
        "101;Durand;Les Fusées;RELAY;L1\n"
        "102;Petit;Les Fusées;relay;l2\n"  # race and leg as typed: case does not matter
        "103;Roux;Les Fusées;Relay; L3 \n"
        "7;Martin;;10K;\n",  # another race: no leg, no team needed
        encoding="cp1252",
    )
    assert parsed.problems == []
    assert [(r.bib, r.race, r.team, r.leg) for r in parsed.rows] == [
        ("101", "RELAY", "Les Fusées", "L1"),
        ("102", "RELAY", "Les Fusées", "L2"),
        ("103", "RELAY", "Les Fusées", "L3"),
        ("7", "10K", "", None),
    ]


def test_a_leg_the_race_lacks_or_a_leg_outside_a_relay_is_refused_with_its_line() -> None:
    parsed = parse(
        "Dossard;Nom;Équipe;Course;Étape\n"
        "101;Durand;Les Fusées;RELAY;L4\n"
        "7;Martin;;10K;L1\n"
        "8;Bernard;;10K;\n"
    )
    assert problems(parsed) == [
        (2, "bib 101", "leg 'L4' is not a leg of race RELAY (L1, L2, L3)"),
        (3, "bib 7", "leg 'L1' given, but race 10K is not a relay: check the race, or leave the "
                     "leg empty"),
    ]  # fmt: skip
    assert [r.bib for r in parsed.rows] == ["8"]


def test_without_relay_races_any_leg_is_refused() -> None:
    parsed = parse_entrants_csv(b"bib;last_name;race;leg\n1;A;10K;L1\n", RACES, TODAY)
    assert [p.reason for p in parsed.problems] == [
        "leg 'L1' given, but race 10K is not a relay: check the race, or leave the leg empty"
    ]


def test_reading_a_leg_tells_what_is_wrong() -> None:
    legs, said = RaceLegs(LEGS), []
    assert legs.read("RELAY", "l3", said.append) == "L3"
    assert legs.read("RELAY", "", said.append) is None
    assert legs.read("10K", "", said.append) is None
    assert said == []
    assert legs.read("RELAY", "4", said.append) is None
    assert said == ["leg '4' is not a leg of race RELAY (L1, L2, L3)"]


def runner(bib: str, team: str, leg: str | None, line: int | None = None) -> Runner:
    return Runner(bib, "RELAY", team, leg, line)


def reasons(changed: list[Runner], others: list[Runner] | None = None) -> list[tuple[object, ...]]:
    found = team_problems(changed, others or [], RaceLegs(LEGS))
    return [(p.line, p.where, p.reason) for p in found]


def test_a_relay_runner_needs_a_team_and_a_leg() -> None:
    assert reasons(
        [runner("1", "", "L1", 2), runner("2", "Fusées", None, 3), runner("3", " ", "", 4)]
    ) == [
        (2, "bib 1", "race RELAY is a relay: the team is required"),
        (3, "bib 2", "race RELAY is a relay: the leg is required (L1, L2, L3)"),
        (4, "bib 3", "race RELAY is a relay: the team is required"),
        (4, "bib 3", "race RELAY is a relay: the leg is required (L1, L2, L3)"),
    ]


def test_two_runners_of_one_team_on_one_leg_are_refused_the_second_named() -> None:
    assert reasons(
        [runner("1", "Fusées", "L1", 2), runner("2", "Fusées", "L2", 3),
         runner("3", " Fusées ", "L1", 4), runner("4", "Comètes", "L1", 5)]
    ) == [(4, "bib 3", "team 'Fusées' already has bib 1 on leg L1 (line 2)")]  # fmt: skip


def test_a_leg_already_run_by_a_stored_team_mate_is_refused() -> None:
    stored = [runner("1", "Fusées", "L1"), runner("9", "Fusées", "L2"),
              Runner("50", "10K", "Fusées", None)]  # fmt: skip
    assert reasons([runner("2", "Fusées", "L1", 2), runner("3", "Fusées", "L3", 3)], stored) == [
        (2, "bib 2", "team 'Fusées' already has bib 1 on leg L1")
    ]


def test_the_same_team_name_in_another_race_or_another_team_on_a_leg_is_fine() -> None:
    legs = RaceLegs({"RELAY": ("L1", "L2"), "KIDS": ("L1", "L2")})
    changed = [runner("1", "Fusées", "L1", 2), Runner("2", "KIDS", "Fusées", "L1", 3),
               runner("3", "fusées", "L1", 4)]  # fmt: skip
    assert team_problems(changed, [], legs) == []  # teams are told apart as the engine does


def test_a_stored_leg_the_race_no_longer_has_is_named() -> None:
    assert reasons([runner("1", "Fusées", "L9")]) == [
        (None, "bib 1", "leg 'L9' is not a leg of race RELAY (L1, L2, L3)")
    ]
