"""Finding 5: a client cannot pick the address its failed logins count under, and the
limits survive a restart of the box or of central.

uvicorn believed X-Forwarded-For from 127.0.0.1 by default: twelve guesses, each
claiming another address, never met the login limit. Forwarded headers are now
believed only from the proxies named in ``forwarded_allow_ips`` (empty: nobody).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.security.live import CENTRAL_ADMIN, box_server, central_server, claim_box

pytestmark = pytest.mark.integration

BOX_LIMIT = 5  # failed logins per address in five minutes (edge.auth.limiter)
CENTRAL_LIMIT = 10

Spoof = Callable[[int], dict[str, str]]
SPOOFS: dict[str, Spoof] = {
    "x-forwarded-for": lambda n: {"X-Forwarded-For": f"203.0.113.{n}"},
    "a list of them": lambda n: {"X-Forwarded-For": f"198.51.100.{n}, 203.0.113.{n}"},
    "with x-real-ip and forwarded": lambda n: {
        "X-Forwarded-For": f"203.0.113.{n}",
        "X-Real-IP": f"203.0.113.{n}",
        "Forwarded": f"for=203.0.113.{n}",
    },
}


def box_login(base: str, password: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{base}/api/v1/setup/login", json={"password": password}, headers=headers)


def central_basic(
    base: str, password: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    auth = (CENTRAL_ADMIN[0], password)
    return httpx.get(f"{base}/api/v1/devices", auth=auth, headers=headers)


def assert_retry_after(answer: httpx.Response, window_s: int = 300) -> None:
    assert answer.status_code == 429, answer.text
    assert 1 <= int(answer.headers["retry-after"]) <= window_s


@pytest.mark.parametrize("spoof", SPOOFS.values(), ids=SPOOFS.keys())
def test_spoofed_addresses_still_meet_the_box_limit(tmp_path: Path, spoof: Spoof) -> None:
    with box_server(tmp_path) as base:
        claim_box(base, tmp_path)
        codes = [box_login(base, f"guess {n}", spoof(n)).status_code for n in range(BOX_LIMIT + 2)]
        assert codes == [401] * BOX_LIMIT + [429, 429]
        assert_retry_after(box_login(base, "guess again", spoof(99)))


@pytest.mark.parametrize("spoof", SPOOFS.values(), ids=SPOOFS.keys())
def test_spoofed_addresses_still_meet_the_central_limit(tmp_path: Path, spoof: Spoof) -> None:
    with central_server(tmp_path) as base:
        codes = [
            central_basic(base, f"guess {n}", spoof(n)).status_code
            for n in range(CENTRAL_LIMIT + 2)
        ]
        assert codes == [401] * CENTRAL_LIMIT + [429, 429]
        locked = central_basic(base, CENTRAL_ADMIN[1], spoof(99))  # even the right password
        assert_retry_after(locked)
        form = httpx.post(f"{base}/login", data={"username": CENTRAL_ADMIN[0], "password": "guess"})
        assert_retry_after(form)  # the dashboard's login form says when, too


def test_the_box_limit_survives_a_restart(tmp_path: Path) -> None:
    with box_server(tmp_path) as base:
        claim_box(base, tmp_path)
        for n in range(BOX_LIMIT):
            assert box_login(base, f"guess {n}").status_code == 401
    with box_server(tmp_path) as base:  # a reboot, or a crash and systemd's restart
        assert_retry_after(box_login(base, "guess after the restart"))
        form = httpx.post(f"{base}/login", data={"password": "guess"})
        assert_retry_after(form)


def test_the_central_limit_survives_a_restart(tmp_path: Path) -> None:
    with central_server(tmp_path) as base:
        for n in range(CENTRAL_LIMIT):
            assert central_basic(base, f"guess {n}").status_code == 401
    with central_server(tmp_path) as base:
        assert_retry_after(central_basic(base, CENTRAL_ADMIN[1]))


def test_behind_a_configured_proxy_each_client_has_its_own_limit(tmp_path: Path) -> None:
    """central behind nginx (the Ansible role): the proxy's X-Forwarded-For is believed."""
    with central_server(tmp_path, {"CHRONO_CENTRAL_FORWARDED_ALLOW_IPS": "127.0.0.1"}) as base:
        guesser = {"X-Forwarded-For": "203.0.113.7"}
        codes = [
            central_basic(base, f"guess {n}", guesser).status_code for n in range(CENTRAL_LIMIT + 1)
        ]
        assert codes == [401] * CENTRAL_LIMIT + [429]
        # The admin behind the same proxy, from elsewhere, is not locked out by the guesser.
        admin = central_basic(base, CENTRAL_ADMIN[1], {"X-Forwarded-For": "192.0.2.10"})
        assert admin.status_code == 200, admin.text


def test_a_box_trusts_a_proxy_only_when_told(tmp_path: Path) -> None:
    settings = {"CHRONO_EDGE_FORWARDED_ALLOW_IPS": "127.0.0.1"}
    with box_server(tmp_path, settings) as base:
        claim_box(base, tmp_path)
        guesser = {"X-Forwarded-For": "203.0.113.7"}
        for n in range(BOX_LIMIT):
            assert box_login(base, f"guess {n}", guesser).status_code == 401
        assert box_login(base, "guess", guesser).status_code == 429
        other = box_login(base, "guess", {"X-Forwarded-For": "192.0.2.10"})
        assert other.status_code == 401  # another client behind the proxy
