"""Finding 3: session fixation.

Before the fix the session id survived the login: an attacker who planted a cookie
in the operator's browser (a page on another port of the box, a shared kiosk, an id
the server itself had handed out to an anonymous request) was logged in with it
once the operator logged in or claimed the box. Now every login and claim answers
with a new id, and the id the browser came with is worth nothing afterwards.
"""

from __future__ import annotations

import httpx
import pytest

from edge.auth.pin import PIN_FILE
from tests.security.sessionlab import (
    ADMIN,
    BOX,
    PASSWORD,
    box_client,
    box_settings,
    central,
    claim,
)

pytestmark = pytest.mark.integration

PLANTED = "5eed" * 16  # 64 hex digits, the shape of a real id


def _planted_ids(client) -> list[str]:
    """Ids an attacker can plant: one made up, one the server handed out (if it does)."""
    handed = client.get("/login").cookies.get("session")
    client.cookies.clear()
    return [PLANTED, *([handed] if handed and handed != "null" else [])]


def _logged_in_with(client, session: str) -> bool:
    client.cookies.clear()
    client.cookies.set("session", session)
    answer = client.get("/api/v1/events")
    client.cookies.clear()
    return answer.status_code == 200


def _log_in(client, how: str, settings) -> httpx.Response:
    if how == "page":
        return client.post("/login", data={"password": PASSWORD}, follow_redirects=False)
    if how == "api":
        return client.post("/api/v1/setup/login", json={"password": PASSWORD})
    pin = (settings.role_file.parent / PIN_FILE).read_text().strip()
    if how == "claim page":
        form = {"pin": pin, "password": PASSWORD, "password_again": PASSWORD}
        return client.post("/setup/claim", data=form, headers={"Origin": BOX})
    return client.post("/api/v1/setup/claim", json={"pin": pin, "password": PASSWORD})


@pytest.mark.parametrize("how", ["page", "api", "claim page", "claim api"])
def test_a_login_or_claim_on_the_box_renews_the_session_id(tmp_path, how):
    settings = box_settings(tmp_path)
    with box_client(settings) as client:
        if how in ("page", "api"):
            claim(client, settings)
            client.cookies.clear()
        for planted in _planted_ids(client):
            client.cookies.set("session", planted)
            answer = _log_in(client, how, settings)
            assert answer.status_code in (200, 303), answer.text
            issued = answer.cookies.get("session")
            assert issued
            assert issued != planted
            assert _logged_in_with(client, issued)
            assert not _logged_in_with(client, planted), f"{how}: the planted id is logged in"
            if how.startswith("claim"):
                break  # a box is claimed once


def test_logging_in_again_from_a_logged_in_session_renews_it_too(tmp_path):
    settings = box_settings(tmp_path)
    with box_client(settings) as client:
        first = claim(client, settings)
        again = client.post("/api/v1/setup/login", json={"password": PASSWORD})
        second = again.cookies.get("session")
        assert second
        assert second != first
        assert not _logged_in_with(client, first)
        assert _logged_in_with(client, second)


def test_a_login_on_central_renews_the_session_id(tmp_path):
    with central(tmp_path) as base, httpx.Client(base_url=base) as browser:
        handed = browser.get("/login").cookies.get("session")
        for planted in [PLANTED, *([handed] if handed else [])]:
            browser.cookies.clear()
            browser.cookies.set("session", planted)
            answer = browser.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
            assert answer.status_code == 303
            issued = answer.cookies.get("session")
            assert issued
            assert issued != planted
            browser.cookies.clear()
            browser.cookies.set("session", planted)
            assert browser.get("/", follow_redirects=False).status_code in (302, 303, 307)
            browser.cookies.clear()
            browser.cookies.set("session", issued)
            assert browser.get("/", follow_redirects=False).status_code == 200
