"""Issue 18 acceptance: who may call what, for every route of the box and of central.

The matrix below is the authority: for each route (method and path template, taken
from the apps' own route tables) and each credential, the class of answer expected.
A route missing from the matrix, or an entry whose route is gone, fails with its
name: a new route cannot ship without somebody deciding who may call it.

Classes of answers:

- ``ok``: the credential got past authorization (2xx, a 3xx that is not the login
  guard's, or a 4xx other than 401, 403 and 404: the body was refused, not the caller);
- ``login``: 401, or a 302/307 to ``/login`` (the login guard of a page);
- ``forbidden``: 403 (known caller, but not for this object);
- ``hidden``: 404 (the object is not this caller's to see).

A 5xx is never expected. Path parameters are real objects: the box's loaded event,
an entrant, a correction, a job, an export file; on central the own device, its
complete backup, and the own event. Bodies are empty JSON objects or forms on the
box (its login guard runs before any body is read) and valid ones on central (its
handlers check the caller after parsing the body). Litestar's automatic OPTIONS
handlers (CORS preflight, no handler of ours runs) are left out.

Both apps are served by uvicorn on 127.0.0.1 (the box's streams never end, and
Litestar's TestClient would wait for them), on real files in ``tmp_path``; central
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from central.app import create_app as create_central
from central.settings import CentralSettings
from edge.app import create_app
from edge.auth.pin import PIN_FILE
from edge.cli.server import announce_setup_pin
from edge.roleconfig import RoleConfig, save_role
from edge.web.forgery import takes_json
from tests.security.liveapp import served
from tests.security.sessionlab import box_settings
from tests.servers import chrono_central, postgres_database

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
SLUG = "spring-10k-2026"
EVENT_KEY = "matrix-event-key"
PASSWORD = "correct horse battery"
ADMIN = ("ops", "a long enough password")
OURS, THEIRS = "our-10k", "their-10k"
WG_KEY = base64.b64encode(bytes(range(32))).decode()

# --- the matrix ------------------------------------------------------------------------

BOX_COLUMNS = ("unclaimed", "anonymous", "event_key", "admin")
"""A box before its claim (anybody), then claimed: nobody, a SLAVE's event key, its admin."""

OPEN = "ok ok ok ok"
"""Anybody, before and after the claim (screens, health, login, static files)."""
ADMIN_ONLY = "ok login login ok"
"""Open on an unclaimed box, then only the admin's session."""
INGEST = "login login ok login"
"""Only the event key, before and after the claim: the admin's session is no SLAVE."""

BOX: dict[str, str] = {
    "GET /healthz": OPEN,
    "GET /api/v1/events": ADMIN_ONLY,
    "POST /api/v1/events": ADMIN_ONLY,
    "GET /api/v1/events/{slug}": ADMIN_ONLY,
    "GET /api/v1/events/{slug}/races": ADMIN_ONLY,
    "POST /api/v1/events/{slug}/entrants/import": ADMIN_ONLY,
    "GET /api/v1/events/{slug}/entrants": ADMIN_ONLY,
    "PUT /api/v1/events/{slug}/entrants/{bib}/status": ADMIN_ONLY,
    "GET /api/v1/events/{slug}/passings": ADMIN_ONLY,
    "POST /api/v1/events/{slug}/passings": ADMIN_ONLY,
    "POST /api/v1/events/{slug}/passings/import": ADMIN_ONLY,
    "GET /api/v1/events/{slug}/passings/stream": ADMIN_ONLY,
    "POST /api/v1/events/{slug}/points/{code}/manual": ADMIN_ONLY,
    "GET /api/v1/events/{slug}/corrections": ADMIN_ONLY,
    "GET /api/v1/events/{slug}/checkins": ADMIN_ONLY,
    "POST /api/v1/events/{slug}/corrections": ADMIN_ONLY,
    "POST /api/v1/events/{slug}/corrections/{correction_id}/undo": ADMIN_ONLY,
    "GET /api/v1/events/{slug}/races/{race}/results": ADMIN_ONLY,
    "GET /api/v1/events/{slug}/races/{race}/teams": ADMIN_ONLY,
    "GET /api/v1/events/{slug}/results-version": ADMIN_ONLY,
    "POST /api/v1/events/{slug}/results/{race}/signoff": ADMIN_ONLY,
    "GET /api/v1/events/{slug}/results/state": ADMIN_ONLY,
    "GET /api/v1/events/{slug}/results/history": ADMIN_ONLY,
    "GET /api/v1/events/{slug}/arrivals": OPEN,
    "GET /api/v1/events/{slug}/arrivals/stream": OPEN,
    "GET /api/v1/readers": ADMIN_ONLY,
    "GET /api/v1/alarms": ADMIN_ONLY,
    "POST /api/v1/ingest/batches": INGEST,
    "POST /api/v1/ingest/clock": INGEST,
    "GET /api/v1/role": OPEN,
    "GET /api/v1/clock": OPEN,
    "GET /api/v1/jobs": ADMIN_ONLY,
    "POST /api/v1/jobs": ADMIN_ONLY,
    "GET /api/v1/jobs/stats": ADMIN_ONLY,
    "GET /api/v1/jobs/{job_id}": ADMIN_ONLY,
    "GET /api/v1/jobs/{job_id}/stream": ADMIN_ONLY,
    "POST /api/v1/jobs/{job_id}/cancel": ADMIN_ONLY,
    "POST /api/v1/jobs/{job_id}/retry": ADMIN_ONLY,
    "POST /api/v1/jobs/queues/{name}/pause": ADMIN_ONLY,
    "POST /api/v1/jobs/queues/{name}/resume": ADMIN_ONLY,
    "GET /api/v1/exports": ADMIN_ONLY,
    "POST /api/v1/exports": ADMIN_ONLY,
    "GET /api/v1/exports/files/{name}": ADMIN_ONLY,
    "GET /api/v1/archives/{slug}": "hidden login login hidden",  # never archived: 404
    "POST /api/v1/archives/{slug}": ADMIN_ONLY,
    "POST /api/v1/archives/{slug}/purge": ADMIN_ONLY,
    "GET /api/v1/setup": ADMIN_ONLY,
    "POST /api/v1/setup/claim": OPEN,
    "POST /api/v1/setup/login": OPEN,
    "POST /api/v1/setup/logout": OPEN,
    "POST /api/v1/setup/role": ADMIN_ONLY,
    "POST /api/v1/setup/enroll": ADMIN_ONLY,
    "POST /api/v1/setup/event": ADMIN_ONLY,
    "GET /api/v1/setup/masters": ADMIN_ONLY,
    "POST /api/v1/setup/reader-test": ADMIN_ONLY,
    "GET /": ADMIN_ONLY,
    "GET /results": ADMIN_ONLY,
    "GET /results/rows": ADMIN_ONLY,
    "GET /screen/arrivals": OPEN,
    "GET /exports": ADMIN_ONLY,
    "GET /archive": ADMIN_ONLY,
    "GET /checkin": ADMIN_ONLY,
    "GET /checkin/stream": ADMIN_ONLY,
    "POST /checkin/swap": ADMIN_ONLY,
    "GET /entrants": ADMIN_ONLY,
    "GET /entrants/rows": ADMIN_ONLY,
    "POST /entrants/import": ADMIN_ONLY,
    "POST /entrants/import/confirm": ADMIN_ONLY,
    "GET /entrants/{bib}/edit": ADMIN_ONLY,
    "POST /entrants/{bib}/edit": ADMIN_ONLY,
    "GET /jobs": ADMIN_ONLY,
    "POST /jobs/{job_id}/retry": ADMIN_ONLY,
    "GET /lang/{code}": OPEN,
    "GET /setup": ADMIN_ONLY,
    "GET /clock/panel": ADMIN_ONLY,
    "POST /setup/claim": "login ok ok ok",  # a wrong PIN, then 409: claimed already
    "POST /setup/role": ADMIN_ONLY,
    "POST /setup/enroll": ADMIN_ONLY,
    "POST /setup/event": ADMIN_ONLY,
    "POST /setup/checkin": ADMIN_ONLY,
    "POST /setup/reader-test": ADMIN_ONLY,
    "POST /setup/ota/defer": ADMIN_ONLY,
    "POST /setup/ota/force": ADMIN_ONLY,
    "GET /login": OPEN,
    "POST /login": "ok login login login",  # 409 before the claim, then a wrong password
    "POST /logout": OPEN,
    "GET /static/{file_path}": OPEN,
    "HEAD /static/{file_path}": OPEN,
    "GET /schema": ADMIN_ONLY,
    "GET /schema/openapi.json": ADMIN_ONLY,
    "GET /schema/openapi.yaml": ADMIN_ONLY,
    "GET /schema/openapi.yml": ADMIN_ONLY,
    "GET /schema/swagger": ADMIN_ONLY,
    "GET /schema/elements": ADMIN_ONLY,
    "GET /schema/rapidoc": ADMIN_ONLY,
    "GET /schema/redoc": ADMIN_ONLY,
    "GET /schema/oauth2-redirect.html": ADMIN_ONLY,
    "GET /schema/{path}": "hidden login login hidden",  # Litestar's page for unknown names
}

CENTRAL_COLUMNS = ("anonymous", "admin", "own_device", "peer_device", "foreign_device")
"""Nobody, the dashboard's admin, a device of our event, another of our event, one of theirs."""

ANYBODY = "ok ok ok ok ok"
ADMINS = "login ok login login login"
"""The dashboard's admin only: a device token opens no admin route, not even of itself."""
DEVICES = "login login ok ok ok"
"""Any device, about itself (its cursor, its backups, its offer)."""
OUR_DEVICES = "login login ok ok forbidden"
"""Devices of the event the body names: another event's device gets 403."""
OWN_BACKUP = "login login ok hidden hidden"
"""The own device's backup: to any other device it does not exist."""

CENTRAL: dict[str, str] = {
    "GET /healthz": ANYBODY,
    "POST /api/v1/enroll": ANYBODY,
    "GET /api/v1/sync/cursor": DEVICES,
    "POST /api/v1/sync/batches": OUR_DEVICES,
    "POST /api/v1/backups": DEVICES,
    "PUT /api/v1/backups/{backup_id}": OWN_BACKUP,
    "GET /api/v1/backups/latest": OWN_BACKUP,  # the others have none of their own
    "POST /api/v1/archives": DEVICES,
    "PUT /api/v1/archives/{archive_id}": OWN_BACKUP,
    "GET /api/v1/archives/{archive_id}": OWN_BACKUP,
    "POST /api/v1/devices/status": OUR_DEVICES,
    "GET /api/v1/ota/offer": DEVICES,
    "POST /api/v1/ota/report": DEVICES,
    "GET /api/v1/devices": ADMINS,
    "GET /api/v1/alerts": ADMINS,
    "GET /api/v1/alarms": ADMINS,
    "GET /api/v1/devices/{device_id}/changes": ADMINS,
    "GET /api/v1/devices/{device_id}/backups/latest": ADMINS,
    "GET /api/v1/devices/{device_id}/backups/{backup_id}/file": ADMINS,
    "POST /api/v1/devices/{device_id}/replace": ADMINS,
    "GET /api/v1/public/events/{slug}/results": ANYBODY,
    "GET /ota/{channel}/{folder}/{name}": ANYBODY,
    "GET /": ADMINS,
    "GET /rollouts": ADMINS,
    "GET /login": ANYBODY,
    "POST /login": "login login login login login",  # a wrong password, whoever sends it
    "POST /logout": ANYBODY,
    "GET /public/events/{slug}": ANYBODY,
    "GET /public/events/{slug}/runners/{bib}": ANYBODY,
    "GET /public/events/{slug}/follow": ANYBODY,
    "GET /public/events/{slug}/widget": ANYBODY,
    "GET /public/assets/runner.js": ANYBODY,
    "GET /public": ANYBODY,
    "GET /schema": ANYBODY,
    "GET /schema/openapi.json": ANYBODY,
    "GET /schema/openapi.yaml": ANYBODY,
    "GET /schema/openapi.yml": ANYBODY,
    "GET /schema/swagger": ANYBODY,
    "GET /schema/elements": ANYBODY,
    "GET /schema/rapidoc": ANYBODY,
    "GET /schema/redoc": ANYBODY,
    "GET /schema/oauth2-redirect.html": ANYBODY,
    "GET /schema/{path}": "hidden hidden hidden hidden hidden",  # Litestar's unknown page
}

# --- routes and answers ----------------------------------------------------------------


def route_table(app: Litestar) -> dict[str, Any]:
    """``METHOD /path/{param}`` of every handler of ``app`` (but OPTIONS) -> its handler."""
    table = {}
    for route in app.routes:
        path = re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.path)
        for handler in route.route_handlers:
            for method in getattr(handler, "http_methods", ()):
                if method != "OPTIONS":
                    table[f"{method} {path}"] = handler
    return table


def differences(app: Litestar, matrix: dict[str, str], columns: tuple[str, ...]) -> list[str]:
    """Routes without an entry, entries without a route, entries of the wrong width."""
    routes = route_table(app)
    found = [f"no entry for {name}" for name in sorted(set(routes) - set(matrix))]
    found += [
        f"entry for a route that is gone: {name}" for name in sorted(set(matrix) - set(routes))
    ]
    found += [
        f"{name}: {len(row.split())} answers for {len(columns)} columns"
        for name, row in matrix.items()
        if len(row.split()) != len(columns)
    ]
    return found


def answer_class(answer: httpx.Response) -> str:
    """``ok``, ``login``, ``forbidden``, ``hidden`` or ``error-<status>`` (see the docstring)."""
    status = answer.status_code
    location = answer.headers.get("location", "")
    if status >= 500:
        return f"error-{status}"
    if status == 401 or (status in (302, 307) and location.startswith("/login")):
        return "login"
    return {403: "forbidden", 404: "hidden"}.get(status, "ok")


@dataclass
class Caller:
    """One column: the headers its requests carry, and its device id on central."""

    name: str
    headers: dict[str, str] = field(default_factory=dict)
    device_id: str = ""


Body = Callable[[Caller], dict[str, Any]]
"""The request's httpx arguments (json, content, data, params) for one caller."""


def call(client: httpx.Client, method: str, url: str, **arguments: Any) -> httpx.Response:
    """One request without cookies or redirects; a stream's body is not waited for."""
    client.cookies.clear()  # the caller's own headers only, never a cookie set meanwhile
    with client.stream(method, url, follow_redirects=False, **arguments) as answer:
        if not answer.headers.get("content-type", "").startswith("text/event-stream"):
            answer.read()
    return answer


def walk(
    client: httpx.Client,
    routes: dict[str, Any],
    matrix: dict[str, str],
    caller: Caller,
    column: int,
    fill: Callable[[str], str],
    body: Callable[[str, Any], Body],
) -> list[str]:
    """Every route of the table called as ``caller``; the cells that did not answer as listed."""
    wrong = []
    # A logout ends the session that the rest of the column uses: log out last.
    for name in sorted(routes, key=lambda name: "logout" in name):
        method, template = name.split(" ", 1)
        arguments = body(name, routes[name])(caller)
        headers = {**caller.headers, **arguments.pop("headers", {})}
        answer = call(client, method, fill(template), headers=headers, **arguments)
        expected = matrix[name].split()[column]
        got = answer_class(answer)
        if got != expected:
            text = answer.text[:120] if answer.is_stream_consumed else "(a stream)"
            wrong.append(
                f"{caller.name:>14} {name}: expected {expected}, got {got}"
                f" ({answer.status_code} {text!r})"
            )
    return wrong


def filler(values: dict[str, str], overrides: dict[str, dict[str, str]]) -> Callable[[str], str]:
    """Fill a path template's parameters with real objects (``overrides`` per template)."""

    def fill(template: str) -> str:
        own = {**values, **overrides.get(template, {})}
        return re.sub(r"\{(\w+)\}", lambda m: own[m[1]], template)

    return fill


# --- the box ---------------------------------------------------------------------------


def test_the_box_matrix_names_every_route(tmp_path: Path):
    assert differences(create_app(box_settings(tmp_path)), BOX, BOX_COLUMNS) == []


def box_body(name: str, handler: Any) -> Body:
    """An empty JSON object to a JSON API, a form naming the event to the others."""
    method = name.split(" ", 1)[0]
    if method in ("GET", "HEAD"):
        return lambda caller: {}
    if takes_json(handler):
        return lambda caller: {"json": {}}
    return lambda caller: {"data": {"event": SLUG}}


@pytest.fixture
def box(tmp_path: Path) -> Iterator[tuple[httpx.Client, Litestar, dict[str, str]]]:
    """A MASTER with an event key and the example event, entrants, passings, a correction,
    a job and an export file; not claimed yet. Yields the client and the path values."""
    settings = box_settings(tmp_path)
    save_role(
        settings.role_file,
        RoleConfig(role="master", event=SLUG, point="FINISH", event_key=EVENT_KEY),
    )
    announce_setup_pin(settings)  # what `chrono-edge serve` does before serving
    app = create_app(settings)
    with served(app) as client:
        base = f"/api/v1/events/{SLUG}"
        event = (EXAMPLES / "spring-10k.yaml").read_bytes()
        assert client.post("/api/v1/events", content=event).status_code == 201
        entrants = (EXAMPLES / "entrants.csv").read_bytes()
        assert client.post(f"{base}/entrants/import", content=entrants).status_code == 201
        passings = (EXAMPLES / "passings.csv").read_bytes()
        assert client.post(f"{base}/passings/import", content=passings).is_success
        passing = client.get(f"{base}/passings").json()[0]["id"]
        correction = client.post(
            f"{base}/corrections", json={"kind": "ignore", "passing_id": passing, "by": "M"}
        )
        assert correction.status_code == 201, correction.text
        job = client.post("/api/v1/jobs", json={"kind": "diagnostics.sleep", "payload": {}})
        assert job.is_success, job.text
        (settings.paths.exports_folder).mkdir(parents=True, exist_ok=True)
        (settings.paths.exports_folder / "results-10K.csv").write_text("rank;bib\n1;1\n")
        values = {
            "slug": SLUG,
            "bib": "1",
            "code": "FINISH",
            "race": "10K",
            "correction_id": str(correction.json()["id"]),
            "job_id": str(job.json()["id"]),
            "name": "exports",
            "file_path": "app.css",
            "path": "nothing-here",
            "pin": (settings.role_file.parent / PIN_FILE).read_text().strip(),
        }
        yield client, app, values


def test_every_route_of_the_box_answers_each_credential_as_the_matrix_says(
    box: tuple[httpx.Client, Litestar, dict[str, str]],
):
    client, app, values = box
    routes = route_table(app)
    overrides = {
        "/api/v1/exports/files/{name}": {"name": "results-10K.csv"},
        "/lang/{code}": {"code": "fr"},
    }
    fill = filler(values, overrides)
    wrong = walk(client, routes, BOX, Caller("unclaimed"), 0, fill, box_body)
    claimed = client.post("/api/v1/setup/claim", json={"pin": values["pin"], "password": PASSWORD})
    assert claimed.status_code == 200, claimed.text
    session = claimed.cookies["session"]
    callers = [
        Caller("anonymous"),
        Caller("event_key", {"Authorization": f"Bearer {EVENT_KEY}"}),
        Caller("admin", {"Cookie": f"session={session}"}),
    ]
    for column, caller in enumerate(callers, start=1):
        wrong += walk(client, routes, BOX, caller, column, fill, box_body)
    assert wrong == [], "\n".join(wrong)


# --- central ---------------------------------------------------------------------------


def test_the_central_matrix_names_every_route(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
    app = create_central(CentralSettings(database_url=url, data_dir=tmp_path))
    assert differences(app, CENTRAL, CENTRAL_COLUMNS) == []


def batch(device_id: str, event: str) -> dict[str, Any]:
    """One results document of ``event``'s 10K, as a MASTER replicates it (seq 1)."""
    document = {"event": event, "race": "10K", "updated_us": 1_000}
    document |= {"columns": ["rank", "bib"], "rows": [{"rank": 1, "bib": "7"}]}
    change = {"seq": 1, "table": "results_snapshot", "op": "upsert", "row_id": "10K"}
    change["payload"] = document
    return {"device_id": device_id, "seq_from": 1, "seq_to": 1, "changes": [change]}


CONTENT = b"abc"
BACKUP = {"size": len(CONTENT), "sha256": hashlib.sha256(CONTENT).hexdigest(), "seq": 0}
ARCHIVE = {"size": len(CONTENT), "sha256": hashlib.sha256(CONTENT).hexdigest(), "event": OURS}
REPLACEMENT = {"version": "0.1.0", "wg_public_key": WG_KEY}
OUR_EVENT = {"slug": OURS, "name": "Our 10K", "date": "2026-12-03", "timezone": "UTC"}
CENTRAL_BODIES: dict[str, Body] = {
    "POST /api/v1/enroll": lambda caller: {"json": {}},
    "POST /api/v1/sync/batches": lambda caller: {"json": batch(caller.device_id, OURS)},
    "POST /api/v1/backups": lambda caller: {"json": BACKUP},
    "PUT /api/v1/backups/{backup_id}": lambda caller: {"params": {"offset": 3}, "content": b""},
    "POST /api/v1/archives": lambda caller: {"json": ARCHIVE},
    "PUT /api/v1/archives/{archive_id}": lambda caller: {"params": {"offset": 3}, "content": b""},
    "POST /api/v1/devices/status": lambda caller: {"json": {"role": "master", "event": OUR_EVENT}},
    "GET /api/v1/ota/offer": lambda caller: {
        "params": {"channel": "stable", "target": "linux-x86_64-cp311"}
    },
    "POST /api/v1/ota/report": lambda caller: {
        "json": {"state": "idle", "current": "0.1.0", "at": "2026-12-03T10:00:00+00:00"}
    },
    "POST /api/v1/devices/{device_id}/replace": lambda caller: {
        "json": {"serial": "spare-2", "hostname": "spare-2", **REPLACEMENT}
    },
    "GET /api/v1/public/events/{slug}/results": lambda caller: {"params": {"race": "10K"}},
    "GET /public/events/{slug}": lambda caller: {"params": {"race": "10K"}},
    "POST /login": lambda caller: {"data": {"username": "", "password": ""}},
}


def central_body(name: str, handler: Any) -> Body:
    """The valid body of ``name`` (none for the routes that take none)."""
    return CENTRAL_BODIES.get(name, lambda caller: {})


@dataclass
class Central:
    """Central in a test client, its devices and the objects they own."""

    client: httpx.Client
    app: Litestar
    callers: list[Caller]
    values: dict[str, str]
    spare: str


def enroll(client: httpx.Client, url: str, serial: str, event: str) -> Caller:
    """Enroll a box for ``event`` as ``chrono-edge enroll`` does; it as a caller."""
    issued = json.loads(chrono_central(url, "enroll-token", "create", "--event", event, "--json"))
    body = {"token": issued["token"], "serial": serial, "hostname": serial}
    granted = client.post("/api/v1/enroll", json={**body, **REPLACEMENT})
    assert granted.status_code == 201, granted.text
    headers = {"Authorization": f"Bearer {granted.json()['device_token']}"}
    return Caller(serial, headers, granted.json()["device_id"])


def upload_backup(client: httpx.Client, device: Caller) -> str:
    """A complete backup of ``device`` (``CONTENT``); its id."""
    started = client.post("/api/v1/backups", json=BACKUP, headers=device.headers)
    assert started.is_success, started.text
    backup = str(started.json()["id"])
    path = f"/api/v1/backups/{backup}"
    done = client.put(path, params={"offset": 0}, content=CONTENT, headers=device.headers)
    assert done.is_success, done.text
    return backup


@pytest.fixture
def central_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of central's: a SQLite file, or one of the PostgreSQL server's."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
        return
    with postgres_database() as url:
        yield url


@pytest.fixture
def central(central_url: str, tmp_path: Path) -> Iterator[Central]:
    """Central with an admin, three devices of ours and one of theirs, a backup, a results
    document and a file of the update repository."""
    url = central_url
    settings = CentralSettings(database_url=url, data_dir=tmp_path)
    metadata = settings.ota_repo / "stable" / "metadata"
    metadata.mkdir(parents=True)
    (metadata / "timestamp.json").write_text("{}")  # what a publish leaves there
    app = create_central(settings)
    with served(app) as client:
        chrono_central(url, "user", "create", ADMIN[0], "--password-stdin", stdin=ADMIN[1])
        own, peer = (
            enroll(client, url, "own_device", OURS),
            enroll(client, url, "peer_device", OURS),
        )
        foreign = enroll(client, url, "foreign_device", THEIRS)
        spare = enroll(client, url, "spare", OURS)  # the one an admin gives to a replacement
        pushed = client.post(
            "/api/v1/sync/batches", json=batch(own.device_id, OURS), headers=own.headers
        )
        assert pushed.status_code == 200, pushed.text
        backup = upload_backup(client, own)
        archive = client.post("/api/v1/archives", json=ARCHIVE, headers=own.headers)
        assert archive.is_success, archive.text  # started: its chunks still to come
        login = client.post("/login", data=dict(zip(("username", "password"), ADMIN, strict=True)))
        session = client.cookies.get("session")
        assert session, login.text
        admin = Caller("admin", {"Cookie": f"session={session}"}, own.device_id)
        values = {
            "slug": OURS,
            "backup_id": backup,
            "archive_id": str(archive.json()["id"]),
            "device_id": own.device_id,
            "channel": "stable",
            "folder": "metadata",
            "name": "timestamp.json",
            "path": "nothing-here",
            "bib": "7",  # the results document pushed above has bib 7
        }
        callers = [Caller("anonymous", {}, own.device_id), admin, own, peer, foreign]
        yield Central(client, app, callers, values, spare.device_id)


@pytest.mark.parametrize("central_url", ["sqlite", "postgresql"], indirect=True)
def test_every_route_of_central_answers_each_credential_as_the_matrix_says(central: Central):
    routes = route_table(central.app)
    replace = {"/api/v1/devices/{device_id}/replace": {"device_id": central.spare}}
    fill = filler(central.values, replace)
    wrong = []
    for column, caller in enumerate(central.callers):
        wrong += walk(central.client, routes, CENTRAL, caller, column, fill, central_body)
    assert wrong == [], "\n".join(wrong)
