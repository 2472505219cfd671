"""Logins for the box's pages: the session cookie and the guard on every handler.

Until the box is claimed every page is open (a fresh box has no password to ask
for). Once claimed, a handler answers only to a logged-in session unless it is
marked ``opt={"public": True}``; a page sends the browser to ``/login``, an API
answers 401 JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.stores.file import FileStore
from litestar.types import Guard

from edge.auth.passwords import AdminCredential
from edge.services.admin import AdminService

SESSION_KEY = "admin"
SESSION_MAX_AGE_S = 7 * 24 * 3600  # a race weekend without logging in again
PUBLIC = {"public": True}
"""``opt`` of a handler anyone may call on a claimed box."""


class LoginRequired(NotAuthorizedException):
    """Log in first."""


def session_config() -> ServerSideSessionConfig:
    """Server-side sessions: the cookie holds only a random id (HttpOnly, SameSite=Lax)."""
    return ServerSideSessionConfig(
        key="session",
        max_age=SESSION_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=False,  # the box serves plain HTTP on the LAN
        store="sessions",
    )


def session_store(folder: Path) -> FileStore:
    """Sessions kept in files under ``folder`` (beside the database), so restarts keep them."""
    return FileStore(folder, create_directories=True)


def login_guard(admin: AdminService) -> Guard:
    """The guard every handler runs: open before the claim, then a session or ``public``."""

    def require_login(
        connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        if handler.opt.get("public"):
            return
        credential = admin.credential()
        if credential is None or logged_in(connection, credential):
            return
        raise LoginRequired("log in first: this box is claimed")

    return require_login


def logged_in(connection: ASGIConnection[Any, Any, Any, Any], credential: AdminCredential) -> bool:
    """Whether the connection's session belongs to the admin's current password."""
    session = connection.scope.get("session")
    return isinstance(session, dict) and session.get(SESSION_KEY) == credential.stamp


def start_session(request: Request[Any, Any, Any], credential: AdminCredential) -> None:
    """Log the request's client in (the cookie is set on the response)."""
    request.clear_session()
    request.set_session({SESSION_KEY: credential.stamp})


def client_address(request: Request[Any, Any, Any]) -> str:
    """The client's address, the key of the brute-force limits."""
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None) -> str:
    """A local path to go back to after logging in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
