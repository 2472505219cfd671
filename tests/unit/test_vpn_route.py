"""Which URL reaches central (tunnel or public), the tunnel settings, the dashboard's "online"."""

from __future__ import annotations

from pathlib import Path

import pytest

from central.services.fleet import DeviceView
from edge.roleconfig import CentralLink, RoleConfig, VpnConfig
from edge.vpn.route import central_url, interface_up, sync_url, tunnel_url

LINK = CentralLink(
    url="https://central.example:8443",
    device_id="dev-1",
    device_token="secret",
    tunnel_address="10.77.0.2/32",
    hub_address="10.77.0.1",
    hub_public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",
    hub_endpoint="vpn.example:51820",
)


def sysfs(tmp_path: Path, interface: str, flags: str) -> Path:
    """A /sys/class/net with one interface whose flags are ``flags`` (hex, as the kernel)."""
    (tmp_path / interface).mkdir(parents=True)
    (tmp_path / interface / "flags").write_text(flags + "\n")
    return tmp_path


def test_an_interface_is_up_only_with_the_up_flag(tmp_path: Path) -> None:
    net = sysfs(tmp_path, "wg0", "0x91")  # UP|POINTOPOINT|NOARP, as wg-quick leaves it
    sysfs(tmp_path, "wg1", "0x90")
    assert interface_up("wg0", net)
    assert not interface_up("wg1", net)
    assert not interface_up("wg9", net)


def test_sync_goes_through_the_tunnel_only_while_it_is_up(tmp_path: Path) -> None:
    net = sysfs(tmp_path, "wg0", "0x91")
    assert central_url(LINK, "wg0", net) == "http://10.77.0.1:8443"
    assert central_url(LINK, "wg0", tmp_path / "none") == "https://central.example:8443"
    assert central_url(LINK, "wgx", net) == "https://central.example:8443"
    assert central_url(LINK, None, net) == "https://central.example:8443"
    no_hub = LINK.model_copy(update={"hub_address": ""})
    assert central_url(no_hub, "wg0", net) == "https://central.example:8443"


def test_the_tunnel_port_is_the_public_one_else_8100() -> None:
    assert tunnel_url(LINK) == "http://10.77.0.1:8443"
    public_443 = LINK.model_copy(update={"url": "https://c.example"})
    assert tunnel_url(public_443) == "http://10.77.0.1:8100"


def test_reader_json_names_the_interface_and_may_keep_sync_public(tmp_path: Path) -> None:
    net = sysfs(tmp_path, "wgtest1", "0x1091")
    role = RoleConfig(central=LINK, vpn=VpnConfig(interface="wgtest1"))
    assert sync_url(role, net) == "http://10.77.0.1:8443"
    assert sync_url(role.model_copy(update={"vpn": VpnConfig()}), net) == LINK.url
    public = VpnConfig(interface="wgtest1", sync_through_tunnel=False)
    assert sync_url(role.model_copy(update={"vpn": public}), net) == LINK.url
    with pytest.raises(ValueError, match="not enrolled"):
        sync_url(RoleConfig(), net)


def view(seen_s: float | None, hub: bool, handshake_s: float | None) -> DeviceView:
    return DeviceView(
        "d", "s", "box", "ev", "master", "1", "10.77.0.2", seen_s, 0, 0.0, None, None, [],
        hub_running=hub, handshake_age_s=handshake_s,
    )  # fmt: skip


def test_online_needs_a_fresh_heartbeat_and_a_fresh_handshake() -> None:
    assert view(5, True, 30).online
    assert view(5, True, 180).online
    assert not view(5, True, 181).online
    assert not view(5, True, None).online
    assert not view(61, True, 30).online
    assert not view(None, True, 30).online
    assert view(5, True, 30).tunnel == "handshake 30 s ago"
    assert view(5, True, None).tunnel == "never"
    # Without a hub on central, the heartbeat alone decides and the tunnel says so.
    assert view(5, False, None).online
    assert not view(61, False, None).online
    assert view(5, False, None).tunnel == "no tunnel"
