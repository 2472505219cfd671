"""What ``serve`` shows follows reader.json: a SLAVE's pages say whose SLAVE it is.

Through the real app (Litestar's TestClient runs its startup, so the role follower
polls the file as in production); the role is changed by rewriting reader.json.
"""

from __future__ import annotations

import html
import time
from pathlib import Path

import pytest
from litestar.testing import TestClient

from edge.app import create_app
from edge.roleconfig import Role, RoleConfig, save_role
from edge.settings import Settings

pytestmark = pytest.mark.integration

MASTER_URL = "http://192.168.10.1:8000"


def wait_role(client: TestClient, role: str) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + 5
    while client.get("/api/v1/role").json()["role"] != role:
        assert time.monotonic() < deadline, f"serve never saw role {role}"
        time.sleep(0.05)


def test_pages_say_slave_and_its_master_and_ingest_follows_the_role(tmp_path: Path) -> None:
    role_file = tmp_path / "reader.json"
    slave = RoleConfig(
        role=Role.SLAVE,
        event="spring-10k-2026",
        point="KM5",
        event_key="spring-10k-slave-key",
        master_url=MASTER_URL,
    )
    save_role(role_file, slave)
    settings = Settings(db=tmp_path / "edge.db", role_file=role_file, port=8123)
    with TestClient(app=create_app(settings)) as client:
        page = client.get("/results")
        assert page.status_code == 200
        assert f"This box is a SLAVE: it forwards its reads to the MASTER at {MASTER_URL}" in (
            page.text
        )
        french = client.get("/results", headers={"Accept-Language": "fr"}).text
        said = (
            f"Ce boîtier est ESCLAVE : il transmet ses lectures au MASTER à l'adresse {MASTER_URL}"
        )
        assert said in html.unescape(french)
        refused = client.post("/api/v1/ingest/batches", content=b"{}")
        assert refused.status_code == 404
        assert "SLAVE" in refused.text

        save_role(role_file, slave.model_copy(update={"role": Role.MASTER}))
        wait_role(client, "master")
        assert 'id="role-banner"' not in client.get("/results").text
        wrong_key = client.post(
            "/api/v1/ingest/batches", content=b"{}", headers={"Authorization": "Bearer nope"}
        )
        assert wrong_key.status_code == 401  # a MASTER: the batch is now looked at

        save_role(role_file, RoleConfig(role=Role.UNCONFIGURED))
        wait_role(client, "unconfigured")
        assert "This box is not configured yet" in client.get("/results").text
        status = client.get("/api/v1/role").json()
        assert (status["role"], status["announced"], status["event"]) == (
            "unconfigured",
            False,
            None,
        )
        assert "event_key" not in status
