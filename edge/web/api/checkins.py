"""/api/v1/events/{slug}/checkins: the chip check before the start, as JSON."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from edge.services.checkins import RECENT, CheckinBoard, CheckinService
from edge.store.database import Database

EVERYONE = 100_000
"""The most runners a race's list of those not checked yet may hold."""


class CheckinController(Controller):
    """Check-ins of an event: the latest chips read, and who is not checked yet per race."""

    path = "/api/v1/events/{slug:str}/checkins"
    tags = ["check-in"]  # noqa: RUF012 (Litestar reads a class attribute)

    @get("/")
    async def board(
        self,
        slug: FromPath[str],
        db: NamedDependency[Database],
        recent: Annotated[int, QueryParameter(ge=0, le=1000)] = RECENT,
        missing: Annotated[int, QueryParameter(ge=0, le=EVERYONE)] = 0,
    ) -> CheckinBoard:
        """The ``recent`` latest check-ins (newest first, state checked | again | unknown) and
        each race's count; ``?missing=N`` lists up to N runners per race not checked yet."""
        return await CheckinService(db).board(slug, recent=recent, missing=missing)
