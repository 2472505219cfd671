"""Upload a snapshot to central in chunks, resuming where central's copy stands."""

from __future__ import annotations

from dataclasses import dataclass
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
    headers = {"Authorization": f"Bearer {link.device_token}"}
    central = (url or link.url).rstrip("/")
    base = f"{central}/api/v1/backups"
    try:
        with httpx.Client(headers=headers, timeout=TIMEOUT_S) as client:
            state = _answer(
                client.post(
                    base,
                    json={"size": snapshot.size, "sha256": snapshot.sha256, "seq": snapshot.seq},
                )
            )
            resumed_at = offset = int(state["received"])
            with snapshot.path.open("rb") as file:
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
        raise BackupUploadFailed(f"backup upload to {central} interrupted: {error}") from error
    return UploadResult(str(state["id"]), snapshot.size, resumed_at)


def _answer(response: httpx.Response) -> dict[str, Any]:
    body = answer_json(response, BackupUploadFailed, "the backup")
    assert isinstance(body, dict)
    return body
