"""Upload a snapshot to central in chunks, resuming where central's copy stands."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from edge.backup.snapshot import Snapshot
from edge.errors import ChronoEdgeError
from edge.fleet.http import answer_json
from edge.roleconfig import CentralLink

CHUNK_BYTES = 1024 * 1024
TIMEOUT_S = 60.0


class BackupUploadFailed(ChronoEdgeError):
    """The backup could not be uploaded; the next run resumes where central's copy stands."""


@dataclass(frozen=True)
class UploadResult:
    """A finished upload."""

    backup_id: str
    size: int
    resumed_at: int  # bytes central already held when this run started


def upload_snapshot(
    snapshot: Snapshot,
    link: CentralLink,
    *,
    url: str | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> UploadResult:
    """Send ``snapshot`` to central at ``url`` (default: its public URL); a cut upload resumes."""
    start = {"size": snapshot.size, "sha256": snapshot.sha256, "seq": snapshot.seq}
    return upload_file(snapshot.path, start, link, "backups", url=url, chunk_bytes=chunk_bytes)


def upload_file(
    path: Path,
    start: dict[str, Any],
    link: CentralLink,
    collection: str,
    *,
    url: str | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> UploadResult:
    """Send ``path`` (described by ``start``: size, sha256, ...) to central's ``collection``
    (backups, archives) in chunks, from where central's copy stands."""
    headers = {"Authorization": f"Bearer {link.device_token}"}
    central = (url or link.url).rstrip("/")
    base = f"{central}/api/v1/{collection}"
    try:
        with httpx.Client(headers=headers, timeout=TIMEOUT_S) as client:
            state = _answer(client.post(base, json=start))
            resumed_at = offset = int(state["received"])
            with path.open("rb") as file:
                while not state["complete"]:
                    file.seek(offset)
                    chunk = file.read(chunk_bytes)
                    response = client.put(
                        f"{base}/{state['id']}", params={"offset": offset}, content=chunk
                    )
                    if response.status_code == 409 and "expected_offset" in response.json():
                        offset = int(response.json()["expected_offset"])
                        continue
                    state = _answer(response)
                    offset = int(state["received"])
    except httpx.HTTPError as error:
        raise BackupUploadFailed(f"upload to {central} interrupted: {error}") from error
    return UploadResult(str(state["id"]), int(start["size"]), resumed_at)


def _answer(response: httpx.Response) -> dict[str, Any]:
    body = answer_json(response, BackupUploadFailed, "the backup")
    assert isinstance(body, dict)
    return body


@dataclass(frozen=True)
class Confirmation:
    """Central's answer on an archive it holds: confirmed, or why not."""

    confirmed: bool
    sha256: str
    problem: str


class CentralUnreachable(BackupUploadFailed):
    """Central could not be reached; nothing was decided. Try again when the link is back."""


def confirm_archive(link: CentralLink, archive_id: str, *, url: str | None = None) -> Confirmation:
    """Ask central to read its copy of the archive back now (sha256, age header)."""
    central = (url or link.url).rstrip("/")
    headers = {"Authorization": f"Bearer {link.device_token}"}
    try:
        response = httpx.get(
            f"{central}/api/v1/archives/{archive_id}", headers=headers, timeout=TIMEOUT_S
        )
    except httpx.HTTPError as error:
        raise CentralUnreachable(f"central ({central}) cannot be reached: {error}") from error
    body = answer_json(response, BackupUploadFailed, "the archive's confirmation")
    return Confirmation(bool(body["confirmed"]), str(body["sha256"]), str(body["problem"]))
