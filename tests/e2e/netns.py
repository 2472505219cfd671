"""Network namespaces for e2e tests: hosts joined by veth pairs, all removed afterwards.

Every name carries a random suffix, so two test runs (or a leftover from a killed
run) never share a namespace, an interface or a wireguard-go control socket: those
sockets live in /var/run/wireguard/<interface>.sock, which namespaces do not separate.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

TOOLS = ("ip", "tc", "wg", "wg-quick", "wireguard-go")
SKIP_MESSAGE = (
    "needs root, ip netns and wireguard-go: run as root after "
    "`apt install wireguard-tools wireguard-go iproute2`"
)
NO_LOSS_MESSAGE = (
    "needs tc netem (kernel sch_netem) or, on kernels without it, nftables: `apt install nftables`"
)
WIREGUARD_SOCKETS = Path("/var/run/wireguard")
STOP_TIMEOUT_S = 5.0


def skip_unless_netns_possible() -> None:
    """Skip the test, saying how to enable it, unless we are root with the tools installed."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if os.geteuid() != 0 or missing:
        detail = f" (missing: {', '.join(missing)})" if missing else " (not root)"
        pytest.skip(SKIP_MESSAGE + detail)


def ip(*args: str) -> str:
    """Run ``ip ARGS`` in the test's own namespace and return its output."""
    return sh(["ip", *args])


def sh(argv: Sequence[str], *, env: Mapping[str, str] | None = None, timeout_s: float = 30) -> str:
    """Run ``argv``; fail the test with its stderr if it exits non-zero."""
    done = subprocess.run(
        list(argv), capture_output=True, text=True, env=env, timeout=timeout_s, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


@dataclass(frozen=True)
class Namespace:
    """One host of the lab."""

    name: str

    def argv(self, *args: str) -> list[str]:
        """``args`` as a command run inside this namespace."""
        return ["ip", "netns", "exec", self.name, *args]

    def run(self, *args: str, env: Mapping[str, str] | None = None, timeout_s: float = 30) -> str:
        """Run ``args`` inside the namespace; fail the test if it fails."""
        return sh(self.argv(*args), env=env, timeout_s=timeout_s)

    def pids(self) -> list[int]:
        """Processes living in this namespace."""
        done = subprocess.run(
            ["ip", "netns", "pids", self.name], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in done.stdout.split()]

    def commands(self) -> list[str]:
        """Command lines of the processes living in this namespace."""
        found = []
        for pid in self.pids():
            with suppress(OSError):
                found.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" "))
        return [line.decode(errors="replace").strip() for line in found]


@dataclass
class Lab:
    """Namespaces and the links between them, named with one random suffix."""

    suffix: str = field(default_factory=lambda: secrets.token_hex(3))
    namespaces: list[Namespace] = field(default_factory=list)
    _links: int = 0

    def name(self, prefix: str) -> str:
        """An interface name unique to this lab (at most 15 characters)."""
        name = f"{prefix}{self.suffix}"
        assert len(name) <= 15, name
        return name

    def host(self, role: str) -> Namespace:
        """A new namespace ``ce-<role>-<suffix>`` with its loopback up."""
        namespace = Namespace(f"ce-{role}-{self.suffix}")
        ip("netns", "add", namespace.name)
        self.namespaces.append(namespace)
        ip("-n", namespace.name, "link", "set", "lo", "up")
        return namespace

    def link(self, a: Namespace, a_address: str, b: Namespace, b_address: str) -> tuple[str, str]:
        """Join ``a`` and ``b`` by a veth pair with these addresses; return both ends' names."""
        self._links += 1
        a_end, b_end = self.name(f"v{self._links}a"), self.name(f"v{self._links}b")
        ip("link", "add", a_end, "netns", a.name, "type", "veth", "peer", b_end, "netns", b.name)
        for namespace, end, address in ((a, a_end, a_address), (b, b_end, b_address)):
            ip("-n", namespace.name, "address", "add", address, "dev", end)
            ip("-n", namespace.name, "link", "set", end, "up")
        return a_end, b_end

    def close(self) -> None:
        """Stop every process in the namespaces, delete them and any stale control socket."""
        for namespace in self.namespaces:
            _stop_all(namespace)
            subprocess.run(["ip", "netns", "delete", namespace.name], capture_output=True)
        # wireguard-go removes its socket when stopped; not when it had to be killed.
        if WIREGUARD_SOCKETS.is_dir():
            for socket in WIREGUARD_SOCKETS.glob(f"*{self.suffix}.sock"):
                socket.unlink(missing_ok=True)
        self.namespaces.clear()


def _stop_all(namespace: Namespace) -> None:
    """SIGTERM the namespace's processes (wireguard-go daemons, servers), then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = namespace.pids()
        if not pids:
            return
        for pid in pids:
            with suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while namespace.pids() and time.monotonic() < deadline:
            time.sleep(0.05)


@contextmanager
def network_lab() -> Iterator[Lab]:
    """A Lab torn down completely on the way out, also when the test fails."""
    lab = Lab()
    try:
        yield lab
    finally:
        lab.close()


class PacketLoss:
    """Random loss on one device's outgoing packets: tc netem, else an nftables rule.

    netem is the tool of choice, but some kernels (the VM this test was written on among
    them) are built without ``sch_netem``; nftables' ``numgen random`` drops the same way.
    """

    TABLE = "ce_loss"

    def __init__(self, host: Namespace, device: str) -> None:
        self.host = host
        self.device = device
        self.method = self._probe()
        self.dropped = 0  # by the last ``dropping`` block, counted when it ended

    def _probe(self) -> str | None:
        probe = self.host.argv("tc", "qdisc", "add", "dev", "lo", "root", "netem", "loss", "0%")
        if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
            self.host.run("tc", "qdisc", "del", "dev", "lo", "root")
            return "netem"
        return "nftables" if shutil.which("nft") else None

    @contextmanager
    def dropping(self, percent: int) -> Iterator[None]:
        """Drop ``percent`` % of the packets the host sends on the device while inside."""
        if self.method == "netem":
            self.host.run(
                "tc", "qdisc", "add", "dev", self.device, "root", "netem", "loss", f"{percent}%"
            )
        else:
            self.host.run("nft", "add", "table", "inet", self.TABLE)
            self.host.run(
                "nft", "add", "chain", "inet", self.TABLE, "out",
                "{ type filter hook output priority 0; policy accept; }",
            )  # fmt: skip
            self.host.run(
                "nft", "add", "rule", "inet", self.TABLE, "out", "oifname", self.device,
                "numgen", "random", "mod", "100", "<", str(percent), "counter", "drop",
            )  # fmt: skip
        try:
            yield
        finally:
            self.dropped = self._count()
            if self.method == "netem":
                self.host.run("tc", "qdisc", "del", "dev", self.device, "root")
            else:
                self.host.run("nft", "delete", "table", "inet", self.TABLE)

    def _count(self) -> int:
        if self.method == "netem":
            text = self.host.run("tc", "-s", "qdisc", "show", "dev", self.device)
            found = re.search(r"dropped (\d+)", text)
        else:
            text = self.host.run("nft", "list", "table", "inet", self.TABLE)
            found = re.search(r"packets (\d+)", text)
        return int(found.group(1)) if found else 0


def leftovers(lab: Lab) -> list[str]:
    """What of the lab still exists: namespaces, sockets, processes (should be nothing)."""
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    found = [line.split()[0] for line in listed.stdout.splitlines() if lab.suffix in line]
    if WIREGUARD_SOCKETS.is_dir():
        found += [str(path) for path in WIREGUARD_SOCKETS.glob(f"*{lab.suffix}.sock")]
    # wireguard-go daemons and `ip netns exec` children carry the suffix in their argv.
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with suppress(OSError):
            argv = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if lab.suffix in argv:
                found.append(f"process {cmdline.parent.name}: {argv.strip()}")
    return found
