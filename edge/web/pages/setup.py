"""/setup: claim the box with its PIN, then its role, event, reader test, enrollment, updates."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import MultipartBody, URLEncodedBody
from litestar.response import Template

from edge.alarms.service import alarm_out, disk_full_alarms
from edge.errors import ChronoEdgeError, InvalidInput, Problem
from edge.services.admin import AdminService
from edge.services.readercheck import check_reader
from edge.services.setup import SetupService
from edge.services.updates import UpdateService
from edge.settings import Settings
from edge.store.database import Database
from edge.web.api.setup import provide_setup
from edge.web.auth import PUBLIC, client_address, logged_in, start_session
from edge.web.i18n import language_of, translator
from edge.web.pages.clock import clock_of
from edge.web.pages.notices import Notice, done, failed
from edge.web.pages.render import render


async def setup_page(
    request: Request[Any, Any, Any],
    setup: SetupService,
    admin: AdminService,
    updates: UpdateService,
    notice: Notice | None = None,
    **extra: Any,
) -> Template:
    """The page, with what the last action did."""
    status = await setup.status(admin.claimed())
    credential = admin.credential()
    say = translator(language_of(request))
    context = {
        "status": status,
        "disk_full": [alarm_out(a, say) for a in await disk_full_alarms(setup.db.path)],
        "ota": await updates.status(),
        "notice": notice,
        "logged_in": credential is not None and logged_in(request, credential),
        "clock": await clock_of(request, setup.db),
        **extra,
    }
    page = render(request, "setup.html", context)
    if notice is not None:
        page.status_code = notice.status
        page.headers.update(notice.headers)
    return page


def provide_updates(settings: NamedDependency[Settings]) -> UpdateService:
    """Dependency: the box's over-the-air update state and the operator's buttons."""
    return UpdateService(settings.paths)


def _field(form: dict[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


class SetupPages(Controller):
    """The setup page and its forms (each answers with the page and a notice)."""

    include_in_schema = False
    dependencies = {  # noqa: RUF012
        "setup": Provide(provide_setup, sync_to_thread=False),
        "updates": Provide(provide_updates, sync_to_thread=False),
    }

    @get("/setup")
    async def show(
        self,
        request: Request[Any, Any, Any],
        setup: NamedDependency[SetupService],
        admin: NamedDependency[AdminService],
        updates: NamedDependency[UpdateService],
    ) -> Template:
        """The box's state; before the claim, the claim form first."""
        return await setup_page(request, setup, admin, updates)

    @post("/setup/claim", opt=PUBLIC, status_code=200)
    async def claim(
        self,
        request: Request[Any, Any, Any],
        data: URLEncodedBody[dict[str, Any]],
        setup: NamedDependency[SetupService],
        admin: NamedDependency[AdminService],
        updates: NamedDependency[UpdateService],
    ) -> Template:
        """Set the admin password with the setup PIN and log in."""
        try:
            credential = await admin.claim(
                _field(data, "pin"),
                _field(data, "password"),
                client_address(request),
                _field(data, "password_again"),
            )
        except ChronoEdgeError as error:
            return await setup_page(request, setup, admin, updates, failed(error))
        start_session(request, credential)
        notice = done("The box is claimed: the setup PIN is spent and you are logged in.")
        return await setup_page(request, setup, admin, updates, notice, just_logged_in=True)

    @post("/setup/reader-test", status_code=200)
    async def reader_test(
        self,
        request: Request[Any, Any, Any],
        setup: NamedDependency[SetupService],
        admin: NamedDependency[AdminService],
        updates: NamedDependency[UpdateService],
        db: NamedDependency[Database],
    ) -> Template:
        """Connect to the reader for a few seconds and show what it saw."""
        try:
            found = await check_reader(db, setup.current().reader)
        except ChronoEdgeError as error:
            return await setup_page(request, setup, admin, updates, failed(error))
        if found.ok:
            notice = done("The reader at {address} answered.", address=found.address)
        else:
            notice = Notice(
                "error",
                "The reader at {address} did not answer.",
                {"address": found.address},
                [found.detail],
            )
        return await setup_page(request, setup, admin, updates, notice, reader=found)

    @post("/setup/role", status_code=200)
    async def choose_role(
        self,
        request: Request[Any, Any, Any],
        data: URLEncodedBody[dict[str, Any]],
        setup: NamedDependency[SetupService],
        admin: NamedDependency[AdminService],
        updates: NamedDependency[UpdateService],
    ) -> Template:
        """Write the role, event, point and MASTER to reader.json, all or nothing."""
        try:
            config = await setup.choose_role(
                _field(data, "role"),
                _field(data, "event"),
                _field(data, "point"),
                _field(data, "master_url"),
                _field(data, "event_key"),
                bool(_field(data, "discovery")),
            )
        except ChronoEdgeError as error:
            return await setup_page(request, setup, admin, updates, failed(error), form=data)
        notice = done("This box is now {role}.", role=config.role.value.upper())
        return await setup_page(request, setup, admin, updates, notice)

    @post("/setup/checkin", status_code=200)
    async def choose_checkin(
        self,
        request: Request[Any, Any, Any],
        data: URLEncodedBody[dict[str, Any]],
        setup: NamedDependency[SetupService],
        admin: NamedDependency[AdminService],
        updates: NamedDependency[UpdateService],
    ) -> Template:
        """Make the box, some of its antennas or nothing a check-in point (reader.json)."""
        try:
            config = await setup.set_checkin(_field(data, "checkin"), _field(data, "antennas"))
        except ChronoEdgeError as error:
            return await setup_page(request, setup, admin, updates, failed(error), form=data)
        if config.checkin.box:
            notice = done("The whole box is now a check-in point: its reads are check-ins.")
        elif config.checkin.antennas:
            notice = done(
                "Antennas {antennas} are now a check-in point; the others time the race.",
                antennas=", ".join(str(a) for a in config.checkin.antennas),
            )
        else:
            notice = done("This box is no check-in point: every read times the race.")
        return await setup_page(request, setup, admin, updates, notice)

    @post("/setup/event", status_code=200)
    async def load_event(
        self,
        request: Request[Any, Any, Any],
        data: MultipartBody[dict[str, Any]],
        setup: NamedDependency[SetupService],
        admin: NamedDependency[AdminService],
        updates: NamedDependency[UpdateService],
    ) -> Template:
        """Load an event from an uploaded YAML file."""
        upload = data.get("file")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise InvalidInput([Problem("file", "choose an event file (.yaml)")], "no file")
            report = await setup.load_event(await upload.read(), upload.filename)
        except ChronoEdgeError as error:
            return await setup_page(request, setup, admin, updates, failed(error))
        if report.created:
            notice = done("Event {slug} loaded.", slug=report.slug)
        elif report.changes:
            notice = done(
                "Event {slug} updated: {count} changes.",
                slug=report.slug,
                count=len(report.changes),
            )
        else:
            notice = done("Event {slug} unchanged: the file is already loaded.", slug=report.slug)
        return await setup_page(request, setup, admin, updates, notice)

    @post("/setup/enroll", status_code=200)
    async def enroll(
        self,
        request: Request[Any, Any, Any],
        data: URLEncodedBody[dict[str, Any]],
        setup: NamedDependency[SetupService],
        admin: NamedDependency[AdminService],
        updates: NamedDependency[UpdateService],
    ) -> Template:
        """Enroll with central using a token; the tunnel comes up when it can."""
        try:
            enrolled = await setup.enroll(_field(data, "central_url"), _field(data, "token"))
        except ChronoEdgeError as error:
            return await setup_page(request, setup, admin, updates, failed(error), form=data)
        notice = done(
            "Enrolled with central {url} as {device}.", url=enrolled.url, device=enrolled.device_id
        )
        if enrolled.reason:
            notice.details.append(enrolled.reason)
        return await setup_page(request, setup, admin, updates, notice)

    @post("/setup/ota/defer", status_code=200)
    async def defer_updates(
        self,
        request: Request[Any, Any, Any],
        data: URLEncodedBody[dict[str, Any]],
        setup: NamedDependency[SetupService],
        admin: NamedDependency[AdminService],
        updates: NamedDependency[UpdateService],
    ) -> Template:
        """Hold updates back for some hours (0: allow them again)."""
        try:
            word = await updates.defer(_field(data, "hours"))
        except ChronoEdgeError as error:
            return await setup_page(request, setup, admin, updates, failed(error))
        if word.deferred_until:
            notice = done("Updates are deferred until {until}.", until=word.deferred_until)
        else:
            notice = done("Updates are allowed again.")
        return await setup_page(request, setup, admin, updates, notice)

    @post("/setup/ota/force", status_code=200)
    async def force_update(
        self,
        request: Request[Any, Any, Any],
        data: URLEncodedBody[dict[str, Any]],
        setup: NamedDependency[SetupService],
        admin: NamedDependency[AdminService],
        updates: NamedDependency[UpdateService],
    ) -> Template:
        """Let the offered release install now, whatever the race, sync and window say."""
        try:
            force = await updates.force(_field(data, "reason"))
        except ChronoEdgeError as error:
            return await setup_page(request, setup, admin, updates, failed(error))
        notice = done("{version} will install at the next check, forced.", version=force.version)
        return await setup_page(request, setup, admin, updates, notice)
