"""The hub interface: peers added live at enrollment, reconciled with ``wg syncconf``."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

from edge.vpn.errors import ToolFailed
from edge.vpn.peers import PeerState, parse_dump
from edge.vpn.runner import USERSPACE_FALLBACK, run_tool


@dataclass(frozen=True)
class HubPeer:
    """A box as the hub knows it."""

    public_key: str
    address: str  # the box's /32, without the prefix length


def render_hub_config(private_key: str, listen_port: int, peers: Iterable[HubPeer]) -> str:
    """A wg(8) configuration (not wg-quick's) of the hub with exactly these peers."""
    lines = ["[Interface]", f"PrivateKey = {private_key}", f"ListenPort = {listen_port}"]
    for peer in sorted(peers, key=lambda p: IPv4Address(p.address)):
        lines += ["", "[Peer]", f"PublicKey = {peer.public_key}", f"AllowedIPs = {peer.address}/32"]
    return "\n".join(lines) + "\n"


class Hub:
    """One WireGuard interface on central."""

    def __init__(self, interface: str, private_key_file: Path, listen_port: int) -> None:
        self.interface = interface
        self.private_key_file = private_key_file
        self.listen_port = listen_port

    def up(self, address: str) -> None:
        """Create the interface with its key, port and ``address`` (10.77.0.1/16), and start it.

        The kernel module is used when there is one; otherwise ``wireguard-go`` makes a
        TUN device of the same name and daemonizes (as wg-quick does), which is slower
        but behaves the same for ``wg set``, ``wg syncconf`` and ``wg show``.
        """
        try:
            run_tool(["ip", "link", "add", "dev", self.interface, "type", "wireguard"])
        except ToolFailed:
            run_tool(["wireguard-go", self.interface], env=USERSPACE_FALLBACK)
        run_tool(
            ["wg", "set", self.interface, "listen-port", str(self.listen_port),
             "private-key", str(self.private_key_file)]
        )  # fmt: skip
        run_tool(["ip", "address", "add", address, "dev", self.interface])
        run_tool(["ip", "link", "set", "up", "dev", self.interface])

    def down(self) -> None:
        """Delete the interface (a wireguard-go daemon exits when its device goes)."""
        run_tool(["ip", "link", "delete", "dev", self.interface])

    def add_peer(self, peer: HubPeer) -> None:
        """Admit a box at once (a key change replaces the old key's peer at reconcile)."""
        run_tool(
            ["wg", "set", self.interface, "peer", peer.public_key,
             "allowed-ips", f"{peer.address}/32"]
        )  # fmt: skip

    def reconcile(self, peers: Iterable[HubPeer]) -> None:
        """Make the interface's peers exactly ``peers`` (removed keys go, new ones come)."""
        private = self.private_key_file.read_text(encoding="ascii").strip()
        text = render_hub_config(private, self.listen_port, peers)
        handle, name = tempfile.mkstemp(prefix="hub-", suffix=".conf")
        try:
            with os.fdopen(handle, "w", encoding="ascii") as file:  # mkstemp: mode 0600
                file.write(text)
            run_tool(["wg", "syncconf", self.interface, name])
        finally:
            Path(name).unlink(missing_ok=True)

    def peers(self) -> list[PeerState]:
        """Peers with their handshake ages and counters."""
        return parse_dump(run_tool(["wg", "show", self.interface, "dump"]))
