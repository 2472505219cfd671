"""central.yml installs central into a real Debian rootfs, and a box enrolls with it.

The play runs over the chroot connection in image-build mode (units enabled, nothing
started) inside a network namespace whose loopback carries the rootfs's own PostgreSQL,
so it never meets the host's. The test then starts what systemd would: central as its
unit says (user, environment file, ExecStart), nginx in front; a box enrolls through
nginx's TLS and central lists it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.netns import Namespace, network_lab
from tests.e2e.playbooks import chroot_host, run_playbook, write_inventory
from tests.e2e.rootfs import Rootfs

pytestmark = pytest.mark.e2e

UNIT = "/etc/systemd/system/chronoedge-central.service"
PASSWORD_FILE = "/etc/chronoedge-central/postgresql.password"
CERTIFICATE = "/etc/ssl/certs/chronoedge-central.pem"
ADMIN = ("ops", "correct horse battery staple")
# One HTTP request from inside a namespace: (status, body) as JSON on stdout.
FETCH = """
import json, sys, httpx
url, auth = sys.argv[1], json.loads(sys.argv[2])
try:
    r = httpx.get(url, verify=False, timeout=5, auth=tuple(auth) if auth else None)
    print(json.dumps([r.status_code, r.text]))
except httpx.HTTPError as error:
    print(json.dumps([0, str(error)]))
"""


def bundle_manifest(bundle: Path) -> bytes:
    """The bundle's manifest.json, as its bytes."""
    with tarfile.open(bundle) as archive:
        member = archive.extractfile("manifest.json")
        assert member is not None
        return member.read()


def fetch(ns: Namespace, url: str, auth: tuple[str, str] | None = None) -> tuple[int, str]:
    """GET ``url`` from inside ``ns`` (certificates not checked); status 0 if unreachable."""
    status, body = json.loads(ns.run(sys.executable, "-c", FETCH, url, json.dumps(auth)))
    return status, body


def wait_for(ns: Namespace, url: str, log: Path, timeout_s: float = 60) -> tuple[int, str]:
    """The first answer of ``url`` within ``timeout_s``; fail with ``log`` if none came."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status, body = fetch(ns, url)
        if status:
            return status, body
        time.sleep(0.5)
    pytest.fail(f"{url} never answered:\n{log.read_text(errors='replace')[-4000:]}")


def unit_service(path: Path) -> dict[str, str]:
    """The [Service] settings of a systemd unit file (the last value of a key wins)."""
    settings: dict[str, str] = {}
    section = ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings[key] = value
    return settings


def environment_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a systemd EnvironmentFile."""
    pairs = (line.partition("=") for line in path.read_text().splitlines())
    return {key: value for key, _, value in pairs if key and not key.startswith("#")}


def listen_on_default_port(root: Rootfs) -> None:
    """Put the rootfs's cluster on 5432, as on a server of its own.

    pg_createcluster gave it the next free port when the base was built (the build
    machine's own PostgreSQL holds 5432); inside the namespace 5432 is free.
    """
    conf = root.file("/etc/postgresql/15/main/postgresql.conf")
    text = re.sub(r"(?m)^port = \d+", "port = 5432", conf.read_text())
    conf.write_text(text)


def test_central_play_installs_central_that_a_box_enrolls_with(
    make_rootfs: Callable[[str], Rootfs], host_bundle: Path, tmp_path: Path
) -> None:
    root = make_rootfs("central")
    servers: list[subprocess.Popen[bytes]] = []
    try:
        with network_lab() as lab:
            run_central(root, lab.host("hq"), host_bundle, tmp_path, servers)
    finally:
        for server in servers:  # stopped with the namespace; reaped here
            server.wait(timeout=10)


def run_central(
    root: Rootfs,
    ns: Namespace,
    host_bundle: Path,
    tmp_path: Path,
    servers: list[subprocess.Popen[bytes]],
) -> None:
    install_central(root, ns, host_bundle, tmp_path)
    service, env = serve_central(root, ns, tmp_path, servers)
    serve_nginx(root, ns, tmp_path, servers)
    enroll_a_box(root, ns, tmp_path, service, env)


def install_central(root: Rootfs, ns: Namespace, host_bundle: Path, tmp_path: Path) -> None:
    """central.yml twice (the second changes nothing), then what it left in the rootfs."""
    # The rootfs's own cluster, on the namespace's loopback (the host has its own 5432).
    listen_on_default_port(root)
    root.run("pg_ctlcluster", "15", "main", "start", netns=ns.name)
    inventory = write_inventory(
        tmp_path / "hosts.yml",
        {"central": {"hq": chroot_host(root.path)}},
    )
    extra: dict[str, Any] = {
        "chronoedge_version": json.loads(bundle_manifest(host_bundle))["version"],
        "chronoedge_bundle_dir": str(host_bundle.parent),
        "chronoedge_central_bundle": str(host_bundle),
        "chronoedge_central_start_services": False,
        "chronoedge_central_server_name": "central.test",
    }
    started = time.monotonic()
    first = run_playbook("central.yml", inventory, extra_vars=extra, netns=ns.name)
    (tmp_path / "first.log").write_text(first.output)
    first_s = time.monotonic() - started
    started = time.monotonic()
    second = run_playbook("central.yml", inventory, extra_vars=extra, netns=ns.name)
    (tmp_path / "second.log").write_text(second.output)
    second_s = time.monotonic() - started
    print(f"central.yml: first run {first_s:.0f} s, second run {second_s:.0f} s")
    assert first.recap()["hq"]["failed"] == 0
    assert second.recap()["hq"]["changed"] == 0, second.output[-6000:]

    # The password was made on the host, is root's alone, and never reached the log.
    password_file = root.file(PASSWORD_FILE)
    password = password_file.read_text().strip()
    assert len(password) >= 32
    assert password_file.stat().st_mode & 0o777 == 0o600
    assert password not in first.output + second.output
    environment = root.file("/etc/chronoedge-central/central.env")
    assert environment.stat().st_mode & 0o777 == 0o640
    assert f":{password}@127.0.0.1:5432/" in environment.read_text()
    # Only nginx's X-Forwarded-For is believed (finding 5 of issue 18).
    assert "CHRONO_CENTRAL_FORWARDED_ALLOW_IPS=127.0.0.1\n" in environment.read_text()
    hub_key = root.file("/etc/chronoedge-central/wg0.key")
    assert hub_key.stat().st_mode & 0o777 == 0o600
    assert "PrivateKey" not in root.file("/etc/wireguard/wg0.conf").read_text()
    for unit in ("chronoedge-central", "postgresql", "nginx", "wg-quick@wg0"):
        state = root.run("systemctl", "is-enabled", unit, check=False).stdout.strip()
        assert state == "enabled", f"{unit}: {state}"
    release = f"releases/{extra['chronoedge_version']}"
    assert os.readlink(root.file("/opt/chronoedge-central/current")) == release
    marker = root.file(f"/opt/chronoedge-central/{release}/.installed").read_text().strip()
    assert marker == hashlib.sha256(bundle_manifest(host_bundle)).hexdigest()

    verified = root.run("systemd-analyze", "verify", UNIT, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "chronoedge-central" not in verified.stderr, verified.stderr


def serve_central(
    root: Rootfs, ns: Namespace, tmp_path: Path, servers: list[subprocess.Popen[bytes]]
) -> tuple[dict[str, str], dict[str, str]]:
    """Central as systemd would start it: its user, environment file and ExecStart."""
    service = unit_service(root.file(UNIT))
    env = environment_file(root.file(service["EnvironmentFile"]))
    env_path = root.file(service["EnvironmentFile"])
    assert env_path.stat().st_gid != 0  # readable by central's group, not the world
    central_log = tmp_path / "central.log"
    servers.append(root.start(
        "env", "-C", service["WorkingDirectory"], *service["ExecStart"].split(),
        log=central_log, user=service["User"], netns=ns.name, env=env,
    ))  # fmt: skip
    port = env["CHRONO_CENTRAL_PORT"]
    status, body = wait_for(ns, f"http://127.0.0.1:{port}/healthz", central_log)
    assert status == 200, body
    assert json.loads(body)["status"] == "ok"
    assert env["CHRONO_CENTRAL_DATABASE_URL"].startswith("postgresql+asyncpg://")
    tables = root.run(
        "psql", "-tAc", "SELECT count(*) FROM alembic_version", "chronoedge_central",
        user="postgres", netns=ns.name,
    )  # fmt: skip
    assert tables.stdout.strip() == "1"  # central's schema lives in PostgreSQL
    return service, env


def serve_nginx(
    root: Rootfs, ns: Namespace, tmp_path: Path, servers: list[subprocess.Popen[bytes]]
) -> None:
    """nginx in front: its configuration passes; TLS with the self-signed certificate."""

    root.run("nginx", "-t", netns=ns.name)
    nginx_log = tmp_path / "nginx.log"
    servers.append(root.start("nginx", "-g", "daemon off;", log=nginx_log, netns=ns.name))
    status, body = wait_for(ns, "https://127.0.0.1/healthz", nginx_log)
    assert status == 200, body
    assert json.loads(body)["status"] == "ok"
    status, _ = fetch(ns, "http://127.0.0.1/healthz")
    assert status == 301  # plain HTTP is sent to HTTPS


def enroll_a_box(
    root: Rootfs, ns: Namespace, tmp_path: Path, service: dict[str, str], env: dict[str, str]
) -> None:
    """A box enrolls through nginx, trusting central's certificate; central lists it."""
    central_exe = service["ExecStart"].split()[0]
    issue = ("enroll-token", "create", "--event", "demo", "--json")
    issued = root.run(central_exe, *issue, user=service["User"], netns=ns.name, env=env)
    token = json.loads(issued.stdout)["token"]
    create_admin = f"{central_exe} user create {ADMIN[0]} --password-stdin"
    root.run(
        "sh", "-c", f"printf '%s\\n' {shlex.quote(ADMIN[1])} | {create_admin}",
        user=service["User"], netns=ns.name, env=env,
    )  # fmt: skip
    box = tmp_path / "box"
    box.mkdir()
    box_env = {
        **os.environ,
        "CHRONO_EDGE_DATA_DIR": str(box),
        "CHRONO_EDGE_CONFIG_DIR": str(box),
        "SSL_CERT_FILE": str(root.file(CERTIFICATE)),
    }
    chrono_edge = str(Path(sys.executable).parent / "chrono-edge")
    enrolled = subprocess.run(
        ns.argv(chrono_edge, "enroll", "--central", "https://127.0.0.1", "--token", token,
                "--role-file", str(box / "reader.json")),
        env=box_env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
    link = json.loads((box / "reader.json").read_text())["central"]
    assert link["url"] == "https://127.0.0.1"
    assert link["hub_endpoint"] == "central.test:51820"
    assert link["hub_public_key"] == env["CHRONO_CENTRAL_HUB_PUBLIC_KEY"]

    status, body = fetch(ns, "https://127.0.0.1/api/v1/devices", ADMIN)
    assert status == 200, body
    (device,) = json.loads(body)
    assert device["id"] == link["device_id"]
    tunnel_address = link["tunnel_address"].partition("/")[0]
    assert (device["event"], device["tunnel_address"]) == ("demo", tunnel_address)
