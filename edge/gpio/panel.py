"""The front panel's devices, driven through gpiozero.

On a Raspberry Pi gpiozero picks the real pin factory (lgpio). Anywhere else
(a laptop, CI) there are no pins, so the mock factory is used and the app runs
unchanged; ``GPIOZERO_PIN_FACTORY`` still wins when it is set.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from gpiozero import LED, Button, Buzzer, Device
from gpiozero.pins.mock import MockFactory

from edge.roleconfig import GpioConfig

log = logging.getLogger(__name__)

_MODEL = Path("/proc/device-tree/model")


class PanelState(StrEnum):
    """What the status LED tells the operator."""

    READY = "ready"  # steady: connected to the reader, nothing in the field
    READING = "reading"  # slow blink: tags are being read
    FAULT = "fault"  # fast blink: reader disconnected, MASTER or central unreachable


_BLINK_S: dict[PanelState, float | None] = {
    PanelState.READY: None,
    PanelState.READING: 0.5,
    PanelState.FAULT: 0.1,
}
"""Half-period of the LED blink per state; None is steady on."""

BEEP_S = 0.08


def on_a_pi(model_file: Path = _MODEL) -> bool:
    """Whether this machine is a Raspberry Pi (its device tree says so)."""
    try:
        return "Raspberry Pi" in model_file.read_text(encoding="ascii", errors="replace")
    except OSError:
        return False


def ensure_pin_factory() -> None:
    """Use the mock pin factory off a Pi unless ``GPIOZERO_PIN_FACTORY`` chose one."""
    if Device.pin_factory is None and not os.environ.get("GPIOZERO_PIN_FACTORY") and not on_a_pi():
        log.info("not a Raspberry Pi: GPIO panel on gpiozero's mock pins")
        Device.pin_factory = MockFactory()


class StatusPanel:
    """Status LED, passing buzzer and the shutdown button of one box."""

    def __init__(self, config: GpioConfig, on_shutdown: Callable[[], None]) -> None:
        ensure_pin_factory()
        self.config = config
        self.state: PanelState | None = None
        self.led = LED(config.led_pin)
        self.buzzer = Buzzer(config.buzzer_pin)
        self.button = Button(config.button_pin, hold_time=config.shutdown_hold_s)
        self.button.when_held = on_shutdown

    def show(self, state: PanelState) -> None:
        """Put the LED in the pattern of ``state`` (nothing happens if it already is)."""
        if state is self.state:
            return
        self.state = state
        half = _BLINK_S[state]
        if half is None:
            self.led.on()
        else:
            self.led.blink(on_time=half, off_time=half, background=True)

    def beep(self, passings: int = 1) -> None:
        """Beep once per passing (at most three in a row), unless beeps are turned off."""
        if self.config.beep_on_passing and passings > 0:
            self.buzzer.beep(on_time=BEEP_S, off_time=BEEP_S, n=min(passings, 3), background=True)

    def close(self) -> None:
        """Turn everything off and release the pins."""
        for device in (self.led, self.buzzer, self.button):
            device.close()
