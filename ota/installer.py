"""The installer (``chrono-ota apply``, root): one request, step by step, resumable.

The worker leaves a request (``request.json``) and starts ``chronoedge-update.service``;
the installer takes the request into ``state.json`` and runs its steps (``ota.state.Step``):
verify the bundle again, install it as ``releases/<version>``, check the gates again and
run the new release's expand-only migrations, switch ``previous`` and ``current``,
restart the units, and wait for the health gate. A failed gate switches back, restarts
and waits for the old release's health; the database is never rolled back.

``state.json`` names the step before it starts and every step can be redone, so a
killed installer (systemd restarts it) or a box that lost power (the unit runs at
boot) carries on where it stopped. The one exception is the time between the switch
and a passed gate: an install interrupted there is not trusted and goes back to the
previous release (a box that reboots before the gate passes returns to ``previous``).
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from edge.domain.clock import now_us
from edge.store.files import move_into_place
from ota import gates
from ota.errors import BundleRefused, InstallerBusy, OtaError, UpdateRefused
from ota.failpoint import failpoint
from ota.health import reader_snapshot, wait_healthy
from ota.layout import RELEASES, Layout
from ota.operator import read_word
from ota.release import install_release, remove_tree
from ota.running import box_status, restart_units, upgrade_database
from ota.state import Attempt, Request, Step, now_iso, read_attempt, read_request, write_attempt
from ota.targets import host_target
from ota.verify import verify_bundle
from ota.versions import is_newer

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted between the switch and the health gate (installer killed or box "
INTERRUPTED += "rebooted): not trusted, back to the previous release"


class Installer:
    """Runs the request of one box's layout to a final step."""

    def __init__(self, layout: Layout, target: str | None = None) -> None:
        self.layout = layout
        self.target = target or host_target()

    def apply(self) -> Attempt | None:
        """Resume the attempt in progress, or start the pending request; run it to the end.

        None: nothing was ever asked. InstallerBusy: another installer runs.
        """
        with self._exclusive():
            attempt = self._resume_or_start()
            while attempt is not None and not attempt.step.final:
                attempt = self._run(attempt)
            return attempt

    def _resume_or_start(self) -> Attempt | None:
        attempt = read_attempt(self.layout.state_file)
        if attempt is not None and not attempt.step.final:
            if attempt.step.switched:
                return self._save(attempt.to(Step.ROLLBACK, INTERRUPTED, error=INTERRUPTED))
            log.info("resuming the install of %s at %s", attempt.request.version, attempt.step)
            return attempt
        request = read_request(self.layout.request_file)
        if request is None:
            return attempt
        if attempt is not None and attempt.request.id == request.id:
            self.layout.request_file.unlink(missing_ok=True)  # taken before a crash
            return attempt
        return self._start(request)

    def _start(self, request: Request) -> Attempt:
        layout = self.layout
        attempt = Attempt(
            request=request,
            step=Step.VERIFY,
            from_version=layout.linked_version(layout.current),
            from_previous=layout.linked_version(layout.previous),
            started_at=now_iso(),
        ).to(Step.VERIFY, f"from {layout.linked_version(layout.current)}")
        self._save(attempt)
        layout.request_file.unlink(missing_ok=True)
        log.info("installing %s (request %s)", request.version, request.id)
        return attempt

    def _run(self, attempt: Attempt) -> Attempt:
        """Do ``attempt``'s step; save and return the attempt at its next step."""
        log.info("%s: %s", attempt.request.version, attempt.step)
        try:
            if attempt.step is Step.VERIFY:
                return self._save(self._verify(attempt))
            if attempt.step is Step.UNPACK:
                install_release(self.layout, Path(attempt.request.bundle), attempt.request.version)
                return self._save(attempt.to(Step.MIGRATE))
            if attempt.step is Step.MIGRATE:
                return self._save(self._migrate(attempt))
        except (BundleRefused, UpdateRefused) as error:
            return self._save(attempt.to(Step.REFUSED, error=str(error)))
        except OtaError as error:
            return self._save(attempt.to(Step.FAILED, error=str(error)))
        if attempt.step is Step.SWITCH:
            return self._save(self._switch(attempt))
        if attempt.step is Step.RESTART:
            return self._save(self._restart(attempt))
        if attempt.step is Step.GATE:
            return self._save(self._gate(attempt))
        if attempt.step is Step.ROLLBACK:
            return self._save(self._roll_back(attempt))
        raise AssertionError(f"no step {attempt.step}")

    def _verify(self, attempt: Attempt) -> Attempt:
        request = attempt.request
        bundle = Path(request.bundle)
        if not bundle.resolve().is_relative_to(self.layout.downloads.resolve()):
            raise UpdateRefused(f"{bundle}: not in {self.layout.downloads}")
        manifest = verify_bundle(bundle, self.target)
        if manifest.version != request.version:
            raise UpdateRefused(f"{bundle.name} holds {manifest.version}, not {request.version}")
        if attempt.from_version is None:
            raise UpdateRefused("no release runs here: install the box (Ansible or the image)")
        if not is_newer(request.version, attempt.from_version):
            raise UpdateRefused(
                f"{request.version} is not newer than {attempt.from_version}, which runs here:"
                " a box never goes back to an older release by itself"
            )
        return attempt.to(Step.UNPACK, f"{len(manifest.files)} files verified")

    def _migrate(self, attempt: Attempt) -> Attempt:
        """The gates again (the box's state now), then the new release's migrations."""
        request = attempt.request
        status = box_status(self.layout)
        word = read_word(self.layout.operator_file)
        now = datetime.now(UTC)
        held = gates.refusals(
            status,
            now=now,
            window=gates.parse_window(self.layout.settings.install_window),
            deferred_until=word.deferred(now),
            forced=bool(request.force_reason),
        )
        if held:
            return attempt.to(Step.DEFERRED, error=gates.explain(held))
        release = self.layout.release(request.version)
        upgraded = upgrade_database(self.layout, release)
        failpoint("migrate")
        return attempt.to(Step.SWITCH, upgraded, before=reader_snapshot(status))

    def _switch(self, attempt: Attempt) -> Attempt:
        """``previous`` -> the release the attempt started from, ``current`` -> the new one."""
        if attempt.from_version is not None:
            self._link("previous", attempt.from_version)
        self._link("current", attempt.request.version)
        failpoint("switch")
        return attempt.to(Step.RESTART)

    def _restart(self, attempt: Attempt) -> Attempt:
        since = now_us()
        try:
            restart_units(self.layout)
        except OtaError as error:
            return attempt.to(Step.ROLLBACK, error=str(error))
        failpoint("restart")
        return attempt.to(Step.GATE, restarted_us=since)

    def _gate(self, attempt: Attempt) -> Attempt:
        why = wait_healthy(
            self.layout,
            attempt.request.version,
            attempt.before,
            attempt.restarted_us or 0,
            self.layout.settings.health_deadline_s,
        )
        if why is not None:
            log.warning("%s failed its health gate: %s", attempt.request.version, why)
            return attempt.to(Step.ROLLBACK, error=f"health gate: {why}")
        self._clean_up(attempt)
        return attempt.to(Step.HEALTHY)

    def _roll_back(self, attempt: Attempt) -> Attempt:
        """Back to the release the attempt started from; the database stays as it is."""
        old = attempt.from_version
        assert old is not None  # _verify refuses an attempt without one
        self._link("current", old)
        if attempt.from_previous is not None:
            self._link("previous", attempt.from_previous)
        else:
            self.layout.previous.unlink(missing_ok=True)
        failpoint("rollback")
        since = now_us()
        try:
            restart_units(self.layout)
        except OtaError as error:
            why: str | None = str(error)
        else:
            deadline = self.layout.settings.health_deadline_s
            why = wait_healthy(self.layout, old, attempt.before, since, deadline)
        if why is not None:
            failed = f"{attempt.error}; the return to {old} failed too ({why})"
            return attempt.to(Step.FAILED, error=f"{failed}: the box needs a hand")
        return attempt.to(Step.ROLLED_BACK, f"back on {old}")

    def _link(self, name: str, version: str) -> None:
        """Point ``opt/<name>`` at ``releases/<version>``: a new symlink renamed over it."""
        link = self.layout.opt_dir / name
        fresh = link.with_name(f".{name}.new")
        fresh.unlink(missing_ok=True)
        fresh.symlink_to(f"{RELEASES}/{version}")
        move_into_place(fresh, link)

    def _clean_up(self, attempt: Attempt) -> None:
        """After a passed gate: the bundle, the unpacked files, releases neither link names."""
        layout = self.layout
        with suppress(OSError):
            Path(attempt.request.bundle).unlink(missing_ok=True)
            remove_tree(layout.unpack_dir)
        kept = {layout.linked_version(layout.current), layout.linked_version(layout.previous)}
        for release in sorted(layout.releases.iterdir()):
            if release.name not in kept:
                with suppress(OSError):
                    remove_tree(release)

    def _save(self, attempt: Attempt) -> Attempt:
        return write_attempt(self.layout.state_file, attempt)

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        self.layout.ota_dir.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.layout.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise InstallerBusy() from None
            yield
        finally:
            os.close(handle)


def installer_running(layout: Layout) -> bool:
    """Whether an installer holds the lock now (the worker asks before starting one)."""
    try:
        handle = os.open(layout.lock_file, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(handle)
    return False
