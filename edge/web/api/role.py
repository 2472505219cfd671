"""/api/v1/role: the role this box is playing now (public: SLAVEs and /setup read it)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from edge.services.boxrole import RoleService, RoleStatus


class RoleController(Controller):
    """The box's role as the web process follows it from reader.json."""

    path = "/api/v1/role"
    tags = ["setup"]  # noqa: RUF012 (Litestar reads a class attribute)

    @get("/", opt={"public": True})
    async def show_role(self, box_role: NamedDependency[RoleService]) -> RoleStatus:
        """Role, event, point, MASTER URL and since when (no secrets); whether it is announced."""
        return box_role.status()
