"""The example event with its waves started minutes ago, so passings made now are race times."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
SLUG = "spring-10k-2026"
W1 = "2026-04-12T09:30:00+02:00"
W2 = "2026-04-12T09:40:00+02:00"


def started_event(minutes_ago: float = 50.0) -> tuple[str, dt.datetime]:
    """The example event's YAML with wave W1 started ``minutes_ago`` (W2 10 min later)."""
    w1 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=minutes_ago)
    text = (EXAMPLES / "spring-10k.yaml").read_text(encoding="utf-8")
    text = text.replace(W1, w1.isoformat()).replace(W2, (w1 + dt.timedelta(minutes=10)).isoformat())
    return text.replace("date: 2026-04-12", f"date: {w1.date().isoformat()}"), w1


def write_emulator_entrants(folder: Path, count: int) -> Path:
    """Entrants 1..count wearing the LLRP emulator's tags (bib N: the EPC spelling N)."""
    lines = ["bib;last_name;first_name;sex;birth_year;club;team;race;wave;tag"]
    for bib in range(1, count + 1):
        sex = "F" if bib % 2 else "M"
        lines.append(f"{bib};Runner{bib};Kim;{sex};{1970 + bib};Club {bib % 3};;10K;W1;{bib:024d}")
    path = folder / "entrants.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_started_event(folder: Path, minutes_ago: float = 50.0) -> tuple[Path, dt.datetime]:
    """Write ``started_event`` to ``folder/event.yaml``; return its path and W1's start."""
    text, w1 = started_event(minutes_ago)
    path = folder / "event.yaml"
    path.write_text(text, encoding="utf-8")
    return path, w1
