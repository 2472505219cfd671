"""The state of the box's tunnel to central, as /setup and the CLI show it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from edge.roleconfig import load_role
from edge.vpn.errors import VpnError
from edge.vpn.route import interface_up
from edge.vpn.tunnel import peers

HANDSHAKE_FRESH_S = 180  # WireGuard re-handshakes every 2 minutes while traffic flows


@dataclass(frozen=True)
class TunnelStatus:
    """The tunnel as the operator sees it."""

    state: str  # up | connecting | down | not_enrolled
    interface: str
    address: str  # the box's tunnel address, e.g. 10.77.0.2/32 ("" before enrollment)
    hub_address: str
    handshake_age_s: float | None  # None: no handshake yet (or not readable)
    rx_bytes: int
    tx_bytes: int
    detail: str  # one English sentence


def tunnel_status(
    role_file: Path, *, interface: str | None = None, sys_net: Path | None = None
) -> TunnelStatus:
    """Read reader.json, the interface and ``wg show <if> dump``: is the tunnel carrying traffic."""
    role = load_role(role_file)
    interface = interface or role.vpn.interface
    link = role.central
    if link is None:
        return TunnelStatus(
            "not_enrolled", interface, "", "", None, 0, 0, "not enrolled with central"
        )
    address, hub = link.tunnel_address, link.hub_address

    def status(
        state: str, detail: str, age: float | None = None, rx: int = 0, tx: int = 0
    ) -> TunnelStatus:
        return TunnelStatus(state, interface, address, hub, age, rx, tx, detail)

    if not link.hub_public_key:
        return status("down", "central has no WireGuard hub: sync uses central's public URL")
    if not role.vpn.enabled:
        return status("down", "the tunnel is turned off in reader.json (vpn.enabled)")
    if not interface_up(interface, sys_net):
        return status("down", f"the tunnel interface {interface} is down")
    try:
        found = [p for p in peers(interface) if p.public_key == link.hub_public_key]
    except VpnError as error:
        return status("connecting", f"cannot read the tunnel's state: {error}")
    if not found:
        return status("connecting", f"{interface} has no peer for central's hub")
    peer = found[0]
    age = peer.handshake_age_s(time.time())
    if age is None:
        return status(
            "connecting", "no handshake with central's hub yet", None, peer.rx_bytes, peer.tx_bytes
        )
    state = "up" if age <= HANDSHAKE_FRESH_S else "connecting"
    return status(state, f"last handshake {age:.0f} s ago", age, peer.rx_bytes, peer.tx_bytes)
