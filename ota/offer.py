"""The worker's side of an update (``offer.json``): what central offers, the download, the
worker's own verdict and the last report it sent.

Written by the worker's ``ota.*`` jobs only (the box's user), atomically; read by
/setup, ``chrono-ota status`` and the reports. The installer's side is ``state.json``
(``ota.state``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from edge.store.files import write_atomic


@dataclass(frozen=True)
class Offer:
    """What central offers this box (GET /api/v1/ota/offer)."""

    version: str
    target_name: str
    channel: str
    rollout: str | None = None
    percent: int | None = None


@dataclass(frozen=True)
class Download:
    """A bundle coming in: how far, and whether TUF and its manifest vouched for it."""

    version: str
    target_name: str
    path: str
    total: int
    received: int = 0
    sha256: str = ""
    verified: bool = False
    seconds: float = 0.0  # time spent downloading (all attempts), for the figures


@dataclass(frozen=True)
class OfferView:
    """Everything the worker knows about the update in hand."""

    channel: str = "stable"
    checked_at: str | None = None
    offer: Offer | None = None
    state: str = "idle"  # the worker's verdict: idle, deferred, downloading, downloaded, refused
    state_at: str = ""  # when the verdict was given (the installer's later steps win over it)
    reason: str | None = None  # why deferred or refused
    error: str | None = None  # the last check's or download's error
    download: Download | None = None
    reported: dict[str, Any] = field(default_factory=dict)  # the last report central took

    def but(self, **changes: Any) -> OfferView:
        """A copy with ``changes``."""
        return replace(self, **changes)


def read_view(path: Path) -> OfferView:
    """The worker's view (an empty one before the first check)."""
    try:
        data = json.loads(path.read_bytes())
    except (FileNotFoundError, ValueError):
        return OfferView()
    offer, download = data.pop("offer", None), data.pop("download", None)
    known = {k: v for k, v in data.items() if k in OfferView.__dataclass_fields__}
    return OfferView(
        **known,
        offer=Offer(**offer) if isinstance(offer, dict) else None,
        download=Download(**download) if isinstance(download, dict) else None,
    )


def write_view(path: Path, view: OfferView) -> OfferView:
    """Write ``offer.json`` atomically; return the view."""
    write_atomic(path, json.dumps(asdict(view), indent=2, sort_keys=True) + "\n")
    return view
