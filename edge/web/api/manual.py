"""/api/v1/events/{slug}/points/{code}/manual: a bib typed by the operator at a point."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, Response, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from edge.services.corrections import operator
from edge.services.manual import ManualEntryService
from edge.store.database import Database
from edge.web.api.schemas import ManualEntryOut, passing_out


def provide_manual(db: NamedDependency[Database]) -> ManualEntryService:
    """Dependency: the manual entry service."""
    return ManualEntryService(db)


@dataclass
class ManualIn:
    """A bib typed at a point; the passing is timed when the box receives it."""

    bib: str
    reason: str = ""  # required once the bib's race is signed off
    by: str | None = None


class ManualEntryController(Controller):
    """Manual entry of bibs at a timing point."""

    path = "/api/v1/events/{slug:str}/points/{code:str}/manual"
    tags = ["passings"]  # noqa: RUF012 (Litestar reads a class attribute)
    dependencies = {"manual": Provide(provide_manual, sync_to_thread=False)}  # noqa: RUF012

    @post("/")
    async def enter_bib(
        self,
        slug: FromPath[str],
        code: FromPath[str],
        data: JSONBody[ManualIn],
        manual: NamedDependency[ManualEntryService],
    ) -> Response[ManualEntryOut]:
        """Record the bib now, marked manual: 201 when added, 200 for a double entry."""
        entry = await manual.enter(
            slug, code, data.bib, source="api", reason=data.reason, by=operator(data.by)
        )
        passing = passing_out(entry.passing, entry.point)
        body = ManualEntryOut(added=entry.added, known_bib=entry.known_bib, passing=passing)
        return Response(body, status_code=HTTP_201_CREATED if entry.added else HTTP_200_OK)
