"""/api/v1/events/{slug}/races/{race}/results and /teams."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery

from edge.services.results import ResultService
from edge.store.database import Database
from edge.timing.export import (
    TEAM_COLUMNS,
    result_columns,
    result_rows,
    team_rows,
    to_csv,
    to_records,
)


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
    ) -> Response[Any]:
        """Finishers in rank order, then on course (ONC), DNF, DNS, DSQ by bib."""
        sheet = await results.race_sheet(slug, race)
        splits = sheet.spec.split_points
        return _render(result_rows(sheet.results, splits), result_columns(splits), format)

    @get("/teams")
    async def race_teams(
        self,
        slug: FromPath[str],
        race: FromPath[str],
        results: NamedDependency[ResultService],
        format: FromQuery[Literal["json", "csv"]] = "json",
    ) -> Response[Any]:
        """Ranked teams: total of their best ``size`` ranking times."""
        sheet = await results.race_sheet(slug, race)
        return _render(team_rows(sheet.teams), TEAM_COLUMNS, format)
