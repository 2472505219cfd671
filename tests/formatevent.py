"""An event with one race of each format (laps, timed, relay, segments) started minutes ago.

Pages, screens, the console, certificates and central all read the same sheets, so their
tests share this event: passings made relative to ``start`` are race times.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

SLUG = "formats-day-2026"
MIN = dt.timedelta(minutes=1)

EVENT = """
slug: formats-day-2026
name: "Formats day"
date: DATE
timezone: Europe/Paris
timing_points:
  - {code: START, kind: start, distance_m: 0}
  - {code: T1, kind: split, distance_m: 2000}
  - {code: FINISH, kind: finish, distance_m: 10000}
races:
  - code: CRIT
    name: "Criterium"
    timing: gun
    format: laps
    laps: 3
    min_lap: "00:05:00"
    cutoff: "02:00:00"
    points: [START, FINISH]
    waves: [{code: C, start: "WAVE"}]
  - code: 1H
    name: "One hour"
    timing: gun
    format: timed
    duration: "01:00:00"
    lap_distance_m: 1250
    min_lap: "00:03:00"
    points: [START, FINISH]
    waves: [{code: H, start: "WAVE"}]
  - code: RELAY
    name: "Relay"
    timing: gun
    format: relay
    legs: [L1, L2, L3]
    min_leg: "00:05:00"
    cutoff: "02:00:00"
    points: [START, FINISH]
    waves: [{code: R, start: "WAVE"}]
  - code: DUO
    name: "Duathlon"
    timing: chip
    min_time: "00:20:00"
    cutoff: "02:00:00"
    points: [START, T1, FINISH]
    waves: [{code: D, start: "WAVE"}]
    segments:
      - {code: RUN, from: START, to: T1}
      - {code: BIKE, from: T1, to: FINISH}
"""

ENTRANTS = """bib;last_name;first_name;sex;birth_year;club;team;race;leg
101;Anquetil;Jacques;M;1990;VC Rouen;;CRIT;
102;Longo;Jeannie;F;1988;CC Grenoble;;CRIT;
103;Hinault;Bernard;M;1985;;;CRIT;
201;Paula;Ana;F;1992;AC Lyon;;1H;
202;Gebre;Haile;M;1980;;;1H;
301;Rapide;Léa;F;1995;;Les Fusées;RELAY;L1
302;Vite;Marc;M;1994;;Les Fusées;RELAY;L2
303;Éclair;Zoé;F;1996;;Les Fusées;RELAY;L3
311;Lent;Paul;M;1970;;Team Zèbre;RELAY;L1
312;Calme;Anne;F;1971;;Team Zèbre;RELAY;L2
313;Tranquille;Hugo;M;1972;;Team Zèbre;RELAY;L3
401;Riner;Teddy;M;1989;;;DUO;
402;Manaudou;Laure;F;1986;;;DUO;
"""


def format_event(minutes_ago: float = 50.0) -> tuple[str, dt.datetime]:
    """The event's YAML with every race started ``minutes_ago``; and that start."""
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=minutes_ago)
    text = EVENT.replace("WAVE", start.isoformat()).replace("DATE", start.date().isoformat())
    return text, start


def write_format_event(folder: Path, minutes_ago: float = 50.0) -> tuple[Path, Path, dt.datetime]:
    """Write the event and its entrants to ``folder``; their paths and the races' start."""
    text, start = format_event(minutes_ago)
    event, entrants = folder / "formats.yaml", folder / "formats.csv"
    event.write_text(text, encoding="utf-8")
    entrants.write_text(ENTRANTS, encoding="utf-8")
    return event, entrants, start


def load_format_box(db: Path, folder: Path, minutes_ago: float = 50.0) -> dt.datetime:
    """Fill the box database ``db`` as an operator would (``chrono-edge`` commands): the
    event, its entrants with their legs, and every passing; return the races' start."""
    from click.testing import CliRunner

    from edge.cli import cli

    def chrono(*args: str) -> None:
        done = CliRunner().invoke(cli, ["--db", str(db), *args])
        assert done.exit_code == 0, done.output

    event, entrants, start = write_format_event(folder, minutes_ago)
    passings = folder / "passings.csv"
    lines = [f"{p},{bib},{at(start, m, s)}" for p, bib, m, s in PASSINGS]
    passings.write_text("\n".join(["point,bib,time", *lines]) + "\n", encoding="utf-8")
    chrono("db", "upgrade")
    chrono("event", "load", str(event))
    chrono("entrants", "import", str(entrants), "--event", SLUG)
    chrono("passings", "import", str(passings), "--event", SLUG)
    return start


def at(start: dt.datetime, minutes: float, seconds: float = 0.0) -> str:
    """The ISO instant ``minutes`` (and ``seconds``) after ``start``."""
    return (start + dt.timedelta(minutes=minutes, seconds=seconds)).isoformat()


PASSINGS = [
    # CRIT, 3 laps of at least 5 min: 101 finishes (laps 10:00, 9:30, 9:00.5); 102 is on
    # her 3rd lap (a bounced read 4 s after her 2nd crossing counts nothing); 103 did one.
    ("FINISH", "101", 10, 0.0),
    ("FINISH", "101", 19, 30.0),
    ("FINISH", "101", 28, 30.5),
    ("FINISH", "102", 11, 0.0),
    ("FINISH", "102", 22, 0.0),
    ("FINISH", "102", 22, 4.0),
    ("FINISH", "103", 12, 0.0),
    # 1H: 201 did 4 laps (last at 40:00), 202 did 3 (last at 36:00).
    ("FINISH", "201", 10, 0.0),
    ("FINISH", "201", 20, 0.0),
    ("FINISH", "201", 30, 0.0),
    ("FINISH", "201", 40, 0.0),
    ("FINISH", "202", 12, 0.0),
    ("FINISH", "202", 24, 0.0),
    ("FINISH", "202", 36, 0.0),
    # RELAY: Les Fusées finish (12:00, 11:00, 13:00.7: 36:00.7); Team Zèbre is on leg 2.
    ("FINISH", "301", 12, 0.0),
    ("FINISH", "302", 23, 0.0),
    ("FINISH", "303", 36, 0.7),
    ("FINISH", "311", 15, 0.0),
    # DUO: 401 runs 9:00 then bikes 21:00; 402 ran 10:00 and is on the bike.
    ("START", "401", 0, 3.0),
    ("T1", "401", 9, 3.0),
    ("FINISH", "401", 30, 3.0),
    ("START", "402", 0, 5.0),
    ("T1", "402", 10, 5.0),
]
"""(point, bib, minutes, seconds after the start) of every passing of the event."""
