"""Finding 9: security headers on every answer of both servers, and no ``server: uvicorn``.

Checked on the real ``serve`` processes (uvicorn adds its own headers), on pages,
JSON, static files, errors and unknown paths: what a browser gets from a stranger's
link or frame.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.security.live import box_server, central_server

pytestmark = pytest.mark.integration

TEMPLATES = Path(__file__).resolve().parents[2] / "edge" / "web" / "templates"
BOX_PATHS = [
    "/",
    "/setup",
    "/jobs",
    "/login",
    "/healthz",
    "/api/v1/events",
    "/api/v1/jobs?state=failed",
    "/static/app.css",
    "/static/live.js",
    "/no/such/page",
    "/api/v1/no-such-api",
]
CENTRAL_PATHS = [
    "/login",
    "/",
    "/healthz",
    "/api/v1/devices",
    "/public/events/none?race=none",
    "/public/events/none/runners/7",
    "/public/events/none/follow?bibs=7",
    "/public",
    "/no/such/page",
    "/schema/openapi.json",
]


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with box_server(tmp_path_factory.mktemp("box")) as base:
        yield base


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with central_server(tmp_path_factory.mktemp("central")) as base:
        yield base


def policy(answer: httpx.Response) -> dict[str, str]:
    csp = answer.headers.get("content-security-policy", "")
    return {part.split()[0]: part for part in (p.strip() for p in csp.split(";")) if part}


def assert_protected(answer: httpx.Response) -> None:
    where = f"{answer.request.method} {answer.request.url.path} ({answer.status_code})"
    assert "server" not in answer.headers, f"{where}: server: {answer.headers['server']}"
    assert answer.headers.get("x-content-type-options") == "nosniff", where
    assert answer.headers.get("x-frame-options") == "DENY", where
    assert answer.headers.get("referrer-policy") in ("same-origin", "strict-origin"), where
    csp = policy(answer)
    assert csp.get("frame-ancestors") == "frame-ancestors 'none'", where
    assert "'unsafe-inline'" not in csp.get("script-src", "'unsafe-inline'"), where
    assert "'unsafe-eval'" not in csp["script-src"], where
    assert csp.get("object-src") == "object-src 'none'", where
    assert csp.get("default-src") == "default-src 'self'", where


@pytest.mark.parametrize("path", BOX_PATHS)
def test_every_answer_of_the_box_carries_the_headers(box: str, path: str) -> None:
    assert_protected(httpx.get(f"{box}{path}"))


@pytest.mark.parametrize("path", CENTRAL_PATHS)
def test_every_answer_of_central_carries_the_headers(central: str, path: str) -> None:
    assert_protected(httpx.get(f"{central}{path}"))


def test_posts_and_refusals_carry_them_too(box: str, central: str) -> None:
    assert_protected(httpx.post(f"{box}/api/v1/ingest/batches", content=b"{}"))
    assert_protected(httpx.post(f"{central}/login", data={"username": "x", "password": "y"}))
    assert_protected(httpx.request("DELETE", f"{box}/healthz"))  # 405


@pytest.mark.parametrize("path", ["/jobs", "/exports"])
def test_inline_scripts_of_a_page_run_only_with_its_own_nonce(box: str, path: str) -> None:
    first, second = httpx.get(f"{box}{path}"), httpx.get(f"{box}{path}")
    nonces = []
    for page in (first, second):
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page.text)
        executable = [attrs for attrs in inline if "application/json" not in attrs]
        assert executable, f"{path} has no inline script to check"
        script_src = policy(page)["script-src"]
        for attrs in executable:
            nonce = re.search(r'nonce="([^"]+)"', attrs)
            assert nonce, f"{path}: an inline script without a nonce would not run"
            assert f"'nonce-{nonce.group(1)}'" in script_src
        nonces.append(script_src)
    assert nonces[0] != nonces[1]  # a nonce is never reused: it must not be guessable


def test_templates_run_no_script_the_policy_would_block() -> None:
    """Inline handlers (onclick=...) and javascript: links never run under the policy."""
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"\son[a-z]+\s*=", text), f"{template.name}: inline handler"
        assert "javascript:" not in text, template.name
        for attrs in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", text):
            if "application/json" not in attrs:
                assert 'nonce="{{ script_nonce(request) }}"' in attrs, template.name


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger", "/schema/redoc"])
def test_only_the_api_documentation_may_load_its_viewer_from_a_cdn(central: str, path: str) -> None:
    """Litestar's docs viewer comes from CDNs; that exception is for /schema alone."""
    page = httpx.get(f"{central}{path}")
    assert page.status_code == 200
    assert "server" not in page.headers
    assert page.headers["x-frame-options"] == "DENY"
    csp = policy(page)
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    for url in re.findall(r'<script src="(https://[^/"]+)', page.text):
        assert url in csp["script-src"], url
    assert "https:" not in policy(httpx.get(f"{central}/login"))["script-src"]
