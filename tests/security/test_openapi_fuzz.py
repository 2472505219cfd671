"""Issue 18 acceptance: schemathesis on both OpenAPI specs finds no 5xx and no answer
that contradicts its schema.

Each operation of /schema/openapi.json gets the spec's own examples, then generated
requests (a bounded number, derandomized: the same ones at every run), half of them
with real objects in the path (the loaded event, its entrants, our device). Raw
bodies are described in the spec (an event's YAML, entrants' and passings' CSV, sync
batches, backup chunks); their generated bodies are the example files and random
bytes. The checks: ``not_a_server_error`` and ``response_schema_conformance``. Every
operation is called anonymously, then with credentials (the box's admin session;
central's admin session and a device token), and the logout comes last.

Left out: the box's Server-Sent Events streams (they never end; their parameters are
checked in test_bad_input_is_4xx.py).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from central.app import create_app as create_central
from central.settings import CentralSettings
from edge.app import create_app
from edge.auth.pin import PIN_FILE
from edge.cli.server import announce_setup_pin
from edge.roleconfig import RoleConfig, save_role
from edge.web.openapi import CSV, ENTRANTS_EXAMPLE, EVENT_EXAMPLE, PASSINGS_EXAMPLE, YAML
from tests.security.liveapp import served
from tests.security.sessionlab import box_settings
from tests.servers import chrono_central

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 12
"""Generated requests per operation and credential (the spec's examples come on top)."""
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
SLUG = "spring-10k-2026"
PASSWORD = "correct horse battery"
ADMIN = ("ops", "a long enough password")
WG_KEY = base64.b64encode(bytes(range(32))).decode()
CHECKS = [not_a_server_error, response_schema_conformance]

# Raw bodies: the real files of docs/examples, the spec's examples, and random bytes.
CSV_FILES = [(EXAMPLES / n).read_bytes() for n in ("entrants.csv", "passings.csv")]
CSV_FILES += [ENTRANTS_EXAMPLE.encode(), PASSINGS_EXAMPLE.encode()]
YAML_FILES = [(EXAMPLES / "spring-10k.yaml").read_bytes(), EVENT_EXAMPLE.encode()]
RAW_FILES = {CSV: CSV_FILES, YAML: YAML_FILES}
for media_type, files in RAW_FILES.items():
    schemathesis.openapi.media_type(
        media_type, st.one_of(st.sampled_from(files), st.binary(max_size=300))
    )


@dataclass
class Target:
    """A served app: its base URL, its spec, real path values and credentials."""

    base: str
    spec: dict[str, Any]
    values: dict[str, str]
    credentials: dict[str, str]  # headers of the logged-in caller
    sent: int = 0  # requests sent so far


def is_stream(operation: Any) -> bool:
    """Whether the operation answers Server-Sent Events (an endless body)."""
    responses = operation.definition.raw.get("responses", {})
    return any("text/event-stream" in r.get("content", {}) for r in responses.values())


def fuzz(target: Target, headers: dict[str, str]) -> list[str]:
    """Every operation of ``target``'s spec with ``headers``; what failed, one line each."""
    schema = schemathesis.openapi.from_dict(target.spec)
    operations = [result.ok() for result in schema.get_all_operations()]
    # A logout ends the session the others use: last.
    operations.sort(key=lambda operation: "logout" in operation.path)
    session = requests.Session()
    failures = []
    for operation in operations:
        if not is_stream(operation):
            failures += fuzz_operation(schema, operation, target, session, headers)
    return failures


def fuzz_operation(
    schema: Any, operation: Any, target: Target, session: requests.Session, headers: dict[str, str]
) -> list[str]:
    """The spec's examples and generated requests of one operation; what failed."""
    names = {p.name for p in operation.path_parameters}
    real = {name: value for name, value in target.values.items() if name in names}
    # A long poll answers when its `wait` is over: fixed at 0, or each request would hold
    # for as long as the fuzzer asks (up to a minute) and past the client's timeout.
    query = {"wait": 0} if "wait" in {p.name for p in operation.query} else None
    strategies = [
        operation.as_strategy(query=query),
        operation.as_strategy(path_parameters=real, query=query),
    ]
    if not set(operation.get_request_payload_content_types()) & set(RAW_FILES):
        # A file's example is text, which schemathesis cannot send as the bytes of a
        # media type with its own strategy; RAW_FILES holds those examples already.
        strategies += schema.get_strategies_from_examples(operation)
    sent = 0

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(*strategies))
    def call(case: Any) -> None:
        nonlocal sent
        session.cookies.clear()
        sent += 1
        case.call_and_validate(
            base_url=target.base, session=session, headers=headers, checks=CHECKS
        )

    try:
        call()
    except (Exception, BaseExceptionGroup) as error:  # every failing operation, not the first
        return [f"{operation.label}: {str(error)[:800]}"]
    finally:
        target.sent += sent
    return [] if sent else [f"{operation.label}: no request was sent"]


# --- the box ---------------------------------------------------------------------------


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Target]:
    """A claimed MASTER with the example event and its entrants; its admin session."""
    settings = box_settings(tmp_path)
    save_role(
        settings.role_file,
        RoleConfig(role="master", event=SLUG, point="FINISH", event_key="Fz7-qL2m-Wx9r-Kd4t"),
    )
    announce_setup_pin(settings)
    with served(create_app(settings)) as client:
        base = f"/api/v1/events/{SLUG}"
        assert client.post("/api/v1/events", content=YAML_FILES[0]).status_code == 201
        entrants = client.post(f"{base}/entrants/import", content=CSV_FILES[0])
        assert entrants.status_code == 201, entrants.text
        pin = (settings.role_file.parent / PIN_FILE).read_text().strip()
        claimed = client.post("/api/v1/setup/claim", json={"pin": pin, "password": PASSWORD})
        assert claimed.status_code == 200, claimed.text
        admin = {"Cookie": f"session={claimed.cookies['session']}"}
        spec = client.get("/schema/openapi.json", headers=admin).json()
        values = {"slug": SLUG, "bib": "1", "code": "FINISH", "race": "10K"}
        yield Target(str(client.base_url).rstrip("/"), spec, values, admin)


def test_the_box_api_answers_every_generated_request_as_its_spec_says(box: Target):
    failures = fuzz(box, {}) + fuzz(box, box.credentials)
    assert failures == [], "\n\n".join(failures)
    print(f"{box.sent} requests")


# --- central ---------------------------------------------------------------------------


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Target]:
    """Central with an admin and one enrolled device; both credentials at once."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
    settings = CentralSettings(database_url=url, data_dir=tmp_path)
    with served(create_central(settings)) as client:
        chrono_central(url, "user", "create", ADMIN[0], "--password-stdin", stdin=ADMIN[1])
        issued = json.loads(
            chrono_central(url, "enroll-token", "create", "--event", SLUG, "--json")
        )
        body = {"token": issued["token"], "serial": "fuzz", "hostname": "fuzz",
                "version": "0.1.0", "wg_public_key": WG_KEY}  # fmt: skip
        granted = client.post("/api/v1/enroll", json=body)
        assert granted.status_code == 201, granted.text
        client.post("/login", data=dict(zip(("username", "password"), ADMIN, strict=True)))
        session = client.cookies.get("session")
        assert session
        credentials = {
            "Cookie": f"session={session}",
            "Authorization": f"Bearer {granted.json()['device_token']}",
        }
        spec = client.get("/schema/openapi.json").json()
        values = {"slug": SLUG, "device_id": granted.json()["device_id"]}
        yield Target(str(client.base_url).rstrip("/"), spec, values, credentials)


def test_the_central_api_answers_every_generated_request_as_its_spec_says(central: Target):
    failures = fuzz(central, {}) + fuzz(central, central.credentials)
    assert failures == [], "\n\n".join(failures)
    print(f"{central.sent} requests")
