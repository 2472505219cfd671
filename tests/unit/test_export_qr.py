"""The PDF results carry a QR code of the event's live page on central (segno), read back.

The page is rendered (poppler's pdftoppm) and the code decoded (zbar's zbarimg) as a
spectator's phone would: what it opens is the event's page, nothing else.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from edge.exports.document import pdf_bytes
from edge.exports.tables import scratch_tables
from edge.exports.words import FRENCH
from edge.roleconfig import CentralLink, RoleConfig, save_role
from edge.services.exports import live_page, public_results_url
from edge.timing.model import EntrantInfo, EntrantResult, RaceSpec, Status

SPEC = RaceSpec(code="10K", timing="chip", min_time_us=0, cutoff_us=None,
                start_points=frozenset({"START"}), finish_points=frozenset({"FINISH"}),
                split_points=("KM5",), waves={"W1": 0}, first_wave="W1")  # fmt: skip
RESULTS = [
    EntrantResult(
        entrant=EntrantInfo(bib="7", first_name="Zoé", last_name="Nuñez"),
        status=Status.FIN,
        rank=1,
        chip_time_us=2_400_000_000,
        gun_time_us=2_400_000_000,
    ),
]
URL = "https://results.example.org/public/events/spring-10k-2026"


def decoded(pdf: bytes, tmp_path: Path) -> list[str]:
    """The QR codes a phone reads on the PDF's first page."""
    for tool, package in (("pdftoppm", "poppler-utils"), ("zbarimg", "zbar-tools")):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is missing: apt install {package} (CI installs it)")
    source = tmp_path / "sheet.pdf"
    source.write_bytes(pdf)
    page = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile",
                    str(source), str(page)], check=True)  # fmt: skip
    read = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable",
                           f"{page}.png"], capture_output=True, text=True, check=False)  # fmt: skip
    assert read.returncode in (0, 4), read.stderr  # 4: no code found
    return read.stdout.split()


def test_the_pdf_sheet_has_a_qr_code_of_the_event_page(tmp_path: Path) -> None:
    tables = scratch_tables(RESULTS, SPEC, FRENCH)
    pdf = pdf_bytes(tables, "Printemps — 10 km", "2026-04-12", FRENCH, URL)
    assert decoded(pdf, tmp_path) == [URL]
    text = subprocess.run(["pdftotext", str(tmp_path / "sheet.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    assert "Résultats en direct" in text
    assert "Nuñez" in text  # the results are still there, beside the code


def test_no_address_no_qr_code(tmp_path: Path) -> None:
    pdf = pdf_bytes(scratch_tables(RESULTS, SPEC), "Spring — 10 km", "2026-04-12")
    assert decoded(pdf, tmp_path) == []


def test_the_address_is_the_setting_else_the_one_the_box_enrolled_with(tmp_path: Path) -> None:
    role = tmp_path / "reader.json"
    assert public_results_url("", role) == ""  # never enrolled: no code
    link = CentralLink(url="https://central.example.org", device_id="d1",
                       device_token="t" * 32, tunnel_address="10.77.0.2/32")  # fmt: skip
    save_role(role, RoleConfig(event="spring-10k-2026", point="FINISH", central=link))
    assert public_results_url("", role) == "https://central.example.org"
    assert public_results_url("https://results.example.org", role) == "https://results.example.org"
    assert live_page("https://results.example.org/", "spring-10k-2026") == URL
    assert live_page("", "spring-10k-2026") is None
