"""Write a demo event for `make run`: a 10 km started half an hour ago, 200 entrants.

The emulated reader (`chrono-edge simulate-reader --scenario race`) gives runner
number N the EPC whose hex spells N (bib 17: 0000…0017), so these entrants'
tags match its runners and arrivals show names, clubs and ranks at once.

Usage: python scripts/demo_event.py FOLDER  -> FOLDER/event.yaml, FOLDER/entrants.csv
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys
from pathlib import Path

SLUG = "demo-10k"
RUNNERS = 200
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


def event_yaml(start: dt.datetime) -> str:
    """The demo event: gun start at ``start`` (local time of the box), one split."""
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
      - {{code: W1, start: "{start.isoformat(timespec="seconds")}"}}
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
                "W1",
                f"{bib:024d}",
            ]
        )
    return rows


def main(folder: Path) -> None:
    """Write event.yaml and entrants.csv into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=30)
    (folder / "event.yaml").write_text(event_yaml(start), encoding="utf-8")
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
