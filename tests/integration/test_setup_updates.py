"""/setup's update panel: what the worker and the installer said, Defer, Force with a reason."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from edge.app import create_app
from edge.cli.server import announce_setup_pin
from edge.settings import Settings
from ota.layout import Layout
from ota.offer import Offer, OfferView, write_view
from ota.operator import read_word
from ota.settings import OtaSettings, get_ota_settings
from ota.state import Attempt, Request, Step, write_attempt
from tests.integration.test_setup_auth import box_settings, claim

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "boot").mkdir()
    return box_settings(tmp_path)


@pytest.fixture
def client(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:  # type: ignore[type-arg]
    monkeypatch.setenv("CHRONO_OTA_OPT_DIR", str(tmp_path / "opt"))
    get_ota_settings.cache_clear()
    announce_setup_pin(settings)
    with TestClient(create_app(settings)) as test_client:
        claim(test_client, settings)
        yield test_client
    get_ota_settings.cache_clear()


def text_of(page: str, element: str) -> str:
    """The text of the element with id ``element``, tags and spaces squeezed."""
    found = re.search(rf'id="{element}"[^>]*>(.*?)</dd>', page, re.S)
    assert found, element
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def test_the_panel_shows_the_offer_the_last_attempt_and_takes_defer_and_force(
    client: TestClient,  # type: ignore[type-arg]
    settings: Settings,
    tmp_path: Path,
) -> None:
    layout = Layout(OtaSettings(opt_dir=tmp_path / "opt"), settings.paths)
    (tmp_path / "opt" / "releases").mkdir(parents=True)
    (tmp_path / "opt" / "current").symlink_to("releases/0.1.1")
    (tmp_path / "opt" / "previous").symlink_to("releases/0.1.0")
    offer = Offer("0.1.2", "chronoedge-0.1.2-linux-x86_64-cp311.tar", "stable", "0.1.2@stable", 10)
    write_view(
        layout.offer_file,
        OfferView(checked_at="2026-05-01T10:00:00+00:00", offer=offer, state="idle", state_at="1"),
    )
    request = Request("r1", "0.1.2", "/nowhere.tar", "linux-x86_64-cp311")
    attempt = Attempt(request, Step.GATE, "0.1.1", "0.1.0", "2026-05-01T10:01:00+00:00")
    write_attempt(layout.state_file, attempt.to(Step.ROLLBACK).to(Step.ROLLED_BACK, error="boom"))

    page = client.get("/setup").text
    assert text_of(page, "ota-current") == "0.1.1"
    assert text_of(page, "ota-previous") == "0.1.0"
    assert text_of(page, "ota-offered") == "0.1.2 (rollout 0.1.2@stable, 10 %)"
    assert text_of(page, "ota-state").startswith("rolled back: boom")
    assert text_of(page, "ota-last-attempt").startswith("0.1.1 → 0.1.2: rolled_back")

    deferred = client.post("/setup/ota/defer", data={"hours": "6"})
    assert deferred.status_code == 200
    until = read_word(layout.operator_file).deferred_until
    assert until is not None
    assert until in text_of(deferred.text, "ota-deferred-until")

    refused = client.post("/setup/ota/force", data={"reason": "  "})
    assert refused.status_code == 422
    assert "say why the update cannot wait" in refused.text
    assert read_word(layout.operator_file).deferred_until == until  # nothing changed

    forced = client.post("/setup/ota/force", data={"reason": "fixes the start clock"})
    assert forced.status_code == 200
    word = read_word(layout.operator_file)
    assert word.force is not None
    assert (word.force.version, word.force.reason) == ("0.1.2", "fixes the start clock")
    assert word.deferred_until is None  # the latest word wins
    assert "0.1.2 will install at the next check, forced." in forced.text

    allowed = client.post("/setup/ota/defer", data={"hours": "0"})
    assert "Updates are allowed again." in allowed.text
    assert read_word(layout.operator_file).force is None
