"""The web process keeps the live-results cache from the races it holds (issue 20, memory).

The web process keeps every race its screens show in memory and brings it up to date
one passing at a time (``edge.services.live``). Computing the same race again in the
worker, from the database, for each new version, cost a second copy of it there:
measured under ``bench.bench_memory`` (20,000 entrants) the worker held 100-126 MB after
its rounds against ~75 MB at rest. So on the MASTER the web process writes the
documents (``edge.services.results_cache``) from its own engines, every
``results_cache_every_s``, and marks that it does (a file's time).

The worker's ``results.cache`` job still runs: while the mark is fresh it has nothing
to do; when the web process is stopped or failing, the mark grows old and the worker
writes the documents itself, as before, so central keeps getting results.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from edge.heap import give_back_free_memory
from edge.roleconfig import Role, load_role
from edge.store.database import Database

if TYPE_CHECKING:
    from edge.services.results_cache import CachedRace

log = logging.getLogger(__name__)

MARK = ".kept-by-web"
"""In the documents' folder: its time is the web process's last finished round."""
MARK_FRESH_S = 15.0
"""The least time a mark is believed: past it (and past five rounds) the worker takes over.
A first round on a big race (the race loaded from the database) takes seconds on a Pi."""


def kept_by_web(folder: Path, every_s: float, running_s: float) -> bool:
    """Whether the web process keeps the documents in ``folder``: it began or ended a
    round lately, or the worker asking has run for too short a time to tell.

    ``running_s``: how long the worker has run. Both processes start together (at boot):
    a worker that computed a big race before the web process's first round would keep
    the memory of it for its whole life, so it waits a little for the first mark.
    """
    try:
        age = time.time() - (folder / MARK).stat().st_mtime
    except OSError:
        return running_s < min(MARK_FRESH_S, 10 * every_s)
    return age <= max(MARK_FRESH_S, 5 * every_s)


class ResultsKeeper:
    """Rewrites the MASTER's live-results documents from the web process's races."""

    def __init__(self, db: Database, role_file: Path, folder: Path, every_s: float) -> None:
        self.db = db
        self.role_file = role_file
        self.folder = folder
        self.every_s = every_s
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> list[CachedRace]:
        """One round: the documents of the races that changed (none unless the MASTER)."""
        role = await asyncio.to_thread(load_role, self.role_file)
        if role.role is not Role.MASTER:
            return []
        # Marked at the start too: a first round loads the race from the database, which
        # takes seconds on a Pi, while the worker looks at the mark.
        await asyncio.to_thread(self._mark)
        # Imported here: the worker imports this module only for kept_by_web, and the
        # results cache with its engine only when it writes the documents itself.
        from edge.services.live import live_results
        from edge.services.results_cache import ResultsCache

        cache = ResultsCache(self.db, self.folder, live_results(self.db))
        changed = await cache.refresh(role.event)
        if cache.computed:
            # The document of a big race (rows, JSON, packed copy) is tens of MB, freed
            # now but kept resident by glibc until given back.
            give_back_free_memory()
        await asyncio.to_thread(self._mark)
        return changed

    async def start(self) -> None:
        """Start the rounds (Litestar on_startup)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="results-keeper")

    async def close(self) -> None:
        """Stop the rounds (Litestar on_shutdown)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:  # the worker takes over while it fails (the mark grows old)
                log.exception("results cache: the round failed; retrying")
            await asyncio.sleep(self.every_s)

    def _mark(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / MARK).touch()
