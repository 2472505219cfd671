"""WireGuard configuration text, ``wg show dump`` parsing and the tool runner."""

from __future__ import annotations

import base64
import shutil
import stat
from pathlib import Path

import pytest

from central.vpn.hub import HubPeer, render_hub_config
from edge.roleconfig import CentralLink
from edge.vpn.errors import ToolFailed, ToolMissing, VpnError
from edge.vpn.keys import PRIVATE_KEY, ensure_keypair, new_private_key, public_key
from edge.vpn.peers import parse_dump
from edge.vpn.runner import run_tool
from edge.vpn.tunnel import render_config, write_config

BOX_PRIVATE = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
HUB_PUBLIC = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
BOX_PUBLIC = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
OTHER_PUBLIC = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="

LINK = CentralLink(
    url="https://central.example",
    device_id="dev-1",
    device_token="secret",
    tunnel_address="10.77.0.2/32",
    hub_address="10.77.0.1",
    hub_public_key=HUB_PUBLIC,
    hub_endpoint="vpn.example:51820",
)

# `wg show wg0 dump`: the interface, then one line per peer (tab-separated).
DUMP = (
    "cGxhY2Vob2xkZXI=\tSHVicHVibGlj\t51820\toff\n"
    f"{BOX_PUBLIC}\t(none)\t192.168.77.2:41234\t10.77.0.2/32\t1700000000\t1532\t2148\toff\n"
    f"{OTHER_PUBLIC}\t(none)\t(none)\t10.77.0.3/32,10.78.0.0/24\t0\t0\t0\t25\n"
)


def test_box_config_points_at_the_hub_only() -> None:
    assert render_config(LINK, BOX_PRIVATE) == (
        "[Interface]\n"
        f"PrivateKey = {BOX_PRIVATE}\n"
        "Address = 10.77.0.2/32\n"
        "\n"
        "[Peer]\n"
        f"PublicKey = {HUB_PUBLIC}\n"
        "Endpoint = vpn.example:51820\n"
        "AllowedIPs = 10.77.0.1/32\n"
        "PersistentKeepalive = 25\n"
    )


def test_box_config_needs_the_hub_settings_of_central() -> None:
    link = LINK.model_copy(update={"hub_public_key": ""})
    with pytest.raises(VpnError, match="CHRONO_CENTRAL_HUB_"):
        render_config(link, BOX_PRIVATE)


def test_hub_config_lists_peers_in_address_order() -> None:
    peers = [HubPeer(OTHER_PUBLIC, "10.77.0.10"), HubPeer(BOX_PUBLIC, "10.77.0.2")]
    assert render_hub_config("aHViLXByaXZhdGU=", 51820, peers) == (
        "[Interface]\n"
        "PrivateKey = aHViLXByaXZhdGU=\n"
        "ListenPort = 51820\n"
        "\n"
        "[Peer]\n"
        f"PublicKey = {BOX_PUBLIC}\n"
        "AllowedIPs = 10.77.0.2/32\n"
        "\n"
        "[Peer]\n"
        f"PublicKey = {OTHER_PUBLIC}\n"
        "AllowedIPs = 10.77.0.10/32\n"
    )


def test_hub_config_without_peers_is_only_the_interface() -> None:
    assert render_hub_config("aHViLXByaXZhdGU=", 51821, []) == (
        "[Interface]\nPrivateKey = aHViLXByaXZhdGU=\nListenPort = 51821\n"
    )


def test_dump_gives_handshakes_and_counters() -> None:
    box, _ = parse_dump(DUMP)
    assert box.public_key == BOX_PUBLIC
    assert box.endpoint == "192.168.77.2:41234"
    assert box.allowed_ips == ("10.77.0.2/32",)
    assert (box.latest_handshake, box.rx_bytes, box.tx_bytes) == (1700000000, 1532, 2148)
    assert box.handshake_age_s(1700000042.5) == 42.5
    assert box.handshake_age_s(1699999999) == 0.0  # clock behind the handshake


def test_dump_peer_never_seen() -> None:
    other = parse_dump(DUMP)[1]
    assert other.endpoint is None
    assert other.allowed_ips == ("10.77.0.3/32", "10.78.0.0/24")
    assert other.latest_handshake == 0
    assert other.handshake_age_s(1700000000) is None


def test_dump_of_an_interface_without_peers() -> None:
    assert parse_dump(DUMP.splitlines()[0] + "\n") == []
    assert parse_dump("") == []


def test_dump_peer_without_allowed_ips() -> None:
    (peer,) = parse_dump(f"iface\n{BOX_PUBLIC}\t(none)\t(none)\t(none)\t0\t0\t0\toff\n")
    assert peer.allowed_ips == ()


def test_config_file_is_private_and_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "wireguard" / "wg0.conf"
    write_config(path, "old\n")
    write_config(path, render_config(LINK, BOX_PRIVATE))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == render_config(LINK, BOX_PRIVATE)
    assert sorted(p.name for p in path.parent.iterdir()) == ["wg0.conf"]


def _fake_tool(folder: Path, name: str, script: str) -> None:
    tool = folder / name
    tool.write_text("#!/bin/sh\n" + script)
    tool.chmod(0o755)


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH holding only the fake tools a test writes (plus the shell's basics)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    return folder


@pytest.mark.parametrize(
    ("tool", "package"),
    [
        ("wg", "wireguard-tools"),
        ("wg-quick", "wireguard-tools"),
        ("wireguard-go", "wireguard-go"),
        ("ip", "iproute2"),
    ],
)
def test_missing_tool_says_what_to_install(
    tool: str, package: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissing, match=f"apt install {package}"):
        run_tool([tool, "show"])


def test_failing_tool_reports_its_stderr(bin_dir: Path) -> None:
    _fake_tool(bin_dir, "wg", 'echo "Unable to access interface: No such device" >&2\nexit 1\n')
    with pytest.raises(ToolFailed, match="wg show wg0 failed: Unable to access interface"):
        run_tool(["wg", "show", "wg0", "dump"])


def test_failing_tool_without_stderr_reports_its_exit_code(bin_dir: Path) -> None:
    _fake_tool(bin_dir, "wg", "exit 3\n")
    with pytest.raises(ToolFailed, match="exit code 3"):
        run_tool(["wg", "syncconf", "wg0", "/tmp/x"])


def test_hung_tool_is_stopped(bin_dir: Path) -> None:
    _fake_tool(bin_dir, "wg-quick", "exec sleep 10\n")
    with pytest.raises(ToolFailed, match=r"wg-quick up wg0 did not finish within 0\.2 s"):
        run_tool(["wg-quick", "up", "wg0"], timeout_s=0.2)


def test_secret_goes_through_stdin_not_argv(bin_dir: Path) -> None:
    _fake_tool(bin_dir, "wg", 'echo "args:$*"\necho "stdin:$(cat)"\n')
    assert run_tool(["wg", "pubkey"], stdin="SECRET\n") == "args:pubkey\nstdin:SECRET\n"


def test_keypair_made_once_with_a_private_file(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    public = ensure_keypair(folder)
    private = (folder / PRIVATE_KEY).read_text()
    assert ensure_keypair(folder) == public  # the second call reuses the key
    assert (folder / PRIVATE_KEY).read_text() == private
    assert stat.S_IMODE((folder / PRIVATE_KEY).stat().st_mode) == 0o600
    assert len(base64.b64decode(private.strip(), validate=True)) == 32
    assert ensure_keypair(tmp_path / "other") != public


def test_keys_are_those_wireguard_tools_make() -> None:
    """The pair agrees with ``wg pubkey``; a private key is clamped like ``wg genkey``'s."""
    if shutil.which("wg") is None:
        pytest.skip("wireguard-tools absent: apt install wireguard-tools (.ci/debian-packages.txt)")
    for _ in range(20):
        private = new_private_key()
        raw = base64.b64decode(private)
        assert raw[0] & 7 == 0
        assert raw[31] & 0xC0 == 0x40
        assert public_key(private) == run_tool(["wg", "pubkey"], stdin=private + "\n").strip()
    made_by_wg = run_tool(["wg", "genkey"]).strip()
    assert public_key(made_by_wg) == run_tool(["wg", "pubkey"], stdin=made_by_wg + "\n").strip()


def test_a_broken_private_key_says_to_enroll_again(tmp_path: Path) -> None:
    (tmp_path / PRIVATE_KEY).write_text("not a key\n")
    with pytest.raises(VpnError, match="enroll again"):
        ensure_keypair(tmp_path)
