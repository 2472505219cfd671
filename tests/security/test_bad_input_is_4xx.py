"""Issue 18, finding 6: every bad input is a 4xx with a reason; every 500 is logged with its trace.

The attacks: an unknown enum value or an integer past 64 bits in a query, a
JSON body nested 1,000 (or 100,000) levels deep on any JSON route, anonymous
ones first, and a results snapshot missing its keys. Each answered 500 and
logged nothing. The box runs through Litestar's test client on a real SQLite
file; central as a real process on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from litestar.testing import TestClient
from sqlalchemy.engine import make_url

from edge.app import create_app
from edge.auth.pin import PIN_FILE
from edge.cli.server import announce_setup_pin
from edge.settings import Settings
from tests.servers import _admin_sql, central_process, chrono_central, free_port, postgres_database

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EVENT = (ROOT / "docs/examples/spring-10k.yaml").read_bytes()
SLUG = "spring-10k-2026"
KEY = base64.b64encode(bytes(range(32))).decode()
ADMIN = ("ops", "a long enough password")
HUGE = str(10**30)  # past SQLite's and PostgreSQL's 64-bit integers


def deep(depth: int, kind: str) -> bytes:
    """A JSON document nested ``depth`` levels: arrays or objects."""
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


JSON = {"content-type": "application/json"}  # JSON APIs refuse other types first (415)
KEYED_BATCHES = ("/api/v1/ingest/batches", "/api/v1/sync/batches")
"""JSON routes that check their key before reading the body: a 4xx (401 without the key)."""
DEEP_BODIES = [(depth, kind) for depth in (1_000, 100_000) for kind in ("array", "object")]


def json_routes(schema: dict[str, Any], **path_values: str) -> list[tuple[str, str]]:
    """(method, path) of every route whose request body is JSON, path parameters filled."""
    routes = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                filled = re.sub(r"\{(\w+)[^}]*\}", lambda m: path_values.get(m[1], "1"), path)
                routes.append((method.upper(), filled))
    assert routes
    return routes


def assert_4xx_with_reason(answer: httpx.Response, *words: str) -> None:
    assert 400 <= answer.status_code < 500, f"{answer.status_code}: {answer.text[:300]}"
    text = answer.text.lower()
    assert answer.json().get("detail"), answer.text
    for word in words:
        assert word in text, answer.text


# --- the box ---------------------------------------------------------------------------


def box_settings(tmp_path: Path) -> Settings:
    """An unclaimed box (everything open, as before its claim), its setup PIN announced."""
    (tmp_path / "boot").mkdir()
    settings = Settings(
        db=tmp_path / "edge.db",
        config_dir=tmp_path / "etc",
        role_file=tmp_path / "etc" / "reader.json",
        key_folder=tmp_path / "keys",
        cache_folder=tmp_path / "cache",
        boot_folder=tmp_path / "boot",
    )
    announce_setup_pin(settings)  # what `chrono-edge serve` does before serving
    return settings


@pytest.fixture
def box(tmp_path: Path) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The box's app in Litestar's test client, with the example event."""
    with TestClient(create_app(box_settings(tmp_path))) as client:
        assert client.post("/api/v1/events", content=EVENT).status_code == 201
        yield client


@pytest.mark.parametrize("state", ["bogus", "", "COMPLETED", "completed;--", "-1"])
def test_an_unknown_job_state_is_400(box: TestClient, state: str):  # type: ignore[type-arg]
    answer = box.get("/api/v1/jobs", params={"state": state})
    assert_4xx_with_reason(answer, "state")
    assert box.get("/api/v1/jobs", params={"state": "completed"}).status_code == 200


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/jobs", "limit"),
        ("/api/v1/jobs/1/stream", "after"),
        (f"/api/v1/events/{SLUG}/passings", "limit"),
        (f"/api/v1/events/{SLUG}/passings/stream", "after"),
    ],
)
@pytest.mark.parametrize("value", [HUGE, "-1", "abc"])
def test_out_of_range_integers_in_queries_are_400(live_box: str, path: str, name: str, value: str):
    # Streams (Server-Sent Events) answer their headers, then stay open: read only those.
    with httpx.stream("GET", f"{live_box}{path}", params={name: value}, timeout=10) as answer:
        assert 400 <= answer.status_code < 500, f"{answer.status_code}: the stream was opened"
        answer.read()
    assert_4xx_with_reason(answer, name)


@pytest.fixture
def live_box(tmp_path: Path) -> Iterator[str]:
    """The box's app served by uvicorn on 127.0.0.1 (its streams never end), the event loaded."""
    port = free_port()
    config = uvicorn.Config(create_app(box_settings(tmp_path)), port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        assert httpx.post(f"{base}/api/v1/events", content=EVENT).status_code == 201
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.mark.parametrize(("depth", "kind"), DEEP_BODIES)
def test_deep_json_is_400_on_every_json_route_of_the_box(
    box: TestClient,  # type: ignore[type-arg]
    depth: int,
    kind: str,
):
    schema = box.get("/schema/openapi.json").json()
    body = deep(depth, kind)
    for method, path in json_routes(schema, slug=SLUG, bib="1", code="FINISH"):
        answer = box.request(
            method, path, content=body, headers={"content-type": "application/json"}
        )
        assert_4xx_with_reason(answer)
        if path not in KEYED_BATCHES:
            assert answer.status_code == 400, (method, path, answer.text)


def test_deep_json_on_a_claimed_box_anonymous_routes(
    box: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
):
    """The anonymous claim and login of a claimed box, without any session."""
    pin = (tmp_path / "etc" / PIN_FILE).read_text().strip()
    claimed = box.post("/api/v1/setup/claim", json={"pin": pin, "password": ADMIN[1]})
    assert claimed.status_code == 200, claimed.text
    box.cookies.clear()
    for path in ("/api/v1/setup/login", "/api/v1/setup/claim"):
        for depth, kind in DEEP_BODIES:
            answer = box.post(path, content=deep(depth, kind), headers=JSON)
            assert answer.status_code == 400, (path, answer.text)
            assert "nested" in answer.json()["detail"]


def test_a_500_of_the_box_is_logged_with_its_trace(
    box: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
):
    with sqlite3.connect(tmp_path / "edge.db") as damaged:  # a real failure, not a mock
        damaged.execute("DROP TABLE job_log")
        damaged.execute("DROP TABLE job")
    with caplog.at_level(logging.ERROR):
        answer = box.get("/api/v1/jobs")
    assert answer.status_code == 500
    assert "job" not in answer.json()["detail"]  # nothing of the internals for the client
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert failures, "the 500 was not logged"
    assert "/api/v1/jobs" in failures[0].getMessage()
    trace = logging.Formatter().formatException(failures[0].exc_info)  # type: ignore[arg-type]
    assert "Traceback" in trace
    assert "no such table: job" in trace


# --- central ---------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def central_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('central') / 'central.db'}"
        return
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def central(central_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("central")
    with central_process(central_url, free_port(), folder) as base:
        chrono_central(central_url, "user", "create", ADMIN[0], "--password-stdin", stdin=ADMIN[1])
        yield base


def enroll(base: str, url: str, serial: str) -> dict[str, str]:
    issued = chrono_central(url, "enroll-token", "create", "--event", SLUG, "--json")
    body = {"token": json.loads(issued)["token"], "serial": serial, "hostname": serial,
            "version": "0.1.0", "wg_public_key": KEY}  # fmt: skip
    granted = httpx.post(f"{base}/api/v1/enroll", json=body)
    assert granted.status_code == 201, granted.text
    return dict(granted.json())


@pytest.mark.parametrize(("depth", "kind"), DEEP_BODIES)
def test_deep_json_is_4xx_on_every_json_route_of_central(
    central: str, central_url: str, depth: int, kind: str
):
    device = enroll(central, central_url, f"deep-{depth}-{kind}")
    schema = httpx.get(f"{central}/schema/openapi.json").json()
    body = deep(depth, kind)
    for who, headers in (
        ("anonymous", {}),
        ("device", {"Authorization": f"Bearer {device['device_token']}"}),
    ):
        for method, path in json_routes(schema, device_id=device["device_id"], backup_id="x"):
            answer = httpx.request(
                method, f"{central}{path}", content=body,
                headers={**headers, "Content-Type": "application/json"},
            )  # fmt: skip
            assert_4xx_with_reason(answer)
            if path not in KEYED_BATCHES:
                assert answer.status_code == 400, (who, method, path, answer.text)
        for encoding in ("identity", "gzip"):
            data = gzip.compress(body) if encoding == "gzip" else body
            batch = httpx.post(
                f"{central}/api/v1/sync/batches", content=data,
                headers={**headers, "Content-Encoding": encoding},
            )  # fmt: skip
            assert_4xx_with_reason(batch)


@pytest.mark.parametrize(
    "payload",
    [
        {"race": "10K", "updated_us": 1, "rows": []},  # no event
        {"event": SLUG, "updated_us": 1, "rows": []},  # no race
        {"event": SLUG, "race": "10K", "updated_us": "soon"},
        {"event": SLUG, "race": "10K", "rows": "not a list"},
        {"event": SLUG, "race": "10K", "columns": [{"a": 1}]},
        {"event": SLUG, "race": ["10K"]},
    ],
)
def test_a_malformed_results_snapshot_is_422_and_nothing_is_applied(
    central: str, central_url: str, payload: dict[str, Any]
):
    device = enroll(central, central_url, f"snapshot-{json.dumps(payload)}")
    headers = {"Authorization": f"Bearer {device['device_token']}"}
    changes = [
        {"seq": 1, "table": "tag_read", "op": "upsert", "row_id": "r1",
         "payload": {"event": SLUG, "epc": "E1"}},
        {"seq": 2, "table": "results_snapshot", "op": "upsert", "row_id": "10K",
         "payload": payload},
    ]  # fmt: skip
    body = {"device_id": device["device_id"], "seq_from": 1, "seq_to": 2, "changes": changes}
    answer = httpx.post(f"{central}/api/v1/sync/batches", json=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert "seq 2" in answer.json()["detail"]
    cursor = httpx.get(f"{central}/api/v1/sync/cursor", headers=headers).json()
    assert cursor["acked_seq"] == 0


@pytest.mark.parametrize(
    ("name", "value"), [("after", HUGE), ("after", "-1"), ("limit", "0"), ("limit", HUGE)]
)
def test_out_of_range_integers_in_central_queries_are_400(
    central: str, central_url: str, name: str, value: str
):
    device = enroll(central, central_url, f"range-{name}-{value}")
    path = f"{central}/api/v1/devices/{device['device_id']}/changes"
    assert_4xx_with_reason(httpx.get(path, params={name: value}, auth=ADMIN), name)
    backup = f"{central}/api/v1/backups/x"
    headers = {"Authorization": f"Bearer {device['device_token']}"}
    assert_4xx_with_reason(
        httpx.put(backup, params={"offset": HUGE}, content=b"x", headers=headers), "offset"
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def own_central_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own: the test below damages it."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'damaged.db'}"
        return
    with postgres_database() as url:
        yield url


def test_a_500_of_central_is_logged_with_its_trace(own_central_url: str, tmp_path: Path):
    port = free_port()
    with central_process(own_central_url, port, tmp_path) as base:
        public = f"{base}/api/v1/public/events/{SLUG}/results"
        assert httpx.get(public, params={"race": "10K"}).status_code == 404
        drop_table(own_central_url, "public_results")  # a real failure: the table is gone
        answer = httpx.get(public, params={"race": "10K"})
        assert answer.status_code == 500
        assert "public_results" not in answer.text
    log = (tmp_path / f"central-{port}.log").read_text()
    assert "GET /api/v1/public/events" in log
    assert "Traceback (most recent call last)" in log
    assert "public_results" in log


def drop_table(url: str, table: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with sqlite3.connect(str(parsed.database)) as db:
            db.execute(f"DROP TABLE {table}")
        return
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    asyncio.run(_admin_sql(dsn, f"DROP TABLE {table}"))
