"""Central's hub as a service: the peer table, boxes admitted live, reconcile, handshake ages.

The ``wireguard_peer`` table is the truth; the interface follows it. A box is
admitted with ``wg set`` right after its enrollment commits (so its tunnel comes
up at once), and ``reconcile`` (at ``chrono-central serve`` start and on
``chrono-central vpn reconcile``) rewrites the interface's peers from the table
with ``wg syncconf``. Central keeps working without a hub: enrollment says the
tunnel is not available and the dashboard shows "no tunnel".
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from central.errors import Invalid
from central.settings import CentralSettings
from central.store.database import CentralDatabase
from central.store.models import WireguardPeer
from central.vpn.errors import HubFailed
from central.vpn.hub import Hub, HubPeer
from edge.domain.clock import now_us
from edge.errors import ChronoEdgeError
from edge.vpn.runner import run_tool

log = logging.getLogger(__name__)

_SECOND = 1_000_000
NO_HUB = (
    "central has no WireGuard hub (set CHRONO_CENTRAL_HUB_INTERFACE, "
    "CHRONO_CENTRAL_HUB_PRIVATE_KEY_FILE and CHRONO_CENTRAL_HUB_ENDPOINT)"
)
SYS_NET = Path("/sys/class/net")


@dataclass(frozen=True)
class HubStart:
    """What ``HubService.start`` did."""

    created: bool  # the interface did not exist and was made
    peers: int


async def record_peer(
    session: AsyncSession, device_id: str, public_key: str, address: str, now: int
) -> None:
    """Insert or update a box's peer row inside the caller's transaction (enrollment)."""
    row = await session.get(WireguardPeer, device_id)
    if row is None:
        session.add(
            WireguardPeer(
                device_id=device_id,
                public_key=public_key,
                tunnel_address=address,
                created_us=now,
                updated_us=now,
            )
        )
        return
    if (row.public_key, row.tunnel_address) != (public_key, address):
        row.public_key, row.tunnel_address = public_key, address
        row.last_handshake_us = None  # a new key has not shaken hands yet
    row.updated_us = now
    session.add(row)


class HubService:
    """The hub interface named in the settings, kept equal to the peer table."""

    def __init__(self, db: CentralDatabase, settings: CentralSettings) -> None:
        self.db = db
        self.settings = settings
        self._public_key: str | None = None

    @property
    def configured(self) -> bool:
        """Whether this central runs a hub (interface and private key set)."""
        return bool(self.settings.hub_interface and self.settings.hub_private_key_file)

    def hub(self) -> Hub:
        """The hub interface (only when ``configured``)."""
        key_file = self.settings.hub_private_key_file
        if key_file is None or not self.settings.hub_interface:
            raise Invalid(NO_HUB)
        return Hub(self.settings.hub_interface, key_file, self.settings.hub_listen_port)

    def running(self) -> bool:
        """Whether the hub's interface exists on this machine now."""
        return self.configured and (SYS_NET / self.settings.hub_interface).exists()

    def public_key(self) -> str:
        """The key boxes must trust: the setting, else derived from the private key file."""
        if self.settings.hub_public_key:
            return self.settings.hub_public_key
        if self._public_key is None and self.configured:
            key_file = self.settings.hub_private_key_file
            assert key_file is not None
            try:
                private = key_file.read_text(encoding="ascii").strip()
                self._public_key = run_tool(["wg", "pubkey"], stdin=private + "\n").strip()
            except (OSError, ChronoEdgeError) as error:
                log.warning("cannot derive the hub's public key: %s", error)
                return ""
        return self._public_key or ""

    def unavailable(self) -> str:
        """Why boxes get no tunnel from this central ("" when they do)."""
        if not self.settings.hub_endpoint or not self.public_key():
            return NO_HUB
        return ""

    async def admit(self, device_id: str, public_key: str, address: str) -> str:
        """Add a box's peer to the running interface now; "" or why it could not."""
        if not self.running():
            return "the hub interface is not running; the box is admitted at the next reconcile"
        try:
            await asyncio.to_thread(self.hub().add_peer, HubPeer(public_key, address))
        except ChronoEdgeError as error:
            log.warning("could not admit device %s to the hub: %s", device_id, error)
            return f"the hub could not admit the box now: {error}"
        return ""

    async def table(self) -> list[WireguardPeer]:
        """Every peer row, in address order."""
        async with self.db.read() as session:
            rows = (await session.exec(select(WireguardPeer))).all()
        return sorted(rows, key=lambda row: tuple(int(p) for p in row.tunnel_address.split(".")))

    async def start(self) -> HubStart:
        """Create the interface if it is missing, then reconcile it with the table."""
        created = False
        if not self.running():
            address = self.settings.tunnel_network.with_prefixlen  # 10.77.0.1/16
            try:
                await asyncio.to_thread(self.hub().up, address)
            except ChronoEdgeError as error:
                raise HubFailed(f"cannot create {self.settings.hub_interface}: {error}") from error
            created = True
        return HubStart(created=created, peers=await self.reconcile())

    async def reconcile(self) -> int:
        """Make the interface's peers exactly the table's (``wg syncconf``); how many."""
        peers = [HubPeer(row.public_key, row.tunnel_address) for row in await self.table()]
        try:
            await asyncio.to_thread(self.hub().reconcile, peers)
        except (ChronoEdgeError, OSError) as error:
            raise HubFailed(f"cannot reconcile {self.settings.hub_interface}: {error}") from error
        return len(peers)

    async def handshakes(self, now: int | None = None) -> dict[str, float | None] | None:
        """Seconds since each device's last handshake (None: never); None when no hub runs.

        Handshakes the interface reports are stored in the table, so the age stays
        known after the interface restarts (its counters start again from zero).
        """
        if not self.running():
            return None
        now = now_us() if now is None else now
        try:
            states = await asyncio.to_thread(self.hub().peers)
        except ChronoEdgeError as error:
            log.warning("cannot read the hub's peers: %s", error)
            return None
        latest = {s.public_key: s.latest_handshake * _SECOND for s in states if s.latest_handshake}
        ages: dict[str, float | None] = {}
        async with self.db.write() as session:
            rows = (await session.exec(select(WireguardPeer))).all()
            for row in rows:
                seen = latest.get(row.public_key)
                if seen is not None and seen != row.last_handshake_us:
                    row.last_handshake_us = seen
                    session.add(row)
                stamp = row.last_handshake_us
                ages[row.device_id] = None if stamp is None else max(0.0, (now - stamp) / _SECOND)
        return ages
