"""Server-side sessions that exist only once somebody logs in, for the box and central.

Litestar's own backend stores a session, and sets a cookie, for every response,
even an anonymous one: 200 requests without a cookie made 200 files, and a public
page cached by a CDN carried somebody's cookie. This backend writes nothing and
sets no cookie while the session is empty, and keeps the id only as long as the
data under it does not change: any write (a login, a claim) goes under a new random
id and the old file is deleted, so an id planted in a browser before a login never
becomes a logged-in one (session fixation). A cookie whose id holds no stored
session is never reused, and is cleared on the response (unless the response is
``Cache-Control: public``: one copy of it may go to everybody).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.stores.base import Store
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

_LOADED = "chrono.session.loaded"
"""The request's state entry: (id, stored bytes) of the session its cookie named."""
_RENEW = "chrono.session.renew"
"""The request's state entry asking for a new id even if the data is unchanged."""


def renew_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Give the session a new id on this response (call it at every login)."""
    _state(connection)[_RENEW] = True


def _state(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
    return connection.scope.setdefault("state", {})


class LoginSessionBackend(ServerSideSessionBackend):
    """Stores a session only when it holds something; a new id on every change."""

    async def load_from_connection(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> dict[str, Any]:
        """The session the cookie names, if it is stored and alive; else an empty one."""
        session_id = connection.cookies.get(self.config.key)
        if not session_id:
            return {}
        data = await self.get(session_id, store=self._store(connection))
        if data is None:
            return {}
        _state(connection)[_LOADED] = (session_id, data)
        return self.deserialize_data(data)

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        """The id of the stored session this request came with, else a fresh (unsaved) one."""
        loaded = _state(connection).get(_LOADED)
        return loaded[0] if loaded else self.generate_session_id()

    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        """Save a changed session under a new id; clear an emptied or unknown one."""
        store = self._store(connection)
        headers = MutableScopeHeaders.from_message(message)
        state = _state(connection)
        loaded: tuple[str, bytes] | None = state.get(_LOADED)
        if scope_session is Empty or not scope_session:
            if loaded:
                await self.delete(loaded[0], store=store)
            # A response a CDN may keep for everybody carries nobody's cookie, not even this.
            public = "public" in headers.get("cache-control", "").lower()
            if self.config.key in connection.cookies and not public:
                headers.add("Set-Cookie", self._cookie("null", expires=0))
            return
        data = self.serialize_data(scope_session, connection.scope)
        if loaded and loaded[1] == data and not state.get(_RENEW):
            return  # nothing changed: no write (an SD card wears), no cookie
        session_id = self.generate_session_id()
        await self.set(session_id, data, store=store)
        if loaded:
            await self.delete(loaded[0], store=store)
        state[_LOADED] = (session_id, data)
        headers.add("Set-Cookie", self._cookie(session_id))

    def _store(self, connection: ASGIConnection[Any, Any, Any, Any]) -> Store:
        return self.config.get_store_from_app(connection.scope["app"])

    def _cookie(self, value: str, expires: int | None = None) -> str:
        cookie_fields = Cookie.__dict__.keys()
        params = dict(
            extract_dataclass_items(self.config, exclude_none=True, include=cookie_fields)
        )
        if expires is not None:  # Max-Age outranks Expires: both must say "gone"
            params["expires"] = expires
            params["max_age"] = expires
        return Cookie(value=value, key=self.config.key, **params).to_header(header="")


@dataclass
class LoginSessionConfig(ServerSideSessionConfig):
    """Litestar's server-side session settings, with the backend above."""

    _backend_class = LoginSessionBackend


def login_sessions(
    max_age_s: int, samesite: Literal["lax", "strict"], secure: bool = False
) -> LoginSessionConfig:
    """Sessions kept in the app's ``sessions`` store; the cookie holds only a random id."""
    return LoginSessionConfig(
        key="session",
        max_age=max_age_s,
        httponly=True,
        samesite=samesite,
        secure=secure,
        store="sessions",
    )
