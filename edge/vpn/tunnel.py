"""The box's tunnel to central: wg0.conf from the enrollment grant, wg-quick up/down, state."""

from __future__ import annotations

from pathlib import Path

from edge.roleconfig import CentralLink
from edge.store.files import PRIVATE_MODE, write_atomic
from edge.vpn.errors import VpnError
from edge.vpn.keys import PRIVATE_KEY
from edge.vpn.peers import PeerState, parse_dump
from edge.vpn.runner import USERSPACE_FALLBACK, run_tool

INTERFACE = "wg0"
KEEPALIVE_S = 25  # keeps 4G NAT mappings open


def render_config(link: CentralLink, private_key: str) -> str:
    """wg-quick configuration of the box's side of the tunnel to central's hub."""
    if not link.tunnel_granted:
        raise VpnError("central gave no hub key/endpoint: set CHRONO_CENTRAL_HUB_* on central")
    return (
        "[Interface]\n"
        f"PrivateKey = {private_key}\n"
        f"Address = {link.tunnel_address}\n"
        "\n[Peer]\n"
        f"PublicKey = {link.hub_public_key}\n"
        f"Endpoint = {link.hub_endpoint}\n"
        f"AllowedIPs = {link.hub_address}/32\n"
        f"PersistentKeepalive = {KEEPALIVE_S}\n"
    )


def write_config(path: Path, text: str) -> None:
    """Write the configuration atomically with mode 0600 (it holds the private key)."""
    write_atomic(path, text, PRIVATE_MODE)


def up(config: Path) -> None:
    """Bring the tunnel up (wg-quick falls back to wireguard-go without the kernel module)."""
    run_tool(["wg-quick", "up", str(config)], timeout_s=30, env=USERSPACE_FALLBACK)


def down(config: Path) -> None:
    """Take the tunnel down."""
    run_tool(["wg-quick", "down", str(config)], timeout_s=30)


def peers(interface: str = INTERFACE) -> list[PeerState]:
    """The interface's peers and their handshake ages and counters."""
    return parse_dump(run_tool(["wg", "show", interface, "dump"]))


def config_path(key_folder: Path, interface: str) -> Path:
    """The wg-quick file of ``interface`` (wg-quick names the interface after the file)."""
    return key_folder / f"{interface}.conf"


def connect(link: CentralLink, key_folder: Path, interface: str) -> Path:
    """Write the tunnel's wg-quick file from the grant and (re)start the tunnel; its path.

    A running tunnel is taken down first: a re-enrollment may change the box's
    address or the hub's key, and wg-quick refuses to bring up an existing interface.
    """
    try:
        private = (key_folder / PRIVATE_KEY).read_text(encoding="ascii").strip()
    except OSError as error:
        raise VpnError(f"the box has no WireGuard key in {key_folder}: enroll again") from error
    config = config_path(key_folder, interface)
    write_config(config, render_config(link, private))
    if Path("/sys/class/net", interface).exists():
        down(config)
    up(config)
    return config


def keep_up(link: CentralLink, key_folder: Path, interface: str) -> bool:
    """Bring the tunnel back when its interface is gone (a reboot, a dead wireguard-go).

    Nothing runs wg-quick at boot: the grant in reader.json is the source of truth,
    so the file is rewritten from it and the tunnel started. True when it was restarted.
    """
    if Path("/sys/class/net", interface).exists():
        return False
    connect(link, key_folder, interface)
    return True
