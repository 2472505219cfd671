"""Every setting is documented, and the environment overrides defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.settings import Settings
from scripts import settings_doc


def test_every_setting_is_documented() -> None:
    undocumented = [
        n for n, f in Settings.model_fields.items() if not (f.description or "").strip()
    ]
    assert undocumented == []


def test_environment_overrides_the_database_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHRONO_EDGE_DB", "/tmp/elsewhere.db")
    assert Settings().db == Path("/tmp/elsewhere.db")


def test_every_setting_of_the_box_and_of_central_is_in_the_docs() -> None:
    """docs/settings.md is what the models say: a new or renamed setting must be documented."""
    for _, model in settings_doc.MODELS:
        for name, field in model.model_fields.items():
            assert (field.description or "").strip(), f"{model.__name__}.{name} has no description"
    assert settings_doc.main(["--check"]) == 0, "run: python scripts/settings_doc.py"
