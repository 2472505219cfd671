"""/entrants: the list (search, race, pages), editing one entrant, and CSV import with a dry run."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, MultipartBody, URLEncodedBody
from litestar.response import Redirect, Template

from edge.errors import InvalidInput, NotFound, Problem, ReasonRequired
from edge.phrase import Phrase
from edge.services.entrants import EDIT_COLUMNS, EntrantService
from edge.services.exports import pick_event
from edge.services.roster import RosterService
from edge.settings import Settings
from edge.store.database import Database
from edge.web.pages.paging import PageNumber, PageSize
from edge.web.pages.render import render


def _file_problem(reason: Phrase) -> InvalidInput:
    return InvalidInput([Problem(Phrase("file"), reason)], Phrase("no entrants file to import"))


async def _roster(
    db: Database,
    settings: Settings,
    event: str | None,
    q: str | None,
    race: str | None,
    page: int,
    per_page: int | None,
) -> dict[str, Any]:
    """What the list of entrants shows: the event, one page of its entrants, the search."""
    chosen = await pick_event(db, settings.paths.role_file, event)
    roster = None
    if chosen is not None:
        size = per_page or settings.page_rows
        roster = await RosterService(db).page(
            chosen.slug, search=q, race=race, page=page, per_page=size
        )
    asked = {"event": event, "q": q, "race": race, "per_page": per_page}
    query = {k: v for k, v in asked.items() if v}  # what the pager's links keep
    return {
        "event": chosen,
        "roster": roster,
        "q": q or "",
        "race": race or "",
        "query": urlencode(query),
    }


class EntrantPages(Controller):
    """The entrants page."""

    include_in_schema = False

    @get("/entrants")
    async def entrants_page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        event: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
        race: FromQuery[str | None] = None,
        page: PageNumber = 1,
        per_page: PageSize = None,
        saved: FromQuery[str | None] = None,
        added: FromQuery[int | None] = None,
        updated: FromQuery[int | None] = None,
        same: FromQuery[int | None] = None,
    ) -> Template:
        """Entrants a page at a time, searchable by bib, name or club."""
        context = await _roster(db, settings, event, q, race, page, per_page)
        context.update(
            {
                "mode": "list",
                "saved": saved,
                "imported": None if added is None else (added, updated or 0, same or 0),
            }
        )
        return render(request, "entrants.html", context)

    @get("/entrants/rows")
    async def entrants_rows(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        event: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
        race: FromQuery[str | None] = None,
        page: PageNumber = 1,
        per_page: PageSize = None,
    ) -> Template:
        """The rows of ``/entrants`` with the same parameters, as an HTML fragment."""
        context = await _roster(db, settings, event, q, race, page, per_page)
        if context["roster"] is None:
            raise NotFound("no event on this box yet: load one first")
        return render(request, "entrants_rows.html", context)

    @get("/entrants/{bib:str}/edit")
    async def edit_page(
        self,
        request: Request[Any, Any, Any],
        bib: FromPath[str],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        event: FromQuery[str | None] = None,
    ) -> Template:
        """The form to change one entrant."""
        chosen = await pick_event(db, settings.paths.role_file, event)
        line = await RosterService(db).line(chosen.slug, bib) if chosen else None
        if chosen is None or line is None:
            raise NotFound(f"no entrant with bib {bib!r}")
        return await self._edit(request, db, chosen.slug, bib, line.form(), [])

    @post("/entrants/{bib:str}/edit", status_code=200)
    async def save(
        self,
        request: Request[Any, Any, Any],
        bib: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
        db: NamedDependency[Database],
    ) -> Template | Redirect:
        """Save an entrant; with any problem nothing is changed and the form says why."""
        slug = data.get("event", "")
        values = {c: data.get(c, "") for c in EDIT_COLUMNS}
        reason = data.get("reason", "")
        try:
            entrant = await EntrantService(db).update_entrant(slug, bib, values, reason=reason)
        except InvalidInput as error:
            return await self._edit(request, db, slug, bib, values, error.problems, 422)
        except ReasonRequired as error:
            problems = [Problem("reason", error.message)]
            return await self._edit(request, db, slug, bib, values, problems, 400)
        query = urlencode({"event": slug, "q": entrant.bib, "saved": entrant.bib})
        return Redirect(f"/entrants?{query}", status_code=303)

    async def _edit(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        slug: str,
        bib: str,
        values: dict[str, str],
        problems: list[Problem],
        status: int = 200,
    ) -> Template:
        context = {
            "mode": "edit",
            "slug": slug,
            "bib": bib,
            "values": values,
            "races": await RosterService(db).races(slug),
            "legs": await RosterService(db).legs(slug),
            "problems": problems,
        }
        response = render(request, "entrants.html", context)
        response.status_code = status
        return response

    @post("/entrants/import", status_code=200)
    async def check_import(
        self,
        request: Request[Any, Any, Any],
        data: MultipartBody[dict[str, Any]],
        db: NamedDependency[Database],
    ) -> Template:
        """Dry run: every row with what would happen; nothing is written yet."""
        slug = str(data.get("event") or "")
        upload = data.get("file")
        context: dict[str, Any] = {"mode": "report", "slug": slug, "report": None, "failure": None}
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise _file_problem(Phrase("choose a CSV file of entrants"))
            content = await upload.read()
            context["report"] = await EntrantService(db).import_csv(slug, content, dry_run=True)
            context["payload"] = base64.b64encode(content).decode("ascii")
            context["filename"] = upload.filename
        except InvalidInput as error:
            context["failure"] = error
        return render(request, "entrants.html", context)

    @post("/entrants/import/confirm", status_code=200)
    async def confirm_import(
        self,
        request: Request[Any, Any, Any],
        data: URLEncodedBody[dict[str, str]],
        db: NamedDependency[Database],
    ) -> Template | Redirect:
        """Write the checked file; it is checked again, and any problem still writes nothing."""
        slug = data.get("event", "")
        context: dict[str, Any] = {"mode": "report", "slug": slug, "report": None, "failure": None}
        try:
            try:
                content = base64.b64decode(data.get("payload", ""), validate=True)
            except (binascii.Error, ValueError):
                raise _file_problem(Phrase("the checked file was lost; choose it again")) from None
            report = await EntrantService(db).import_csv(slug, content)
        except InvalidInput as error:
            context["failure"] = error
            return render(request, "entrants.html", context)
        counts = {"added": report.created, "updated": report.updated, "same": report.unchanged}
        return Redirect(f"/entrants?{urlencode({'event': slug, **counts})}", status_code=303)
