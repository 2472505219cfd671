"""Write a demo event for `make run`: a 10 km in three waves, 200 entrants.

The emulated reader (`chrono-edge simulate-reader --scenario race`) gives runner
number N the EPC whose hex spells N (bib 17: 0000…0017), so these entrants'
tags match its runners and arrivals show names, clubs and ranks at once.

The race plays on a compressed but readable clock: the first wave started half an
hour ago, the waves two minutes apart, and the emulators bring each wave's runners
over six minutes, so finishers arrive over about eight minutes (some 35 a minute at
the busiest), in the waves' order, and the charts and screens look like a race.

Usage: python scripts/demo_event.py FOLDER  -> FOLDER/event.yaml, FOLDER/entrants.csv,
FOLDER/emulator-FINISH.args and FOLDER/emulator-KM5.args (one argument a line).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys
from pathlib import Path

SLUG = "demo-10k"
RUNNERS = 200
WAVES = 3
WAVE_GAP_S = 120
STARTED_AGO = dt.timedelta(minutes=30)
EMULATED = {"FINISH": (5, 360), "KM5": (1, 180)}
"""Per timing point, the emulator's leader (s after it starts) and spread of a wave (s).
The split's leader and spread are smaller, so every runner passes 5 km before the finish."""
FEMALE = ["Léa", "Chloé", "Manon", "Camille", "Inès", "Sarah", "Emma", "Zoé", "Jade", "Lina"]
MALE = ["Hugo", "Louis", "Lucas", "Jules", "Adam", "Nathan", "Théo", "Tom", "Paul", "Noah"]
LAST = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
]
CLUBS = ["AC Montreuil", "US Ivry", "Stade Rennais Athlé", "EA Grenoble", "ASPTT Lyon", ""]
TEAMS = ["Les Gazelles", "Les Lièvres", "Les Flèches", "", "", ""]


def emulator_args(point: str) -> list[str]:
    """Arguments of the ``chrono-edge simulate-reader`` that plays the demo race at ``point``."""
    first, spread = EMULATED[point]
    return [
        *("--scenario", "race", "--runners", str(RUNNERS), "--clock-year", "2000"),
        *("--first-finish", str(first), "--spread", str(spread)),
        *("--waves", str(WAVES), "--wave-gap", str(WAVE_GAP_S)),
    ]


def write_emulator_args(folder: Path, point: str, args: list[str]) -> None:
    """Write ``folder/emulator-POINT.args``: the emulator's arguments, one a line, for run.sh."""
    (folder / f"emulator-{point}.args").write_text("\n".join(args) + "\n", encoding="utf-8")


def wave_of(bib: int) -> str:
    """The wave code of ``bib``: waves are blocks of consecutive bibs, as the emulator's."""
    return f"W{(bib - 1) * WAVES // RUNNERS + 1}"


def event_yaml(start: dt.datetime) -> str:
    """The demo event: the first wave's gun at ``start``, the others every WAVE_GAP_S."""
    starts = [start + dt.timedelta(seconds=n * WAVE_GAP_S) for n in range(WAVES)]
    waves = "\n".join(
        f'      - {{code: W{n}, start: "{gun.isoformat(timespec="seconds")}"}}'
        for n, gun in enumerate(starts, start=1)
    )
    return f"""# Demo event written by scripts/demo_event.py for `make run`.
slug: {SLUG}
name: "Demo 10K"
date: {start.date().isoformat()}
timezone: Europe/Paris
age_reference: year_end
timing_points:
  - {{code: START, kind: start, distance_m: 0}}
  - {{code: KM5, kind: split, distance_m: 5000}}
  - {{code: FINISH, kind: finish, distance_m: 10000}}
races:
  - code: 10K
    name: "10 km"
    timing: gun
    min_time: "00:10:00"
    cutoff: "03:00:00"
    points: [START, KM5, FINISH]
    waves:
{waves}
    categories:
      - {{code: ES-F, sex: F, min_age: 18, max_age: 22}}
      - {{code: ES-M, sex: M, min_age: 18, max_age: 22}}
      - {{code: SE-F, sex: F, min_age: 23, max_age: 34}}
      - {{code: SE-M, sex: M, min_age: 23, max_age: 34}}
      - {{code: MA-F, sex: F, min_age: 35}}
      - {{code: MA-M, sex: M, min_age: 35}}
    teams: {{size: 3}}
"""


def entrant_rows(count: int, seed: int = 2026) -> list[list[str]]:
    """``count`` entrants, bib N wearing the emulator's EPC for N."""
    rng = random.Random(seed)
    rows = []
    for bib in range(1, count + 1):
        sex = rng.choice("FM")
        year = rng.randint(1960, 2006)
        rows.append(
            [
                str(bib),
                rng.choice(LAST),
                rng.choice(FEMALE if sex == "F" else MALE),
                sex,
                str(year),
                rng.choice(CLUBS),
                rng.choice(TEAMS),
                "10K",
                wave_of(bib),
                f"{bib:024d}",
            ]
        )
    return rows


def main(folder: Path) -> None:
    """Write event.yaml and entrants.csv into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - STARTED_AGO
    (folder / "event.yaml").write_text(event_yaml(start), encoding="utf-8")
    for point in EMULATED:
        write_emulator_args(folder, point, emulator_args(point))
    with (folder / "entrants.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow(
            [
                "Dossard",
                "Nom",
                "Prénom",
                "Sexe",
                "Année de naissance",
                "Club",
                "Équipe",
                "Course",
                "Vague",
                "Puce",
            ]
        )
        writer.writerows(entrant_rows(RUNNERS))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "var/demo"))
