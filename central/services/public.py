"""Public live results: the latest document each MASTER published per race."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from central.errors import NotFound
from central.store.database import CentralDatabase
from central.store.models import PublicResults

RESULTS_TABLE = "results_snapshot"
"""The outbox table name under which a box publishes a race's results."""


@dataclass(frozen=True)
class RaceResults:
    """A race's results as published, with the ETag a CDN revalidates against."""

    event: str
    race: str
    updated_us: int
    etag: str
    document: dict[str, Any]


async def publish(session: AsyncSession, device_id: str, payload: dict[str, object]) -> None:
    """Keep a published results document unless a newer one is already stored."""
    event, race = str(payload["event"]), str(payload["race"])
    updated = int(str(payload.get("updated_us", 0)))
    document = json.dumps(
        {"columns": payload.get("columns", []), "rows": payload.get("rows", [])},
        separators=(",", ":"),
    )
    etag = hashlib.sha256(document.encode()).hexdigest()[:32]
    row = await session.get(PublicResults, (event, race))
    if row is not None and row.updated_us > updated:
        return
    if row is None:
        row = PublicResults(
            event_slug=event,
            race_code=race,
            device_id=device_id,
            document=document,
            etag=etag,
            updated_us=updated,
        )
    else:
        row.device_id, row.document, row.etag, row.updated_us = device_id, document, etag, updated
    session.add(row)


class PublicResultsService:
    """Read-only access for the public."""

    def __init__(self, db: CentralDatabase) -> None:
        self.db = db

    async def results(self, event: str, race: str) -> RaceResults:
        """The latest published results of ``race`` at ``event``."""
        async with self.db.read() as session:
            row = await session.get(PublicResults, (event, race))
        if row is None:
            raise NotFound(f"no results published for race {race!r} of event {event!r}")
        return RaceResults(event, race, row.updated_us, row.etag, json.loads(row.document))

    async def races(self, event: str) -> list[str]:
        """Races of ``event`` with published results."""
        async with self.db.read() as session:
            rows = await session.exec(
                select(PublicResults.race_code).where(PublicResults.event_slug == event)
            )
            return sorted(rows.all())
