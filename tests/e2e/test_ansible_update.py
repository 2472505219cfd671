"""update.yml over two rootfs boxes: a good release rolls out, a broken one rolls back.

Two boxes run release 0.1.0 (the session's installed box, then boxes.yml in live
mode: the units started by the stand-in systemctl) in one network namespace, each
serving on its own port. Then: update.yml to 0.1.1 passes its gate on both; a live
race on the first box refuses 0.1.2; forced, 0.1.2 (a serve whose /healthz answers
500) fails the first box's gate, the box is back on 0.1.1 with its database
untouched, and the rollout stops before the second box.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.bundles import variant_bundle
from tests.e2e.conftest import HOST_TARGET, InstalledBox
from tests.e2e.netns import Namespace, network_lab
from tests.e2e.playbooks import chroot_host, run_playbook, write_inventory
from tests.e2e.rootfs import Rootfs
from tests.e2e.units import install_standin

pytestmark = pytest.mark.e2e

PORTS = {"box1": 8081, "box2": 8082}
BROKEN_HEALTH = (
    'return Health("ok", VERSION)',
    'raise RuntimeError("a release whose health check fails (test)")',
)
ENV = {"CHRONO_EDGE_DATA_DIR": "/var/lib/chronoedge", "CHRONO_EDGE_CONFIG_DIR": "/etc/chronoedge"}
# A short gate: the broken release fails it in seconds, the good ones pass at once.
FAST_GATE = {"chronoedge_update_gate_retries": 10, "chronoedge_update_gate_delay_s": 1}


@pytest.fixture(scope="session")
def update_bundles(host_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """0.1.0 (this checkout), 0.1.1 (the same, another version), 0.1.2 (/healthz fails)."""
    work = tmp_path_factory.mktemp("variants")
    return {
        "0.1.0": host_bundle,
        "0.1.1": variant_bundle(work, "0.1.1", HOST_TARGET),
        "0.1.2": variant_bundle(work, "0.1.2", HOST_TARGET, edits={"edge/app.py": BROKEN_HEALTH}),
    }


def release(box: Rootfs) -> str:
    """The version /opt/chronoedge/current points to."""
    return box.file("/opt/chronoedge/current").readlink().name


def health(namespace: Namespace, port: int) -> tuple[int, str]:
    """The status /healthz answers on the namespace's loopback (0: no answer), and its version."""
    code = (
        "import json, urllib.request, urllib.error\n"
        "try:\n"
        f"    answer = urllib.request.urlopen('http://127.0.0.1:{port}/healthz', timeout=5)\n"
        "    print(answer.status, json.load(answer)['version'])\n"
        "except urllib.error.HTTPError as error:\n"
        "    print(error.code, '-')\n"
        "except OSError:\n"
        "    print(0, '-')\n"
    )
    status, version = namespace.run("python3", "-c", code).split()
    return int(status), version


# edge.db as SQL, minus the rows of the job engine's own journal (job, job_log, job_queue,
# job_worker): the box's worker keeps writing those while it runs, before, during and after
# an update, so the file's bytes (and a WAL checkpoint) change whatever the rollback does.
# Everything else, the schema and Alembic's revision included, must stay as it was.
DUMP = (
    "import sqlite3\n"
    "db = sqlite3.connect('file:/var/lib/chronoedge/edge.db?mode=ro', uri=True)\n"
    "for line in db.iterdump():\n"
    "    if not line.startswith('INSERT INTO \"job'):\n"
    "        print(line)\n"
)


def timing_data(box: Rootfs) -> list[str]:
    """The box's database as SQL (schema, revision, every row but the job engine's journal).

    Read as the box's user, read-only, so no root-owned -wal or -shm file appears.
    """
    return box.run("python3", "-c", DUMP, user="chronoedge").stdout.splitlines()


def live_event() -> str:
    """An event whose only race started ten minutes ago (two hours' cutoff)."""
    start = (datetime.now(UTC) - timedelta(minutes=10)).replace(microsecond=0)
    return json.dumps(
        {
            "slug": "live-10k",
            "name": "Live 10K",
            "date": start.date().isoformat(),
            "timezone": "UTC",
            "timing_points": [{"code": "FINISH", "kind": "finish", "distance_m": 10000}],
            "races": [
                {
                    "code": "10K",
                    "name": "10 km",
                    "cutoff": "02:00:00",
                    "points": ["FINISH"],
                    "waves": [{"code": "W1", "start": start.isoformat()}],
                }
            ],
        }
    )


def test_update_rolls_out_and_rolls_back(
    make_box: Callable[[str], Rootfs],
    installed_box: InstalledBox,
    update_bundles: dict[str, Path],
    tmp_path: Path,
) -> None:
    assert installed_box.version == "0.1.0"
    boxes = {name: make_box(name) for name in PORTS}
    for box in boxes.values():
        install_standin(box)
    with network_lab() as lab:
        namespace = lab.host("upd")
        inventory = write_inventory(
            tmp_path / "inventory.yml",
            {
                "boxes": {
                    name: chroot_host(
                        box.path, chronoedge_web_port=PORTS[name], chronoedge_target=HOST_TARGET
                    )
                    for name, box in boxes.items()
                }
            },
        )

        timings: list[str] = []

        def play(playbook: str, version: str, check: bool = True, **extra: Any) -> Any:
            extra_vars = {
                "chronoedge_version": version,
                "chronoedge_bundle": str(update_bundles[version]),
                "chronoedge_image_build": False,
                **FAST_GATE,
                **extra,
            }
            started = time.monotonic()
            run = run_playbook(
                playbook, inventory, extra_vars=extra_vars, netns=namespace.name, check=check
            )
            timings.append(f"{playbook} {version} {time.monotonic() - started:.1f} s")
            return run

        play("boxes.yml", "0.1.0")
        assert {name: release(box) for name, box in boxes.items()} == dict.fromkeys(PORTS, "0.1.0")

        # A good release: both boxes (one batch of two) pass the gate.
        play("update.yml", "0.1.1")
        for name, box in boxes.items():
            assert release(box) == "0.1.1", name
            assert box.file("/opt/chronoedge/previous").readlink().name == "0.1.0"
            assert health(namespace, PORTS[name]) == (200, "0.1.1")

        # A race is live on box1: refused, nothing installed anywhere.
        box1, box2 = boxes["box1"], boxes["box2"]
        box1.file("/tmp/live.json").write_text(live_event())
        box1.run(
            "/opt/chronoedge/current/bin/chrono-edge", "event", "load", "/tmp/live.json",
            user="chronoedge", env=ENV,
        )  # fmt: skip
        refused = play("update.yml", "0.1.2", check=False, chronoedge_update_batch=1)
        assert refused.returncode != 0
        assert "a race is live (10K" in refused.output
        for box in boxes.values():
            assert release(box) == "0.1.1"
            assert not box.file("/opt/chronoedge/releases/0.1.2").exists()

        # Forced, the broken release fails box1's gate: back on 0.1.1, rollout stopped.
        before = timing_data(box1)
        broken = play(
            "update.yml", "0.1.2", check=False, chronoedge_update_batch=1,
            chronoedge_force_update=True,
        )  # fmt: skip
        assert broken.returncode != 0, broken.output[-3000:]
        assert "0.1.2 failed its health gate" in broken.output
        assert "back on 0.1.1" in broken.output
        assert release(box1) == "0.1.1"
        assert box1.file("/opt/chronoedge/releases/0.1.2").is_dir()
        assert health(namespace, PORTS["box1"]) == (200, "0.1.1")
        assert timing_data(box1) == before
        assert release(box2) == "0.1.1"
        assert not box2.file("/opt/chronoedge/releases/0.1.2").exists()
        assert "box2" not in broken.recap() or broken.recap()["box2"]["changed"] == 0
        print("plays: " + ", ".join(timings))
