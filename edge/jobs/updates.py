"""The box's over-the-air update jobs: ``ota.check`` (periodic), ``ota.download``, ``ota.install``.

``ota.check`` asks central's offer for the box's channel and target, reports the box's
update state when it changed (POST /api/v1/ota/report) and moves the update on
(``ota.policy``): a download to start, a downloaded release to install, an install the
installer left unfinished to start again. ``ota.download`` refreshes the TUF metadata
and downloads the bundle, resumable and bandwidth-capped (``ota.client``).
``ota.install`` checks the gates (``ota.gates``: live race, unsynced data, install
window, the operator's deferral; a Force lifts the first three) and, when they pass,
leaves a request and starts the installer, which runs as root outside the worker
(``chronoedge-update.service``, ``ota.installer``). Every refusal and deferral is
reported with its reason. The worker's view lives in ``ota/offer.json``.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import uuid6

from edge.jobs.box import OTA_QUEUE as QUEUE
from edge.jobs.catalog import box_paths
from edge.jobs.context import JobContext
from edge.roleconfig import load_role
from edge.services.boxstatus import box_status
from edge.store.files import write_atomic
from edge.vpn.route import sync_url
from ota import gates
from ota.client import (
    CentralLink,
    check_target,
    download_target,
    fetch_offer,
    refreshed_target,
    send_report,
)
from ota.errors import BundleRefused, CentralUnreachable, OtaError, UpdateRefused
from ota.installer import installer_running
from ota.layout import Layout
from ota.offer import Download, OfferView, read_view, write_view
from ota.operator import OperatorWord, read_word, write_word
from ota.policy import next_move
from ota.settings import get_ota_settings
from ota.state import Attempt, Request, Step, now_iso, read_attempt, read_request
from ota.status import REPORT_FIELDS, installed_version, report_body, update_status
from ota.targets import host_target
from ota.versions import is_newer

PROGRESS_EVERY_S = 2.0
_view_lock = asyncio.Lock()  # one worker process per box: its jobs never interleave writes


def box_layout(ctx: JobContext) -> Layout:
    """The layout of the box the worker runs for."""
    return Layout(get_ota_settings(), box_paths(ctx))


def running_version(layout: Layout) -> str:
    """The release ``current`` names, else the installed package's version (development)."""
    return layout.linked_version(layout.current) or installed_version()


async def check_update(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Ask central's offer, report the box's update state, start what comes next."""
    layout = box_layout(ctx)
    link = _link(layout)
    if link is None:
        return {"skipped": "not enrolled with central"}
    attempt = read_attempt(layout.state_file)
    requested = _pending_request(layout, attempt)
    if not installer_running(layout):
        if attempt is not None and not attempt.step.final:
            await ctx.log(f"the install of {attempt.request.version} stopped at {attempt.step}")
            await start_installer(layout)
        elif requested is not None:  # a start that failed, or a reboot before it ran
            await ctx.log(f"the installer has not taken the request for {requested.version}")
            await start_installer(layout)
    try:
        offer = await asyncio.to_thread(fetch_offer, link, host_target())
    except CentralUnreachable as error:
        await _update_view(layout, error=str(error), checked_at=now_iso())
        raise
    word = read_word(layout.operator_file)
    async with _view_lock:
        view = read_view(layout.offer_file)
        move = next_move(
            offer,
            running_version(layout),
            attempt,
            view.download if view.download and offer else None,
            word.forced(offer.version if offer else None),
            requested,
        )
        verdict = {"state": move.state, "reason": move.reason, "state_at": now_iso()}
        if move.action == "none" and _installer_speaks(move.state, attempt):
            verdict = {}  # state.json says it (installing, or how the last attempt ended)
        elif move.action == "install" and view.state == "deferred":
            verdict = {}  # still deferred until ota.install finds the gates open
        view = view.but(channel=link.channel, checked_at=now_iso(), offer=offer, error=None)
        write_view(layout.offer_file, view.but(**verdict))
    if move.action == "download":
        await ctx.queue.enqueue("ota.download", {}, queue=QUEUE, unique_key="ota.download")
    elif move.action == "install":
        await ctx.queue.enqueue("ota.install", {}, queue=QUEUE, unique_key="ota.install")
    reported = await report(layout, link)
    return {"offered": offer.version if offer else None, "next": move.action, **reported}


async def download_update(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Download the offered bundle (resuming), verify it with TUF and its manifest."""
    layout = box_layout(ctx)
    link = _link(layout)
    view = read_view(layout.offer_file)
    if link is None or view.offer is None:
        return {"skipped": "nothing offered"}
    offer, target, settings = view.offer, host_target(), layout.settings
    try:
        if not is_newer(offer.version, running_version(layout)):
            raise UpdateRefused(f"{offer.version} is not newer than the release running here")
        info = await asyncio.to_thread(
            refreshed_target,
            link,
            layout.tuf_dir(link.channel),
            layout.trusted_root,
            offer.target_name,
        )
        check_target(info, offer, target)
    except (UpdateRefused, BundleRefused) as error:
        return await _refused(layout, link, str(error))
    path = layout.downloads / info.path
    part = path.with_name(path.name + ".part")
    for stale in layout.downloads.glob("chronoedge-*"):
        if stale not in (path, part):
            stale.unlink(missing_ok=True)  # an older offer's bundle: the SD card is small
    already = part.stat().st_size if part.exists() else 0
    download = Download(offer.version, offer.target_name, str(path), info.length, already)
    await _update_view(layout, state="downloading", state_at=now_iso(), download=download)
    await report(layout, link)
    received = [already]
    started = time.monotonic()
    fetch = asyncio.create_task(
        asyncio.to_thread(
            download_target,
            link,
            info,
            layout.downloads,
            target,
            rate_bps=settings.download_rate_kbps * 1000,
            progress=lambda have, total: received.__setitem__(0, have),
        )
    )
    try:
        while not fetch.done():
            await asyncio.wait({fetch}, timeout=PROGRESS_EVERY_S)
            have = received[0]
            await ctx.progress(int(100 * have / max(info.length, 1)), f"{have} of {info.length} B")
            await _update_view(layout, download=replace(download, received=have))
        fetch.result()
    except (UpdateRefused, BundleRefused) as error:
        return await _refused(layout, link, str(error))
    except CentralUnreachable as error:
        await _update_view(layout, error=str(error))
        raise
    finally:
        download = replace(download, seconds=download.seconds + time.monotonic() - started)
    done = replace(download, received=info.length, verified=True, sha256=info.hashes["sha256"])
    await _update_view(layout, state="downloaded", state_at=now_iso(), download=done, error=None)
    await ctx.log(f"{info.path}: {info.length} bytes in {done.seconds:.1f} s, verified")
    await ctx.queue.enqueue("ota.install", {}, queue=QUEUE, unique_key="ota.install")
    await report(layout, link)
    return {"downloaded": info.path, "bytes": info.length, "seconds": round(done.seconds, 1)}


async def install_update(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Check the gates; if they pass, ask the installer (root) to install the download."""
    layout = box_layout(ctx)
    link = _link(layout)
    view = read_view(layout.offer_file)
    offer, download = view.offer, view.download
    if link is None or offer is None or download is None or download.version != offer.version:
        return {"skipped": "no verified download of the offered release"}
    attempt = read_attempt(layout.state_file)
    if installer_running(layout) or (attempt is not None and not attempt.step.final):
        return {"skipped": "an install runs"}
    if _pending_request(layout, attempt) is not None:
        await start_installer(layout)  # asked before; a second start runs one installer
        return {"skipped": "the installer was asked already: asked again"}
    paths = layout.paths
    status = await asyncio.to_thread(box_status, paths.role_file, paths.database)
    word = read_word(layout.operator_file)
    force = word.forced(offer.version)
    now = datetime.now(UTC)
    held = gates.refusals(
        status,
        now=now,
        window=gates.parse_window(layout.settings.install_window),
        deferred_until=word.deferred(now),
        forced=force is not None,
    )
    if held:
        reason = gates.explain(held)
        await _update_view(layout, state="deferred", reason=reason, state_at=now_iso())
        await report(layout, link)
        return {"deferred": reason}
    request = Request(
        id=uuid6.uuid7().hex,
        version=offer.version,
        bundle=download.path,
        target=host_target(),
        rollout=offer.rollout,
        force_reason=force.reason if force else None,
        requested_at=now_iso(),
    )
    write_atomic(layout.request_file, request.to_json())
    if force is not None:
        write_word(layout.operator_file, OperatorWord())  # a Force is spent by one attempt
    await _update_view(layout, state="installing", reason=None, state_at=now_iso())
    await start_installer(layout)
    await ctx.log(
        f"asked the installer for {offer.version}" + (f" (forced: {force.reason})" if force else "")
    )
    await report(layout, link)
    return {"requested": offer.version, "forced": force.reason if force else None}


async def start_installer(layout: Layout) -> None:
    """Start chronoedge-update.service (``sudo -n systemctl start --no-block ...`` on a box)."""
    command = list(layout.settings.start_command)
    done = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise OtaError(f"{' '.join(command)} failed: {done.stderr.strip() or done.returncode}")


async def report(layout: Layout, link: CentralLink) -> dict[str, Any]:
    """Send the box's update state to central if it changed since the last report."""
    body = report_body(update_status(layout))
    async with _view_lock:
        view = read_view(layout.offer_file)
        if {k: view.reported.get(k) for k in REPORT_FIELDS} == {k: body[k] for k in REPORT_FIELDS}:
            return {"reported": None}
    try:
        await asyncio.to_thread(send_report, link, body)
    except CentralUnreachable as error:  # the next check reports again
        return {"report_failed": str(error)}
    await _update_view(layout, reported=body)
    return {"reported": body["state"]}


async def _refused(layout: Layout, link: CentralLink, why: str) -> dict[str, Any]:
    await _update_view(layout, state="refused", reason=why, state_at=now_iso(), download=None)
    await report(layout, link)
    return {"refused": why}


async def _update_view(layout: Layout, **changes: Any) -> OfferView:
    async with _view_lock:
        return write_view(layout.offer_file, read_view(layout.offer_file).but(**changes))


def _pending_request(layout: Layout, attempt: Attempt | None) -> Request | None:
    """The request left for the installer that it has not taken yet (state.json lags it)."""
    request = read_request(layout.request_file)
    if request is None or (attempt is not None and attempt.request.id == request.id):
        return None
    return request


def _installer_speaks(state: str, attempt: Attempt | None) -> bool:
    """Whether the installer's state, not the worker's, is the box's now.

    An install in progress speaks for itself; so does a finished one once the offer is
    gone or is the release now running (central offers nothing to a box already on it),
    so that central hears "healthy" or "rolled_back" rather than "idle".
    """
    if state not in ("idle", "healthy", "refused"):
        return True
    return (
        attempt is not None
        and attempt.step.final
        and attempt.step is not Step.DEFERRED
        and state in ("idle", "healthy")
    )


def _link(layout: Layout) -> CentralLink | None:
    role = load_role(layout.paths.role_file)
    if role.central is None:
        return None
    return CentralLink(sync_url(role), role.central.device_token, layout.settings.channel)
