"""Central's admin accounts are rotated from the command line, and a rotation ends sessions.

A new password (``chrono-central user password``) or a removed account
(``chrono-central user delete``) must end the dashboard sessions opened before: the
session keeps a fingerprint of the password hash it logged in with, checked on each
request. Real central process, SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest
from click.testing import CliRunner

from central.cli import cli as central_cli
from central.settings import get_settings as central_settings
from tests.servers import central_on

pytestmark = pytest.mark.integration

ADMIN = ("ops", "a long enough password")
NEW = "another long password"
CREATE = ("user", "create", ADMIN[0], "--password-stdin")
PASSWORD = ("user", "password", "--password-stdin")


def chrono_central(url: str, *args: str, stdin: str = "") -> tuple[int, str]:
    """``chrono-central ARGS`` on ``url``'s database: exit code and output."""
    central_settings.cache_clear()
    try:
        done = CliRunner(env={"CHRONO_CENTRAL_DATABASE_URL": url}).invoke(
            central_cli, list(args), input=stdin
        )
    finally:
        central_settings.cache_clear()
    return done.exit_code, done.output


@pytest.fixture(params=["sqlite", "postgresql"])
def central(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("central")
    with central_on(request.param, folder) as (base, url):
        yield base, url


def logged_in(base: str, password: str) -> httpx.Client:
    """A browser logged in to the dashboard with ``password`` (close it after use)."""
    browser = httpx.Client(base_url=base)
    answer = browser.post("/login", data={"username": ADMIN[0], "password": password})
    assert answer.status_code == 303, answer.text
    assert browser.get("/").status_code == 200
    return browser


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(
    central: tuple[str, str],
) -> None:
    base, url = central
    assert (
        chrono_central(url, "user", "create", ADMIN[0], "--password-stdin", stdin=ADMIN[1])[0] == 0
    )
    before, other = logged_in(base, ADMIN[1]), logged_in(base, ADMIN[1])
    with closing(before), closing(other):
        code, said = chrono_central(
            url, "user", "password", ADMIN[0], "--password-stdin", stdin=NEW
        )
        assert code == 0, said
        for browser in (before, other):
            assert browser.get("/").headers["location"].endswith("/login")
            assert browser.get("/api/v1/alerts").status_code == 401
        assert httpx.get(f"{base}/api/v1/alerts", auth=(ADMIN[0], ADMIN[1])).status_code == 401
        assert httpx.get(f"{base}/api/v1/alerts", auth=(ADMIN[0], NEW)).status_code == 200
    with closing(logged_in(base, NEW)) as after:
        assert after.get("/rollouts").status_code == 200


def test_a_removed_admin_is_logged_out_and_cannot_log_in(central: tuple[str, str]) -> None:
    base, url = central
    assert (
        chrono_central(url, "user", "create", ADMIN[0], "--password-stdin", stdin=ADMIN[1])[0] == 0
    )
    with closing(logged_in(base, ADMIN[1])) as browser:
        assert chrono_central(url, "user", "delete", ADMIN[0])[0] == 0
        assert browser.get("/").headers["location"].endswith("/login")
        again = browser.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
        assert again.status_code == 401


def test_rotation_refuses_unknown_admins_and_short_passwords(central: tuple[str, str]) -> None:
    _, url = central
    assert (
        chrono_central(url, "user", "create", ADMIN[0], "--password-stdin", stdin=ADMIN[1])[0] == 0
    )
    code, said = chrono_central(url, *PASSWORD, "nobody", stdin=NEW)
    assert (code, "no admin named 'nobody'" in said) == (1, True)
    code, said = chrono_central(
        url, "user", "password", ADMIN[0], "--password-stdin", stdin="short"
    )
    assert (code, "at least 10 characters" in said) == (1, True)
    code, said = chrono_central(url, "user", "delete", "nobody")
    assert (code, "no admin named 'nobody'" in said) == (1, True)
