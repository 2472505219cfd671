"""The clock panel of /setup and the console, and its fragment for the pages' refresh."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from edge.clocks.alarms import ClockState
from edge.roleconfig import Role
from edge.services.clocks import ClockService, ClockView, clock_view
from edge.settings import Settings, get_settings
from edge.store.database import Database
from edge.web.pages.render import render


async def measure_clocks(
    request: Request[Any, Any, Any], db: Database, settings: Settings | None = None
) -> tuple[ClockService, ClockState]:
    """This box's clocks now (its role from the web process), and the service measuring."""
    clocks = ClockService.from_settings(db, settings or get_settings())
    follower = request.app.state.get("box_role")
    role = follower.current if follower is not None else None
    device_id = role.device_id if role is not None else ""
    master = role is None or role.role is not Role.SLAVE
    return clocks, await clocks.state(device_id, master=master)


async def clock_of(
    request: Request[Any, Any, Any], db: Database, settings: Settings | None = None
) -> ClockView:
    """This box's clocks as the panel shows them."""
    clocks, state = await measure_clocks(request, db, settings)
    return clock_view(state, clocks.tolerance_us)


class ClockPages(Controller):
    """``/clock/panel``: the panel alone, which /static/clock.js swaps in every 15 s."""

    include_in_schema = False

    @get("/clock/panel")
    async def panel(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
    ) -> Template:
        """The clock panel's HTML."""
        return render(request, "clock_panel.html", {"clock": await clock_of(request, db, settings)})
