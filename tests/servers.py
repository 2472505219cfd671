"""Real servers for integration tests: PostgreSQL databases and processes on loopback."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

POSTGRES_ENV = "CHRONO_TEST_POSTGRES_URL"
REQUIRE_ENV = "CHRONO_REQUIRE_POSTGRES"
START_TIMEOUT_S = 30.0


def postgres_url_or_skip() -> str:
    """The test server's URL (postgresql+asyncpg://...), or skip (fail when CI requires it)."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    message = (
        f"PostgreSQL tests need {POSTGRES_ENV}=postgresql+asyncpg://user:password@127.0.0.1/db "
        "(.ci/run starts Debian's PostgreSQL 15 and sets it)"
    )
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def postgres_database() -> Iterator[str]:
    """Create an empty database on the test server; yield its URL; drop it afterwards."""
    admin = make_url(postgres_url_or_skip())
    name = f"chrono_test_{uuid.uuid4().hex[:12]}"
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    asyncio.run(_admin_sql(dsn, f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_drop_database(dsn, name))


async def _drop_database(dsn: str, name: str, attempts: int = 10) -> None:
    """DROP ... WITH (FORCE), again while a backend of a killed client is still going away.

    PostgreSQL refuses to terminate a backend whose role it cannot tell yet (one still
    starting or shutting down) with "must be a member of the role": wait and retry.
    """
    import asyncpg

    for attempt in range(attempts):
        try:
            await _admin_sql(dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except (asyncpg.InsufficientPrivilegeError, asyncpg.ObjectInUseError):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5)


async def _admin_sql(dsn: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_http(
    url: str, process: subprocess.Popen[bytes], timeout_s: float = START_TIMEOUT_S
) -> None:
    """Wait until ``url`` answers 200, failing early if the process died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    pytest.fail(f"{url} did not answer within {timeout_s} s")


@contextmanager
def central_process(
    database_url: str, port: int, workdir: Path, settings: Mapping[str, str] | None = None
) -> Iterator[str]:
    """``chrono-central serve`` as a real process on 127.0.0.1:port; yield its base URL.

    ``settings``: more ``CHRONO_CENTRAL_*`` environment variables.
    """
    env: Mapping[str, str] = {
        **os.environ,
        "CHRONO_CENTRAL_DATABASE_URL": database_url,
        **(settings or {}),
    }
    command = [sys.executable, "-m", "central", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    log = (workdir / f"central-{port}.log").open("ab")
    with log, subprocess.Popen(command, env=env, cwd=workdir, stdout=log, stderr=log) as process:
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{base}/healthz", process)
            yield base
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@contextmanager
def central_on(
    kind: str, folder: Path, settings: Mapping[str, str] | None = None
) -> Iterator[tuple[str, str]]:
    """``chrono-central serve`` on a fresh database of ``kind`` ("sqlite" or "postgresql",
    a test's parameter): its base URL and its database URL."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'central.db'}"
        with central_process(url, free_port(), folder, settings) as base:
            yield base, url
        return
    with postgres_database() as url, central_process(url, free_port(), folder, settings) as base:
        yield base, url


def chrono_central(url: str, *args: str, stdin: str = "") -> str:
    """``chrono-central ARGS`` in-process on the database ``url``; its output (exit 0 asserted)."""
    from click.testing import CliRunner

    from central.cli import cli as central_cli
    from central.settings import get_settings as central_settings

    central_settings.cache_clear()
    try:
        done = CliRunner(env={"CHRONO_CENTRAL_DATABASE_URL": url}).invoke(
            central_cli, list(args), input=stdin
        )
    finally:
        central_settings.cache_clear()
    assert done.exit_code == 0, done.output
    return done.stdout


@contextmanager
def box_worker(
    db: Path, role_file: Path, folder: Path, every_s: float = 0.5
) -> Iterator[subprocess.Popen[str]]:
    """``chrono-edge worker`` on ``db`` syncing and caching results every ``every_s``
    (backups hourly), its cache in ``folder/cache``, its log ``folder/worker.log``; it is
    stopped with SIGTERM at the end and must exit 0."""
    import signal

    every = str(every_s)
    env = {**os.environ, "CHRONO_EDGE_SYNC_EVERY_S": every,
           "CHRONO_EDGE_RESULTS_CACHE_EVERY_S": every, "CHRONO_EDGE_BACKUP_EVERY_S": "3600",
           "CHRONO_EDGE_CACHE_FOLDER": str(folder / "cache")}  # fmt: skip
    command = [sys.executable, "-m", "edge.cli", "--db", str(db), "worker",
               "--role-file", str(role_file)]  # fmt: skip
    log = (folder / "worker.log").open("w")
    with log, subprocess.Popen(command, env=env, stdout=log, stderr=log, text=True) as worker:
        try:
            yield worker
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=30) == 0


def stop_all(processes: list[subprocess.Popen[bytes]], timeout_s: float = 20) -> None:
    """SIGTERM every process (last started first), then wait; kill what outlives ``timeout_s``."""
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
