"""Command line of the emulator (``python -m edge.rfid.emulator``, ``chrono-edge simulate-reader``).

Example: a reader whose clock starts in 2000, 200 runners finishing over ten minutes,
which drops the connection after 500 reports:

    python -m edge.rfid.emulator --scenario race --runners 200 --clock-year 2000 \\
        --drop-after 500
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from edge.rfid.emulator.capabilities import ReaderProfile
from edge.rfid.emulator.errors import InvalidScenario
from edge.rfid.emulator.faults import Faults
from edge.rfid.emulator.race import RaceScenario
from edge.rfid.emulator.scenarios import BurstScenario, Scenario
from edge.rfid.emulator.server import LLRP_PORT, serve_emulator
from edge.rfid.emulator.timeline import offset_for_year


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the emulator."""
    parser = argparse.ArgumentParser(
        prog="chrono-edge simulate-reader",
        description="Run an emulated Impinj LLRP reader that plays a race to any LLRP client.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=LLRP_PORT, help="TCP port (LLRP: 5084)")
    parser.add_argument("--scenario", choices=("race", "burst"), default="race")
    parser.add_argument("--antennas", type=int, default=4, help="antennas that see tags (1..n)")
    parser.add_argument("--seed", type=int, default=2026, help="same seed, same reads")
    race = parser.add_argument_group("race")
    race.add_argument("--runners", type=int, default=200)
    race.add_argument("--first-finish", type=float, default=5.0, help="leader's time, s")
    race.add_argument("--spread", type=float, default=600.0, help="last runner after leader, s")
    race.add_argument("--waves", type=int, default=1, help="waves of consecutive bibs")
    race.add_argument("--wave-gap", type=float, default=0.0, help="between wave starts, s")
    burst = parser.add_argument_group("burst")
    burst.add_argument("--tags", type=int, default=500, help="tags in the field at once")
    burst.add_argument("--duration", type=float, default=2.0, help="burst length, s")
    burst.add_argument("--rate", type=float, default=1100.0, help="reads per second, reader")
    clock = parser.add_mutually_exclusive_group()
    clock.add_argument("--clock-year", type=int, help="the reader clock starts on 1 Jan YEAR")
    clock.add_argument("--clock-offset", type=float, default=0.0, help="reader clock − host, s")
    faults = parser.add_argument_group("faults (counted in reports on a connection)")
    faults.add_argument("--drop-after", type=int, metavar="N", help="drop the TCP connection")
    faults.add_argument("--silent-after", type=int, metavar="N", help="hang: answer nothing")
    faults.add_argument("--garbage-every", type=int, metavar="N", help="send a garbage frame")
    faults.add_argument(
        "--garbage-kind", choices=("unknown-type", "corrupt-report"), default="unknown-type"
    )
    faults.add_argument("--fault-connections", type=int, default=1, help="connections hit (0: all)")
    parser.add_argument("-q", "--quiet", action="store_true", help="log warnings only")
    return parser


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """Return the scenario the parsed arguments describe (raise InvalidScenario)."""
    faults = Faults(
        drop_after_reports=args.drop_after,
        silent_after_reports=args.silent_after,
        garbage_every_reports=args.garbage_every,
        garbage_kind=args.garbage_kind,
        connections=args.fault_connections,
    )
    antennas = tuple(range(1, args.antennas + 1))
    if args.scenario == "burst":
        return BurstScenario(
            tags=args.tags,
            duration_s=args.duration,
            reads_per_s=args.rate,
            antennas=antennas,
            seed=args.seed,
            faults=faults,
        )
    return RaceScenario(
        runners=args.runners,
        first_finish_s=args.first_finish,
        spread_s=args.spread,
        waves=args.waves,
        wave_gap_s=args.wave_gap,
        antennas=antennas,
        seed=args.seed,
        faults=faults,
    )


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
                args.host, args.port, scenario, clock_offset_us=offset_us, profile=profile
            )
        )
    except KeyboardInterrupt:
        return 0
    except OSError as err:
        print(f"cannot listen on {args.host}:{args.port}: {err}", file=sys.stderr)
        return 1
    return 0
