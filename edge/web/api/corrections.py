"""/api/v1/events/{slug}/corrections: the operator's corrections (create, list, undo)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from edge.services.corrections import CorrectionRequest, CorrectionService, CorrectionView
from edge.store.database import Database


def provide_corrections(db: NamedDependency[Database]) -> CorrectionService:
    """Dependency: the correction service."""
    return CorrectionService(db)


@dataclass
class CorrectionIn:
    """A correction: ``kind`` move | ignore | add | status | choose.

    move: ``passing_id`` and a new ``time`` (``H:MM:SS.t`` in the event's zone, or
    ISO 8601) and/or ``point``; ignore: ``passing_id``; add: ``bib``, ``point``,
    ``time``; status: ``bib``, ``status`` DSQ | DNF | null (back to computed) and
    a ``reason``; choose: ``passing_id`` of a backup passing in review and
    ``status`` chip | backup (which time stands); swap: the chip's ``epc``, the ``bib``
    it now counts for and a ``reason`` (every passing of the chip follows it).
    ``by``: who, when nobody is logged in.
    """

    kind: str
    passing_id: str | None = None
    point: str | None = None
    time: str | None = None
    bib: str | None = None
    status: str | None = None
    reason: str = ""
    by: str | None = None
    epc: str | None = None


@dataclass
class UndoIn:
    """Who undoes the correction, when nobody is logged in, and why (required once the
    race's results are signed off)."""

    by: str | None = None
    reason: str = ""


def who(request: Request[Any, Any, Any], typed: str | None) -> str:
    """The logged-in user's name when there is one, else the name typed on the console."""
    user = request.scope.get("user")
    for name in (getattr(user, "name", None), getattr(user, "username", None), user):
        if isinstance(name, str) and name.strip():
            return name
    return typed or ""


class CorrectionController(Controller):
    """Corrections of an event's passings and statuses, kept with who/when, undoable."""

    path = "/api/v1/events/{slug:str}/corrections"
    tags = ["corrections"]  # noqa: RUF012 (Litestar reads a class attribute)
    dependencies = {"corrections": Provide(provide_corrections, sync_to_thread=False)}  # noqa: RUF012

    @post("/")
    async def create(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[CorrectionIn],
        corrections: NamedDependency[CorrectionService],
    ) -> CorrectionView:
        """Record a correction (201); bad input writes nothing and says why."""
        wanted = CorrectionRequest(
            kind=data.kind,
            passing_id=data.passing_id,
            point=data.point,
            time=data.time,
            bib=data.bib,
            status=data.status,
            reason=data.reason,
            epc=data.epc,
        )
        return await corrections.apply(slug, wanted, who(request, data.by))

    @get("/")
    async def list_corrections(
        self,
        slug: FromPath[str],
        corrections: NamedDependency[CorrectionService],
        bib: FromQuery[str | None] = None,
        active: FromQuery[bool | None] = None,
    ) -> list[CorrectionView]:
        """Corrections, newest first (``?bib=``, ``?active=true|false``)."""
        return await corrections.list_corrections(slug, bib=bib, active=active)

    @post("/{correction_id:str}/undo", status_code=HTTP_200_OK)
    async def undo(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        correction_id: FromPath[str],
        corrections: NamedDependency[CorrectionService],
        data: JSONBody[UndoIn | None] = None,
    ) -> CorrectionView:
        """Undo a correction (kept, marked undone); undoing it twice is a 409."""
        return await corrections.undo(
            slug,
            correction_id,
            who(request, data.by if data else None),
            reason=data.reason if data else "",
        )
