"""Finding 4: cross-site request forgery.

Before the fix only SameSite=Lax guarded the box's cookie: a page served on another
port of the box's own address is "same site" (the cookie goes along), the JSON APIs
took a ``text/plain`` body (a form or a no-preflight fetch can send one), an
unclaimed box took any write from any page, and ``GET /logout`` could be triggered
by an image tag. Now every state-changing request from a browser must come from the
server's own origin (scheme, host and port: Sec-Fetch-Site, Origin or Referer), JSON
APIs refuse other content types with 415, and logging out is a POST.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from edge.roleconfig import load_file_role
from tests.browser import browser_page, live_box
from tests.security.sessionlab import (
    ADMIN,
    BOX,
    box_client,
    box_settings,
    central,
    claim,
)

pytestmark = pytest.mark.integration

FOREIGN = {
    "another site": {"Origin": "http://evil.example"},
    "another port": {"Origin": "http://testserver.local:8080"},
    "another scheme": {"Origin": "https://testserver.local"},
    "opaque origin": {"Origin": "null"},
    "a look-alike host": {"Origin": "http://testserver.local.evil.example"},
    "a referer only": {"Referer": "http://testserver.local:8080/attack.html"},
    "fetch metadata": {"Sec-Fetch-Site": "same-site"},
    "fetch metadata, cross-site": {"Sec-Fetch-Site": "cross-site", "Origin": BOX},
    "fetch metadata at odds with origin": {
        "Sec-Fetch-Site": "same-origin",
        "Origin": "http://testserver.local:8080",
    },
    "origin at odds with referer": {"Origin": "http://evil.example", "Referer": f"{BOX}/setup"},
}
"""Headers a browser sends with a request that another origin's page makes."""
OWN = {
    "same origin": {"Origin": BOX},
    "same origin, port spelt": {"Origin": "http://testserver.local:80"},
    "referer": {"Referer": f"{BOX}/setup"},
    "fetch metadata": {"Sec-Fetch-Site": "same-origin", "Origin": BOX},
    "no browser": {},
}
NOT_JSON = {
    "text/plain": "text/plain",
    "text/plain; charset=utf-8": "text/plain; charset=utf-8",
    "form": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data; boundary=x",
    "none": None,
    "json look-alike": "application/jsonx",
}


def _role(settings) -> str:
    return settings.role_file.read_text() if settings.role_file.exists() else ""


def _form_role(client, headers):
    return client.post("/setup/role", data={"role": "master"}, headers=headers)


def _api_role(client, headers):
    return client.post("/api/v1/setup/role", json={"role": "master"}, headers=headers)


@pytest.fixture
def logged_in(tmp_path):
    settings = box_settings(tmp_path)
    with box_client(settings) as client:
        claim(client, settings)
        yield client, settings


@pytest.mark.parametrize("send", [_form_role, _api_role], ids=["form", "json api"])
@pytest.mark.parametrize("foreign", FOREIGN, ids=list(FOREIGN))
def test_a_foreign_origin_cannot_write_with_the_operators_cookie(logged_in, send, foreign):
    client, settings = logged_in
    before = _role(settings)
    answer = send(client, FOREIGN[foreign])
    assert answer.status_code == 403, answer.text
    assert _role(settings) == before


@pytest.mark.parametrize("send", [_form_role, _api_role], ids=["form", "json api"])
@pytest.mark.parametrize("own", OWN, ids=list(OWN))
def test_the_boxs_own_pages_and_scripts_still_write(logged_in, send, own):
    client, settings = logged_in
    answer = send(client, OWN[own])
    assert answer.status_code == 200, answer.text
    assert json.loads(_role(settings))["role"] == "master"


@pytest.mark.parametrize("foreign", FOREIGN, ids=list(FOREIGN))
def test_an_unclaimed_box_refuses_writes_from_a_foreign_origin_without_any_cookie(
    tmp_path, foreign
):
    settings = box_settings(tmp_path)
    with box_client(settings) as client:
        before = _role(settings)
        for send in (_form_role, _api_role):
            answer = send(client, FOREIGN[foreign])
            assert answer.status_code == 403, answer.text
        form = {"pin": "00000000", "password": "x"}
        claim_form = client.post("/setup/claim", data=form, headers=FOREIGN[foreign])
        assert claim_form.status_code == 403
        assert _role(settings) == before


@pytest.mark.parametrize("content_type", NOT_JSON, ids=list(NOT_JSON))
def test_json_apis_refuse_bodies_that_are_not_json(logged_in, content_type):
    client, settings = logged_in
    before = _role(settings)
    headers = {"Origin": BOX}
    if NOT_JSON[content_type]:
        headers["Content-Type"] = NOT_JSON[content_type]
    body = json.dumps({"role": "master"})
    for path in ("/api/v1/setup/role", "/api/v1/setup/login", "/api/v1/exports"):
        answer = client.post(path, content=body, headers=headers)
        assert answer.status_code == 415, (path, answer.text)
    assert _role(settings) == before
    ok = client.post(
        "/api/v1/setup/role", content=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert ok.status_code == 200


def test_logout_is_a_post_from_the_boxs_own_origin(logged_in):
    client, _ = logged_in
    assert client.get("/logout").status_code == 405  # an <img src=/logout> does nothing
    assert client.get("/api/v1/events").status_code == 200
    forged = client.post("/logout", headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403
    assert client.get("/api/v1/events").status_code == 200
    out = client.post("/logout", headers={"Origin": BOX})
    assert out.status_code == 200
    assert client.get("/api/v1/events").status_code == 401
    page = client.get("/login").text
    assert 'action="/logout"' not in page  # logged out: no button


def test_the_box_pages_offer_logout_as_a_form(logged_in):
    client, _ = logged_in
    for path in ("/setup", "/results", "/jobs"):
        page = client.get(path).text
        assert 'href="/logout"' not in page, path
        assert 'method="post" action="/logout"' in page, path


def test_central_refuses_forged_writes_and_logs_out_with_a_post(tmp_path):
    with central(tmp_path) as base, httpx.Client(base_url=base) as browser:
        own = base
        forged_login = browser.post(
            "/login",
            data={"username": ADMIN[0], "password": ADMIN[1]},
            headers={"Origin": "http://evil.example"},
        )
        assert forged_login.status_code == 403  # login CSRF: not into the attacker's account
        login = browser.post(
            "/login", data={"username": ADMIN[0], "password": ADMIN[1]}, headers={"Origin": own}
        )
        assert login.status_code == 303
        replacement = {"serial": "x", "hostname": "x", "version": "0", "wg_public_key": "k"}
        path = "/api/v1/devices/nope/replace"
        as_text = browser.post(
            path,
            content=json.dumps(replacement),
            headers={"Content-Type": "text/plain", "Origin": own},
        )
        assert as_text.status_code == 415
        other_port = own.rsplit(":", 1)[0] + ":1"
        for origin in ("http://evil.example", other_port, "null"):
            forged = browser.post(path, json=replacement, headers={"Origin": origin})
            assert forged.status_code == 403, origin
        same_origin = browser.post(path, json=replacement, headers={"Origin": own})
        assert same_origin.status_code == 422, same_origin.text  # reached the handler: a bad key
        assert browser.get("/logout").status_code == 405
        assert browser.get("/", follow_redirects=False).status_code == 200
        dashboard = browser.get("/").text
        assert 'href="/logout"' not in dashboard
        assert 'method="post" action="/logout"' in dashboard
        out = browser.post("/logout", headers={"Origin": own}, follow_redirects=False)
        assert out.status_code in (302, 303)
        assert browser.get("/", follow_redirects=False).status_code in (302, 303, 307)


ATTACK = """<!doctype html><title>free race photos</title>
<form id="forged" method="post" action="{box}/setup/role" target="sink">
  <input name="role" value="unconfigured">
</form>
<iframe name="sink"></iframe>
<script>
  fetch("{box}/api/v1/setup/role", {{method: "POST", mode: "no-cors", credentials: "include",
    headers: {{"Content-Type": "text/plain"}},
    body: JSON.stringify({{role: "unconfigured"}})}})
    .finally(function () {{ document.getElementById("forged").submit(); }});
</script>"""


@contextmanager
def attacker_site(box_url: str) -> Iterator[str]:
    """A page served on another port of the box's own address (same site, other origin)."""
    page = ATTACK.format(box=box_url).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.e2e
def test_a_page_on_another_port_cannot_use_the_operators_browser(tmp_path):
    """Chromium, logged in on the box, opens a page of another port of 127.0.0.1."""
    with live_box(tmp_path / "box", entrants=None) as box, browser_page() as page:
        pin = (box.workdir / "setup-pin.txt").read_text().strip()
        page.goto(f"{box.url}/setup")
        page.fill("#pin", pin)
        page.fill("#password", "finish-line-2026")
        page.fill("#password-again", "finish-line-2026")
        page.click("#claim-submit")
        page.select_option("#role", "master")
        page.click("#role-submit")
        assert "notice ok" in page.get_attribute("#notice", "class")
        assert load_file_role(box.role_file).role.value == "master"
        with attacker_site(box.url) as evil:
            refused: list[int] = []
            page.on("response", lambda r: refused.append(r.status) if "/role" in r.url else None)
            page.goto(evil)
            page.wait_for_timeout(1500)  # the fetch, then the form into the iframe
        assert load_file_role(box.role_file).role.value == "master"  # not stopped mid-race
        assert refused == [403, 403], refused
        page.goto(f"{box.url}/setup")  # the operator's own page still works
        page.select_option("#role", "master")
        page.click("#role-submit")
        assert "notice ok" in page.get_attribute("#notice", "class")
