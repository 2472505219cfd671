"""/api/v1/alarms: what is wrong on this box now (the console's banner polls it)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency

from edge.alarms.service import AlarmOut, alarm_out, current_alarms
from edge.settings import Settings
from edge.store.database import Database
from edge.store.sqlite import out_of_space
from edge.web.i18n import language_of, translator
from edge.web.pages.clock import measure_clocks


class AlarmController(Controller):
    """The box's active alarms."""

    path = "/api/v1/alarms"
    tags = ["alarms"]  # noqa: RUF012 (Litestar reads a class attribute)

    @get("/")
    async def list_alarms(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
    ) -> list[AlarmOut]:
        """Active alarms, critical first; ``message`` in the page's language."""
        say = translator(language_of(request))
        try:
            _, clocks = await measure_clocks(request, db, settings)
        except Exception as err:
            if not out_of_space(err):
                raise
            clocks = None  # the database cannot be read: the disk's alarms still show
        found = await current_alarms(settings, clocks=clocks)
        return [alarm_out(alarm, say) for alarm in found]
