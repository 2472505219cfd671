"""A box's worker publishes a relay's and a lap race's results; central's public page and
JSON show their columns (issue 19). Real processes: central and the box's worker."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from edge.roleconfig import RoleConfig, save_role
from tests.e2e.test_public_results_browser import enrolled
from tests.formatevent import SLUG, load_format_box
from tests.servers import box_worker, central_process, free_port

pytestmark = pytest.mark.integration

DEADLINE_S = 60.0


def published(central: str, race: str, slug: str = SLUG) -> dict[str, Any]:
    """The race's public results document, once the worker has pushed it to central."""
    url = f"{central}/api/v1/public/events/{slug}/results"
    deadline = time.monotonic() + DEADLINE_S
    while (answer := httpx.get(url, params={"race": race})).status_code != 200:
        if time.monotonic() > deadline:
            pytest.fail(f"race {race} is still not published: {answer.status_code}")
        time.sleep(0.2)
    document: dict[str, Any] = answer.json()
    return document


def cells(page: str, attribute: str, value: str) -> dict[str, str]:
    """A public page's row as column -> text (cells are in the headings' order)."""
    columns = re.findall(r'<th data-column="([^"]+)">', page)
    found = re.search(rf'<tr {attribute}="{value}">(.*?)</tr>', page, re.S)
    assert found is not None, f"no row {attribute}={value}"
    texts = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td.*?</td>", found[1])]
    return dict(zip(columns, texts, strict=True))


def test_central_publishes_a_relay_and_a_lap_race_with_their_columns(tmp_path: Path) -> None:
    db = tmp_path / "edge.db"
    load_format_box(db, tmp_path, 50)
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
    with central_process(database_url, free_port(), tmp_path) as central:
        role_file = tmp_path / "reader.json"
        link = enrolled(central, database_url, SLUG)
        save_role(role_file, RoleConfig(event=SLUG, point="FINISH", central=link))
        with box_worker(db, role_file, tmp_path):
            relay = published(central, "RELAY")
            crit = published(central, "CRIT")
            relay_page = httpx.get(f"{central}/public/events/{SLUG}", params={"race": "RELAY"})
            crit_page = httpx.get(f"{central}/public/events/{SLUG}", params={"race": "CRIT"})

    cache = tmp_path / "cache" / "results" / SLUG
    for race, document in (("RELAY", relay), ("CRIT", crit)):
        kept = json.loads((cache / f"{race}.json").read_text(encoding="utf-8"))
        assert (document["columns"], document["rows"]) == (kept["columns"], kept["rows"])

    legs = [f"leg_L{n}{part}" for n in (1, 2, 3) for part in ("_bib", "", "_rank")]
    assert relay["columns"] == ["rank", "team", "status", "total_time", *legs]
    assert [(r["team"], r["status"], r["total_time"]) for r in relay["rows"]] == [
        ("Les Fusées", "FIN", "0:36:00.7"),
        ("Team Zèbre", "ONC", None),
    ]
    assert relay["rows"][1]["leg_L1_bib"] == "311"
    assert relay["rows"][1]["leg_L1"] == "0:15:00.0"
    assert relay["columns"][-9:] == legs
    assert crit["columns"][-4:] == ["laps", "lap_1", "lap_2", "lap_3"]
    by_bib = {row["bib"]: row for row in crit["rows"]}
    assert (by_bib["102"]["laps"], by_bib["102"]["lap_2"], by_bib["102"]["lap_3"]) == (
        2,
        "0:11:00.0",
        None,
    )

    page = relay_page.text
    assert relay_page.status_code == 200
    headings = re.findall(r'<th data-column="[^"]+">([^<]*)</th>', page)
    assert headings[:4] == ["Rank", "Team", "Status", "Total time"]
    assert headings[4:7] == ["L1 bib", "L1", "L1 rank"]
    assert cells(page, "data-team", "Team Zèbre") == {
        "rank": "", "team": "Team Zèbre", "status": "On course", "total_time": "",
        "leg_L1_bib": "311", "leg_L1": "0:15:00.0", "leg_L1_rank": "2",
        "leg_L2_bib": "312", "leg_L2": "", "leg_L2_rank": "",
        "leg_L3_bib": "313", "leg_L3": "", "leg_L3_rank": "",
    }  # fmt: skip
    page = crit_page.text
    assert re.findall(r'<th data-column="lap_\d+">([^<]*)</th>', page) == [
        "Lap 1",
        "Lap 2",
        "Lap 3",
    ]
    winner = cells(page, "data-bib", "101")
    assert (winner["laps"], winner["lap_3"], winner["status"]) == ("3", "0:09:00.5", "Finished")
