"""The operator's choices from chronoedge.txt applied the way /setup applies them.

The role goes through ``SetupService.choose_role`` (the same checks as /setup,
reader.json written once or not at all); enrollment through the box's own
``enroll``. Central is often out of reach at first boot (the unit runs before the
network is up, or the 4G link is not there yet): the token then waits in
``/etc/chronoedge/pending-enrollment.json`` (0600) for ``chrono-edge
enroll-pending``, which chronoedge-enroll-pending.service runs once the network is up.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from edge.errors import ChronoEdgeError, InvalidInput
from edge.fleet.enrollment import CentralUnreachable
from edge.fleet.enrollment import enroll as enroll_with_central
from edge.paths import BoxPaths
from edge.roleconfig import CentralLink
from edge.store.database import Database
from edge.store.files import PRIVATE_MODE, write_atomic

PENDING_FILE = "pending-enrollment.json"
Enroll = Callable[[str, str, Path, Path], CentralLink]


@dataclass(frozen=True)
class RolePreset:
    """What chronoedge.txt asks of the role (the fields of ``chrono-edge role set``)."""

    role: str
    event: str | None = None
    point: str | None = None
    master_url: str | None = None
    event_key: str | None = None
    reader: tuple[str, int] | None = None


def apply_role(paths: BoxPaths, preset: RolePreset) -> str:
    """Choose the role as /setup would (InvalidInput: refused, reader.json unchanged)."""
    from edge.services.setup import SetupService

    if preset.event is not None and not paths.database.exists():
        raise InvalidInput(
            [],
            f"event {preset.event!r} is not on this box yet: load its file on /setup,"
            " then choose the role there",
        )

    async def choose() -> str:
        database = Database(paths.database)
        try:
            setup = SetupService(database, paths.role_file, paths.key_folder)
            chosen = await setup.choose_role(
                preset.role,
                preset.event,
                preset.point,
                preset.master_url,
                preset.event_key,
                # A SLAVE told no MASTER URL finds its MASTER on the LAN, as /setup offers.
                discovery=preset.role == "slave" and preset.master_url is None,
                reader=preset.reader,
            )
        finally:
            await database.close()
        where = f", event {chosen.event}" if chosen.event else ""
        where += f", point {chosen.point}" if chosen.point else ""
        return f"role {chosen.role.value}{where} (reader.json written)"

    return asyncio.run(choose())


def pending_path(paths: BoxPaths) -> Path:
    """Where a token waits for central to be reachable."""
    return paths.config_dir / PENDING_FILE


def keep_pending(paths: BoxPaths, central_url: str, token: str) -> None:
    """Keep the token on the box (0600) until an enrollment with it has been answered."""
    body = json.dumps({"central_url": central_url, "token": token}, indent=2) + "\n"
    path = pending_path(paths)
    if not path.exists() or path.read_text(encoding="utf-8") != body:
        write_atomic(path, body, PRIVATE_MODE)


def read_pending(paths: BoxPaths) -> tuple[str, str] | None:
    """The kept (central_url, token), or None."""
    try:
        data = json.loads(pending_path(paths).read_text(encoding="utf-8"))
        return str(data["central_url"]), str(data["token"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def enroll_pending(paths: BoxPaths, enroll: Enroll = enroll_with_central) -> str:
    """Enroll with the kept token; forget it once central answered (CentralUnreachable: kept).

    A refusal (token spent, expired, unknown) is final: the token is forgotten and
    the error raised, so the operator enrolls on /setup with a new one.
    """
    kept = read_pending(paths)
    if kept is None:
        return "no enrollment waiting"
    central_url, token = kept
    try:
        link = enroll(central_url, token, paths.role_file, paths.key_folder)
    except CentralUnreachable:
        raise
    except ChronoEdgeError:
        pending_path(paths).unlink(missing_ok=True)
        raise
    pending_path(paths).unlink(missing_ok=True)
    return f"enrolled with {link.url} as device {link.device_id}"
