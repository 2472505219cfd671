"""What the worker does next with an offer: nothing, download it, or install it.

Pure: the offer, the release running, the installer's last attempt, the download in
hand and the operator's Force decide. A box never goes back to an older release by
itself (an older offer is refused as a rollback), and a version that failed here
(rolled back, refused, failed) is not tried again unless the operator forces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ota.offer import Download, Offer
from ota.operator import Force
from ota.state import REPORTED_AS, Attempt, Request, Step
from ota.versions import is_newer

NOT_RETRIED = frozenset({Step.ROLLED_BACK, Step.REFUSED, Step.FAILED})


@dataclass(frozen=True)
class Next:
    """The worker's next move and the state it reports meanwhile."""

    action: str  # "none", "download" or "install"
    state: str  # idle, healthy, refused, downloading, downloaded, or the installer's
    reason: str | None = None


def next_move(
    offer: Offer | None,
    running: str,
    attempt: Attempt | None,
    download: Download | None,
    force: Force | None = None,
    requested: Request | None = None,
) -> Next:
    """The next move for ``offer`` on a box running ``running``.

    ``requested``: the request the worker left for the installer and the installer has
    not taken yet (state.json does not name it): the install is under way.
    """
    if requested is not None and (attempt is None or attempt.request.id != requested.id):
        return Next("none", "installing")
    if offer is None:
        return Next("none", "idle")
    if offer.version == running:
        return Next("none", "healthy")
    if not is_newer(offer.version, running):
        return Next(
            "none",
            "refused",
            f"central offers {offer.version}, older than {running} which runs here: refused "
            "(a box never goes back by itself)",
        )
    if attempt is not None and attempt.request.version == offer.version:
        if not attempt.step.final:
            return Next("none", REPORTED_AS[attempt.step])
        if attempt.step in NOT_RETRIED and force is None:
            why = f"{offer.version} {attempt.step.value.replace('_', ' ')} here ({attempt.error})"
            return Next("none", REPORTED_AS[attempt.step], f"{why}; not retried unless forced")
    if (
        download is not None
        and download.version == offer.version
        and download.verified
        and Path(download.path).is_file()
    ):
        return Next("install", "downloaded")
    return Next("download", "downloading")
