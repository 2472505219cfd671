"""Joining the fleet: present an enrollment token to central, keep what it grants."""

from __future__ import annotations

import socket
from importlib.metadata import version
from pathlib import Path

import httpx

from edge.errors import ChronoEdgeError
from edge.fleet.http import answer_json
from edge.fleet.identity import device_serial
from edge.roleconfig import CentralLink, load_role, save_role
from edge.vpn.keys import ensure_keypair

TIMEOUT_S = 20.0


class EnrollmentRefused(ChronoEdgeError):
    """Central refused the enrollment."""


class CentralUnreachable(ChronoEdgeError):
    """Central could not be reached; check the URL and the network, then retry."""


def enroll(central_url: str, token: str, role_file: Path, key_folder: Path) -> CentralLink:
    """Enroll this box with central and save the result in reader.json (all or nothing)."""
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
    update: dict[str, object] = {"central": link}
    if config.event is None:
        update["event"] = granted.get("event_slug")
    save_role(role_file, config.model_copy(update=update))
    return link
