"""/jobs: queues, states, running jobs with progress, live logs, and the operator's buttons."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from edge.services.jobs import JobService
from edge.web.pages.render import render


class JobPages(Controller):
    """The jobs page."""

    include_in_schema = False

    @get("/jobs")
    async def jobs_page(
        self, request: Request[Any, Any, Any], jobs: NamedDependency[JobService]
    ) -> Template:
        """Everything about background jobs on one page (the script keeps it live)."""
        context = {
            "stats": await jobs.admin.stats(),
            "jobs": await jobs.admin.list(None, 100),
            "kinds": jobs.kinds(),
        }
        return render(request, "jobs.html", context)
