"""Finding 9: central's login takes as long for an unknown name as for a known one, and
hashes passwords off the event loop.

Answering "no such user" at once (no argon2 work) told a stranger which admin names
exist; hashing on the event loop stalled every box's sync while a guesser typed.
The medians are compared with each other (a wide tolerance), never with a number of
milliseconds.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

import central.services.users as users_module
from central.services.users import UserService
from central.store import migrate
from central.store.database import CentralDatabase

pytestmark = pytest.mark.integration

ADMIN = ("ops", "a long enough password")
ROUNDS = 9


@pytest.fixture
async def users(tmp_path: Path) -> AsyncIterator[UserService]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    database = CentralDatabase(url)
    try:
        service = UserService(database)
        await service.create(*ADMIN)
        yield service
    finally:
        await database.close()


async def median_s(attempt: Callable[[], Any]) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        assert await attempt() is None
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@pytest.mark.parametrize(
    "unknown", ["nobody", "", " ops2", "x" * 300, "ops\x00"], ids=lambda n: repr(n)[:12]
)
async def test_an_unknown_name_takes_as_long_as_a_wrong_password(
    users: UserService, unknown: str
) -> None:
    known = await median_s(lambda: users.authenticate(ADMIN[0], "wrong password"))
    stranger = await median_s(lambda: users.authenticate(unknown, "wrong password"))
    # The same argon2 work either way: within a factor of two (a missing hash is ~1000x).
    assert known / 2 < stranger < known * 2, f"known {known:.4f} s, unknown {stranger:.4f} s"


async def test_argon2_runs_off_the_event_loop(
    users: UserService, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    seen: list[tuple[str, bool]] = []

    def recording(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            seen.append((name, threading.get_ident() == loop_thread))
            return real(*args)

        return call

    for name in ("check_password", "hash_password"):
        monkeypatch.setattr(users_module, name, recording(name, getattr(users_module, name)))
    assert await users.authenticate(*ADMIN) is not None
    assert await users.authenticate("nobody", ADMIN[1]) is None
    await users.create("second", "another long password")
    assert {name for name, _ in seen} == {"check_password", "hash_password"}
    assert not [name for name, on_loop in seen if on_loop], f"on the event loop: {seen}"
