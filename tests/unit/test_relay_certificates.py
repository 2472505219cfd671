"""A relay team's certificate: one page per team, however many legs (pure, rendered)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from edge.exports.certificate import CertificateBook, relay_certificates
from edge.timing.model import EntrantInfo, LegResult, RelayResult, Status

MIN = 60_000_000


def team(name: str, legs: int, rank: int | None, status: Status = Status.FIN) -> RelayResult:
    return RelayResult(
        team=name,
        status=status,
        legs=[
            LegResult(
                leg=f"L{n}",
                entrant=EntrantInfo(
                    bib=f"{rank or 9}{n:02d}", first_name="Kim", last_name=f"Leg{n}"
                ),
                end_us=n * 10 * MIN,
                time_us=10 * MIN,
                rank=rank,
            )
            for n in range(1, legs + 1)
        ],
        wave_start_us=0,
        total_us=legs * 10 * MIN if status is Status.FIN else None,
        rank=rank,
    )


def test_ranked_teams_only_in_rank_order_each_on_one_page(tmp_path: Path) -> None:
    teams = [team("B", 12, 2), team("A", 12, 1), team("Out", 12, None, Status.DNF)]
    made = relay_certificates(teams, "Ekiden", dt.date(2026, 5, 1), "Relay 12 x 3 km", "fr")
    assert [(c.name, c.time, c.ranks) for c in made] == [
        ("A", "2:00:00.0", (("Scratch", 1, 2),)),
        ("B", "2:00:00.0", (("Scratch", 2, 2),)),
    ]
    assert made[0].members[11] == "L12 · Dossard 112 Kim Leg12 · 0:10:00.0 (1 sur 3)"
    book = CertificateBook("fr")
    for certificate in made:
        book.add(certificate)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is missing: apt install poppler-utils (CI installs it)")
    pdf = tmp_path / "relay.pdf"
    pdf.write_bytes(book.to_bytes())
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True)
    pages = [page for page in text.stdout.split("\f") if page.strip()]
    assert len(pages) == 2  # twelve legs still fit one page per team
    assert "L12 · Dossard 112 Kim Leg12" in pages[0]
    assert "Temps 2:00:00.0" in pages[0]
