"""The box's enroll_and_connect and tunnel state against a real central without a hub.

Central here runs without WireGuard (as in development): the box must come out
enrolled, with its tunnel down for a reason it can show, and keep syncing over
central's public URL. The tunnel coming up is tested with real namespaces in
tests/e2e/test_event_network.py and tests/e2e/test_setup_flow_browser.py.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from edge.fleet.enrollment import EnrollmentRefused, enroll_and_connect
from edge.roleconfig import CentralLink, RoleConfig, VpnConfig, load_file_role, save_role
from edge.vpn.route import sync_url
from edge.vpn.status import tunnel_status
from tests.servers import central_process, free_port

pytestmark = pytest.mark.integration


def token(database_url: str) -> str:
    env = {**os.environ, "CHRONO_CENTRAL_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "central", "enroll-token", "create"]
    done = subprocess.run([*command, "--event", "spring-10k-2026", "--json"], env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return str(json.loads(done.stdout)["token"])


@pytest.mark.skipif(shutil.which("wg") is None, reason="needs wg: apt install wireguard-tools")
def test_without_a_hub_the_box_is_enrolled_and_says_why_there_is_no_tunnel(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
    role_file, keys = tmp_path / "box" / "reader.json", tmp_path / "box" / "keys"
    save_role(role_file, RoleConfig(vpn=VpnConfig(interface="wgnohub0")))
    assert tunnel_status(role_file).state == "not_enrolled"
    with central_process(url, free_port(), tmp_path) as base:
        done = enroll_and_connect(base, token(url), role_file=role_file, key_folder=keys)
        assert done.tunnel == "down"
        assert "no hub" in done.reason
        assert done.central_url == base  # sync keeps using the public URL
        assert done.tunnel_address == "10.77.0.2/32"
        config = load_file_role(role_file)
        assert config.central is not None
        assert config.central.device_id == done.device_id
        assert sync_url(config) == base
        assert stat.S_IMODE((keys / "wg-private.key").stat().st_mode) == 0o600
        assert not (keys / "wgnohub0.conf").exists()  # nothing half-written
        status = tunnel_status(role_file)
        assert (status.state, status.address) == ("down", "10.77.0.2/32")
        assert "no WireGuard hub" in status.detail

        # A used token is refused and changes nothing.
        used = token(url)
        enroll_and_connect(base, used, role_file=role_file, key_folder=keys)
        kept = load_file_role(role_file).central
        with pytest.raises(EnrollmentRefused, match="already used"):
            enroll_and_connect(base, used, role_file=role_file, key_folder=keys)
        assert load_file_role(role_file).central == kept


def test_a_tunnel_turned_off_in_reader_json_is_down_and_sync_stays_public(tmp_path: Path):
    link = CentralLink(url="https://central.example", device_id="d", device_token="t",
                       tunnel_address="10.77.0.9/32", hub_address="10.77.0.1",
                       hub_public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",
                       hub_endpoint="vpn.example:51820")  # fmt: skip
    role_file = tmp_path / "reader.json"
    save_role(role_file, RoleConfig(central=link, vpn=VpnConfig(enabled=False)))
    status = tunnel_status(role_file)
    assert status.state == "down"
    assert "vpn.enabled" in status.detail
    save_role(role_file, RoleConfig(central=link, vpn=VpnConfig(interface="wgabsent0")))
    status = tunnel_status(role_file)
    assert (status.state, status.interface) == ("down", "wgabsent0")
    assert "wgabsent0 is down" in status.detail
