"""/api/v1/clock: this box's clocks (chrony, readers, SLAVEs) and the clock alarms now.

Public, like /api/v1/role: a SLAVE's operator or a script checks a box's clock before the
start without logging in; nothing in it is secret.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, get
from litestar.di import NamedDependency, Provide

from edge.clocks.alarms import ClockAlarm, clock_alarms
from edge.roleconfig import Role
from edge.services.boxrole import RoleService
from edge.services.clocks import ClockService, ClockView, clock_view
from edge.settings import Settings
from edge.store.database import Database


def provide_clocks(
    db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> ClockService:
    """Dependency: the clock service, with the tolerance of the settings."""
    return ClockService.from_settings(db, settings)


@dataclass
class ClockOut:
    """The clocks as the API shows them, and the alarms they raise (stable codes)."""

    clock: ClockView
    alarms: list[ClockAlarm]


class ClockController(Controller):
    """The clock state of this box."""

    path = "/api/v1/clock"
    tags = ["setup"]  # noqa: RUF012 (Litestar reads a class attribute)
    dependencies = {"clocks": Provide(provide_clocks, sync_to_thread=False)}  # noqa: RUF012

    @get("/", opt={"public": True})
    async def show_clock(
        self, clocks: NamedDependency[ClockService], box_role: NamedDependency[RoleService]
    ) -> ClockOut:
        """Synchronised or not (chrony's source, offset, stratum), the readers' offsets and
        drifts, the SLAVEs' offsets to this MASTER (or this SLAVE's), the alarms."""
        role = box_role.current
        state = await clocks.state(role.device_id, master=role.role is not Role.SLAVE)
        return ClockOut(
            clock_view(state, clocks.tolerance_us), clock_alarms(state, clocks.tolerance_us)
        )
