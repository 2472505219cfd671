"""The box's side of central's update service: the offer, TUF metadata, the bundle, reports.

Metadata is refreshed with python-tuf's ``ngclient.Updater`` for the box's channel
(trusted first from ``/etc/chronoedge/ota/root.json``, then from the newest root it
verified, kept in ``ota/tuf/<channel>/``): an expired timestamp, metadata older than
what the box already trusts, or a bad signature is refused. The bundle is downloaded
by this module, not by the Updater, so it resumes: HTTP Range into a ``.part`` file,
at most ``rate`` bytes a second, then TUF's length and hashes, then the bundle's own
manifest (``ota.verify``) for the box's target. Errors are translated here:
``UpdateRefused`` (never retried: what central serves is wrong), ``CentralUnreachable``
(retried by the job).

python-tuf (with urllib3 and cryptography, ~11 MB resident) is imported by the calls
that refresh metadata or check a download, not with this module: the worker's
``ota.check`` on a box that is not enrolled, or that is offered nothing, never loads it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from edge.store.files import move_into_place
from ota.errors import BundleRefused, CentralUnreachable, UpdateRefused
from ota.failpoint import failpoint
from ota.offer import Offer
from ota.verify import verify_bundle

if TYPE_CHECKING:
    from tuf.api.metadata import TargetFile

CHUNK = 64 * 1024
SYNC_EVERY = 4 * 1024 * 1024
"""Bytes between two fsyncs of the ``.part`` file: progress a power cut keeps."""
TIMEOUT_S = 30.0
HASH = "sha256"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class CentralLink:
    """Where central is (its tunnel address when the tunnel is up) and the box's token."""

    url: str
    device_token: str
    channel: str

    @property
    def headers(self) -> dict[str, str]:
        """The device token, as /api/v1/sync takes it."""
        return {"Authorization": f"Bearer {self.device_token}"}

    def metadata_url(self) -> str:
        """The channel's TUF metadata folder."""
        return f"{self.url.rstrip('/')}/ota/{self.channel}/metadata/"

    def targets_url(self) -> str:
        """The channel's bundles (hash-prefixed names)."""
        return f"{self.url.rstrip('/')}/ota/{self.channel}/targets/"


def fetch_offer(link: CentralLink, target: str) -> Offer | None:
    """What central offers this box on its channel (None: no rollout selects it)."""
    try:
        answer = httpx.get(
            f"{link.url.rstrip('/')}/api/v1/ota/offer",
            params={"channel": link.channel, "target": target},
            headers=link.headers,
            timeout=TIMEOUT_S,
        )
    except httpx.HTTPError as error:
        raise CentralUnreachable(f"central did not answer the offer ({error})") from error
    body = _answer(answer, "the offer")
    if not body.get("version"):
        return None
    return Offer(
        version=str(body["version"]),
        target_name=str(body["target_name"]),
        channel=str(body.get("channel", link.channel)),
        rollout=body.get("rollout"),
        percent=body.get("percent"),
    )


def send_report(link: CentralLink, report: dict[str, Any]) -> None:
    """POST the state report (Mender-like) to central."""
    try:
        answer = httpx.post(
            f"{link.url.rstrip('/')}/api/v1/ota/report",
            json=report,
            headers=link.headers,
            timeout=TIMEOUT_S,
        )
    except httpx.HTTPError as error:
        raise CentralUnreachable(f"central did not take the report ({error})") from error
    _answer(answer, "the report")


def refreshed_target(link: CentralLink, tuf_dir: Path, trusted_root: Path, name: str) -> TargetFile:
    """Refresh the channel's metadata (TUF) and return what it says of target ``name``."""
    from tuf.api import exceptions as tuf_errors
    from tuf.ngclient.updater import Updater

    tuf_dir.mkdir(parents=True, exist_ok=True)
    cached = tuf_dir / "root.json"
    try:
        # The newest root verified so far, else the one the box was shipped with.
        bootstrap = None if cached.exists() else trusted_root.read_bytes()
    except FileNotFoundError:
        raise UpdateRefused(
            f"{trusted_root}: missing: the box trusts no update repository (the role or the "
            "image ships it)"
        ) from None
    try:
        updater = Updater(
            str(tuf_dir),
            link.metadata_url(),
            target_base_url=link.targets_url(),
            bootstrap=bootstrap,
        )
        updater.refresh()
        info = updater.get_targetinfo(name)
    except tuf_errors.DownloadError as error:
        raise CentralUnreachable(f"central's update metadata did not come ({error})") from error
    except tuf_errors.RepositoryError as error:
        kind = type(error).__name__
        raise UpdateRefused(f"central's update metadata is refused ({kind}: {error})") from error
    if info is None:
        raise UpdateRefused(f"{name}: not among the channel's signed targets")
    return info


def check_target(info: TargetFile, offer: Offer, target: str) -> None:
    """The signed target is the one offered, for this box (its custom metadata says so)."""
    custom = info.unrecognized_fields.get("custom") or {}
    if custom.get("version") != offer.version:
        raise UpdateRefused(
            f"{info.path}: the signed metadata says version {custom.get('version')!r}, "
            f"central offers {offer.version}"
        )
    if custom.get("target") != target:
        raise UpdateRefused(f"{info.path}: signed for {custom.get('target')!r}, not {target}")


def download_target(
    link: CentralLink,
    info: TargetFile,
    downloads: Path,
    target: str,
    *,
    rate_bps: float = 0.0,
    progress: Progress | None = None,
) -> Path:
    """Download (or resume) ``info``'s bundle into ``downloads``; verify it; return its path.

    A complete bundle already there is verified again and kept.
    """
    downloads.mkdir(parents=True, exist_ok=True)
    final = downloads / info.path
    if not final.exists():
        part = final.with_name(final.name + ".part")
        url = link.targets_url() + f"{info.hashes[HASH]}.{info.path}"
        fetch_range(url, part, info.length, rate_bps=rate_bps, progress=progress)
        _check_hashes(info, part)
        move_into_place(part, final)
    else:
        _check_hashes(info, final)
    try:
        verify_bundle(final, target)
    except BundleRefused:
        final.unlink(missing_ok=True)  # never installed; fetched again if offered again
        raise
    return final


def fetch_range(
    url: str,
    part: Path,
    total: int,
    *,
    rate_bps: float = 0.0,
    progress: Progress | None = None,
) -> None:
    """Append to ``part`` from where it stops until it holds ``total`` bytes (HTTP Range).

    At most ``rate_bps`` bytes a second (0: no cap). A server answering 200 to a Range
    request starts the file again; more bytes than ``total`` are refused.
    """
    have = part.stat().st_size if part.exists() else 0
    if have > total:
        part.unlink()
        have = 0
    if have == total:
        return
    headers = {"Range": f"bytes={have}-"} if have else {}
    started, received, synced = time.monotonic(), 0, have
    try:
        with httpx.stream("GET", url, headers=headers, timeout=TIMEOUT_S) as answer:
            if answer.status_code == 416:
                part.unlink(missing_ok=True)  # the server's file is not the one we began
                raise CentralUnreachable(f"{url}: range not satisfiable, starting again")
            if answer.status_code == 200:
                have = 0
            elif answer.status_code == 206:
                _check_range(answer, have, total)
            else:
                raise CentralUnreachable(f"{url}: HTTP {answer.status_code}")
            with part.open("r+b" if have else "wb") as out:
                out.seek(have)
                out.truncate()
                half = total // 2
                for chunk in answer.iter_bytes(_chunk_size(rate_bps)):
                    if have + len(chunk) > total:
                        raise UpdateRefused(f"{url}: more than the {total} bytes TUF signed for")
                    out.write(chunk)
                    if have < half <= have + len(chunk):
                        out.flush()
                        failpoint("download")
                    have += len(chunk)
                    received += len(chunk)
                    if have - synced >= SYNC_EVERY:
                        out.flush()
                        os.fsync(out.fileno())
                        synced = have
                    if progress is not None:
                        progress(have, total)
                    _throttle(received, started, rate_bps)
                out.flush()
                os.fsync(out.fileno())
    except httpx.HTTPError as error:
        stopped = f"the download stopped at {have} of {total} bytes ({error})"
        raise CentralUnreachable(stopped) from error
    if have != total:
        raise CentralUnreachable(f"the download stopped at {have} of {total} bytes")


def _check_range(answer: httpx.Response, start: int, total: int) -> None:
    expected = f"bytes {start}-{total - 1}/{total}"
    found = answer.headers.get("content-range", "")
    if found != expected:
        raise CentralUnreachable(f"central answered the range {found!r}, expected {expected!r}")


def _check_hashes(info: TargetFile, path: Path) -> None:
    from tuf.api import exceptions as tuf_errors

    with path.open("rb") as stream:
        try:
            info.verify_length_and_hashes(stream)
        except tuf_errors.LengthOrHashMismatchError as error:
            path.unlink(missing_ok=True)
            raise UpdateRefused(f"{info.path}: {error}; the download is thrown away") from None


def _chunk_size(rate_bps: float) -> int:
    # A few chunks a second under a cap, so the rate is even rather than bursty.
    return CHUNK if rate_bps <= 0 else max(4096, min(CHUNK, int(rate_bps / 8)))


def _throttle(received: int, started: float, rate_bps: float) -> None:
    if rate_bps <= 0:
        return
    ahead = received / rate_bps - (time.monotonic() - started)
    if ahead > 0:
        time.sleep(ahead)


def _answer(answer: httpx.Response, what: str) -> dict[str, Any]:
    if answer.status_code == 204:
        return {}
    if answer.status_code >= 400:
        raise CentralUnreachable(f"central refused {what} ({answer.status_code}): {answer.text}")
    body = answer.json()
    if not isinstance(body, dict):
        raise CentralUnreachable(f"central answered {what} with no JSON object")
    return body
