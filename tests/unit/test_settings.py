"""Every setting is documented, and the environment overrides defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.settings import Settings


def test_every_setting_is_documented() -> None:
    undocumented = [
        n for n, f in Settings.model_fields.items() if not (f.description or "").strip()
    ]
    assert undocumented == []


def test_environment_overrides_the_database_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHRONO_EDGE_DB", "/tmp/elsewhere.db")
    assert Settings().db == Path("/tmp/elsewhere.db")
