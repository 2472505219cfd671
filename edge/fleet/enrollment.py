"""Joining the fleet: present an enrollment token to central, keep what it grants."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import httpx

from edge.fleet.errors import CentralUnreachable as CentralUnreachable
from edge.fleet.errors import EnrollmentRefused as EnrollmentRefused
from edge.fleet.http import answer_json
from edge.fleet.identity import device_serial
from edge.roleconfig import CentralLink, RoleConfig, load_role, save_role
from edge.vpn.errors import VpnError
from edge.vpn.keys import ensure_keypair
from edge.vpn.route import central_url as route_to_central
from edge.vpn.status import tunnel_status
from edge.vpn.tunnel import connect

TIMEOUT_S = 20.0
HANDSHAKE_WAIT_S = 5.0  # the keepalive makes the first handshake at once; give it a moment


@dataclass(frozen=True)
class Connection:
    """What ``enroll_and_connect`` did."""

    device_id: str
    event_slug: str | None  # the event in reader.json after enrollment
    tunnel_address: str  # e.g. 10.77.0.2/32
    tunnel: str  # up | down
    reason: str  # "" when up with a handshake; else why down (or why no handshake yet)
    handshake_age_s: float | None
    central_url: str  # where the box now sends its sync: the tunnel's URL when up


def enroll(
    central_url: str,
    token: str,
    role_file: Path,
    key_folder: Path,
    *,
    before_save: Callable[[CentralLink, RoleConfig], None] | None = None,
) -> CentralLink:
    """Enroll this box with central and save the result in reader.json (all or nothing).

    ``before_save`` runs once central granted the enrollment, before reader.json names
    central: every process follows that file, and the worker syncs as soon as it does.
    """
    base = central_url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise EnrollmentRefused(f"central URL {central_url!r} must start with http:// or https://")
    config = load_role(role_file)  # refuse early (and keep the file) if it is invalid
    request = {
        "token": token.strip(),
        "serial": device_serial(),
        "hostname": socket.gethostname(),
        "version": version("chronoedge"),
        "wg_public_key": ensure_keypair(key_folder),
    }
    try:
        response = httpx.post(f"{base}/api/v1/enroll", json=request, timeout=TIMEOUT_S)
    except httpx.HTTPError as error:
        raise CentralUnreachable(f"cannot reach central at {base}: {error}") from error
    granted = answer_json(response, EnrollmentRefused, "the enrollment")
    link = CentralLink(
        url=base,
        device_id=granted["device_id"],
        device_token=granted["device_token"],
        tunnel_address=granted["tunnel_address"],
        hub_address=granted.get("hub_address", ""),
        hub_public_key=granted.get("hub_public_key", ""),
        hub_endpoint=granted.get("hub_endpoint", ""),
    )
    if before_save is not None:
        before_save(link, config)
    update: dict[str, object] = {"central": link}
    if config.event is None:
        update["event"] = granted.get("event_slug")
    save_role(role_file, config.model_copy(update=update))
    return link


def enroll_and_connect(
    central_url: str,
    token: str,
    *,
    role_file: Path,
    key_folder: Path,
    interface: str | None = None,
) -> Connection:
    """Enroll, then write the tunnel's wg-quick file and bring the tunnel up (blocking).

    A refused or failed enrollment raises and saves nothing; a tunnel that cannot
    come up (no hub on central, tools missing) leaves the box enrolled, syncing
    over central's public URL, and says why.
    """
    down: list[VpnError] = []

    def tunnel_first(link: CentralLink, config: RoleConfig) -> None:
        # Up before reader.json names central: the worker's first sync then goes
        # through the tunnel, not to the public URL in the moment wg-quick takes.
        try:
            if not config.vpn.enabled:
                raise VpnError("the tunnel is turned off in reader.json (vpn.enabled)")
            connect(link, key_folder, interface or config.vpn.interface)
        except VpnError as error:
            down.append(error)

    link = enroll(central_url, token, role_file, key_folder, before_save=tunnel_first)
    role = load_role(role_file)
    interface = interface or role.vpn.interface
    event = role.event
    if down:
        return Connection(
            link.device_id, event, link.tunnel_address, "down", str(down[0]), None, link.url
        )
    deadline = time.monotonic() + HANDSHAKE_WAIT_S
    state = tunnel_status(role_file, interface=interface)
    while state.state != "up" and time.monotonic() < deadline:
        time.sleep(0.2)
        state = tunnel_status(role_file, interface=interface)
    reason = "" if state.state == "up" else state.detail
    return Connection(
        link.device_id,
        event,
        link.tunnel_address,
        "up",
        reason,
        state.handshake_age_s,
        route_to_central(link, interface if role.vpn.sync_through_tunnel else None),
    )
