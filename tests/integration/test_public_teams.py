"""A box publishes its races' team ranking and central's event page has a team tab (issue 24).

Real SQLite files: the example event on a box (its 10K ranks teams of 3), its results
document as the worker queues it for central, stored by central as a sync batch would.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from central.services.public import PublicResultsService, parse_results, publish
from central.services.public_view import view
from central.store import migrate
from central.store.database import CentralDatabase
from edge.domain.clock import now_us
from edge.services.results_cache import ResultsCache
from edge.store.database import Database
from tests.integration.test_on_course import box, published
from tests.liveevent import SLUG

__all__ = ["box"]  # the fixture: a started 10K, bib 2 finished


async def test_the_team_ranking_reaches_the_event_pages_team_tab(
    box: tuple[Path, Path], tmp_path: Path
) -> None:
    path, _ = box
    database = Database(path)
    try:
        await ResultsCache(database, tmp_path / "cache").refresh(SLUG)
    finally:
        await database.close()
    payload = published(path)[-1]
    assert payload["team_size"] == 3
    teams = {team["team"]: team for team in payload["teams"]}
    assert set(teams) == {"Les Gazelles", "Les Lièvres"}
    lievres = teams["Les Lièvres"]
    assert lievres["rank"] is None  # one finisher of the three a total needs
    assert {"bib": "2", "name": "Jean Dupont", "time": "0:38:00.0"} in lievres["members"]

    url = f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    central = CentralDatabase(url)
    try:
        async with central.write() as session:
            await publish(session, "box-1", parse_results(1, payload), now_us())
        document = (await PublicResultsService(central).document(SLUG, "10K")).document
    finally:
        await central.close()
    shown = view(document, "team", "", 1)
    assert shown.tab == "team"
    assert shown.team_size == 3
    assert {team["team"] for team in shown.teams} == {"Les Gazelles", "Les Lièvres"}
    searched = view(document, "team", "lièvres", 1)
    assert [team["team"] for team in searched.teams] == ["Les Lièvres"]
