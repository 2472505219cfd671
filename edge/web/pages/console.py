"""``/``: the timing operator's console (the event at a glance, manual entry, corrections)."""

from __future__ import annotations

import dataclasses
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from edge.services.backup_review import BackupReviewService
from edge.services.console import ConsoleService
from edge.services.corrections import CorrectionService
from edge.services.passing_feed import PassingFeed, describe
from edge.services.signoff import SignoffService
from edge.settings import Settings
from edge.store.database import Database
from edge.web.api.signoff import state_out
from edge.web.pages.clock import clock_of
from edge.web.pages.render import render

CORRECTIONS_SHOWN = 20


class ConsolePages(Controller):
    """The console page."""

    include_in_schema = False

    @get("/")
    async def console_page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
    ) -> Template:
        """The event of reader.json (else the latest one) with its passings, live."""
        console = ConsoleService(db, settings.paths.role_file)
        event = await console.current_event()
        clock = await clock_of(request, db, settings)
        if event is None:
            return render(request, "console.html", {"event": None, "clock": clock})
        rows, cursor = await PassingFeed(db).recent(event.slug)
        board = await console.board(event)
        corrections = await CorrectionService(db).list_corrections(event.slug)
        context = {
            "event": event,
            "board": board,
            "board_data": dataclasses.asdict(board),
            "finish": next((p.code for p in board.points if p.kind == "finish"), None),
            "rows": [dataclasses.asdict(r) for r in rows],
            "cursor": cursor,
            "corrections": [describe(c) for c in corrections[:CORRECTIONS_SHOWN]],
            "review": await BackupReviewService(db).review_list(event.slug),
            "states": [
                dataclasses.asdict(state_out(s))
                for s in (await SignoffService(db).states(event.slug)).values()
            ],
            "clock": clock,
        }
        return render(request, "console.html", context)
