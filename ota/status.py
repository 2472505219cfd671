"""A box's update status, in one dictionary: ``chrono-ota status``, /setup and the reports.

It joins the two sides: the worker's (``offer.json``: the offer, the download, its own
verdict) and the installer's (``state.json``: the last attempt). Whichever spoke last
says the state central hears (POST /api/v1/ota/report, Mender-like): idle, deferred,
downloading, downloaded, installing, installed, healthy, rolled_back, failed, refused.
"""

from __future__ import annotations

from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from ota.errors import OtaError
from ota.layout import Layout
from ota.offer import OfferView, read_view
from ota.operator import read_word
from ota.state import REPORTED_AS, Attempt, Step, now_iso, read_attempt

REPORT_FIELDS = ("state", "current", "previous", "offered", "rollout", "error", "reason")


def update_status(layout: Layout) -> dict[str, Any]:
    """Current and previous release, offer, state, last attempt, download, operator's word."""
    view = read_view(layout.offer_file)
    problem = None
    try:
        attempt = read_attempt(layout.state_file)
    except OtaError as unreadable:
        attempt, problem = None, str(unreadable)
    state, error, reason = reported_state(view, attempt)
    word = read_word(layout.operator_file)
    return {
        "current": layout.linked_version(layout.current) or installed_version(),
        "previous": layout.linked_version(layout.previous),
        "channel": view.channel,
        "offered": view.offer.version if view.offer else None,
        "rollout": view.offer.rollout if view.offer else None,
        "percent": view.offer.percent if view.offer else None,
        "state": state,
        "error": problem or error,
        "reason": reason,
        "checked_at": view.checked_at,
        "download": asdict(view.download) if view.download else None,
        "last_attempt": attempt_summary(attempt),
        "deferred_until": word.deferred_until,
        "force": asdict(word.force) if word.force else None,
    }


def installed_version() -> str:
    """The version of the package running (a box without ``opt/current``: development)."""
    try:
        return version("chronoedge")
    except PackageNotFoundError:
        return "unknown"


def reported_state(view: OfferView, attempt: Attempt | None) -> tuple[str, str | None, str | None]:
    """(state, error, reason): the installer's when it spoke after the worker, else the worker's."""
    if attempt is not None and (not attempt.step.final or _changed_at(attempt) >= view.state_at):
        state = REPORTED_AS[attempt.step]
        if attempt.step in (Step.DEFERRED, Step.REFUSED):
            return state, None, attempt.error
        return state, attempt.error, None
    reason = view.reason if view.state in ("deferred", "refused") else None
    return view.state, view.error, reason


def attempt_summary(attempt: Attempt | None) -> dict[str, Any] | None:
    """The last install attempt in a few fields (None: never attempted)."""
    if attempt is None:
        return None
    return {
        "version": attempt.request.version,
        "from": attempt.from_version,
        "step": attempt.step.value,
        "started_at": attempt.started_at,
        "finished_at": attempt.finished_at,
        "error": attempt.error,
        "forced": attempt.request.force_reason,
        "history": attempt.history,
    }


def report_body(status: dict[str, Any]) -> dict[str, Any]:
    """The state report central takes (POST /api/v1/ota/report), stamped now."""
    return {**{name: status[name] for name in REPORT_FIELDS}, "at": now_iso()}


def _changed_at(attempt: Attempt) -> str:
    if attempt.history:
        return attempt.history[-1]["at"]
    return attempt.finished_at or attempt.started_at
