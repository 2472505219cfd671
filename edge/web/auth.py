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
from litestar.types import Guard

from edge.auth.passwords import AdminCredential
from edge.auth.sessions import SessionFiles
from edge.services.admin import AdminService
from edge.web.sessions import LoginSessionConfig, login_sessions, renew_session

SESSION_KEY = "admin"
SESSION_MAX_AGE_S = 7 * 24 * 3600  # a race weekend without logging in again
PUBLIC = {"public": True}
"""``opt`` of a handler anyone may call on a claimed box."""


class LoginRequired(NotAuthorizedException):
    """Log in first."""


def session_config() -> LoginSessionConfig:
    """Server-side sessions made at login only: the cookie holds a random id (HttpOnly, Lax)."""
    # secure=False: the box serves plain HTTP on the LAN.
    return login_sessions(SESSION_MAX_AGE_S, samesite="lax", secure=False)


def session_store(folder: Path) -> SessionFiles:
    """Sessions kept in files under ``folder`` (beside the database), so restarts keep them."""
    return SessionFiles(folder)


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
    """Log the request's client in under a new session id (the cookie is set on the response)."""
    request.set_session({SESSION_KEY: credential.stamp})
    renew_session(request)  # an id planted before the login never becomes a logged-in one


def client_address(request: Request[Any, Any, Any]) -> str:
    """The client's address, the key of the brute-force limits."""
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None) -> str:
    """A local path to go back to after logging in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
