"""/api/v1/events/{slug}/races/{race}/results and /teams."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypedDict

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery

from edge.services.results import ResultService, sheet_rows
from edge.store.database import Database
from edge.timing.export import TEAM_COLUMNS, team_rows, to_csv, to_records


class ResultRow(TypedDict):
    """A results row (``?format=csv``: the same columns as CSV).

    After ``chip_time`` comes one ``split_<POINT>`` time per split point of the
    race, then ``club``; a non-finisher's rank and time cells are null. A laps race
    adds ``laps`` and ``lap_1`` ... ``lap_<laps>``, a timed race ``laps`` and
    ``distance_m``, a race with segments one ``seg_<CODE>`` per segment.
    """

    rank: int | None
    bib: str
    first_name: str
    last_name: str
    sex: str
    category: str
    sex_rank: int | None
    category_rank: int | None
    team: str | None
    status: str
    gun_time: str | None
    chip_time: str | None
    club: str | None


class RelayRow(TypedDict):
    """A relay team's row: then per leg ``leg_<CODE>_bib``, ``leg_<CODE>``, ``leg_<CODE>_rank``."""

    rank: int | None
    team: str
    status: str
    total_time: str | None


class TeamRow(TypedDict):
    """A ranked team (``?format=csv``: the same columns as CSV)."""

    rank: int
    team: str
    total_time: str
    members: str


def provide_results(db: NamedDependency[Database]) -> ResultService:
    """Dependency: the result service."""
    return ResultService(db)


def _render(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], fmt: str) -> Response[Any]:
    if fmt == "json":
        return Response(to_records(rows, columns))
    return Response(to_csv(rows, columns), media_type="text/csv; charset=utf-8")


class ResultController(Controller):
    """Race results computed from the stored passings."""

    path = "/api/v1/events/{slug:str}/races/{race:str}"
    tags = ["results"]  # noqa: RUF012 (Litestar reads a class attribute)
    dependencies = {"results": Provide(provide_results, sync_to_thread=False)}  # noqa: RUF012

    @get("/results")
    async def race_results(
        self,
        slug: FromPath[str],
        race: FromPath[str],
        results: NamedDependency[ResultService],
        format: FromQuery[Literal["json", "csv"]] = "json",
    ) -> Response[list[ResultRow] | list[RelayRow]]:
        """Finishers in rank order, then on course (ONC), DNF, DNS, DSQ by bib.

        A relay race lists its teams (one row each) in the same order.
        """
        sheet = await results.race_sheet(slug, race)
        columns, rows = sheet_rows(sheet)
        return _render(rows, columns, format)

    @get("/teams")
    async def race_teams(
        self,
        slug: FromPath[str],
        race: FromPath[str],
        results: NamedDependency[ResultService],
        format: FromQuery[Literal["json", "csv"]] = "json",
    ) -> Response[list[TeamRow]]:
        """Ranked teams: total of their best ``size`` ranking times."""
        sheet = await results.race_sheet(slug, race)
        return _render(team_rows(sheet.teams), TEAM_COLUMNS, format)
