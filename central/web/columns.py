"""How central's public page heads the columns a box publishes (the box's export columns).

The document keeps the machine names scripts read (``gun_time``, ``lap_3``,
``leg_L2_bib``...); the page shows them to people: "Gun time", "Lap 3", "L2 bib". A
column central does not know is shown by its name, so a newer box still publishes.
The labels are English; their French is in ``translations/fr/public_event.json``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

FIXED = {
    "rank": "Rank",
    "bib": "Bib",
    "first_name": "First name",
    "last_name": "Last name",
    "sex": "Sex",
    "category": "Category",
    "sex_rank": "Sex rank",
    "category_rank": "Category rank",
    "team": "Team",
    "status": "Status",
    "gun_time": "Gun time",
    "chip_time": "Chip time",
    "club": "Club",
    "total_time": "Total time",
    "laps": "Laps",
    "distance_m": "Distance (m)",
}
PATTERNS = (
    (re.compile(r"lap_(\d+)"), "Lap {0}"),  # a lap race's lap times
    (re.compile(r"leg_(.+)_bib"), "{0} bib"),  # a relay leg's runner
    (re.compile(r"leg_(.+)_rank"), "{0} rank"),  # that leg's rank among the teams
    (re.compile(r"leg_(.+)"), "{0}"),  # that leg's time
    (re.compile(r"seg_(.+)"), "{0}"),  # a segment's time (swim, T1, bike...)
    (re.compile(r"split_(.+)"), "{0}"),  # the race time at a split point
)


def column_label(name: str, translate: Callable[[str], str] = str) -> str:
    """The heading people read for a published column (in the page's language)."""
    if name in FIXED:
        return translate(FIXED[name])
    for pattern, label in PATTERNS:
        found = pattern.fullmatch(name)
        if found:
            return translate(label).format(*found.groups())
    return name
