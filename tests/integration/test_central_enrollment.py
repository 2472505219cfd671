"""Central server as a real process on loopback, on SQLite and on PostgreSQL: enrollment."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import Iterator
from ipaddress import IPv4Interface
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from central.cli import cli as central_cli
from central.settings import get_settings as central_settings
from edge.cli import cli as edge_cli
from edge.roleconfig import load_role
from edge.settings import get_settings
from tests.servers import central_process, free_port, postgres_database

pytestmark = pytest.mark.integration

HUB = IPv4Interface("10.77.0.1/16")
KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """The edge settings are read once per process: re-read them with this test's env."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One central database per backend for the module (tests use distinct serials)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('central') / 'central.db'}"
        return
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def central(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    with central_process(database_url, free_port(), tmp_path_factory.mktemp("logs")) as base:
        yield base, database_url


def chrono_central(database_url: str, *args: str, stdin: str = "") -> Result:
    """Run a ``chrono-central`` command in-process against ``database_url``."""
    central_settings.cache_clear()
    env = {"CHRONO_CENTRAL_DATABASE_URL": database_url}
    try:
        return CliRunner(env=env).invoke(central_cli, list(args), input=stdin)
    finally:
        central_settings.cache_clear()


def new_token(database_url: str, event: str = "spring-10k-2026", *extra: str) -> str:
    done = chrono_central(
        database_url, "enroll-token", "create", "--event", event, "--json", *extra
    )
    assert done.exit_code == 0, done.output
    issued = json.loads(done.stdout)
    assert issued["event_slug"] == event
    return str(issued["token"])


def in_range(address: str) -> bool:
    """A /32 of the default tunnel range 10.77.0.0/16, never the hub's 10.77.0.1."""
    host = IPv4Interface(address)
    return host.network.prefixlen == 32 and host.ip in HUB.network and host.ip != HUB.ip


def enroll_body(token: str, serial: str, key: str = KEY) -> dict[str, str]:
    return {"token": token, "serial": serial, "hostname": f"box-{serial}", "version": "0.1.0",
            "wg_public_key": key}  # fmt: skip


def test_box_enrolls_with_the_cli_and_keeps_its_grant(central: tuple[str, str], tmp_path: Path):
    base, url = central
    token = new_token(url)
    role_file = tmp_path / "reader.json"
    keys = tmp_path / "keys"
    result = CliRunner(env={"CHRONO_EDGE_KEY_FOLDER": str(keys)}).invoke(
        edge_cli, ["enroll", "--central", base, "--token", token, "--role-file", str(role_file)]
    )
    assert result.exit_code == 0, result.output
    link = load_role(role_file).central
    assert link is not None
    assert link.url == base
    assert link.hub_address == "10.77.0.1"
    assert in_range(link.tunnel_address)
    assert load_role(role_file).event == "spring-10k-2026"
    assert stat.S_IMODE((keys / "wg-private.key").stat().st_mode) == 0o600
    assert stat.S_IMODE(role_file.stat().st_mode) == 0o600  # it holds the device token
    # The token was single use: a second box presenting it is refused, nothing changes.
    again = httpx.post(f"{base}/api/v1/enroll", json=enroll_body(token, "other-serial"))
    assert again.status_code == 401
    assert "already used" in again.json()["detail"]
    refused = CliRunner(env={"CHRONO_EDGE_KEY_FOLDER": str(keys)}).invoke(
        edge_cli, ["enroll", "--central", base, "--token", token, "--role-file", str(role_file)]
    )
    assert refused.exit_code == 1
    assert "already used" in refused.output
    assert load_role(role_file).central == link


def test_addresses_are_unique_and_kept_on_re_enrollment(central: tuple[str, str]):
    base, url = central
    grants = []
    for serial in ("aaaa0001", "aaaa0002", "aaaa0003"):
        response = httpx.post(f"{base}/api/v1/enroll", json=enroll_body(new_token(url), serial))
        assert response.status_code == 201, response.text
        grants.append(response.json())
    addresses = [g["tunnel_address"] for g in grants]
    assert len(set(addresses)) == 3
    assert all(in_range(a) for a in addresses)
    assert len({g["device_id"] for g in grants}) == 3
    assert len({g["device_token"] for g in grants}) == 3
    # The second box is reflashed and enrolls again: same device, same address, new token.
    other_key = base64.b64encode(bytes(32)).decode()
    body = enroll_body(new_token(url, "autumn-trail"), "aaaa0002", other_key)
    again = httpx.post(f"{base}/api/v1/enroll", json=body).json()
    assert again["device_id"] == grants[1]["device_id"]
    assert again["tunnel_address"] == addresses[1]
    assert again["device_token"] != grants[1]["device_token"]
    assert again["event_slug"] == "autumn-trail"


def test_bad_enrollments_are_refused_and_spend_no_token(central: tuple[str, str]):
    base, url = central
    token = new_token(url)
    unknown = httpx.post(f"{base}/api/v1/enroll", json=enroll_body("not-a-token", "s1"))
    assert unknown.status_code == 401
    assert "unknown enrollment token" in unknown.json()["detail"]
    short_key = base64.b64encode(bytes(16)).decode()
    bad_key = httpx.post(f"{base}/api/v1/enroll", json=enroll_body(token, "s1", short_key))
    assert bad_key.status_code == 422
    assert "32 bytes" in bad_key.json()["detail"]
    not_base64 = httpx.post(f"{base}/api/v1/enroll", json=enroll_body(token, "s1", "key!"))
    assert "is not base64" in not_base64.json()["detail"]
    no_serial = httpx.post(f"{base}/api/v1/enroll", json=enroll_body(token, "  "))
    assert no_serial.status_code == 422
    missing = httpx.post(f"{base}/api/v1/enroll", json={"token": token})
    assert missing.status_code == 400
    # None of these spent the token.
    assert httpx.post(f"{base}/api/v1/enroll", json=enroll_body(token, "s1")).status_code == 201


def test_expired_token_is_refused(database_url: str, tmp_path: Path):
    import asyncio

    from central.errors import Unauthorized
    from central.services.enrollment import EnrollmentRequest, EnrollmentService
    from central.settings import CentralSettings
    from central.store import migrate
    from central.store.database import CentralDatabase

    async def scenario() -> None:
        await asyncio.to_thread(migrate.upgrade, database_url)
        db = CentralDatabase(database_url)
        service = EnrollmentService(db, CentralSettings(database_url=database_url))
        try:
            issued = await service.issue_token("spring-10k-2026", ttl_s=1)
            await asyncio.sleep(1.1)
            with pytest.raises(Unauthorized, match="expired"):
                await service.enroll(EnrollmentRequest(issued.token, "s9", "h", "v", KEY))
        finally:
            await db.close()

    asyncio.run(scenario())


def test_admin_users_are_created_with_a_hashed_password(database_url: str):
    done = chrono_central(database_url, "user", "create", "alice", "--password-stdin",
                          stdin="correct horse battery\n")  # fmt: skip
    assert done.exit_code == 0, done.output
    taken = chrono_central(database_url, "user", "create", "alice", "--password-stdin",
                           stdin="another long password\n")  # fmt: skip
    assert taken.exit_code == 1
    assert "already exists" in taken.stderr
    short = chrono_central(database_url, "user", "create", "bob", "--password-stdin", stdin="x\n")
    assert short.exit_code == 1
    assert "at least 10 characters" in short.stderr
