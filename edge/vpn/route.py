"""Which URL reaches central: its tunnel address while the tunnel is up, else the public URL.

Every sender to central (the worker's ``sync.central`` job and its status report,
``chrono-edge sync push``) gets its URL from ``sync_url``, so the choice is made
in one place. "Up" means the WireGuard interface named in reader.json exists and
is administratively up: the hub's address is then routed into the tunnel
(wg-quick added the route) and a lost handshake heals by itself within seconds,
while the public URL may not be reachable from a venue's 4G at all.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from edge.roleconfig import CentralLink, RoleConfig

SYS_NET = Path("/sys/class/net")
CENTRAL_DEFAULT_PORT = 8100  # chrono-central serve's default port
_IFF_UP = 0x1


def interface_up(interface: str, sys_net: Path | None = None) -> bool:
    """Whether the network interface exists and is up (read from sysfs: no privilege needed)."""
    try:
        text = ((sys_net or SYS_NET) / interface / "flags").read_text(encoding="ascii")
        flags = int(text.strip(), 16)
    except (OSError, ValueError):
        return False
    return bool(flags & _IFF_UP)


def tunnel_url(link: CentralLink) -> str:
    """Central on the hub's tunnel address, on its public URL's port (else 8100)."""
    # Plain HTTP: the tunnel encrypts already, and central's TLS name does not cover 10.77.0.1.
    port = urlsplit(link.url).port or CENTRAL_DEFAULT_PORT
    return f"http://{link.hub_address}:{port}"


def central_url(link: CentralLink, interface: str | None, sys_net: Path | None = None) -> str:
    """Central's URL by ``interface``'s tunnel when it is up, else the public one."""
    if interface and link.hub_address and interface_up(interface, sys_net):
        return tunnel_url(link)
    return link.url


def sync_url(role: RoleConfig, sys_net: Path | None = None) -> str:
    """The URL this box's sync and reports to central use now (reader.json's vpn settings)."""
    if role.central is None:
        raise ValueError("not enrolled with central")
    interface = role.vpn.interface if role.vpn.sync_through_tunnel else None
    return central_url(role.central, interface, sys_net)
