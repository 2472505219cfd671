"""A box enrolls with central and reaches it through a real WireGuard tunnel.

Two network namespaces stand for the two machines: ``hq`` (central and its hub)
and ``pi1`` (a box), joined by a veth pair as by the venue's Internet link. The
kernel has no WireGuard module here, so both ends run wireguard-go, as wg-quick
does by itself on such systems.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from edge.roleconfig import CentralLink
from edge.vpn.keys import PRIVATE_KEY, ensure_keypair
from edge.vpn.tunnel import render_config, write_config
from tests.e2e.netns import (
    NO_LOSS_MESSAGE,
    Lab,
    Namespace,
    PacketLoss,
    leftovers,
    network_lab,
    skip_unless_netns_possible,
)
from tests.servers import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
HQ_LAN, PI1_LAN = "192.168.77.1", "192.168.77.2"
HUB_ADDRESS, HUB_PORT = "10.77.0.1", 51820
USERSPACE = {
    "WG_QUICK_USERSPACE_IMPLEMENTATION": "wireguard-go",
    "WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD": "1",
}
HANDSHAKE_RETRY_S = 45  # WireGuard re-initiates after REKEY_TIMEOUT + KEEPALIVE (~15 s)


def nsctl(host: Namespace, *args: str, check: bool = True, timeout_s: float = 60) -> str:
    """Run a tests.e2e.nsctl command inside ``host``; its stdout."""
    argv = host.argv(sys.executable, "-m", "tests.e2e.nsctl", *args)
    env = {**os.environ, **USERSPACE}
    done = subprocess.run(
        argv, capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout_s, check=False
    )
    if check and done.returncode != 0:
        pytest.fail(f"nsctl {' '.join(args)} in {host.name}: {done.stderr.strip()}")
    return done.stdout if done.returncode == 0 else ""


@contextmanager
def central_in(host: Namespace, env: dict[str, str], port: int, log: Path) -> Iterator[None]:
    """``chrono-central serve`` inside ``host`` on every address (the hub's appears later)."""
    argv = host.argv(sys.executable, "-m", "central", "serve", "--host", "0.0.0.0")
    argv += ["--port", str(port)]
    with (
        log.open("ab") as out,
        subprocess.Popen(argv, env=env, cwd=log.parent, stdout=out, stderr=out) as process,
    ):
        try:
            deadline = time.monotonic() + 30
            while nsctl(host, "get", f"http://{HQ_LAN}:{port}/healthz", check=False) == "":
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"central did not start in {host.name}:\n{log.read_text()}")
                time.sleep(0.2)
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def hub_peers(hq: Namespace, hub: list[str]) -> list[dict[str, Any]]:
    """The hub's peers as central.vpn.hub.Hub.peers reports them inside hq."""
    peers: list[dict[str, Any]] = json.loads(nsctl(hq, "hub-peers", *hub))
    return peers


def wait_for_no_process(host: Namespace) -> None:
    """Wait until nothing runs in ``host`` any more (wireguard-go exits after wg-quick down)."""
    deadline = time.monotonic() + 5
    while host.pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert host.pids() == []


def test_box_enrolls_and_reaches_central_through_the_tunnel(tmp_path: Path) -> None:
    skip_unless_netns_possible()
    with network_lab() as lab:
        run_lab(lab, tmp_path)
        lab.close()
        namespaces = subprocess.run(
            ["ip", "netns", "list"], capture_output=True, text=True, check=True
        )
        assert lab.suffix not in namespaces.stdout
        assert leftovers(lab) == []


def run_lab(lab: Lab, tmp_path: Path) -> None:
    hq, pi1 = lab.host("hq"), lab.host("pi1")
    _, pi1_lan = lab.link(hq, f"{HQ_LAN}/24", pi1, f"{PI1_LAN}/24")
    loss = PacketLoss(pi1, pi1_lan)
    if loss.method is None:
        pytest.skip(NO_LOSS_MESSAGE)

    # hq: the hub interface, then central (migrated database, one enrollment token).
    hub_key = ensure_keypair(tmp_path / "hub")
    hub_interface = lab.name("wgh")
    hub = [hub_interface, str(tmp_path / "hub" / PRIVATE_KEY)]
    nsctl(hq, "hub-up", *hub, f"{HUB_ADDRESS}/16")
    port = free_port()
    env = {
        **os.environ,
        "CHRONO_CENTRAL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'central.db'}",
        "CHRONO_CENTRAL_TUNNEL_NETWORK": f"{HUB_ADDRESS}/16",
        "CHRONO_CENTRAL_HUB_PUBLIC_KEY": hub_key,
        "CHRONO_CENTRAL_HUB_ENDPOINT": f"{HQ_LAN}:{HUB_PORT}",
    }
    issued = subprocess.run(
        [sys.executable, "-m", "central", "enroll-token", "create", "--event", "demo", "--json"],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    if issued.returncode != 0:
        pytest.fail(f"chrono-central enroll-token create: {issued.stderr.strip()}")
    token = json.loads(issued.stdout)["token"]

    with central_in(hq, env, port, tmp_path / "central.log"):
        # pi1 enrolls over the LAN with the box's own code, then brings its tunnel up.
        granted = nsctl(  # "--": a token may start with "-"
            pi1, "enroll", "--", f"http://{HQ_LAN}:{port}", token,
            str(tmp_path / "pi1" / "reader.json"), str(tmp_path / "pi1"),
        )  # fmt: skip
        link = CentralLink.model_validate_json(granted)
        box_key = ensure_keypair(tmp_path / "pi1")
        assert (link.hub_public_key, link.hub_endpoint) == (hub_key, f"{HQ_LAN}:{HUB_PORT}")
        assert (link.hub_address, link.tunnel_address) == (HUB_ADDRESS, "10.77.0.2/32")
        box_peer = f"{box_key}={link.tunnel_address.split('/')[0]}"
        nsctl(hq, "hub-add-peer", *hub, box_peer)  # what central does live at enrollment

        private = (tmp_path / "pi1" / PRIVATE_KEY).read_text(encoding="ascii").strip()
        box_interface = lab.name("wgb")
        config = tmp_path / "pi1" / f"{box_interface}.conf"
        write_config(config, render_config(link, private))
        nsctl(pi1, "tunnel-up", str(config))
        route = pi1.run("ip", "route", "get", HUB_ADDRESS)
        assert f"dev {box_interface}" in route, "central must be reached through the tunnel"

        healthz = f"http://{HUB_ADDRESS}:{port}/healthz"
        nsctl(pi1, "get", healthz, "--attempts", "5")

        # Both ends see the handshake and the traffic.
        (peer,) = hub_peers(hq, hub)
        assert peer["public_key"] == box_key
        assert peer["endpoint"].startswith(f"{PI1_LAN}:")
        assert peer["latest_handshake"] > 0
        assert peer["rx_bytes"] > 0
        assert peer["tx_bytes"] > 0
        (seen_by_box,) = json.loads(nsctl(pi1, "tunnel-peers", box_interface))
        assert seen_by_box["public_key"] == hub_key
        assert seen_by_box["latest_handshake"] > 0

        # Reconcile with an empty table drops the box; with the box, it comes back
        # and the box re-handshakes by itself.
        nsctl(hq, "hub-reconcile", *hub)
        assert hub_peers(hq, hub) == []
        assert nsctl(pi1, "get", healthz, "--timeout", "1.5", check=False) == ""
        nsctl(hq, "hub-reconcile", *hub, box_peer)
        (restored,) = hub_peers(hq, hub)
        assert restored["public_key"] == box_key
        assert restored["allowed_ips"] == ["10.77.0.2/32"]
        nsctl(pi1, "get", healthz, "--attempts", "1", "--timeout", str(HANDSHAKE_RETRY_S))

        # The venue's uplink goes away for a moment, then comes back: same tunnel.
        pi1.run("ip", "link", "set", pi1_lan, "down")
        assert nsctl(pi1, "get", healthz, "--timeout", "1", check=False) == ""
        pi1.run("ip", "link", "set", pi1_lan, "up")
        nsctl(pi1, "get", healthz, "--attempts", "5", "--timeout", "5")

        # A lossy uplink (30 % of pi1's packets dropped): requests still get through.
        with loss.dropping(30):
            for _ in range(5):
                nsctl(pi1, "get", healthz, "--attempts", "6", "--timeout", "5")
        assert loss.dropped > 0, f"{loss.method} dropped nothing"

        # wg-quick down removes the interface and its wireguard-go daemon.
        nsctl(pi1, "tunnel-down", str(config))
        assert box_interface not in pi1.run("ip", "link")
        wait_for_no_process(pi1)

        # As after a reboot: the worker's vpn.keep_up job rebuilds the tunnel from
        # reader.json's grant, and leaves a running tunnel alone.
        keep_up = ("tunnel-keep-up", str(tmp_path / "pi1" / "reader.json"), str(tmp_path / "pi1"))
        assert json.loads(nsctl(pi1, *keep_up, box_interface)) == {"restarted": True}
        assert box_interface in pi1.run("ip", "link")
        nsctl(pi1, "get", healthz, "--attempts", "1", "--timeout", str(HANDSHAKE_RETRY_S))
        assert json.loads(nsctl(pi1, *keep_up, box_interface)) == {"restarted": False}
        nsctl(pi1, "tunnel-down", str(config))
        wait_for_no_process(pi1)

        # Hub.down does the same on central's side (central itself keeps running).
        deadline = time.monotonic() + 5
        nsctl(hq, "hub-down", *hub)
        assert hub_interface not in hq.run("ip", "link")
        while any(hub_interface in command for command in hq.commands()):
            assert time.monotonic() < deadline + 5, "the hub's wireguard-go did not exit"
            time.sleep(0.05)
