"""What a device may write on central: rows of the event it was enrolled for, nothing else.

An enrollment token names one event, and the device token granted with it
carries that event (``Device.event_slug``). Every row a box replicates names
its event by slug in its payload (the edge's outbox triggers write ``event``
for reads, passings, entrants and corrections, and the results cache for each
race's snapshot; races, waves and points travel as codes *inside* that
event), so one check covers every table, including ones a later release adds.

The whole batch is checked before anything is written: one foreign row refuses
it all, with the row named, and the box keeps its changes to resend once the
operator has fixed its enrollment.
"""

from __future__ import annotations

from collections.abc import Sequence

from central.errors import Forbidden, Invalid
from central.store.models import Device
from edge.sync.protocol import ChangeIn


def check_event_scope(device: Device, changes: Sequence[ChangeIn]) -> None:
    """Refuse the batch if one change is not of ``device``'s event (Invalid or Forbidden)."""
    for change in changes:
        event = change.payload.get("event")
        where = f"change seq {change.seq} ({change.table} {change.row_id!r})"
        if event is None and change.op == "delete":
            # A deleted event cascades to its rows after the event is gone: their
            # deletes name no event. Central only logs them for this device's restore.
            continue
        if not isinstance(event, str) or not event:
            raise Invalid(
                f"{where} names no event: every replicated row carries its event's slug"
                " in 'event'; nothing of the batch was applied"
            )
        check_event(device, event, where)


def check_event(device: Device, event: str, where: str) -> None:
    """Forbidden unless ``event`` is the one ``device`` was enrolled for."""
    if event != device.event_slug:
        raise Forbidden(
            f"{where} belongs to event {event!r}, but this device is enrolled for"
            f" {device.event_slug!r}; nothing was applied. Enroll the box for {event!r}"
            " with a token of that event."
        )
