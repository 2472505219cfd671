"""Fixtures of the integration tests: the LLRP emulator, and the over-the-air tests'
bundles and releases built and installed once a session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from edge.rfid.emulator import BackgroundEmulator, Scenario, offset_for_year
from tests.otabox import ReleaseStore, build_bundles, skip_unless_installable


@pytest.fixture
def emulate() -> Iterator[Callable[..., BackgroundEmulator]]:
    """Start emulated LLRP readers (their clocks in 2000) that stop with the test."""
    with ExitStack() as stack:

        def start(scenario: Scenario, **kw: Any) -> BackgroundEmulator:
            kw.setdefault("clock_offset_us", offset_for_year(2000))
            return stack.enter_context(BackgroundEmulator(scenario, **kw))

        yield start


@pytest.fixture(scope="session")
def ota_bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Bundles of this checkout: 0.1.0, 0.1.1 and 0.1.2 (whose /healthz fails)."""
    skip_unless_installable()
    return build_bundles(tmp_path_factory.mktemp("ota-bundles"))


@pytest.fixture(scope="session")
def release_store(
    ota_bundles: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> ReleaseStore:
    """0.1.0, 0.1.1 and 0.1.2 installed once; tests take hard-linked copies."""
    store = ReleaseStore.install(
        tmp_path_factory.mktemp("ota-releases"), ota_bundles, ["0.1.0", "0.1.1", "0.1.2"]
    )
    print("installed:", ", ".join(f"{v} {s:.0f} s" for v, s in store.install_s.items()))
    return store
