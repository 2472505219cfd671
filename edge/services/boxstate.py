"""What /setup shows about the box itself: identity, addresses, version, VPN, MASTERs nearby.

The MASTERs come from ``edge.fleet.discovery`` (zeroconf), the tunnel's state from
``edge.vpn.status`` ("unavailable" when ``wg`` cannot be read).
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from edge.errors import ChronoEdgeError
from edge.fleet.identity import device_serial
from edge.vpn.status import tunnel_status

DISCOVERY_S = 1.5
VPN_LABELS = {
    "up": "tunnel up",
    "connecting": "connecting",
    "down": "tunnel down",
    "not-enrolled": "not enrolled",
    "unavailable": "unavailable",
}


@dataclass(frozen=True)
class BoxIdentity:
    """The box as the operator identifies it."""

    serial: str
    hostname: str
    addresses: list[str]
    version: str


@dataclass(frozen=True)
class VpnView:
    """The WireGuard tunnel to central, in words for the page and a code for scripts."""

    code: str  # a key of VPN_LABELS: "up", "connecting", "down", "not-enrolled", ...
    state: str  # English label; the page translates it
    enrolled: bool
    interface: str = "wg0"
    up: bool = False
    address: str = ""
    handshake_age_s: float | None = None
    rx_bytes: int = 0
    tx_bytes: int = 0
    detail: str = ""


@dataclass(frozen=True)
class MasterChoice:
    """A MASTER announcing itself on the LAN."""

    name: str
    url: str
    event: str | None = None
    device_id: str = ""
    addresses: list[str] = field(default_factory=list)


def software_version() -> str:
    """The installed ChronoEdge version."""
    try:
        return version("chronoedge")
    except PackageNotFoundError:
        return "unknown"


def ip_addresses() -> list[str]:
    """The box's addresses other than loopback, as ``address (interface)``."""
    try:
        done = subprocess.run(
            ["ip", "-j", "address", "show"], capture_output=True, text=True, timeout=3, check=True
        )
        interfaces = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return _resolved_addresses()
    found = []
    for interface in interfaces:
        for info in interface.get("addr_info", []):
            if info.get("scope") == "host" or not info.get("local"):
                continue
            found.append(f"{info['local']} ({interface.get('ifname', '?')})")
    return found


def _resolved_addresses() -> list[str]:
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None)
    except OSError:
        return []
    return sorted({str(info[4][0]) for info in infos if not str(info[4][0]).startswith("127.")})


def box_identity() -> BoxIdentity:
    """Serial, host name, addresses and version of this box."""
    try:
        serial = device_serial()
    except RuntimeError as error:
        serial = f"unknown ({error})"
    return BoxIdentity(serial, socket.gethostname(), ip_addresses(), software_version())


def vpn_view(role_file: Path, enrolled: bool) -> VpnView:
    """The tunnel's state as ``edge.vpn.status`` reports it (blocking: runs ``wg``)."""
    if not enrolled:
        return VpnView("not-enrolled", VPN_LABELS["not-enrolled"], False)
    try:
        status = tunnel_status(role_file)
    except ChronoEdgeError as error:
        return VpnView("unavailable", VPN_LABELS["unavailable"], True, detail=error.message)
    codes = {"up": "up", "connecting": "connecting", "not_enrolled": "not-enrolled"}
    code = codes.get(status.state, "down")
    return VpnView(
        code=code,
        state=VPN_LABELS[code],
        enrolled=code != "not-enrolled",
        interface=status.interface,
        up=status.state == "up",
        address=status.address,
        handshake_age_s=status.handshake_age_s,
        rx_bytes=status.rx_bytes,
        tx_bytes=status.tx_bytes,
        detail=status.detail,
    )


async def discover_masters(event: str | None = None) -> list[MasterChoice]:
    """MASTERs announcing themselves on the LAN within DISCOVERY_S."""
    # zeroconf (~3.5 MB resident) is loaded by the first search, not by serve's start:
    # most boxes never search (a MASTER, or a SLAVE given its MASTER's URL).
    from edge.fleet import discovery

    try:
        found = await asyncio.to_thread(discovery.discover_masters, DISCOVERY_S, event)
    except (OSError, ChronoEdgeError):
        return []  # no multicast on this network: the URL field remains
    return [MasterChoice(m.name, m.url, m.event, m.device_id, list(m.addresses)) for m in found]
