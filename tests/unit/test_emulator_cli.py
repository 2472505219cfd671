"""The emulator's command line: each scenario's options, and clear refusals."""

from __future__ import annotations

import pytest

from edge.rfid.emulator import (
    BurstScenario,
    LapsScenario,
    RaceScenario,
    RelayScenario,
    TriathlonScenario,
    main,
)
from edge.rfid.emulator.cli import build_parser, scenario_from_args


def scenario(*argv: str) -> object:
    return scenario_from_args(build_parser().parse_args(list(argv)))


def test_defaults_play_the_scenarios_defaults() -> None:
    assert scenario() == RaceScenario()
    assert scenario("--scenario", "burst") == BurstScenario()
    assert scenario("--scenario", "laps") == LapsScenario()
    assert scenario("--scenario", "relay") == RelayScenario()
    assert scenario("--scenario", "triathlon", "--point", "FINISH") == TriathlonScenario()


def test_new_scenarios_take_their_options() -> None:
    laps = scenario(
        *("--scenario", "laps", "--runners", "40", "--laps", "12", "--lap-time", "95.5"),
        *("--time-limit", "3600", "--bounces", "0.1", "--bounce-after", "5,9"),
        *("--dropouts", "0", "--start", "4"),
        *("--waves", "2", "--wave-gap", "60", "--antennas", "2", "--seed", "9"),
    )
    assert laps == LapsScenario(
        runners=40, laps=12, lap_time_s=95.5, time_limit_s=3600, bounce_share=0.1,
        bounce_s=(5, 9), dropout_share=0, start_s=4, waves=2, wave_gap_s=60, antennas=(1, 2),
        seed=9,
    )  # fmt: skip
    relay = scenario(
        *("--scenario", "relay", "--teams", "8", "--legs", "4", "--leg-time", "300"),
        *("--zone-reads", "0.5", "--dropouts", "0.2", "--start", "1"),
    )
    assert relay == RelayScenario(
        teams=8, legs=4, leg_time_s=300, zone_share=0.5, dropout_share=0.2, start_s=1
    )
    tri = scenario(
        *("--scenario", "triathlon", "--point", "T2_OUT", "--runners", "30"),
        *("--segment-times", "600,60,1800,30,1200", "--misses", "0.1"),
    )
    assert tri == TriathlonScenario(
        point="T2_OUT", runners=30, segment_s=(600, 60, 1800, 30, 1200), miss_share=0.1
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--scenario", "triathlon"], "--scenario triathlon needs --point, the mat this reader"),
        (["--scenario", "triathlon", "--point", "T3"], "unknown mat 'T3'; the course has START"),
        (["--scenario", "laps", "--laps", "0"], "a lap race has at least one lap"),
        (["--scenario", "laps", "--lap-time", "-1"], "the lap time and the time limit must be"),
        (["--scenario", "race", "--point", "FINISH"], "--point does not apply to --scenario race"),
        (["--scenario", "relay", "--laps", "3"], "--laps does not apply to --scenario relay"),
        (["--scenario", "burst", "--runners", "3"], "--runners does not apply to --scenario burst"),
        (["--scenario", "relay", "--legs", "12"], "a relay has 1 to 9 legs"),
        (
            ["--scenario", "triathlon", "--point", "START", "--segment-times", "9,x"],
            "argument --segment-times: '9,x' is not seconds separated by commas",
        ),
        (
            ["--scenario", "triathlon", "--point", "START", "--segment-times", "9,9"],
            "give 5 positive segment times, for SWIM, T1, BIKE, T2, RUN",
        ),
        (["--scenario", "laps", "--dropouts", "2"], "the share of dropouts is between 0 and 1"),
        (
            ["--scenario", "laps", "--bounce-after", "5"],
            "a bounce comes between two positive times after a crossing",
        ),
        (
            ["--scenario", "laps", "--lap-time", "20"],
            "bounces come 4 to 12 s after a crossing, within half a lap: laps must be longer",
        ),
    ],
)
def test_bad_options_are_refused_before_listening(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        # An address that cannot be bound: a regression fails at once instead of serving.
        main(["--host", "256.0.0.1", *argv])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
