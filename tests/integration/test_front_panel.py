"""The front panel (gpiozero mock pins) driven by a real database, as on a box."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from edge.domain.clock import now_us
from edge.domain.health import ReaderHealth
from edge.domain.sync import SyncAck
from edge.gpio.monitor import PanelMonitor, shut_down
from edge.gpio.panel import PanelState, StatusPanel, ensure_pin_factory, on_a_pi
from edge.imports.eventfile import load_event_file
from edge.roleconfig import GpioConfig
from edge.services.events import EventService
from edge.services.manual import ManualEntryService
from edge.services.readers import ReaderHealthService
from edge.store.database import Database

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SLUG = "spring-10k-2026"
EVENT_FILE = ROOT / "docs/examples/spring-10k.yaml"
WAIT_S = 3.0
SECOND = 1_000_000


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    mock = MockFactory()
    Device.pin_factory = mock
    yield mock
    mock.reset()
    Device.pin_factory = None


@pytest.fixture
def panel(factory: MockFactory) -> Iterator[StatusPanel]:
    held: list[float] = []
    config = GpioConfig(shutdown_hold_s=0.2)
    device = StatusPanel(config, on_shutdown=lambda: held.append(time.monotonic()))
    device.held = held  # type: ignore[attr-defined]
    yield device
    device.close()


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def toggles(factory: MockFactory, pin: int) -> list[float]:
    """Durations between the pin's changes of state, oldest first (the first is the idle time)."""
    return [s.timestamp for s in factory.pin(pin).states[1:]]


def test_led_patterns_tell_ready_reading_and_fault(panel: StatusPanel, factory: MockFactory):
    led = factory.pin(panel.config.led_pin)
    panel.show(PanelState.READY)
    assert led.state is True
    factory.pin(panel.config.led_pin).clear_states()
    panel.show(PanelState.FAULT)
    wait_for(lambda: len(led.states) >= 5, "fast blinking")
    fast = toggles(factory, panel.config.led_pin)[1:4]
    assert all(0.05 <= d <= 0.3 for d in fast), fast
    led.clear_states()
    panel.show(PanelState.READING)
    wait_for(lambda: len(led.states) >= 4, "slow blinking")
    slow = toggles(factory, panel.config.led_pin)[1:3]
    assert all(0.4 <= d <= 0.8 for d in slow), slow


def test_beeps_per_passing_and_can_be_silenced(factory: MockFactory):
    config = GpioConfig()
    loud = StatusPanel(config, on_shutdown=lambda: None)
    buzzer = factory.pin(config.buzzer_pin)
    loud.beep(2)
    wait_for(lambda: len(buzzer.states) >= 5, "two beeps")  # idle, on, off, on, off
    assert [s.state for s in buzzer.states] == [False, True, False, True, False]
    loud.close()
    quiet = StatusPanel(config.model_copy(update={"beep_on_passing": False}), lambda: None)
    buzzer = factory.pin(config.buzzer_pin)
    buzzer.clear_states()
    quiet.beep(5)
    time.sleep(0.3)  # a beep would have started at once; nothing may have happened
    assert len(buzzer.states) == 1
    quiet.close()


def test_holding_the_button_shuts_down_but_a_press_does_not(
    panel: StatusPanel, factory: MockFactory
):
    button = factory.pin(panel.config.button_pin)
    button.drive_low()  # pressed (pull-up)
    time.sleep(0.05)
    button.drive_high()
    time.sleep(0.3)
    assert panel.held == []  # type: ignore[attr-defined]
    button.drive_low()
    wait_for(lambda: bool(panel.held), "the hold callback")  # type: ignore[attr-defined]
    button.drive_high()


def test_shutdown_runs_the_configured_command(tmp_path: Path):
    marker = tmp_path / "powered-off"
    shut_down(GpioConfig(shutdown_command=["touch", str(marker)]))
    assert marker.exists()
    shut_down(GpioConfig(shutdown_command=[str(tmp_path / "missing")]))  # logged, not raised


def test_off_a_pi_the_mock_factory_is_chosen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    model = tmp_path / "model"
    model.write_text("Raspberry Pi 4 Model B Rev 1.5\x00")
    assert on_a_pi(model)
    assert not on_a_pi(tmp_path / "absent")
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    Device.pin_factory = None
    try:
        ensure_pin_factory()
        assert isinstance(Device.pin_factory, MockFactory)
    finally:
        Device.pin_factory.close()
        Device.pin_factory = None


async def _health(db: Database, **fields: object) -> None:
    now = now_us()
    row = {
        "reader": "10.0.0.20:5084",
        "event_slug": SLUG,
        "point_code": "FINISH",
        "connected": True,
        "connected_since_us": now - 60 * SECOND,
        "last_message_us": now,
        "reads_per_s": json.dumps({"1": 12.5, "2": 3.0}),
        "updated_us": now,
        **fields,
    }
    async with db.write() as session:
        await session.merge(ReaderHealth.model_validate(row))


async def test_monitor_mirrors_reader_health_links_and_passings(
    database: Database, factory: MockFactory
):
    await EventService(database).load(load_event_file(EVENT_FILE))
    panel = StatusPanel(GpioConfig(), on_shutdown=lambda: None)
    monitor = PanelMonitor(database, panel)
    health = ReaderHealthService(database)
    cursor = now_us()
    await monitor.update(cursor)
    assert panel.state is PanelState.FAULT  # no reader has ever reported
    await _health(database, last_read_us=now_us() - 30 * SECOND)
    cursor = await monitor.update(cursor)
    assert panel.state is PanelState.READY
    await _health(database, last_read_us=now_us())
    cursor = await monitor.update(cursor)
    assert panel.state is PanelState.READING
    buzzer = factory.pin(panel.config.buzzer_pin)
    buzzer.clear_states()
    await ManualEntryService(database).enter(SLUG, "FINISH", "101")
    cursor = await monitor.update(cursor)
    await asyncio.to_thread(wait_for, lambda: len(buzzer.states) >= 3, "a beep")
    async with database.write() as session:
        session.add(SyncAck(target="master", attempts=3, last_error="connection refused"))
    cursor = await monitor.update(cursor)
    assert panel.state is PanelState.FAULT  # the MASTER is unreachable
    async with database.write() as session:
        await session.merge(SyncAck(target="master", acked_seq=40, attempts=0))
    cursor = await monitor.update(cursor)
    assert panel.state is PanelState.READING
    stale = now_us() - 60 * SECOND
    await _health(database, updated_us=stale, last_read_us=stale)
    [reader] = await health.list_readers()
    assert reader.connected  # what the dead service last wrote...
    assert not reader.service_running  # ...is not believed
    await monitor.update(cursor)
    assert panel.state is PanelState.FAULT
    panel.close()


def test_panel_command_runs_off_a_pi_and_stops_on_sigterm(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "GPIOZERO_PIN_FACTORY"}
    command = [sys.executable, "-m", "edge.cli", "--db", str(tmp_path / "edge.db"), "panel"]
    command += ["--role-file", str(tmp_path / "reader.json")]
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        lines = [process.stderr.readline()]
        while lines[-1] and "mock pins" not in lines[-1]:  # after the migration's log lines
            lines.append(process.stderr.readline())
        assert "mock pins" in lines[-1], lines
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
