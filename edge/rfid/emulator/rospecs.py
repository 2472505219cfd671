"""The ROSpecs and AccessSpecs a client keeps on the reader, and their states (LLRP §10.2.1).

An ROSpec is added Disabled, enabled to Inactive, and goes Active either at once (start
trigger Immediate, what sllurp sends, so it never sends START_ROSPEC) or on START_ROSPEC.
ID 0 means "all" for DELETE, ENABLE and DISABLE. The emulator holds one ROSpec at a time,
as it says in its capabilities. AccessSpecs are accepted and kept but never executed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from edge.rfid.emulator.commands import Frame, InventorySpec, leading_id, parse_add_rospec
from edge.rfid.emulator.errors import CommandRejected
from edge.rfid.emulator.frames import MessageType, StatusCode

log = logging.getLogger(__name__)
MAX_ROSPECS = 1

_RESPONSES = {
    MessageType.ADD_ROSPEC: MessageType.ADD_ROSPEC_RESPONSE,
    MessageType.DELETE_ROSPEC: MessageType.DELETE_ROSPEC_RESPONSE,
    MessageType.START_ROSPEC: MessageType.START_ROSPEC_RESPONSE,
    MessageType.STOP_ROSPEC: MessageType.STOP_ROSPEC_RESPONSE,
    MessageType.ENABLE_ROSPEC: MessageType.ENABLE_ROSPEC_RESPONSE,
    MessageType.DISABLE_ROSPEC: MessageType.DISABLE_ROSPEC_RESPONSE,
    MessageType.ADD_ACCESSSPEC: MessageType.ADD_ACCESSSPEC_RESPONSE,
    MessageType.DELETE_ACCESSSPEC: MessageType.DELETE_ACCESSSPEC_RESPONSE,
    MessageType.ENABLE_ACCESSSPEC: MessageType.ENABLE_ACCESSSPEC_RESPONSE,
    MessageType.DISABLE_ACCESSSPEC: MessageType.DISABLE_ACCESSSPEC_RESPONSE,
}


class ROSpecState(Enum):
    """The three states of an ROSpec."""

    DISABLED = "disabled"
    INACTIVE = "inactive"
    ACTIVE = "active"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command changed that the connection must act on."""

    started: InventorySpec | None = None  # this ROSpec just went Active
    stopped: bool = False  # the Active ROSpec is Active no more


class SpecBook:
    """The ROSpecs and AccessSpecs of one connection."""

    def __init__(self, antennas: int) -> None:
        self._antennas = antennas
        self._rospecs: dict[int, InventorySpec] = {}
        self._states: dict[int, ROSpecState] = {}
        self._access_specs: dict[int, bool] = {}  # ID -> enabled

    @staticmethod
    def handled_types() -> tuple[MessageType, ...]:
        """Return the message types this book answers."""
        return tuple(_RESPONSES)

    @staticmethod
    def response_type(msg_type: int) -> MessageType:
        """Return the response type of a command this book answers."""
        return _RESPONSES[MessageType(msg_type)]

    def state(self, rospec_id: int) -> ROSpecState | None:
        """Return an ROSpec's state, None if there is no such ROSpec."""
        return self._states.get(rospec_id)

    def reset(self) -> None:
        """Forget every spec (SET_READER_CONFIG with ResetToFactoryDefaults)."""
        self._rospecs.clear()
        self._states.clear()
        self._access_specs.clear()

    def ended(self, rospec_id: int) -> None:
        """Note that an Active ROSpec reached its stop trigger."""
        if self._states.get(rospec_id) is ROSpecState.ACTIVE:
            self._states[rospec_id] = ROSpecState.INACTIVE

    def apply(self, frame: Frame) -> Outcome:
        """Apply one spec command (raise CommandRejected with the status to answer)."""
        msg_type = MessageType(frame.msg_type)
        if msg_type is MessageType.ADD_ROSPEC:
            return self._add_rospec(parse_add_rospec(frame.body))
        if msg_type is MessageType.ADD_ACCESSSPEC:
            return self._add_access_spec(leading_id(frame.body, offset=4))
        spec_id = leading_id(frame.body)
        if msg_type in (MessageType.START_ROSPEC, MessageType.STOP_ROSPEC) and spec_id == 0:
            raise CommandRejected(StatusCode.A_INVALID, "ROSpecID 0 is not allowed here")
        if msg_type.name.endswith("ACCESSSPEC"):
            return self._access_command(msg_type, spec_id)
        ids = self._select(spec_id)
        was_active = any(self._states[i] is ROSpecState.ACTIVE for i in ids)
        if msg_type is MessageType.DELETE_ROSPEC:
            for i in ids:
                del self._rospecs[i], self._states[i]
            return Outcome(stopped=was_active)
        if msg_type is MessageType.DISABLE_ROSPEC:
            self._states.update(dict.fromkeys(ids, ROSpecState.DISABLED))
            return Outcome(stopped=was_active)
        if msg_type is MessageType.STOP_ROSPEC:
            if not was_active:
                raise CommandRejected(StatusCode.A_INVALID, f"ROSpec {spec_id} is not active")
            self._states[spec_id] = ROSpecState.INACTIVE
            return Outcome(stopped=True)
        if msg_type is MessageType.START_ROSPEC:
            if self._states[spec_id] is not ROSpecState.INACTIVE:
                state = self._states[spec_id].value
                raise CommandRejected(StatusCode.A_INVALID, f"ROSpec {spec_id} is {state}")
            self._states[spec_id] = ROSpecState.ACTIVE
            return Outcome(started=self._rospecs[spec_id])
        started = None  # ENABLE_ROSPEC
        for i in ids:
            if self._states[i] is ROSpecState.DISABLED:
                self._states[i] = ROSpecState.INACTIVE
                if self._rospecs[i].immediate_start:
                    self._states[i] = ROSpecState.ACTIVE
                    started = self._rospecs[i]
        return Outcome(started=started)

    def _add_rospec(self, spec: InventorySpec) -> Outcome:
        if spec.rospec_id == 0 or spec.rospec_id in self._rospecs:
            raise CommandRejected(StatusCode.A_INVALID, f"ROSpecID {spec.rospec_id} is taken")
        if len(self._rospecs) >= MAX_ROSPECS:
            text = f"the reader holds {MAX_ROSPECS} ROSpec; delete it first"
            raise CommandRejected(StatusCode.A_OUT_OF_RANGE, text)
        if any(antenna > self._antennas for antenna in spec.antennas):
            text = f"the reader has antennas 1 to {self._antennas}"
            raise CommandRejected(StatusCode.A_OUT_OF_RANGE, text)
        if spec.never_reports():
            log.warning(
                "ROSpec %d will never send a report (set N or an AISpec stop trigger)",
                spec.rospec_id,
            )
        self._rospecs[spec.rospec_id] = spec
        self._states[spec.rospec_id] = ROSpecState.DISABLED
        return Outcome()

    def _add_access_spec(self, spec_id: int) -> Outcome:
        if spec_id == 0 or spec_id in self._access_specs:
            raise CommandRejected(StatusCode.A_INVALID, f"AccessSpecID {spec_id} is taken")
        self._access_specs[spec_id] = False
        return Outcome()

    def _access_command(self, msg_type: MessageType, spec_id: int) -> Outcome:
        if spec_id != 0 and spec_id not in self._access_specs:
            raise CommandRejected(StatusCode.A_INVALID, f"no AccessSpec {spec_id}")
        ids = list(self._access_specs) if spec_id == 0 else [spec_id]
        for i in ids:
            if msg_type is MessageType.DELETE_ACCESSSPEC:
                del self._access_specs[i]
            else:
                self._access_specs[i] = msg_type is MessageType.ENABLE_ACCESSSPEC
        return Outcome()

    def _select(self, rospec_id: int) -> list[int]:
        if rospec_id == 0:
            return list(self._rospecs)
        if rospec_id not in self._rospecs:
            raise CommandRejected(StatusCode.A_INVALID, f"no ROSpec {rospec_id}")
        return [rospec_id]
