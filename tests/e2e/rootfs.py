"""Debian root filesystems for the deployment tests: built once by mmdebstrap, cached.

The base rootfs (bookworm, the machine's own apt sources) is built once per
package list and kept in ``CHRONO_ROOTFS_CACHE`` (default ``~/.cache/chronoedge/
rootfs``): the folder's name carries a hash of the list, so a changed list builds
a new one. Each test works on an overlay of it (a copy where overlayfs is
missing), so tests never see each other's changes and the base stays clean.

A ``policy-rc.d`` in each test's rootfs refuses every service start during
package installs (mmdebstrap has its own while it builds): a chroot has no init,
and a postinst must not start PostgreSQL on the host's ports. Tests start what
they need themselves, in their own network namespace, as the systemd units would.

    python -m tests.e2e.rootfs build    # build (or find) the cached base; print its path
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from image.base import PACKAGES as IMAGE_PACKAGES
from image.base import locked

SUITE = "bookworm"
# What the roles install on a box and on central (ansible/roles/*/defaults), plus
# python3 for Ansible itself: preinstalled, so a test run never waits for apt. The SD-card
# image's own list (image/base.py, without kernel) is in it too: the image's rootfs test
# starts from the session's installed box instead of a second base and a second install.
_ROLE_PACKAGES = (
    "acl",
    "ca-certificates",
    "chrony",
    "fake-hwclock",
    "iproute2",
    "nginx",
    "openssl",
    "polkitd",
    "postgresql",
    "python3",
    "python3-cryptography",
    "python3-psycopg2",
    "python3-venv",
    "sudo",
    "systemd",
    "tzdata",
    "wireguard-tools",
)
PACKAGES = tuple(sorted({*_ROLE_PACKAGES, *IMAGE_PACKAGES}))
POLICY_RC_D = "#!/bin/sh\n# Test rootfs: no service starts inside a chroot.\nexit 101\n"
BUILD_TIMEOUT_S = 1800
REQUIRE_VARIABLE = "CHRONO_REQUIRE_ROOTFS"


def cache_dir() -> Path:
    """Where built base root filesystems are kept between runs."""
    configured = os.environ.get("CHRONO_ROOTFS_CACHE")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "chronoedge" / "rootfs"


def base_key(packages: Sequence[str] = PACKAGES, suite: str = SUITE, arch: str = "") -> str:
    """The cache key of a base: its suite, architecture and package list."""
    text = "\n".join([suite, arch or os.uname().machine, *sorted(packages)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def missing_tools() -> list[str]:
    """What this machine lacks to build and enter a rootfs."""
    tools = ("mmdebstrap", "chroot", "unshare", "ip", "mount")
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if os.geteuid() != 0:
        missing.append("root")
    return missing


def skip_unless_possible() -> None:
    """Skip (or fail, where CI requires these tests) unless a rootfs can be built here."""
    missing = missing_tools()
    if not missing:
        return
    message = f"needs root and mmdebstrap (apt install mmdebstrap); missing: {', '.join(missing)}"
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{REQUIRE_VARIABLE}=1 but {message}")
    pytest.skip(message)


def build_base(packages: Sequence[str] = PACKAGES, suite: str = SUITE, arch: str = "") -> Path:
    """The cached base rootfs for ``packages``, built now if there is none (one builder).

    ``arch`` (a Debian architecture such as arm64) builds a foreign rootfs through
    qemu-user's binfmt entry; empty: the machine's own.
    """
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"{suite}-{arch + '-' if arch else ''}{base_key(packages, suite, arch)}"
    with locked(root / ".lock"):
        if final.is_dir():
            return final
        partial = root / f".partial-{final.name}"
        shutil.rmtree(partial, ignore_errors=True)
        command = [
            "mmdebstrap",
            "--variant=apt",
            "--mode=root",
            f"--include={','.join(sorted(packages))}",
            *([f"--arch={arch}"] if arch else []),
            suite,
            str(partial),
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
        )
        if done.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            raise RuntimeError(f"mmdebstrap failed ({done.returncode}):\n{done.stderr[-4000:]}")
        partial.rename(final)
        return final


@dataclass(frozen=True)
class Rootfs:
    """One test's writable root filesystem, with /proc and a private /run, /tmp, /dev/shm."""

    path: Path

    def argv(self, *command: str, user: str | None = None, netns: str | None = None) -> list[str]:
        """``command`` run inside the rootfs (as ``user``, in network namespace ``netns``)."""
        inside = list(command)
        if user is not None:
            inside = ["runuser", "-u", user, "--", *inside]
        argv = ["chroot", str(self.path), *inside]
        if netns is not None:
            argv = ["ip", "netns", "exec", netns, *argv]
        return argv

    def run(
        self,
        *command: str,
        user: str | None = None,
        netns: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout_s: float = 300,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` inside the rootfs; fail the test with its output if it fails."""
        done = subprocess.run(
            self.argv(*command, user=user, netns=netns),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            env=_clean_env(env),
        )
        if check and done.returncode != 0:
            pytest.fail(
                f"{' '.join(command)} in {self.path} exited {done.returncode}:\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done

    def start(
        self,
        *command: str,
        log: Path,
        user: str | None = None,
        netns: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start ``command`` inside the rootfs in the background, output to ``log``."""
        with log.open("ab") as output:
            return subprocess.Popen(
                self.argv(*command, user=user, netns=netns),
                stdout=output,
                stderr=subprocess.STDOUT,
                env=_clean_env(env),
                start_new_session=True,
            )

    def file(self, inside: str) -> Path:
        """The host path of the rootfs's ``inside`` (an absolute path inside it)."""
        return self.path / inside.lstrip("/")


def _clean_env(extra: Mapping[str, str] | None) -> dict[str, str]:
    """A minimal environment: the host's venv and settings must not leak into the rootfs."""
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        "HOME": "/root",
    }
    env.update(extra or {})
    return env


@contextmanager
def writable_rootfs(base: Path, workdir: Path, layers: Sequence[Path] = ()) -> Iterator[Rootfs]:
    """An overlay of ``base`` under ``workdir`` (a copy without overlayfs), mounted, then gone.

    ``layers`` (upper folders of earlier overlays, newest first) lie between the base and
    this rootfs's own changes: a box installed once serves many tests. Once unmounted,
    ``workdir / "upper"`` is such a layer. Layers need overlayfs.
    """
    merged = workdir / "root"
    upper, work = workdir / "upper", workdir / "work"
    for folder in (merged, upper, work):
        folder.mkdir(parents=True)
    mounts: list[Path] = []
    try:
        lower = ":".join(str(folder) for folder in (*layers, base))
        overlay = subprocess.run(
            ["mount", "-t", "overlay", "overlay", "-o",
             f"lowerdir={lower},upperdir={upper},workdir={work}", str(merged)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if overlay.returncode == 0:
            mounts.append(merged)
        elif layers:
            raise RuntimeError(f"overlayfs is needed for layered rootfs: {overlay.stderr.strip()}")
        else:
            subprocess.run(["cp", "-a", f"{base}/.", str(merged)], check=True)
        # What a booted system has mounted (PostgreSQL needs a /dev/shm).
        for target, kind in (
            ("proc", "proc"),
            ("run", "tmpfs"),
            ("tmp", "tmpfs"),
            ("dev/shm", "tmpfs"),
        ):
            subprocess.run(["mount", "-t", kind, kind, str(merged / target)], check=True)
            mounts.append(merged / target)
        (merged / "run" / "lock").mkdir()
        policy = merged / "usr" / "sbin" / "policy-rc.d"
        policy.write_text(POLICY_RC_D)
        policy.chmod(0o755)
        yield Rootfs(merged)
    finally:
        for mount in reversed(mounts):
            _unmount(mount)


def _unmount(mount: Path) -> None:
    """Unmount ``mount``, waiting briefly for processes a test stopped to let go of it."""
    for _ in range(20):
        if subprocess.run(["umount", str(mount)], capture_output=True, check=False).returncode == 0:
            return
        time.sleep(0.25)
    with suppress(subprocess.SubprocessError):
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


def main(argv: list[str]) -> int:
    """``build``: build or find the cached base and print its path."""
    if argv != ["build"]:
        print(__doc__)
        return 2
    started = time.monotonic()
    path = build_base()
    print(f"{path} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
