"""A box in a test's folder for the over-the-air tests: real releases, real units, the real
installer.

Installing a release costs about a minute (venv, offline pip, compileall), so the
releases are installed once per session into one ``opt`` folder (its venvs' scripts name
it, so it never moves) and kept aside; each test gets that folder back as hard links
of the releases it wants (``ReleaseStore.reset``). A ``TestBox`` has its own data and
config folders, units run by the systemctl stand-in (tests/e2e/systemctl_standin.py)
from ``opt/current``, and runs ``opt/current/bin/chrono-ota apply`` as
chronoedge-update.service would, with the settings the role gives it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from edge.paths import BoxPaths
from ota.layout import Layout
from ota.release import install_release, remove_tree
from ota.settings import OtaSettings
from ota.state import Attempt, Request, read_attempt
from ota.targets import host_target
from tests.e2e.bundles import variant_bundle
from tests.servers import central_process, free_port

ROOT = Path(__file__).resolve().parents[1]
STANDIN = ROOT / "tests" / "e2e" / "systemctl_standin.py"
TARGET = host_target()
BROKEN_HEALTH = {
    "edge/app.py": (
        'return Health("ok", VERSION)',
        'raise RuntimeError("a release whose health check fails (test)")',
    )
}
"""0.1.2: its serve answers /healthz with 500 (as in the Ansible update test)."""
GATE_S = 20.0
"""The tests' health deadline: the broken release fails it in that long."""
SYSTEM_PYTHON = Path("/usr/bin/python3")
UNITS = ("chronoedge-web", "chronoedge-worker")
PUBLISHER = str(Path(sys.executable).with_name("chrono-ota"))
"""This checkout's chrono-ota (publish, rollout), as central runs it."""


def skip_unless_installable() -> None:
    """Releases install with the system's python3 (with venv), as on a box."""
    if not SYSTEM_PYTHON.exists() or sys.version_info[:2] != (3, 11):
        pytest.skip("the OTA tests install CPython 3.11 releases: need /usr/bin/python3 3.11")


def build_bundles(work: Path) -> dict[str, Path]:
    """0.1.0 (this checkout as it is, by version), 0.1.1 (the same), 0.1.2 (/healthz fails)."""
    return {
        "0.1.0": variant_bundle(work, "0.1.0", TARGET),
        "0.1.1": variant_bundle(work, "0.1.1", TARGET),
        "0.1.2": variant_bundle(work, "0.1.2", TARGET, edits=BROKEN_HEALTH),
    }


@dataclass
class ReleaseStore:
    """Releases installed once per session in ``opt``, kept aside in ``pristine``."""

    opt: Path
    pristine: Path
    bundles: dict[str, Path]
    install_s: dict[str, float] = field(default_factory=dict)

    @classmethod
    def install(cls, folder: Path, bundles: dict[str, Path], versions: list[str]) -> ReleaseStore:
        """Install ``versions`` of ``bundles`` with the installer's own function."""
        store = cls(folder / "opt", folder / "pristine", bundles)
        layout = Layout(
            OtaSettings(opt_dir=store.opt, venv_python=SYSTEM_PYTHON),
            BoxPaths.under(folder / "scratch"),
        )
        store.pristine.mkdir(parents=True)
        for version in versions:
            started = time.monotonic()
            release = install_release(layout, bundles[version], version)
            store.install_s[version] = time.monotonic() - started
            subprocess.run(["cp", "-a", str(release), str(store.pristine / version)], check=True)
        return store

    def reset(self, versions: tuple[str, ...], current: str, opt: Path | None = None) -> None:
        """``opt`` (default: the store's) as a box with ``versions`` installed, ``current`` running.

        Another folder than the store's runs only where it is mounted on the store's
        (tests/otafleet.py): the releases' scripts name the store's path.
        """
        opt = opt or self.opt
        remove_tree(opt)
        (opt / "releases").mkdir(parents=True)
        for version in versions:
            target = opt / "releases" / version
            subprocess.run(["cp", "-al", str(self.pristine / version), str(target)], check=True)
        (opt / "current").symlink_to(f"releases/{current}")


class TestBox:
    """One box: folders, units (stand-in), the installer, its database."""

    __test__ = False  # not a test class, whatever its name

    def __init__(
        self,
        store: ReleaseStore,
        folder: Path,
        units: tuple[str, ...] = UNITS,
        *,
        enter: tuple[str, ...] = (),
        address: str = "127.0.0.1",
        opt_view: Path | None = None,
    ) -> None:
        """A box whose processes run with ``store.opt`` as their opt folder.

        A box of its own (tests/otafleet.py) runs every command through ``enter`` (into
        its network and mount namespaces, where its own opt folder is mounted on
        ``store.opt``); the test reaches its web service on ``address`` and reads its
        opt folder at ``opt_view``.
        """
        self.store = store
        self.folder = folder
        self.port = free_port()
        self.units = units
        self.enter = list(enter)
        self.address = address
        self.opt_view = opt_view or store.opt
        self.paths = BoxPaths.under(folder / "data", folder / "config")
        self.unit_dir = folder / "units"
        self.standin_state = folder / "standin"
        for path in (self.paths.data_dir, self.paths.config_dir, self.unit_dir):
            path.mkdir(parents=True, exist_ok=True)
        self.installer_log = folder / "installer.log"
        self.settings_env = {
            "CHRONO_EDGE_DATA_DIR": str(self.paths.data_dir),
            "CHRONO_EDGE_CONFIG_DIR": str(self.paths.config_dir),
            "CHRONO_EDGE_HOST": "127.0.0.1" if address == "127.0.0.1" else "0.0.0.0",
            "CHRONO_EDGE_PORT": str(self.port),
            "CHRONO_OTA_OPT_DIR": str(store.opt),
            "CHRONO_OTA_UNITS": json.dumps(list(units)),
            "CHRONO_OTA_RESTART_COMMAND": json.dumps([*self.standin, "restart"]),
            "CHRONO_OTA_START_COMMAND": json.dumps(self.start_installer_command()),
            "CHRONO_OTA_WEB_URL": f"http://127.0.0.1:{self.port}",
            "CHRONO_OTA_BOX_USER": "",
            "CHRONO_OTA_VENV_PYTHON": str(SYSTEM_PYTHON),
            "CHRONO_OTA_HEALTH_DEADLINE_S": str(GATE_S),
            "CHRONO_OTA_CHECK_EVERY_S": "1",
            # 8 MB/s: a 40 MB bundle in 5 s (the cap itself is measured in test_ota_client).
            "CHRONO_OTA_DOWNLOAD_RATE_KBPS": "8000",
        }
        self.paths.role_file.write_text('{"schema": 1, "role": "unconfigured"}\n')

    @property
    def standin(self) -> list[str]:
        """The systemctl stand-in for this box's units."""
        return [
            "env",
            f"STANDIN_UNIT_DIR={self.unit_dir}",
            f"STANDIN_STATE_DIR={self.standin_state}",
            str(SYSTEM_PYTHON),
            str(STANDIN),
        ]

    def start_installer_command(self) -> list[str]:
        """What the worker runs to start the installer (the update unit, on a box)."""
        apply = f"{self.store.opt}/current/bin/chrono-ota apply >>{self.installer_log} 2>&1"
        return ["setsid", "-f", "sh", "-c", apply]

    @property
    def layout(self) -> Layout:
        """The box's layout as its installer sees it."""
        settings = OtaSettings(
            opt_dir=self.opt_view,
            units=self.units,
            web_url=f"http://127.0.0.1:{self.port}",
            box_user=None,
            health_deadline_s=GATE_S,
        )
        return Layout(settings, self.paths)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of the box's units and of its installer."""
        return {**os.environ, **self.settings_env, **extra}

    def write_units(self, extra_env: Mapping[str, str] | None = None) -> None:
        """Unit files like the role's: each runs ``opt/current/bin/chrono-edge <command>``."""
        environment = self.folder / "box.env"
        lines = {**self.settings_env, **(extra_env or {})}
        environment.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
        for unit in self.units:
            command = unit.removeprefix("chronoedge-").replace("web", "serve")
            (self.unit_dir / f"{unit}.service").write_text(
                f"[Unit]\nDescription={unit} (test box)\n\n[Service]\n"
                f"EnvironmentFile={environment}\n"
                f"WorkingDirectory={self.paths.data_dir}\n"
                f"ExecStart={self.store.opt}/current/bin/chrono-edge {command}\n"
            )

    def systemctl(self, verb: str, *units: str) -> None:
        """The stand-in's ``verb`` on ``units`` (default: all of the box's)."""
        subprocess.run([*self.enter, *self.standin, verb, *(units or self.units)], check=True)

    def start(self, version: str | None = None, extra_env: Mapping[str, str] | None = None) -> None:
        """Start the units (boot) and wait for /healthz (from ``version``, if given)."""
        self.write_units(extra_env)
        self.systemctl("start")
        self.wait_healthz(version)

    def unit_alive(self, unit: str) -> bool:
        """Whether the unit's main process runs (not dead, not a zombie)."""
        try:
            pid = int((self.standin_state / f"{unit}.service.pid").read_text())
            stat = Path(f"/proc/{pid}/stat").read_text()
        except (OSError, ValueError):
            return False
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")

    def unit_pids(self) -> list[int]:
        """The main processes of the box's units now."""
        pids = []
        for unit in self.units:
            with suppress(OSError, ValueError):
                pids.append(int((self.standin_state / f"{unit}.service.pid").read_text()))
        return pids

    def power_cut(self) -> None:
        """SIGKILL every process of the box: its units' and any installer's."""
        for pid in self.unit_pids():
            with suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        for pid in self.installer_pids():
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pidfile in self.standin_state.glob("*.pid"):
            pidfile.unlink()

    def installer_pids(self) -> list[int]:
        """Processes running this box's ``chrono-ota apply``."""
        found = subprocess.run(
            ["pgrep", "-f", f"{self.store.opt}/current/bin/chrono-ota apply"],
            capture_output=True,
            text=True,
            check=False,
        )
        return [int(pid) for pid in found.stdout.split()]

    def stop(self) -> None:
        """Stop the units (and kill a leftover installer)."""
        with suppress(subprocess.CalledProcessError):
            self.systemctl("stop")
        for pid in self.installer_pids():
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def request(self, version: str, force_reason: str | None = None) -> Request:
        """Put ``version``'s bundle in the downloads and ask for it, as ``ota.install`` does."""
        bundle = self.store.bundles[version]
        downloads = self.paths.downloads_folder
        downloads.mkdir(parents=True, exist_ok=True)
        copy = downloads / bundle.name
        shutil.copyfile(bundle, copy)
        request = Request(
            id=uuid.uuid4().hex,
            version=version,
            bundle=str(copy),
            target=TARGET,
            force_reason=force_reason,
        )
        self.paths.ota_folder.mkdir(parents=True, exist_ok=True)
        self.layout.request_file.write_bytes(request.to_json())
        return request

    def apply(self, failpoint: str | None = None) -> subprocess.CompletedProcess[str]:
        """``opt/current/bin/chrono-ota apply`` as the update unit runs it (optionally killed)."""
        extra = {"CHRONO_OTA_FAILPOINT": failpoint} if failpoint else {}
        return subprocess.run(
            [*self.enter, str(self.store.opt / "current" / "bin" / "chrono-ota"), "apply"],
            env=self.env(**extra),
            cwd=self.paths.data_dir,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def attempt(self) -> Attempt:
        """The installer's state now."""
        found = read_attempt(self.layout.state_file)
        assert found is not None, "no state.json"
        return found

    def current(self) -> str | None:
        """The release ``current`` points to."""
        return self.layout.linked_version(self.layout.current)

    def previous(self) -> str | None:
        """The release ``previous`` points to."""
        return self.layout.linked_version(self.layout.previous)

    def healthz(self) -> tuple[int, str]:
        """What /healthz answers: (status, version); (0, "") without an answer."""
        try:
            answer = httpx.get(f"http://{self.address}:{self.port}/healthz", timeout=2)
        except httpx.HTTPError:
            return 0, ""
        version = answer.json().get("version", "") if answer.status_code == 200 else ""
        return answer.status_code, version

    def wait_healthz(self, version: str | None = None, timeout_s: float = 60) -> None:
        """Wait for /healthz to answer 200 (from ``version``)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            code, answered = self.healthz()
            if code == 200 and (version is None or answered == version):
                return
            time.sleep(0.2)
        logs = {p.name: p.read_text()[-2000:] for p in self.standin_state.glob("*.log")}
        pytest.fail(f"/healthz never answered 200 from {version}: {self.healthz()}, {logs}")

    def timing_data(self) -> list[str]:
        """The database as SQL, but the job engine's journal (the worker writes it always)."""
        database = sqlite3.connect(f"file:{self.paths.database}?mode=ro", uri=True)
        try:
            return [line for line in database.iterdump() if not line.startswith('INSERT INTO "job')]
        finally:
            database.close()

    def ota_cli(self, *arguments: str) -> str:
        """``opt/current/bin/chrono-ota ARGUMENTS`` with the box's settings."""
        return subprocess.run(
            [*self.enter, str(self.store.opt / "current" / "bin" / "chrono-ota"), *arguments],
            env=self.env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def cli(self, *arguments: str) -> str:
        """``opt/current/bin/chrono-edge ARGUMENTS`` with the box's settings."""
        return subprocess.run(
            [*self.enter, str(self.store.opt / "current" / "bin" / "chrono-edge"), *arguments],
            env=self.env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout


@contextmanager
def running_box(store: ReleaseStore, folder: Path, **kw: object) -> Iterator[TestBox]:
    """A TestBox whose units are stopped at the end, whatever happens."""
    box = TestBox(store, folder, **kw)  # type: ignore[arg-type]
    try:
        yield box
    finally:
        box.stop()


@dataclass
class OtaCentral:
    """A live central serving an update repository (``chrono-central serve``, SQLite)."""

    base: str
    database_url: str
    repo: Path

    def command(self, *arguments: str) -> str:
        """``chrono-central ARGUMENTS`` on this central's database."""
        env = {**os.environ, "CHRONO_CENTRAL_DATABASE_URL": self.database_url}
        done = subprocess.run(
            [sys.executable, "-m", "central", *arguments],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def publisher(self, *arguments: str) -> str:
        """``chrono-ota ARGUMENTS --repo`` this central's repository (publish, rollout)."""
        done = subprocess.run(
            [
                str(Path(sys.executable).with_name("chrono-ota")),
                *arguments,
                "--repo",
                str(self.repo),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def enroll_token(self, event: str = "ota") -> str:
        """A fresh enrollment token."""
        created = self.command("enroll-token", "create", "--event", event, "--json")
        return str(json.loads(created)["token"])

    def reports(self, device_id: str) -> list[str]:
        """The states of a box's report history, oldest first (central keeps changes only)."""
        path = self.database_url.removeprefix("sqlite+aiosqlite:///")
        database = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = database.execute(
                "SELECT state FROM ota_report WHERE device_id = ? ORDER BY at_us, received_us",
                (device_id,),
            ).fetchall()
        finally:
            database.close()
        return [row[0] for row in rows]

    def device(self, device_id: str) -> dict[str, object]:
        """What central keeps of a box's updates (its latest report), {} before any."""
        path = self.database_url.removeprefix("sqlite+aiosqlite:///")
        database = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        database.row_factory = sqlite3.Row
        try:
            row = database.execute(
                "SELECT * FROM ota_device WHERE device_id = ?", (device_id,)
            ).fetchone()
        finally:
            database.close()
        return dict(row) if row is not None else {}


@contextmanager
def ota_central(folder: Path, bundles: list[Path]) -> Iterator[OtaCentral]:
    """Central with a fresh repository where ``bundles`` are published in stable."""
    from ota.repository import init_repository, publish

    repo = folder / "repository"
    init_repository(repo)
    for bundle in bundles:
        publish(repo, bundle, "stable")
    url = f"sqlite+aiosqlite:///{folder / 'central.db'}"
    settings = {"CHRONO_CENTRAL_OTA_DIR": str(repo)}
    with central_process(url, free_port(), folder, settings) as base:
        yield OtaCentral(base, url, repo)


def enrolled_box(
    store: ReleaseStore,
    central: OtaCentral,
    folder: Path,
    *,
    event: str = "ota",
    units: tuple[str, ...] = UNITS,
) -> tuple[TestBox, str]:
    """A box on 0.1.0 (0.1.1 installed beside it), trusting central's root, enrolled; its id."""
    from ota.repository import trusted_root

    store.reset(("0.1.0", "0.1.1"), current="0.1.0")
    box = TestBox(store, folder, units)
    box.layout.trusted_root.parent.mkdir(parents=True)
    box.layout.trusted_root.write_bytes(trusted_root(central.repo, "stable"))
    box.cli("enroll", "--central", central.base, "--token", central.enroll_token(event))
    role = json.loads(box.paths.role_file.read_text())
    return box, str(role["central"]["device_id"])


def wait_for(condition: Callable[[], object], what: str, timeout_s: float = 120) -> None:
    """Poll ``condition`` every half second until it holds, or fail naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.5)
