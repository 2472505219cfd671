"""Hand-computed cases of the relay rules (issue 19)."""

from __future__ import annotations

import dataclasses

import pytest

from edge.errors import InvalidInput
from edge.timing.course import relay_on_course
from edge.timing.export import relay_columns, relay_rows
from edge.timing.model import EntrantInfo, PassingInfo, RaceFormat, RaceSpec
from edge.timing.model import Status as St
from edge.timing.relay import compute_relay

S = 1_000_000
MIN = 60 * S
GUN = 1_776_000_000 * S


def relay(**changes: object) -> RaceSpec:
    """Three legs handing over at FINISH, 5 min minimum leg, 2 h cutoff."""
    spec = RaceSpec(
        code="RELAY",
        timing="chip",
        min_time_us=0,
        cutoff_us=120 * MIN,
        start_points=frozenset({"START"}),
        finish_points=frozenset({"FINISH"}),
        split_points=(),
        waves={"A": GUN},
        first_wave="A",
        format=RaceFormat.RELAY,
        legs=("L1", "L2", "L3"),
        min_leg_us=5 * MIN,
    )
    return dataclasses.replace(spec, **changes)  # type: ignore[arg-type]


def runner(bib: str, team: str, leg: str, **more: object) -> EntrantInfo:
    return EntrantInfo(bib=bib, team=team, leg=leg, **more)  # type: ignore[arg-type]


TEAMS = [
    runner("11", "Gazelles", "L1"),
    runner("12", "Gazelles", "L2"),
    runner("13", "Gazelles", "L3"),
    runner("21", "Lièvres", "L1"),
    runner("22", "Lièvres", "L2"),
    runner("23", "Lièvres", "L3"),
]


def at(bib: str, minutes: float, point: str = "FINISH") -> PassingInfo:
    return PassingInfo(bib, point, GUN + round(minutes * MIN))


def test_legs_run_from_handover_to_handover_and_teams_rank_by_total() -> None:
    passings = [
        at("11", 20), at("12", 41), at("13", 60.5),
        at("21", 19), at("22", 2),  # 22 read while waiting in the zone: before its leg
        at("22", 40), at("23", 61),
    ]  # fmt: skip
    gazelles, lievres = compute_relay(relay(), TEAMS, passings)
    assert (gazelles.team, gazelles.rank, gazelles.total_us) == ("Gazelles", 1, 60.5 * MIN)
    assert [leg.time_us for leg in gazelles.legs] == [20 * MIN, 21 * MIN, 19.5 * MIN]
    assert [leg.time_us for leg in lievres.legs] == [19 * MIN, 21 * MIN, 21 * MIN]
    assert [leg.rank for leg in gazelles.legs] == [2, 1, 1]
    assert [leg.rank for leg in lievres.legs] == [1, 1, 2]


def test_a_crossing_sooner_than_min_leg_after_the_leg_began_is_ignored() -> None:
    # 12 crosses 3 min after taking over (a warm-up across the line), then at 41.
    passings = [at("11", 20), at("12", 23), at("12", 41), at("13", 60)]
    (team,) = compute_relay(relay(), TEAMS[:3], passings)
    assert [leg.end_us for leg in team.legs] == [GUN + 20 * MIN, GUN + 41 * MIN, GUN + 60 * MIN]


def test_a_missing_handover_leaves_the_team_dnf_from_that_leg_on() -> None:
    passings = [at("11", 20), at("13", 60)]  # 12 never read: 13's crossing cannot be placed
    (team,) = compute_relay(relay(), TEAMS[:3], passings)
    assert team.status is St.DNF
    assert [leg.time_us for leg in team.legs] == [20 * MIN, None, None]
    assert team.total_us is None
    assert team.rank is None
    row = relay_rows([team])[0]
    assert row["rank"] is None
    assert row["total_time"] is None
    assert (row["leg_L1"], row["leg_L2_bib"], row["leg_L3"]) == ("0:20:00.0", "12", None)


def test_relay_sheet_columns_and_row() -> None:
    passings = [at("11", 20.01234), at("12", 41), at("13", 60.5)]
    teams = compute_relay(relay(), TEAMS[:3], passings)
    assert relay_columns(relay()) == [
        "rank", "team", "status", "total_time",
        "leg_L1_bib", "leg_L1", "leg_L1_rank",
        "leg_L2_bib", "leg_L2", "leg_L2_rank",
        "leg_L3_bib", "leg_L3", "leg_L3_rank",
    ]  # fmt: skip
    row = relay_rows(teams)[0]
    assert row["total_time"] == "1:00:30.0"
    assert (row["leg_L1"], row["leg_L2"]) == ("0:20:00.7", "0:20:59.2")  # tenths truncated


def test_unseen_team_is_dns_and_open_race_shows_dnf_as_on_course() -> None:
    passings = [at("11", 20)]
    teams = {t.team: t for t in compute_relay(relay(), TEAMS, passings)}
    assert teams["Gazelles"].status is St.DNF
    assert teams["Lièvres"].status is St.DNS
    marked = {t.team: t for t in relay_on_course(relay(), teams.values(), GUN + 30 * MIN)}
    assert marked["Gazelles"].status is St.ONC
    assert marked["Lièvres"].status is St.DNS


def test_a_disqualified_runner_disqualifies_the_team() -> None:
    people = [TEAMS[0], dataclasses.replace(TEAMS[1], manual_status="DSQ"), TEAMS[2]]
    (team,) = compute_relay(relay(), people, [at("11", 20), at("12", 41), at("13", 60)])
    assert team.status is St.DSQ
    assert team.rank is None


def test_the_team_starts_with_its_first_legs_wave() -> None:
    spec = relay(waves={"A": GUN, "B": GUN + 10 * MIN})
    people = [runner("11", "G", "L1", wave="B"), runner("12", "G", "L2"), runner("13", "G", "L3")]
    passings = [at("11", 30), at("12", 50), at("13", 70)]
    (team,) = compute_relay(spec, people, passings)
    assert team.total_us == 60 * MIN
    assert team.legs[0].time_us == 20 * MIN


@pytest.mark.parametrize(
    ("person", "reason"),
    [
        (EntrantInfo(bib="9", leg="L1"), "has no team"),
        (runner("9", "Gazelles", ""), "has no leg"),
        (runner("9", "Gazelles", "L4"), "is not a leg of race RELAY"),
        (runner("9", "Gazelles", "L2"), "already has bib 12 on leg L2"),
    ],
)
def test_runners_that_fit_no_leg_are_refused(person: EntrantInfo, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        compute_relay(relay(), [*TEAMS, person], [])
    assert any(reason in p.reason and p.where == "bib 9" for p in caught.value.problems)
