"""Fixtures of the over-the-air tests: bundles and releases built and installed once a session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.otabox import ReleaseStore, build_bundles, skip_unless_installable


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
