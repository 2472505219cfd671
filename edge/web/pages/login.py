"""/login and /logout (a POST): the admin's session for the pages of a claimed box."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from edge.errors import ChronoEdgeError
from edge.services.admin import AdminService
from edge.web.auth import PUBLIC, client_address, safe_next, start_session
from edge.web.pages.notices import Notice, done, failed
from edge.web.pages.render import render


def login_page(
    request: Request[Any, Any, Any], admin: AdminService, target: str, notice: Notice | None
) -> Template:
    """The login form, with what the last attempt did."""
    context = {"next": safe_next(target), "notice": notice, "claimed": admin.claimed()}
    page = render(request, "login.html", context)
    if notice is not None:
        page.status_code = notice.status
        page.headers.update(notice.headers)
    return page


class LoginPages(Controller):
    """Logging in and out."""

    include_in_schema = False
    opt = PUBLIC

    @get("/login")
    async def form(
        self,
        request: Request[Any, Any, Any],
        admin: NamedDependency[AdminService],
        target: Annotated[str, QueryParameter(name="next")] = "/",
    ) -> Template:
        """The password form; afterwards the browser goes back to ``next``."""
        return login_page(request, admin, target, None)

    @post("/login", status_code=200)
    async def log_in(
        self,
        request: Request[Any, Any, Any],
        data: URLEncodedBody[dict[str, Any]],
        admin: NamedDependency[AdminService],
    ) -> Template | Redirect:
        """Check the password; on success go back to where the operator was."""
        target = str(data.get("next") or "/")
        try:
            credential = await admin.log_in(str(data.get("password", "")), client_address(request))
        except ChronoEdgeError as error:
            return login_page(request, admin, target, failed(error))
        start_session(request, credential)
        return Redirect(safe_next(target), status_code=303)

    @post("/logout", status_code=200)
    async def log_out(
        self, request: Request[Any, Any, Any], admin: NamedDependency[AdminService]
    ) -> Template:
        """End the session (a POST: a link or an image elsewhere cannot log anybody out)."""
        request.clear_session()
        return login_page(request, admin, "/", done("You are logged out."))
