"""Claiming a box with its setup PIN, then logins: which pages and APIs stay open.

Litestar's TestClient over the real app on a real database and reader.json in tmp_path.
"""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from edge.app import create_app
from edge.auth.passwords import ADMIN_FILE
from edge.auth.pin import BOOT_PIN_FILE, PIN_FILE
from edge.cli.server import announce_setup_pin
from edge.settings import Settings

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"


def box_settings(tmp_path: Path) -> Settings:
    return Settings(
        db=tmp_path / "edge.db",
        config_dir=tmp_path / "etc",  # reader.json and the setup PIN, apart as on a Pi
        role_file=tmp_path / "etc" / "reader.json",
        key_folder=tmp_path / "keys",
        cache_folder=tmp_path / "cache",
        boot_folder=tmp_path / "boot",
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "boot").mkdir()
    return box_settings(tmp_path)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:  # type: ignore[type-arg]
    announce_setup_pin(settings)  # what `chrono-edge serve` does before serving
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def pin_of(settings: Settings) -> str:
    return (settings.role_file.parent / PIN_FILE).read_text().strip()


def claim(client: TestClient, settings: Settings) -> None:  # type: ignore[type-arg]
    answer = client.post(
        "/api/v1/setup/claim", json={"pin": pin_of(settings), "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text


def test_serve_prints_the_same_pin_until_the_claim(settings, capsys):
    announce_setup_pin(settings)
    pin = pin_of(settings)
    announce_setup_pin(settings)  # a restart before the claim
    printed = capsys.readouterr().out
    assert printed.count(f"Setup PIN: {pin}") == 2
    assert str(settings.boot_folder) in printed


def test_an_unclaimed_box_is_open_and_shows_the_claim_form_first(client, settings):
    pin_file = settings.role_file.parent / PIN_FILE
    assert stat.S_IMODE(pin_file.stat().st_mode) == 0o600
    assert pin_of(settings) in (settings.boot_folder / BOOT_PIN_FILE).read_text()
    page = client.get("/setup")
    assert page.status_code == 200
    assert 'id="claim-form"' in page.text
    assert 'id="role-form"' not in page.text  # nothing else until the box is claimed
    assert client.get("/jobs").status_code == 200
    french = client.get("/setup", headers={"accept-language": "fr-FR,fr;q=0.9"})
    assert "Revendiquer ce boîtier" in french.text
    assert "Claim this box" not in french.text
    assert client.get("/api/v1/events").status_code == 200
    status = client.get("/api/v1/setup").json()
    assert status["claimed"] is False
    assert status["serial"]
    assert status["vpn"]["code"] == "not-enrolled"


def test_wrong_pins_are_refused_then_rate_limited(client, settings):
    for _ in range(5):
        wrong = client.post("/api/v1/setup/claim", json={"pin": "00000000", "password": PASSWORD})
        assert wrong.status_code == 401
        assert wrong.json()["error"] == "WrongPin"
    locked = client.post(
        "/api/v1/setup/claim", json={"pin": pin_of(settings), "password": PASSWORD}
    )
    assert locked.status_code == 429  # even the right PIN waits: guessing must not pay
    assert 0 < int(locked.headers["retry-after"]) <= 300
    assert not (settings.db.parent / ADMIN_FILE).exists()
    form = client.post("/setup/claim", data={"pin": "1", "password": PASSWORD})
    assert form.status_code == 429
    assert 'id="notice" class="notice error"' in form.text


def test_a_weak_password_keeps_the_pin(client, settings):
    weak = client.post("/api/v1/setup/claim", json={"pin": pin_of(settings), "password": "short"})
    assert weak.status_code == 422
    assert not (settings.db.parent / ADMIN_FILE).exists()
    assert (settings.role_file.parent / PIN_FILE).exists()


def test_the_claim_spends_the_pin_and_then_every_page_needs_a_login(client, settings):
    pin = pin_of(settings)
    claim(client, settings)
    assert not (settings.role_file.parent / PIN_FILE).exists()
    assert not (settings.boot_folder / BOOT_PIN_FILE).exists()
    assert stat.S_IMODE((settings.db.parent / ADMIN_FILE).stat().st_mode) == 0o600
    assert client.get("/setup").status_code == 200  # the claimer is logged in
    again = client.post("/api/v1/setup/claim", json={"pin": pin, "password": "another password"})
    assert again.status_code == 409
    with TestClient(create_app(settings)) as stranger:
        page = stranger.get("/jobs?state=failed", follow_redirects=False)
        assert page.status_code == 302
        assert page.headers["location"] == "/login?next=%2Fjobs%3Fstate%3Dfailed"
        api = stranger.get("/api/v1/events")
        assert api.status_code == 401
        assert api.json()["error"] == "LoginRequired"
        assert stranger.get("/api/v1/setup").status_code == 401
        assert stranger.post("/api/v1/setup/role", json={"role": "slave"}).status_code == 401
        # Public: liveness, static files, the login page, the language switch, the ingest
        # API (it checks its own event key: refused for that reason, not for a login).
        assert stranger.get("/healthz").status_code == 200
        assert stranger.get("/static/app.css").status_code == 200
        assert stranger.get("/login").status_code == 200
        assert stranger.get("/lang/fr", follow_redirects=False).status_code in (302, 307)
        ingest = stranger.post("/api/v1/ingest/batches", content=b"{}")
        assert ingest.json().get("error") != "LoginRequired"
        # A restarted server keeps the session of the one who claimed it.
    with TestClient(create_app(settings), cookies=client.cookies) as claimer:
        assert claimer.get("/api/v1/events").status_code == 200
    announce_setup_pin(settings)  # serve restarts: a claimed box makes no new PIN
    assert not (settings.role_file.parent / PIN_FILE).exists()


def test_login_logout_and_wrong_passwords(client, settings):
    claim(client, settings)
    with TestClient(create_app(settings)) as other:
        for _ in range(5):
            wrong = other.post("/login", data={"password": "not it at all", "next": "/jobs"})
            assert wrong.status_code == 401
            assert 'id="login-form"' in wrong.text
        locked = other.post("/api/v1/setup/login", json={"password": PASSWORD})
        assert locked.status_code == 429
        assert int(locked.headers["retry-after"]) > 0
    with TestClient(create_app(settings)) as restarted:  # a restart keeps the limit
        again = restarted.post("/api/v1/setup/login", json={"password": PASSWORD})
        assert again.status_code == 429
    with sqlite3.connect(settings.paths.database) as database:  # five minutes later
        database.execute("UPDATE failed_attempt SET at_us = at_us - 301000000")
    with TestClient(create_app(settings)) as operator:
        logged = operator.post(
            "/login", data={"password": PASSWORD, "next": "/jobs"}, follow_redirects=False
        )
        assert logged.status_code == 303
        assert logged.headers["location"] == "/jobs"
        cookie = logged.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert operator.get("/jobs").status_code == 200
        page = operator.get("/setup")
        assert 'id="logout"' in page.text
        assert operator.post("/logout").status_code == 200  # a POST since issue 18
        assert operator.get("/jobs", follow_redirects=False).status_code == 302
        api = operator.post("/api/v1/setup/login", json={"password": PASSWORD})
        assert api.status_code == 200
        assert operator.get("/api/v1/events").status_code == 200
        assert operator.post("/api/v1/setup/logout").status_code == 200
        assert operator.get("/api/v1/events").status_code == 401


def test_login_never_sends_the_browser_to_another_site(client, settings):
    claim(client, settings)
    with TestClient(create_app(settings)) as operator:
        answer = operator.post(
            "/login",
            data={"password": PASSWORD, "next": "//evil.example/x"},
            follow_redirects=False,
        )
        assert answer.headers["location"] == "/"
