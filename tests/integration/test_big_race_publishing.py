"""A 20,000-entrant race's results reach central: packed, they fit a batch (issue 20).

Written out, such a sheet holds 20,000 JSON objects, more than a batch may carry: central
refused it (413) and, a change never being skipped, the MASTER's whole outbox stopped
behind it. Real processes: central and the box's worker, on a real 20,000-entrant race.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bench.bench_screen import SLUG, build
from edge.roleconfig import RoleConfig, save_role
from tests.e2e.test_public_results_browser import enrolled
from tests.integration.test_format_publishing import published
from tests.servers import box_worker, central_process, free_port

pytestmark = pytest.mark.integration

ENTRANTS = 20_000


def test_a_20000_entrant_race_is_published_whole(tmp_path: Path) -> None:
    async def fill() -> None:
        db, _ = await build(tmp_path, ENTRANTS)
        await db.close()

    asyncio.run(fill())
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
    with central_process(database_url, free_port(), tmp_path) as central:
        role_file = tmp_path / "reader.json"
        link = enrolled(central, database_url, SLUG)
        save_role(role_file, RoleConfig(event=SLUG, point="FINISH", central=link))
        with box_worker(tmp_path / "edge.db", role_file, tmp_path, every_s=1):
            document = published(central, "10K", SLUG)
    kept = json.loads((tmp_path / "cache" / "results" / SLUG / "10K.json").read_text("utf-8"))
    assert len(document["rows"]) == ENTRANTS
    assert (document["columns"], document["rows"]) == (kept["columns"], kept["rows"])
