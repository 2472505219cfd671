"""Finding 2: a session file per request.

Before the fix both servers stored a session (a file) and set a cookie on every
response to a request without one: a stranger's loop of anonymous requests filled
the disk (the box pruned only at start, central never), and central's public
results carried ``Set-Cookie`` next to ``Cache-Control: public``. Now a session
exists only from a login (or the claim) to its logout or expiry, and expired ones
are pruned while the servers run.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx
import pytest
from litestar.stores.base import StorageObject

from tests.security.sessionlab import (
    ADMIN,
    BOX,
    PASSWORD,
    box_client,
    box_settings,
    box_worker,
    central,
    claim,
    publish_results,
    session_files,
    wait_for,
)

pytestmark = pytest.mark.integration

ANONYMOUS_BOX_REQUESTS = [
    ("GET", "/setup"),
    ("GET", "/login"),
    ("GET", "/login?next=/console"),
    ("GET", "/results"),
    ("GET", "/healthz"),
    ("GET", "/api/v1/setup"),
    ("GET", "/api/v1/events"),
    ("GET", "/static/app.css"),
    ("GET", "/no/such/page"),
    ("HEAD", "/login"),
    ("OPTIONS", "/api/v1/events"),
    ("POST", "/login"),
    ("POST", "/api/v1/setup/login"),
    ("POST", "/api/v1/setup/logout"),
    ("GET", "/screen/arrivals"),
    ("PUT", "/api/v1/events"),
]


def _send(client, method: str, path: str) -> httpx.Response:
    if method == "POST" and path == "/login":
        return client.post(path, data={"password": "wrong password!"})
    if method == "POST" and path.startswith("/api/"):
        return client.post(path, json={"password": "wrong password!"})
    return client.request(method, path)


@pytest.mark.parametrize("claimed", [False, True], ids=["unclaimed", "claimed"])
def test_anonymous_requests_to_the_box_store_nothing_and_set_no_cookie(tmp_path, claimed):
    settings = box_settings(tmp_path)
    folder = settings.paths.sessions_folder
    with box_client(settings) as client:
        if claimed:
            claim(client, settings)
            client.cookies.clear()  # the claimer's browser; the rest is a stranger's
        before = session_files(folder)
        cookies = []
        for _ in range(15):  # 225 requests, as a script looping on the box would send
            for method, path in ANONYMOUS_BOX_REQUESTS:
                client.cookies.clear()
                answer = _send(client, method, path)
                assert answer.status_code < 500, (method, path, answer.text)
                cookies += [(method, path)] if "set-cookie" in answer.headers else []
        assert cookies == []
        language = client.get("/lang/fr", follow_redirects=False)  # a preference, not a session
        assert "session=" not in language.headers.get("set-cookie", "")
        assert session_files(folder) == before


def test_a_stale_or_forged_cookie_makes_no_file_and_is_cleared(tmp_path):
    settings = box_settings(tmp_path)
    folder = settings.paths.sessions_folder
    with box_client(settings) as client:
        claim(client, settings)
        before = session_files(folder)
        for value in ("0" * 64, "f" * 40, "../../edge.db", "null", "x" * 5000, "%2e%2e%2fetc"):
            client.cookies.clear()
            client.cookies.set("session", value)
            answer = client.get("/setup", follow_redirects=False)
            assert answer.status_code in (302, 303), value  # not logged in: to /login
            cleared = answer.headers.get("set-cookie", "")
            assert cleared.startswith("session="), cleared
            assert "max-age=0" in cleared.lower(), cleared
        assert session_files(folder) == before
        assert (tmp_path / "edge.db").stat().st_size > 0


def test_a_login_makes_one_file_and_a_logout_removes_it(tmp_path):
    settings = box_settings(tmp_path)
    folder = settings.paths.sessions_folder
    with box_client(settings) as client:
        claim(client, settings)
        client.cookies.clear()
        assert len(session_files(folder)) == 1  # the claimer's
        client.post("/login", data={"password": PASSWORD}, follow_redirects=False)
        assert len(session_files(folder)) == 2
        for _ in range(20):  # using the session rewrites nothing
            assert client.get("/setup").status_code == 200
        assert len(session_files(folder)) == 2
        out = client.post("/logout", headers={"Origin": BOX})
        assert "max-age=0" in out.headers["set-cookie"].lower()
        assert len(session_files(folder)) == 1


def _plant(folder: Path, name: str, expires_in: int | None, raw: bytes | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = json.dumps({"admin": "old"}).encode()
    path = folder / name
    path.write_bytes(raw if raw is not None else StorageObject.new(data, expires_in).to_bytes())
    return path


def _planted(folder: Path) -> dict[str, Path]:
    """An expired session, a live one, a file cut short by a crash, a crash's temporary."""
    expired = _plant(folder, "a" * 64, expires_in=1)
    live = _plant(folder, "b" * 64, expires_in=3600)
    cut = _plant(folder, "c" * 64, expires_in=None, raw=b"\x93\x01")
    temporary = _plant(folder, "." + "d" * 64 + ".x1y2.tmp", None, raw=b"half")
    old = time.time() - 2 * 3600
    os.utime(temporary, (old, old))
    time.sleep(1.1)  # the first one expires
    return {"expired": expired, "live": live, "cut": cut, "temporary": temporary}


def test_the_box_worker_prunes_expired_sessions_while_it_runs(tmp_path):
    settings = box_settings(tmp_path)
    with box_client(settings):
        pass  # the database exists and is migrated
    planted = _planted(settings.paths.sessions_folder)
    with box_worker(settings, "--queues", "maintenance"):
        wait_for(lambda: not planted["expired"].exists(), "the expired session pruned")
        wait_for(lambda: not planted["cut"].exists(), "the unreadable session pruned")
        wait_for(lambda: not planted["temporary"].exists(), "the crash's temporary pruned")
    assert planted["live"].exists()


def test_a_session_file_cut_short_by_a_crash_is_no_session_and_no_error(tmp_path):
    settings = box_settings(tmp_path)
    with box_client(settings) as client:
        session = claim(client, settings)
        path = settings.paths.sessions_folder / session
        assert path.exists()
        path.write_bytes(path.read_bytes()[:7])  # what a power cut can leave without fsync
        answer = client.get("/setup", follow_redirects=False)
        assert answer.status_code in (302, 303)
        assert not path.exists()


def test_central_public_results_and_anonymous_pages_set_no_cookie_and_store_nothing(tmp_path):
    with central(tmp_path) as base:
        folder = tmp_path / "sessions"
        public = publish_results(base, tmp_path, "spring-10k-2026", "10K")
        paths = ["/login", "/healthz", "/", "/rollouts", "/public/events/spring-10k-2026?race=10K"]
        paths += [public, "/api/v1/public/events/x/results?race=10K", "/no/such/page"]
        paths += ["/public", "/public/events/spring-10k-2026", "/public/events/x?lang=fr"]
        with httpx.Client(base_url=base) as stranger:
            cached = stranger.get(public)
            assert cached.status_code == 200
            assert cached.headers["cache-control"].startswith("public")
            assert "set-cookie" not in cached.headers  # a CDN may cache it for everybody
            stranger.cookies.set("session", "0" * 64)  # a stale cookie: not cleared there either
            assert "set-cookie" not in stranger.get(public).headers
            for _ in range(30):
                for path in paths:
                    stranger.cookies.clear()
                    answer = stranger.get(path, follow_redirects=False)
                    assert "set-cookie" not in answer.headers, path
                stranger.cookies.clear()
                wrong = stranger.post("/login", data={"username": "ops", "password": "nope"})
                assert "set-cookie" not in wrong.headers
        assert session_files(folder) == []


def test_central_prunes_expired_sessions_while_it_runs(tmp_path):
    planted = _planted(tmp_path / "sessions")
    with central(tmp_path, CHRONO_CENTRAL_SESSIONS_PRUNE_S="0.2") as base:
        wait_for(lambda: not planted["expired"].exists(), "the expired session pruned")
        wait_for(lambda: not planted["cut"].exists(), "the unreadable session pruned")
        wait_for(lambda: not planted["temporary"].exists(), "the crash's temporary pruned")
        assert planted["live"].exists()
        with httpx.Client(base_url=base) as browser:
            browser.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
            assert browser.get("/", follow_redirects=False).status_code == 200
        assert len(session_files(tmp_path / "sessions")) == 2
