"""Server-rendered pages: login, the fleet dashboard (the public ones: public_pages.py)."""

from __future__ import annotations

import dataclasses
from itertools import groupby
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from central.errors import Unauthorized
from central.services.alarms import AlarmService
from central.services.fleet import FleetService
from central.services.rollouts import COLUMNS
from central.services.updates import UpdateService
from central.services.users import UserService, session_key
from central.web.auth import SESSION_KEY, SESSION_USER, LoginThrottle, TooManyAttempts, admin_of
from edge.domain.clock import from_us
from edge.web.sessions import renew_session


@dataclasses.dataclass
class LoginForm:
    """The login form."""

    username: str
    password: str


class PageController(Controller):
    """HTML pages of central."""

    include_in_schema = False

    @get("/login")
    async def login_page(self) -> Template:
        """The login form."""
        return Template("login.html", context={"error": None})

    @post("/login", status_code=303)
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        users: NamedDependency[UserService],
        throttle: NamedDependency[LoginThrottle],
    ) -> Response[Any]:
        """Check the credentials; on success open a session and go to the dashboard."""
        address = request.client.host if request.client else "?"
        try:
            await throttle.check(address)
        except TooManyAttempts as error:
            context = {"error": error.message}
            return Template("login.html", context=context, status_code=429, headers=error.headers())
        admin = await users.authenticate(data.username, data.password)
        if admin is None:
            await throttle.failed(address)
            context = {"error": "Wrong username or password."}
            return Template("login.html", context=context, status_code=401)
        request.set_session({SESSION_USER: admin.username, SESSION_KEY: session_key(admin)})
        renew_session(request)  # an id planted before the login never becomes a logged-in one
        return Redirect("/", status_code=303)  # see other: the browser GETs the dashboard

    @post("/logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        """End the session (a POST: a link or an image elsewhere cannot log anybody out)."""
        request.clear_session()
        return Redirect("/login", status_code=303)

    @get("/")
    async def dashboard(
        self,
        request: Request[Any, Any, Any],
        users: NamedDependency[UserService],
        throttle: NamedDependency[LoginThrottle],
        fleet: NamedDependency[FleetService],
        alarms: NamedDependency[AlarmService],
    ) -> Response[Any]:
        """Devices per event with their state, the boxes' alarms and the alerts (every 10 s)."""
        try:
            user = await admin_of(request, users, throttle)
        except Unauthorized:
            return Redirect("/login")
        devices = await fleet.devices()
        events = [(event, list(group)) for event, group in groupby(devices, lambda d: d.event)]
        context = {
            "user": user,
            "alerts": await fleet.alerts(),
            "alarms": await alarms.alarms(),
            "time_of": lambda us: from_us(us).strftime("%H:%M:%S") if us else "",
            "today": await fleet.events_of_the_day(),
            "events": events,
            "refresh": 10,
        }
        return Template("dashboard.html", context=context)

    @get("/rollouts")
    async def rollouts(
        self,
        request: Request[Any, Any, Any],
        users: NamedDependency[UserService],
        throttle: NamedDependency[LoginThrottle],
        updates: NamedDependency[UpdateService],
    ) -> Response[Any]:
        """Per rollout, its boxes counted per state, each with its last error (every 10 s)."""
        try:
            user = await admin_of(request, users, throttle)
        except Unauthorized:
            return Redirect("/login")
        devices = await updates.devices()
        context = {
            "user": user,
            "boards": await updates.boards(),
            "columns": COLUMNS,
            "silent": [device for device, state in devices if state is None or not state.channel],
            "expiry": await updates.expiry(),
            "refresh": 10,
        }
        return Template("rollouts.html", context=context)
