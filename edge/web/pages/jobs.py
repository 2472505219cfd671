"""/jobs: queues, states, running jobs with progress, live logs, and the operator's buttons."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from edge.errors import ChronoEdgeError
from edge.jobs.admin import RETRIABLE
from edge.services.jobs import JobService
from edge.web.pages.notices import Notice, done, failed
from edge.web.pages.render import render


async def jobs_page(
    request: Request[Any, Any, Any], jobs: JobService, notice: Notice | None = None
) -> Template:
    """The page, with what the last action did."""
    context = {
        "stats": await jobs.admin.stats(),
        "jobs": await jobs.admin.list(None, 100),
        "kinds": jobs.kinds(),
        "retriable": sorted(RETRIABLE),
        "notice": notice,
    }
    page = render(request, "jobs.html", context)
    if notice is not None:
        page.status_code = notice.status
    return page


class JobPages(Controller):
    """The jobs page and its forms."""

    include_in_schema = False

    @get("/jobs")
    async def show(
        self,
        request: Request[Any, Any, Any],
        jobs: NamedDependency[JobService],
        retried: FromQuery[int | None] = None,
    ) -> Template:
        """Everything about background jobs on one page (the script keeps it live)."""
        notice = None if retried is None else done("Job {id} will run again.", id=retried)
        return await jobs_page(request, jobs, notice)

    @post("/jobs/{job_id:int}/retry", status_code=200)
    async def retry(
        self,
        request: Request[Any, Any, Any],
        job_id: FromPath[int],
        jobs: NamedDependency[JobService],
    ) -> Template | Redirect:
        """Run a failed, discarded or finished job again (as ``chrono-edge jobs retry`` does)."""
        try:
            await jobs.admin.retry(job_id)
        except ChronoEdgeError as error:
            return await jobs_page(request, jobs, failed(error))
        # Post/redirect/get: reloading the page does not post the retry again.
        return Redirect(f"/jobs?retried={job_id}", status_code=303)
