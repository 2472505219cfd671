"""/setup in Debian's Chromium up to a real WireGuard tunnel: claim, MASTER, enroll, tunnel up.

Central runs with its hub in namespace ``hq``, the box (``chrono-edge serve``) in
``pi1``; the browser stays in the test's own namespace and reaches the box through
a veth pair, as an operator's laptop on the box's LAN. After enrolling, the page
must show the tunnel up with its handshake, because wireguard-go really carries it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from edge.roleconfig import Role, RoleConfig, VpnConfig, load_file_role
from tests.browser import EXAMPLE_SLUG, browser_page
from tests.e2e.eventlab import (
    BOX_PORT,
    HQ_LAN,
    HUB_ADDRESS,
    PI1_LAN,
    prepare_box,
    processes,
    serve_box,
    start_central,
)
from tests.e2e.netns import Lab, Namespace, ip, network_lab, skip_unless_netns_possible

pytestmark = [pytest.mark.e2e]

PASSWORD = "finish-line-2026"


def link_to_here(lab: Lab, host: Namespace) -> str:
    """A veth pair from this namespace into ``host``; the address of ``host``'s end."""
    # 198.18.0.0/15 is reserved for benchmarks: no real network of this machine uses it.
    here, there = lab.name("vh"), lab.name("vn")
    octet = int(lab.suffix[:2], 16)
    ip("link", "add", here, "type", "veth", "peer", there, "netns", host.name)
    ip("address", "add", f"198.18.{octet}.1/30", "dev", here)
    ip("link", "set", here, "up")
    ip("-n", host.name, "address", "add", f"198.18.{octet}.2/30", "dev", there)
    ip("-n", host.name, "link", "set", there, "up")
    return f"198.18.{octet}.2"


def test_setup_page_enrolls_the_box_and_shows_its_tunnel_up(tmp_path: Path) -> None:
    skip_unless_netns_possible()
    with network_lab() as lab, processes() as run:
        hq, pi1 = lab.host("hq"), lab.host("pi1")
        lab.link(hq, f"{HQ_LAN}/24", pi1, f"{PI1_LAN}/24")
        box_address = link_to_here(lab, pi1)
        hub_interface, box_interface = lab.name("wgh"), lab.name("wgb")
        central = start_central(run, hq, tmp_path, hub_interface)
        issued = central.cli("enroll-token", "create", "--event", EXAMPLE_SLUG, "--json")
        token = json.loads(issued)["token"]
        fresh = RoleConfig(role=Role.UNCONFIGURED, vpn=VpnConfig(interface=box_interface))
        db, env = prepare_box(tmp_path / "pi1", fresh)
        serve_box(run, pi1, "pi1", db, env)
        box = f"http://{box_address}:{BOX_PORT}"
        pin = (tmp_path / "pi1" / "setup-pin.txt").read_text(encoding="ascii").strip()

        with browser_page() as page:
            page.goto(f"{box}/setup")
            page.fill("#pin", pin)
            page.fill("#password", PASSWORD)
            page.fill("#password-again", PASSWORD)
            page.click("#claim-submit")
            assert "notice ok" in page.get_attribute("#notice", "class")

            page.select_option("#role", "master")
            page.select_option("#event", EXAMPLE_SLUG)
            page.fill("#point", "FINISH")
            page.click("#role-submit")
            assert "notice ok" in page.get_attribute("#notice", "class")
            assert page.get_attribute("#vpn-state", "data-state") == "not-enrolled"

            page.fill("#central-url", central.public_url)
            page.fill("#enroll-token", token)
            page.click("#enroll-submit", timeout=60_000)
            assert "notice ok" in page.get_attribute("#notice", "class"), page.inner_text("#notice")
            assert page.get_attribute("#vpn-state", "data-state") == "up"
            assert re.fullmatch(r"\d+ s ago", page.inner_text("#vpn-handshake").strip())
            sent = page.inner_text("#vpn-transfer")
            assert re.fullmatch(r"[1-9]\d* B / [1-9]\d* B", sent.strip()), sent

        config = load_file_role(tmp_path / "pi1" / "reader.json")
        assert (config.role, config.point) == (Role.MASTER, "FINISH")
        assert config.central is not None
        assert config.central.tunnel_address == "10.77.0.2/32"
        assert f"dev {box_interface}" in pi1.run("ip", "route", "get", HUB_ADDRESS)
        (peer,) = json.loads(central.cli("vpn", "peers", "--json"))
        assert peer["tunnel_address"] == "10.77.0.2"
        assert peer["handshake_age_s"] is not None
