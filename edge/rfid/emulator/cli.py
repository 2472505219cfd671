"""Command line of the emulator (``python -m edge.rfid.emulator``, ``chrono-edge simulate-reader``).

Example: a reader whose clock starts in 2000, 200 runners finishing over ten minutes,
which drops the connection after 500 reports:

    python -m edge.rfid.emulator --scenario race --runners 200 --clock-year 2000 \\
        --drop-after 500

The lap line of a criterium (40 riders, 10 laps of about 100 s), a relay's handover
line (20 teams of 3) and the first transition mat of a triathlon:

    python -m edge.rfid.emulator --scenario laps --runners 40 --laps 10 --lap-time 100
    python -m edge.rfid.emulator --scenario relay --teams 20 --legs 3 --leg-time 720
    python -m edge.rfid.emulator --scenario triathlon --runners 100 --point T1_IN

docs/examples/README.md plays each example event of docs/examples this way.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from edge.rfid.emulator.capabilities import ReaderProfile
from edge.rfid.emulator.errors import InvalidScenario
from edge.rfid.emulator.faults import Faults
from edge.rfid.emulator.laps import LapsScenario
from edge.rfid.emulator.race import RaceScenario
from edge.rfid.emulator.relay import RelayScenario
from edge.rfid.emulator.scenarios import BurstScenario, Scenario
from edge.rfid.emulator.server import LLRP_PORT, serve_emulator
from edge.rfid.emulator.timeline import offset_for_year
from edge.rfid.emulator.triathlon import TriathlonScenario

SCENARIOS: dict[str, Callable[..., Scenario]] = {
    "race": RaceScenario,
    "burst": BurstScenario,
    "laps": LapsScenario,
    "relay": RelayScenario,
    "triathlon": TriathlonScenario,
}
OPTIONS: dict[str, dict[str, str]] = {
    "race": {
        "runners": "runners", "first_finish": "first_finish_s", "spread": "spread_s",
        "waves": "waves", "wave_gap": "wave_gap_s",
    },
    "burst": {"tags": "tags", "duration": "duration_s", "rate": "reads_per_s"},
    "laps": {
        "runners": "runners", "laps": "laps", "lap_time": "lap_time_s",
        "time_limit": "time_limit_s", "start": "start_s", "waves": "waves",
        "wave_gap": "wave_gap_s", "bounces": "bounce_share", "bounce_after": "bounce_s",
        "dropouts": "dropout_share",
    },
    "relay": {
        "teams": "teams", "legs": "legs", "leg_time": "leg_time_s", "start": "start_s",
        "zone_reads": "zone_share", "dropouts": "dropout_share",
    },
    "triathlon": {
        "point": "point", "runners": "runners", "segment_times": "segment_s", "start": "start_s",
        "waves": "waves", "wave_gap": "wave_gap_s", "misses": "miss_share",
        "dropouts": "dropout_share",
    },
}  # fmt: skip
"""Per scenario, each option it takes (argparse dest) and the scenario field it sets.
An option left out keeps the scenario's own default; one given to a scenario that does
not take it is refused."""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the emulator."""
    parser = argparse.ArgumentParser(
        prog="chrono-edge simulate-reader",
        description="Run an emulated Impinj LLRP reader that plays a race to any LLRP client.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=LLRP_PORT, help="TCP port (LLRP: 5084)")
    parser.add_argument("--scenario", choices=tuple(SCENARIOS), default="race")
    parser.add_argument("--antennas", type=int, default=4, help="antennas that see tags (1..n)")
    parser.add_argument("--seed", type=int, default=2026, help="same seed, same reads")
    field = parser.add_argument_group("the field (race, laps, relay, triathlon)")
    field.add_argument("--runners", type=int, help="people (race 200, laps 50, triathlon 100)")
    field.add_argument("--waves", type=int, help="waves of consecutive bibs (1)")
    field.add_argument("--wave-gap", type=float, help="between wave starts, s (0)")
    field.add_argument("--start", type=float, help="gun after the reader starts, s (0; not race)")
    field.add_argument("--dropouts", type=float, help="share who stop early (not race)")
    race = parser.add_argument_group("race")
    race.add_argument("--first-finish", type=float, help="leader's time, s (5)")
    race.add_argument("--spread", type=float, help="last runner after leader, s (600)")
    burst = parser.add_argument_group("burst")
    burst.add_argument("--tags", type=int, help="tags in the field at once (500)")
    burst.add_argument("--duration", type=float, help="burst length, s (2)")
    burst.add_argument("--rate", type=float, help="reads per second, reader (1100)")
    laps = parser.add_argument_group("laps: one lap line, crossed lap after lap")
    laps.add_argument("--laps", type=int, help="laps to ride, the most anyone does (10)")
    laps.add_argument("--lap-time", type=float, help="mean lap, s (90)")
    laps.add_argument("--time-limit", type=float, help="timed race: stop past this, s")
    laps.add_argument("--bounces", type=float, help="share of crossings bounced (0.03)")
    laps.add_argument(
        "--bounce-after", type=_seconds_list, metavar="S,S", help="bounce this long after, s (4,12)"
    )
    relay = parser.add_argument_group("relay: bibs team×10+leg, handovers on the mat")
    relay.add_argument("--teams", type=int, help="teams (20)")
    relay.add_argument("--legs", type=int, help="legs per team, 1 to 9 (3)")
    relay.add_argument("--leg-time", type=float, help="mean leg, s (720)")
    relay.add_argument("--zone-reads", type=float, help="share of next runners read waiting (0.2)")
    tri = parser.add_argument_group("triathlon: one mat of START T1_IN T1_OUT T2_IN T2_OUT FINISH")
    tri.add_argument("--point", help="the mat this reader watches (required)")
    tri.add_argument(
        "--segment-times",
        type=_seconds_list,
        metavar="S,S,S,S,S",
        help="mean SWIM,T1,BIKE,T2,RUN, s (900,120,2100,75,1320)",
    )
    tri.add_argument("--misses", type=float, help="share missed at one transition mat (0.03)")
    clock = parser.add_mutually_exclusive_group()
    clock.add_argument("--clock-year", type=int, help="the reader clock starts on 1 Jan YEAR")
    clock.add_argument("--clock-offset", type=float, default=0.0, help="reader clock − host, s")
    parser.add_argument(
        "--clock-drift-ppm",
        type=float,
        default=0.0,
        help="the reader clock runs this many µs per second fast (negative: slow)",
    )
    faults = parser.add_argument_group("faults (counted in reports on a connection)")
    faults.add_argument("--drop-after", type=int, metavar="N", help="drop the TCP connection")
    faults.add_argument("--silent-after", type=int, metavar="N", help="hang: answer nothing")
    faults.add_argument("--garbage-every", type=int, metavar="N", help="send a garbage frame")
    faults.add_argument(
        "--garbage-kind", choices=("unknown-type", "corrupt-report"), default="unknown-type"
    )
    faults.add_argument("--fault-connections", type=int, default=1, help="connections hit (0: all)")
    parser.add_argument(
        "--sent-log",
        type=Path,
        metavar="FILE",
        help="append every read sent to FILE, one JSON line each (the ground truth of a test)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="log warnings only")
    return parser


def _seconds_list(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not seconds separated by commas") from None


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """Return the scenario the parsed arguments describe (raise InvalidScenario)."""
    taken = OPTIONS[args.scenario]
    for dest in sorted({dest for options in OPTIONS.values() for dest in options} - set(taken)):
        if getattr(args, dest) is not None:
            option = "--" + dest.replace("_", "-")
            raise InvalidScenario(f"{option} does not apply to --scenario {args.scenario}")
    if args.scenario == "triathlon" and args.point is None:
        raise InvalidScenario("--scenario triathlon needs --point, the mat this reader watches")
    given = {name: getattr(args, dest) for dest, name in taken.items()}
    settings = {name: value for name, value in given.items() if value is not None}
    faults = Faults(
        drop_after_reports=args.drop_after,
        silent_after_reports=args.silent_after,
        garbage_every_reports=args.garbage_every,
        garbage_kind=args.garbage_kind,
        connections=args.fault_connections,
    )
    antennas = tuple(range(1, args.antennas + 1))
    scenario = SCENARIOS[args.scenario]
    return scenario(antennas=antennas, seed=args.seed, faults=faults, **settings)


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until interrupted; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 1 <= args.antennas <= 32:
        parser.error("--antennas must be between 1 and 32")
    try:
        scenario = scenario_from_args(args)
    except InvalidScenario as err:
        parser.error(err.message)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.clock_year is not None:
        offset_us = offset_for_year(args.clock_year)
    else:
        offset_us = round(args.clock_offset * 1_000_000)
    profile = ReaderProfile(antennas=max(4, args.antennas))
    try:
        asyncio.run(
            serve_emulator(
                args.host,
                args.port,
                scenario,
                clock_offset_us=offset_us,
                profile=profile,
                clock_drift_ppm=args.clock_drift_ppm,
                sent_log=args.sent_log,
            )
        )
    except KeyboardInterrupt:
        return 0
    except OSError as err:
        print(f"cannot listen on {args.host}:{args.port}: {err}", file=sys.stderr)
        return 1
    return 0
