"""Finding 9: event keys have a minimum strength, and wrong keys on the ingest API are limited.

The event key is all that stands between anyone on the race LAN and the MASTER's
timing data (``POST /api/v1/ingest/batches``). A key like ``k3y`` was accepted on
every path that sets one, and wrong keys could be tried as fast as the box answered.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from edge.app import KEY_FAILURES, create_app
from edge.errors import InvalidInput
from edge.roleconfig import (
    Role,
    RoleConfig,
    event_key_weakness,
    load_file_role,
    new_event_key,
    save_role,
)
from edge.settings import Settings
from tests.browser import EXAMPLE_EVENT, EXAMPLE_SLUG

pytestmark = pytest.mark.integration

WEAK = [
    "k3y",
    "s3cret-key",
    "passwordpassword",
    "0123456789abcdef",
    "aaaaaaaaaaaaaaaaaaaaaaaa",
    "Summer2026Summer2026",
    "ChangeMeChangeMe",
]
STRONG = "pQ7-vR2mWz_k9Lt4"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "boot").mkdir()
    settings = Settings(db=tmp_path / "edge.db", boot_folder=tmp_path / "boot")
    command = [sys.executable, "-m", "edge.cli", "--db", str(settings.paths.database)]
    subprocess.run([*command, "event", "load", str(EXAMPLE_EVENT)], check=True, capture_output=True)
    return settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def role_bytes(settings: Settings) -> bytes | None:
    path = settings.paths.role_file
    return path.read_bytes() if path.exists() else None


@pytest.mark.parametrize("weak", WEAK)
def test_a_weak_key_is_refused_on_every_path_that_sets_one(
    client: TestClient,  # type: ignore[type-arg]
    settings: Settings,
    weak: str,
) -> None:
    before = role_bytes(settings)
    master = {"role": "master", "event": EXAMPLE_SLUG, "point": "FINISH", "event_key": weak}
    api = client.post("/api/v1/setup/role", json=master)
    assert api.status_code == 422, api.text
    assert "event key" in api.text
    page = client.post("/setup/role", data=master)
    assert page.status_code == 422
    assert 'class="notice error"' in page.text
    slave = {**master, "role": "slave", "point": "KM5", "master_url": "http://192.0.2.1:8000"}
    assert client.post("/api/v1/setup/role", json=slave).status_code == 422
    role_set = [sys.executable, "-m", "edge.cli", "--db", str(settings.paths.database), "role"]
    options = ["--event", EXAMPLE_SLUG, "--point", "FINISH", "--event-key", weak]
    cli = subprocess.run(
        [*role_set, "set", "master", *options],
        capture_output=True,
        text=True,
        check=False,
    )
    assert cli.returncode != 0
    assert "event key" in cli.stdout + cli.stderr
    with pytest.raises(InvalidInput):
        save_role(settings.paths.role_file, RoleConfig(role=Role.MASTER, event_key=weak))
    assert role_bytes(settings) == before  # nothing was written


def test_a_strong_key_is_taken_and_a_master_without_one_gets_a_random_one(
    client: TestClient,  # type: ignore[type-arg]
    settings: Settings,
) -> None:
    master = {"role": "master", "event": EXAMPLE_SLUG, "point": "FINISH"}
    assert client.post("/api/v1/setup/role", json=master).status_code == 200
    made = load_file_role(settings.paths.role_file).event_key
    assert event_key_weakness(made) is None
    chosen = client.post("/api/v1/setup/role", json={**master, "event_key": STRONG})
    assert chosen.status_code == 200
    assert load_file_role(settings.paths.role_file).event_key == STRONG
    assert all(event_key_weakness(new_event_key()) is None for _ in range(2000))


def test_a_key_set_before_the_rule_keeps_working(tmp_path: Path) -> None:
    """An older box's reader.json with a weak key still loads and is saved again as is."""
    path = tmp_path / "reader.json"
    path.write_text('{"role": "master", "event_key": "k3y"}')
    config = load_file_role(path)
    save_role(path, config.model_copy(update={"point": "FINISH"}))  # e.g. a new point
    assert load_file_role(path).event_key == "k3y"
    with pytest.raises(InvalidInput):  # but a new weak key is refused
        save_role(path, config.model_copy(update={"event_key": "k4y"}))


def ingest(client: TestClient, authorization: str | None) -> int:  # type: ignore[type-arg]
    headers = {"authorization": authorization} if authorization is not None else {}
    return client.post("/api/v1/ingest/batches", content=b"{}", headers=headers).status_code


def test_wrong_keys_on_ingest_are_limited_per_address_and_after_a_restart(
    settings: Settings,
) -> None:
    save_role(
        settings.paths.role_file,
        RoleConfig(role=Role.MASTER, event=EXAMPLE_SLUG, point="FINISH", event_key=STRONG),
    )
    guesses = [f"Bearer guess-{n:04d}-xxxxxxxx" for n in range(KEY_FAILURES - 3)]
    guesses += ["Basic Z3Vlc3M6Z3Vlc3M=", "bearer", None]  # other shapes count too
    with TestClient(create_app(settings)) as client:
        codes = [ingest(client, guess) for guess in guesses]
        assert codes == [401] * KEY_FAILURES
        locked = client.post(
            "/api/v1/ingest/batches", content=b"{}", headers={"authorization": f"Bearer {STRONG}"}
        )
        assert locked.status_code == 429  # even the right key waits: guessing must not pay
        assert 1 <= int(locked.headers["retry-after"]) <= 300
    with TestClient(create_app(settings)) as restarted:  # the box restarted
        assert ingest(restarted, "Bearer one-more-guess-xxxxx") == 429
