"""Rebuild a replacement box's database from central: latest snapshot + the changes after it."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import socket
import sqlite3
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx

from edge.backup.replay import replay_changes
from edge.errors import ChronoEdgeError
from edge.fleet.http import answer_json
from edge.fleet.identity import device_serial
from edge.roleconfig import CentralLink, load_role, save_role
from edge.sealing import AGE_MAGIC, SealError, is_sealed, load_identity, open_file
from edge.store.files import move_into_place, sync_file
from edge.store.sqlite import private_database
from edge.vpn.keys import ensure_keypair

TIMEOUT_S = 60.0
PAGE = 5000


class RestoreFailed(ChronoEdgeError):
    """The restore did not complete; the box's database was not touched."""


@dataclass(frozen=True)
class RestoreReport:
    """What was restored and how it was checked."""

    backup_id: str
    snapshot_seq: int
    changes_replayed: int
    last_seq: int
    tag_reads: int
    passings: int


def restore_from_central(
    central_url: str,
    device_id: str,
    auth: tuple[str, str],
    db_path: Path,
    identity: Path | None = None,
) -> RestoreReport:
    """Download, verify and replay into a new file, then move it into place (never half done).

    A backup central sealed at rest opens only with the fleet backup key's ``identity``.
    """
    if db_path.exists() and db_path.stat().st_size > 0:
        raise RestoreFailed(f"{db_path} already exists; move it away to restore into a fresh box")
    base = f"{central_url.rstrip('/')}/api/v1/devices/{device_id}"
    work = db_path.with_name(db_path.name + ".restoring")
    packed = db_path.with_name(db_path.name + ".restoring.gz")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with httpx.Client(auth=auth, timeout=TIMEOUT_S) as client:
            latest = _json(client.get(f"{base}/backups/latest"))
            _download(client, f"{base}/backups/{latest['id']}/file", packed, latest["sha256"])
            _unseal(packed, identity)
            private_database(work)  # the restored entrants' data: the owner's alone
            with gzip.open(packed, "rb") as source, work.open("wb") as target:
                shutil.copyfileobj(source, target, 1024 * 1024)
            connection = sqlite3.connect(work, isolation_level=None)
            try:
                _check(connection, "snapshot")
                replayed, last_seq = _replay_all(client, base, connection, int(latest["seq"]))
                _check(connection, "restored database")
                reads = connection.execute("SELECT count(*) FROM tag_read").fetchone()[0]
                passings = connection.execute("SELECT count(*) FROM passing").fetchone()[0]
            finally:
                connection.close()
    except httpx.HTTPError as error:
        work.unlink(missing_ok=True)
        raise RestoreFailed(f"cannot reach central at {central_url}: {error}") from error
    except BaseException:
        work.unlink(missing_ok=True)
        raise
    finally:
        packed.unlink(missing_ok=True)
    sync_file(work)
    move_into_place(work, db_path)
    return RestoreReport(latest["id"], int(latest["seq"]), replayed, last_seq, reads, passings)


def adopt_identity(
    central_url: str, device_id: str, auth: tuple[str, str], role_file: Path, keys: Path
) -> CentralLink:
    """Make this box the restored device at central (new token and key, same address)."""
    body = {
        "serial": device_serial(),
        "hostname": socket.gethostname(),
        "version": version("chronoedge"),
        "wg_public_key": ensure_keypair(keys),
    }
    url = f"{central_url.rstrip('/')}/api/v1/devices/{device_id}/replace"
    try:
        granted = _json(httpx.post(url, json=body, auth=auth, timeout=TIMEOUT_S))
    except httpx.HTTPError as error:
        raise RestoreFailed(f"cannot reach central at {central_url}: {error}") from error
    link = CentralLink(
        url=central_url.rstrip("/"),
        device_id=granted["device_id"],
        device_token=granted["device_token"],
        tunnel_address=granted["tunnel_address"],
        hub_address=granted.get("hub_address", ""),
        hub_public_key=granted.get("hub_public_key", ""),
        hub_endpoint=granted.get("hub_endpoint", ""),
    )
    config = load_role(role_file)
    save_role(
        role_file, config.model_copy(update={"central": link, "event": granted["event_slug"]})
    )
    return link


def _replay_all(
    client: httpx.Client, base: str, connection: sqlite3.Connection, snapshot_seq: int
) -> tuple[int, int]:
    connection.execute("BEGIN IMMEDIATE")
    try:
        after, replayed, last_seq = snapshot_seq, 0, snapshot_seq
        while True:
            page = _json(client.get(f"{base}/changes", params={"after": after, "limit": PAGE}))
            last_seq = int(page["last_seq"])
            changes = page["changes"]
            if not changes:
                break
            if int(changes[0]["seq"]) != after + 1:
                raise RestoreFailed(f"central's changes jump from {after} to {changes[0]['seq']}")
            replayed += replay_changes(connection, changes)
            after = int(changes[-1]["seq"])
        if after != last_seq:
            raise RestoreFailed(f"central holds changes up to {last_seq} but sent up to {after}")
        connection.execute(
            "INSERT INTO sync_ack (target, acked_seq, attempts, last_error, updated_us)"
            " VALUES ('central', ?, 0, '', 0) ON CONFLICT(target) DO UPDATE SET"
            " acked_seq = excluded.acked_seq, attempts = 0, last_error = ''",
            [last_seq],
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return replayed, last_seq


def _download(client: httpx.Client, url: str, target: Path, sha256: str) -> None:
    digest = hashlib.sha256()
    with client.stream("GET", url) as response, target.open("wb") as file:
        if response.status_code >= 400:
            raise RestoreFailed(f"central refused the download ({response.status_code})")
        for chunk in response.iter_bytes(1024 * 1024):
            digest.update(chunk)
            file.write(chunk)
    if digest.hexdigest() != sha256:
        raise RestoreFailed("the downloaded snapshot does not match its sha256")


def _unseal(packed: Path, identity: Path | None) -> None:
    """Open ``packed`` in place when central sealed it with the fleet backup key."""
    with packed.open("rb") as file:
        if not is_sealed(file.read(len(AGE_MAGIC))):
            return  # stored before central had the fleet key: as the box sent it
    if identity is None:
        raise RestoreFailed(
            "this backup is sealed with the fleet backup key: give the key's identity file"
            " (--identity; the fleet admin holds it); nothing was restored"
        )
    opened = packed.with_name(packed.name + ".open")
    try:
        open_file(packed, opened, load_identity(identity))
    except SealError as error:
        raise RestoreFailed(f"{error}; nothing was restored") from error
    move_into_place(opened, packed)


def _check(connection: sqlite3.Connection, what: str) -> None:
    result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise RestoreFailed(f"the {what} failed PRAGMA integrity_check: {result}")


def _json(response: httpx.Response) -> dict[str, Any]:
    body = answer_json(response, RestoreFailed, "the restore")
    assert isinstance(body, dict)
    return body
