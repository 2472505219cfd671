"""Certificates of lap, timed and relay races, made by the export service on a real SQLite file."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from edge.services.exports import ExportRequest, ExportService
from edge.store.database import Database
from tests.formatevent import SLUG, load_format_box

pytestmark = pytest.mark.integration


async def certificates(db: Path, folder: Path, race: str, language: str = "en") -> list[str]:
    """The text of each page of a race's certificates PDF, made by the export service."""

    async def progress(percent: int, message: str) -> None:
        return None

    database = Database(db)
    try:
        request = ExportRequest(SLUG, race, "certificates", "pdf", language)
        made = await ExportService(database, folder).produce(request, progress)
    finally:
        await database.close()
    return await asyncio.to_thread(pages_of, folder / made.name)


def pages_of(pdf: Path) -> list[str]:
    """Each page's words on one line, as ``pdftotext`` reads them."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is missing: apt install poppler-utils (CI installs it)")
    done = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True)
    return [" ".join(page.split()) for page in done.stdout.split("\f") if page.strip()]


@pytest.fixture
def box(tmp_path: Path) -> Path:
    """A box's database after the formats event's passings: every race still running."""
    db = tmp_path / "edge.db"
    load_format_box(db, tmp_path, 90)  # 1H is over; the others close at 2 h
    return db


async def test_a_lap_race_certificate_prints_the_laps(box: Path, tmp_path: Path) -> None:
    [page] = await certificates(box, tmp_path / "exports", "CRIT")  # one finisher
    assert "Jacques Anquetil" in page
    assert "Time 0:28:30.5 Laps: 3" in page
    assert "Overall: 1 of 1" in page


async def test_a_timed_race_certificate_prints_laps_and_distance(box: Path, tmp_path: Path) -> None:
    first, second = await certificates(box, tmp_path / "exports", "1H", "fr")
    assert "Ana Paula" in first
    assert "Temps 0:40:00.0 Tours: 4 · Distance: 5,00 km" in first
    assert "Scratch: 1 sur 2" in first
    assert "Tours: 3 · Distance: 3,75 km" in second


async def test_a_relay_has_one_certificate_per_finished_team(box: Path, tmp_path: Path) -> None:
    [page] = await certificates(box, tmp_path / "exports", "RELAY")  # Team Zèbre is running
    assert "Les Fusées" in page
    assert "L1 · Bib 301 Léa Rapide · 0:12:00.0 (1 of 2)" in page  # both teams ran L1
    assert "L2 · Bib 302 Marc Vite · 0:11:00.0 (1 of 1)" in page
    assert "L3 · Bib 303 Zoé Éclair · 0:13:00.7 (1 of 1)" in page
    assert "Time 0:36:00.7" in page
    assert "Overall: 1 of 1" in page
