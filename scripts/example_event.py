"""Ready an example event of docs/examples to be played live by the LLRP emulator.

The emulator's clock starts when a reader client starts its ROSpec, so an example is
played today, now. As scripts/demo_event.py does for `make run`, this writes into a
folder the event with its waves starting now, its entrants, and one
``emulator-POINT.args`` file per timing point the emulator plays (the
``chrono-edge simulate-reader`` arguments, one a line):

- ``event.yaml``: the example with its first wave's start moved to now (seconds
  truncated), the other waves kept as far after it as they were, and the date moved
  with it; nothing else changes;
- ``entrants.csv``: the example's entrants, unchanged (their tags are the emulator's
  EPCs: bib N wears the EPC whose hex spells N).

Usage, from the checkout: python -m scripts.example_event laps|timed|relay|triathlon FOLDER
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
from pathlib import Path

from edge.rfid.emulator.triathlon import COURSE
from scripts.demo_event import write_emulator_args

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
READER = ["--clock-year", "2000"]  # a reader without a real-time clock, as the demo's
EMULATED: dict[str, dict[str, list[str]]] = {
    "laps": {
        "FINISH": ["--scenario", "laps", "--runners", "40", "--laps", "10", "--lap-time", "100"],
    },
    "timed": {
        "FINISH": [
            *("--scenario", "laps", "--runners", "60", "--laps", "30", "--lap-time", "330"),
            *("--time-limit", "3600"),
        ],
    },
    "relay": {
        "FINISH": ["--scenario", "relay", "--teams", "20", "--legs", "3", "--leg-time", "720"],
    },
    "triathlon": {
        point: [
            *("--scenario", "triathlon", "--point", point, "--runners", "100"),
            *("--waves", "2", "--wave-gap", "300"),
        ]
        for point in COURSE
    },
}
"""Per example, the emulator's arguments at each of its timing points (without READER)."""

_WAVE_START = re.compile(r'(\bstart:\s*")([^"]+)(")')
_DATE = re.compile(r"^date: .*$", re.MULTILINE)


def started_now(text: str, now: dt.datetime) -> str:
    """The event file's text with its first wave starting at ``now`` and the rest moved alike."""
    starts = [dt.datetime.fromisoformat(found[2]) for found in _WAVE_START.finditer(text)]
    if not starts:
        raise ValueError('the event file has no wave start written start: "..."')
    first = min(starts)
    shift = now - first

    def moved(found: re.Match[str]) -> str:
        start = dt.datetime.fromisoformat(found[2]) + shift
        return found[1] + start.isoformat() + found[3]

    text = _WAVE_START.sub(moved, text)
    # The day of the first start as written (its offset), which the event's timezone shares.
    return _DATE.sub(f"date: {(first + shift).date().isoformat()}", text, count=1)


def emulator_args(example: str, point: str) -> list[str]:
    """The ``chrono-edge simulate-reader`` arguments that play ``example`` at ``point``."""
    return [*EMULATED[example][point], *READER]


def main(example: str, folder: Path) -> None:
    """Write the example's event (its waves starting now), entrants and emulator arguments."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    text = (EXAMPLES / f"{example}.yaml").read_text(encoding="utf-8")
    (folder / "event.yaml").write_text(started_now(text, now), encoding="utf-8")
    shutil.copyfile(EXAMPLES / f"{example}-entrants.csv", folder / "entrants.csv")
    for point in EMULATED[example]:
        write_emulator_args(folder, point, emulator_args(example, point))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in EMULATED:
        sys.exit(f"usage: python -m scripts.example_event {'|'.join(EMULATED)} FOLDER")
    main(sys.argv[1], Path(sys.argv[2]))
