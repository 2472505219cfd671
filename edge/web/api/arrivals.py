"""/api/v1/events/{slug}/arrivals: the speaker screen's board, as JSON and as a live stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, TypedDict, cast

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from edge.services.arrivals import ArrivalService
from edge.store.database import SQL_INT_MAX, Database

RETRY_MS = 1000
"""How soon a browser reconnects after the stream dropped (EventSource ``retry``)."""


class BoardEvent(TypedDict):
    """The event the board shows."""

    slug: str
    name: str


class ArrivalOut(TypedDict):
    """A finisher as the speaker reads it."""

    race: str
    bib: str
    first_name: str
    last_name: str
    club: str
    sex: str | None
    category: str | None
    finish_us: int
    time_us: int
    rank: int | None
    sex_rank: int | None
    category_rank: int | None
    key: str  # race/bib/finish_us: the screen's key to animate new rows
    time: str  # race time, H:MM:SS
    clock: str  # finish instant, local time of day


class SoonOut(TypedDict):
    """A runner past the last split, expected at the finish."""

    race: str
    bib: str
    first_name: str
    last_name: str
    club: str
    category: str | None
    split: str
    split_us: int
    split_time_us: int
    expected_us: int
    key: str
    split_time: str
    expected: str


class Board(TypedDict):
    """The speaker's board: last arrivals newest first, then who is expected next."""

    version: int
    event: BoardEvent
    races: list[str]
    arrivals: list[ArrivalOut]
    soon: list[SoonOut]


@dataclass
class ResultsVersion:
    """A number that changes whenever results may have changed."""

    version: int


def provide_arrivals(db: NamedDependency[Database]) -> ArrivalService:
    """Dependency: the arrival service."""
    return ArrivalService(db)


class ArrivalController(Controller):
    """Last arrivals and runners arriving soon; public, like the screen that shows them."""

    path = "/api/v1/events/{slug:str}"
    tags = ["arrivals"]  # noqa: RUF012 (Litestar reads a class attribute)
    dependencies = {"arrivals": Provide(provide_arrivals, sync_to_thread=False)}  # noqa: RUF012

    @get("/arrivals", opt={"public": True})
    async def board(
        self,
        slug: FromPath[str],
        arrivals: NamedDependency[ArrivalService],
        race: FromQuery[str | None] = None,
    ) -> Board:
        """Last arrivals, newest first, and runners past the last split, first expected first."""
        board = await arrivals.board(await arrivals.scope(slug, None, race))
        return cast(Board, board)  # the service's plain dict, of that shape

    @get("/arrivals/stream", opt={"public": True}, media_type="text/event-stream")
    async def stream(
        self,
        slug: FromPath[str],
        arrivals: NamedDependency[ArrivalService],
        race: FromQuery[str | None] = None,
    ) -> ServerSentEvent:
        """Server-Sent Events: a ``board`` event now and within 200 ms of every change."""
        scope = await arrivals.scope(slug, None, race)  # 404 before the stream starts

        async def events() -> AsyncIterator[ServerSentEventMessage]:
            async for board in arrivals.follow(scope):
                yield ServerSentEventMessage(
                    data=json.dumps(board), event="board", id=str(board["version"]), retry=RETRY_MS
                )

        return ServerSentEvent(events())

    @get("/results-version")
    async def results_version(
        self,
        slug: FromPath[str],
        arrivals: NamedDependency[ArrivalService],
        after: Annotated[int | None, QueryParameter(ge=0, le=SQL_INT_MAX)] = None,
        wait: Annotated[float, QueryParameter(ge=0, le=60)] = 0.0,
    ) -> ResultsVersion:
        """A number that changes whenever results may have changed.

        With ``after`` (the version a page shows) and ``wait`` (seconds), a long poll: the
        answer waits until the version is newer than ``after``, or ``wait`` seconds, so the
        results page learns of a passing as soon as it is stored with one request open
        instead of a poll every few seconds (it asks 25 s: under the idle timeouts of
        browsers and proxies). Without ``wait`` it answers at once, as a plain check does.
        """
        await arrivals.scope(slug, None)  # 404 for an unknown event
        if after is None:
            return ResultsVersion(await arrivals.live.watch.version())
        return ResultsVersion(await arrivals.live.watch.newer(after, wait))
