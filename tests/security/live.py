"""The box and central as real ``serve`` processes (uvicorn, as deployed) for the security tests.

Some attacks live in the server around the app (X-Forwarded-For, the Server header),
so these tests talk to ``chrono-edge serve`` and ``chrono-central serve`` over TCP.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from edge.auth.pin import PIN_FILE
from tests.servers import central_process, free_port, stop_all, wait_http

BOX_PASSWORD = "correct horse battery"
CENTRAL_ADMIN = ("ops", "central-password-1")


@contextmanager
def box_server(workdir: Path, settings: Mapping[str, str] | None = None) -> Iterator[str]:
    """``chrono-edge serve`` with its files under ``workdir``; yield its base URL.

    ``settings``: more ``CHRONO_EDGE_*`` environment variables. Restarting on the same
    ``workdir`` is the same box after a reboot.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "boot").mkdir(exist_ok=True)
    env = {
        **os.environ,
        "CHRONO_EDGE_DATA_DIR": str(workdir),
        "CHRONO_EDGE_BOOT_FOLDER": str(workdir / "boot"),
        "GPIOZERO_PIN_FACTORY": "mock",
        **(settings or {}),
    }
    port = free_port()
    command = [sys.executable, "-m", "edge.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    with (workdir / f"serve-{port}.log").open("ab") as log:
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=log, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz", process)
        yield base
    finally:
        stop_all([process], 10)


def claim_box(base: str, workdir: Path) -> None:
    """Claim the box with its setup PIN (the admin password is BOX_PASSWORD)."""
    pin = (workdir / PIN_FILE).read_text().strip()
    answer = httpx.post(f"{base}/api/v1/setup/claim", json={"pin": pin, "password": BOX_PASSWORD})
    assert answer.status_code == 200, answer.text


@contextmanager
def central_server(
    workdir: Path, settings: Mapping[str, str] | None = None, database_url: str | None = None
) -> Iterator[str]:
    """``chrono-central serve`` on SQLite under ``workdir`` (or ``database_url``) with an admin."""
    workdir.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite+aiosqlite:///{workdir / 'central.db'}"
    env = {"CHRONO_CENTRAL_DATA_DIR": str(workdir / "data"), **(settings or {})}
    if not (workdir / ".admin").exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "central",
                "user",
                "create",
                CENTRAL_ADMIN[0],
                "--password-stdin",
            ],
            input=CENTRAL_ADMIN[1],
            env={**os.environ, "CHRONO_CENTRAL_DATABASE_URL": url, **env},
            cwd=workdir,
            check=True,
            capture_output=True,
            text=True,
        )
        (workdir / ".admin").touch()
    with central_process(url, free_port(), workdir, env) as base:
        yield base
