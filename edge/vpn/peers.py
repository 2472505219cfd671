"""WireGuard peers as ``wg show <if> dump`` reports them: read by the box and central's hub."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PeerState:
    """One peer as ``wg show <if> dump`` reports it."""

    public_key: str
    endpoint: str | None
    allowed_ips: tuple[str, ...]
    latest_handshake: int  # seconds since the epoch; 0: never
    rx_bytes: int
    tx_bytes: int

    def handshake_age_s(self, now_s: float) -> float | None:
        """Seconds since the last handshake, or None if there never was one."""
        return None if self.latest_handshake == 0 else max(0.0, now_s - self.latest_handshake)


def parse_dump(text: str) -> list[PeerState]:
    """Peers from ``wg show <if> dump`` (the first line is the interface itself)."""
    peers = []
    for line in text.splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) < 8:
            continue
        key, _psk, endpoint, allowed, handshake, rx, tx = fields[:7]
        peers.append(
            PeerState(
                public_key=key,
                endpoint=None if endpoint == "(none)" else endpoint,
                allowed_ips=tuple(a for a in allowed.split(",") if a and a != "(none)"),
                latest_handshake=int(handshake),
                rx_bytes=int(rx),
                tx_bytes=int(tx),
            )
        )
    return peers
