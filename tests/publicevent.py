"""A central database holding published results of two events, for the public pages' tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from central.services.public import ResultsPayload, publish
from central.store import migrate
from central.store.database import CentralDatabase
from central.store.models import CentralEvent
from edge.domain.clock import now_us

SLUG = "trail-des-cretes"
NAME = "Trail des Crêtes"
COLUMNS = ["rank", "bib", "first_name", "last_name", "sex", "category", "sex_rank",
           "category_rank", "team", "status", "chip_time", "split_KM5"]  # fmt: skip
RUNNERS = [  # bib, first name, last name, sex, category, status, time
    ("101", "Hélène", "Lefèvre", "F", "SEF", "FIN", "0:41:02.0"),
    ("102", "Marc", "Dubois", "M", "SEM", "FIN", "0:38:10.4"),
    ("103", "Zoé", "Nuñez", "F", "V1F", "FIN", "0:44:30.9"),
    ("104", "Paul", "Martin", "M", "V1M", "ONC", None),
    ("105", "Anne", "Roux", "F", "SEF", "DNF", None),
    ("106", "Luc", "Bernard", "M", "SEM", "DNS", None),
]


def rows() -> list[dict[str, object]]:
    """The 10K's rows as a box exports them, in scratch order with their ranks."""
    finished = sorted((r for r in RUNNERS if r[5] == "FIN"), key=lambda r: str(r[6]))
    ordered = finished + [r for r in RUNNERS if r[5] != "FIN"]
    found, by_sex, by_category = [], {}, {}  # type: ignore[var-annotated]
    for rank, (bib, first, last, sex, category, status, time) in enumerate(ordered, start=1):
        ranked = status == "FIN"
        if ranked:
            by_sex[sex] = by_sex.get(sex, 0) + 1
            by_category[category] = by_category.get(category, 0) + 1
        found.append({
            "rank": rank if ranked else None, "bib": bib, "first_name": first, "last_name": last,
            "sex": sex, "category": category, "sex_rank": by_sex[sex] if ranked else None,
            "category_rank": by_category[category] if ranked else None,
            "team": "Les Fusées" if bib in ("101", "102") else None, "status": status,
            "chip_time": time, "split_KM5": "0:20:00.0" if status != "DNS" else None,
        })  # fmt: skip
    return found


def teams() -> list[dict[str, object]]:
    """The 10K's team ranking as a box publishes it (``teams``, ``team_size``)."""
    members = [{"bib": "102", "name": "Marc Dubois", "time": "0:38:10.4"},
               {"bib": "101", "name": "Hélène Lefèvre", "time": "0:41:02.0"}]  # fmt: skip
    return [{"rank": 1, "team": "Les Fusées", "total": "1:19:12.4", "members": members}]


async def _fill(url: str, today: str) -> None:
    await asyncio.to_thread(migrate.upgrade, url)
    db = CentralDatabase(url)
    try:
        async with db.write() as session:
            ten_k = ResultsPayload(event=SLUG, race="10K", updated_us=1_000, columns=COLUMNS,
                                   rows=rows(), state="provisional", version=1,
                                   teams=teams(), team_size=2)  # fmt: skip
            await publish(session, "box-1", ten_k, now_us())
            five_k = ResultsPayload(event=SLUG, race="5K", updated_us=1_000, columns=COLUMNS,
                                    rows=rows()[:2])  # fmt: skip
            await publish(session, "box-1", five_k, now_us())
            old = ResultsPayload(event="old-cross", race="CROSS", updated_us=1_000,
                                 columns=COLUMNS, rows=rows()[:1])  # fmt: skip
            await publish(session, "box-2", old, now_us())
            session.add(CentralEvent(slug=SLUG, name=NAME, date=today, timezone="UTC",
                                     device_id="box-1", updated_us=now_us()))  # fmt: skip
            session.add(CentralEvent(slug="old-cross", name="Cross d'hiver",
                                     date="2025-01-12", timezone="UTC", device_id="box-2",
                                     updated_us=now_us()))  # fmt: skip
    finally:
        await db.close()


def published_central(folder: Path, today: str) -> str:
    """A migrated SQLite central database with the events' results; its URL."""
    url = f"sqlite+aiosqlite:///{folder / 'central.db'}"
    asyncio.run(_fill(url, today))
    return url
