"""Public live results: the latest document each MASTER published per race."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from central.errors import Invalid, NotFound
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


class ResultsPayload(BaseModel):
    """A ``results_snapshot`` upsert, as the box's results cache writes it."""

    model_config = ConfigDict(extra="ignore")

    event: str = Field(min_length=1)
    race: str = Field(min_length=1)
    updated_us: int = 0  # the box's clock: orders that box's own snapshots, nothing else
    columns: list[str] = Field(default_factory=list)
    rows: list[dict[str, Any]] = Field(default_factory=list)


def parse_results(seq: int, payload: dict[str, object]) -> ResultsPayload:
    """Validate a results snapshot; Invalid names the change and its first problem."""
    try:
        return ResultsPayload.model_validate(payload)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise Invalid(
            f"change seq {seq} ({RESULTS_TABLE}): {where}: {first['msg']};"
            " nothing of the batch was applied"
        ) from error


async def publish(session: AsyncSession, device_id: str, results: ResultsPayload, now: int) -> None:
    """Store a race's published results; which snapshot wins is central's decision.

    A box's clock orders only that box's own snapshots (a late delivery of an
    older one does not replace a newer one), and it cannot claim the future: a
    time ahead of central's is taken as central's. Between boxes, the snapshot
    central receives last wins (a replacement MASTER takes a race over at once),
    so no box's clock can pin a race's results against another box.
    """
    updated = min(results.updated_us, now)
    document = json.dumps({"columns": results.columns, "rows": results.rows}, separators=(",", ":"))
    etag = hashlib.sha256(document.encode()).hexdigest()[:32]
    row = await session.get(PublicResults, (results.event, results.race))
    if row is not None and row.device_id == device_id and row.updated_us > updated:
        return
    if row is None:
        row = PublicResults(
            event_slug=results.event,
            race_code=results.race,
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
