"""/api/v1/events/{slug}/results/...: sign a race off, its state, the history of changes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from edge.domain.clock import from_us
from edge.services.results_history import HISTORY_COLUMNS, HistoryEntry, ResultsHistoryService
from edge.services.signoff import RaceState, SignoffService
from edge.store.database import Database
from edge.timing.export import to_csv


def provide_signoff(db: NamedDependency[Database]) -> SignoffService:
    """Dependency: the sign-off service."""
    return SignoffService(db)


@dataclass
class SignoffIn:
    """The name of the person signing the race's results off (recorded with them)."""

    name: str


@dataclass
class RaceStateOut:
    """A race's results: ``provisional`` or ``official``, and their version."""

    race: str
    state: str
    version: int
    label: str  # "Provisional" or "Official v2"
    signed_by: str | None
    signed_at: str | None  # ISO 8601 instant of the sign-off
    reason: str  # why the current version was opened (empty for version 1)


def state_out(state: RaceState) -> RaceStateOut:
    """The API's view of a race's state."""
    signed = from_us(state.signed_us).isoformat() if state.signed_us is not None else None
    return RaceStateOut(state.race, state.state.value, state.version, state.label,
                        state.signed_by, signed, state.reason)  # fmt: skip


class SignoffController(Controller):
    """Provisional, then official: a race's results signed off, and what changed since."""

    path = "/api/v1/events/{slug:str}/results"
    tags = ["results"]  # noqa: RUF012 (Litestar reads a class attribute)
    dependencies = {"signoff": Provide(provide_signoff, sync_to_thread=False)}  # noqa: RUF012

    @post("/{race:str}/signoff", status_code=HTTP_200_OK)
    async def sign(
        self,
        slug: FromPath[str],
        race: FromPath[str],
        data: JSONBody[SignoffIn],
        signoff: NamedDependency[SignoffService],
    ) -> RaceStateOut:
        """Close the race: its results become official under the name given (409 if they are)."""
        return state_out(await signoff.sign(slug, race, data.name))

    @get("/state")
    async def states(
        self, slug: FromPath[str], signoff: NamedDependency[SignoffService]
    ) -> list[RaceStateOut]:
        """Every race's results state and version."""
        return [state_out(s) for s in (await signoff.states(slug)).values()]

    @get("/history")
    async def history(
        self,
        slug: FromPath[str],
        db: NamedDependency[Database],
        race: FromQuery[str | None] = None,
        format: FromQuery[Literal["json", "csv"]] = "csv",
    ) -> Response[list[HistoryEntry]]:
        """Every correction, undo, sign-off and re-opening, oldest first (CSV by default)."""
        entries = await ResultsHistoryService(db).history(slug, race)
        if format == "json":
            return Response(entries)
        rows = [dataclasses.asdict(e) for e in entries]
        name = f"{slug}-{race}-history.csv" if race else f"{slug}-history.csv"
        csv_file: Response[Any] = Response(
            to_csv(rows, HISTORY_COLUMNS),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
        return csv_file
