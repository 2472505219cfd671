"""/exports in Chromium: start each export, watch it finish, download it, open the file."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.browser import _start, browser_page, live_box, wait_for_js
from tests.exportbox import FINISHERS, add_finishers

pytestmark = [pytest.mark.e2e]


def _start_and_download(
    page: Any, kind: str, fmt: str, folder: Path, named: str | None = None
) -> Path:
    before = page.locator("#exports tr[data-job]").count()
    page.select_option("#export-race", "10K")
    page.select_option("#export-kind", kind)
    page.select_option("#export-format", fmt)
    page.click("#export-start")
    row = page.locator("#exports tbody tr").first
    wait_for_js(page, f"document.querySelectorAll('#exports tr[data-job]').length > {before}")
    link = row.locator("a.download")
    link.wait_for(timeout=60_000)  # appears once the worker has written the file
    assert row.get_attribute("data-state") == "completed"
    assert row.locator("progress").evaluate("p => p.value") == 100
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == (named or f"spring-10k-2026_10K_{kind}.{fmt}")
    path: Path = folder / str(download.suggested_filename)
    download.save_as(path)
    return path


def _pdf_pages(path: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(path.with_suffix(""))],
                   check=True)  # fmt: skip
    pages = sorted(path.parent.glob(f"{path.stem}*.png"))
    assert pages
    assert all(p.stat().st_size > 0 for p in pages)
    return pages


def test_exports_are_made_by_the_worker_and_downloaded(tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with live_box(tmp_path / "box", worker=False) as box, browser_page() as page:
        add_finishers(box)
        page.goto(f"{box.url}/exports")
        banner = page.locator("#worker-banner")
        assert banner.is_visible()  # no worker yet: the page says exports would wait
        assert "chrono-edge worker" in banner.inner_text()
        box.processes.append(_start(box, "worker", ["worker", "--concurrency", "2"]))
        banner.wait_for(state="hidden", timeout=20_000)  # the page notices the worker
        # Certificates come only as PDF: the other formats cannot be chosen.
        page.select_option("#export-kind", "certificates")
        assert page.locator("#export-format option[value=xlsx]").is_disabled()

        book = load_workbook(_start_and_download(page, "scratch", "xlsx", downloads))
        rows = list(book["Scratch"].iter_rows(min_row=2, values_only=True))
        assert [r[1] for r in rows] == FINISHERS  # one row per finisher
        assert rows[0][0] == 1  # the winner first
        assert rows[0][3] == "Nuñez"

        text = _start_and_download(page, "category", "csv", downloads).read_text("utf-8-sig")
        assert sorted(r["bib"] for r in csv.DictReader(io.StringIO(text))) == sorted(FINISHERS)

        assert _pdf_pages(_start_and_download(page, "teams", "pdf", downloads))
        certificates = _pdf_pages(_start_and_download(page, "certificates", "pdf", downloads))
        assert len(certificates) == len(FINISHERS)

        page.reload()  # finished exports stay listed with their link after a reload
        assert page.locator("#exports a.download").count() >= 4
        page.screenshot(path=str(tmp_path / "exports.png"))


def test_a_french_results_pdf_has_french_headings(tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with live_box(tmp_path / "box", worker=True) as box, browser_page() as page:
        add_finishers(box)
        page.goto(f"{box.url}/exports")
        page.click(".langs a[href='/lang/fr']")  # the organiser switches the page to French
        page.wait_for_selector("html[lang=fr]")
        assert page.locator("#export-start").inner_text() == "Lancer l'export"
        named = "spring-10k-2026_10K_scratch-fr.pdf"  # never replaces the English sheet
        pdf = _start_and_download(page, "scratch", "pdf", downloads, named)
        words = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                               capture_output=True, text=True).stdout  # fmt: skip
        assert "Scratch (3)" in words  # the three finishers are there
        for french in ("Clt", "Dossard", "Nom", "Catégorie", "Clt cat.", "Temps officiel",
                       "Temps réel"):  # fmt: skip
            assert french in words, french
        for english in ("Rank", "Name", "Category", "Cat. rank", "Gun time", "Chip time"):
            assert english not in words, english
