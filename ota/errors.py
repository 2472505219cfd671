"""Errors raised by the update tooling (build, verify, install a release bundle).

They derive from :class:`edge.errors.ChronoEdgeError`; ``chrono-ota`` reports them
as ``error: ...`` and exit code 1, without a traceback.
"""

from __future__ import annotations

from edge.errors import ChronoEdgeError


class OtaError(ChronoEdgeError):
    """The update tooling failed; nothing was installed."""


class UnknownTarget(OtaError):
    """Unknown target: use linux-aarch64-cp311 (a box) or linux-x86_64-cp311 (central, tests)."""


class BuildFailed(OtaError):
    """The bundle could not be built; the message says which step failed."""


class NoWheelForTarget(BuildFailed):
    """A dependency has no wheel for the target and cannot be built as pure Python."""

    def __init__(self, package: str, target: str, reason: str) -> None:
        self.package = package
        super().__init__(
            f"{package}: no wheel for {target} ({reason}); pin a version that publishes one "
            f"in locks/{target}.txt"
        )


class BundleRefused(OtaError):
    """The bundle is damaged or not for this target: do not install it, fetch it again."""

    def __init__(self, file: str, reason: str) -> None:
        self.file = file
        super().__init__(f"{file}: {reason}; the bundle is refused, do not install it")


class InstallFailed(OtaError):
    """The release could not be installed; the box runs the release it ran before."""


class InstallerBusy(OtaError):
    """Another installer runs already (chronoedge-update.service): wait for it to finish."""


class UpdateRefused(OtaError):
    """The update was refused (its metadata, its version or its target); nothing installed."""


class CentralUnreachable(OtaError):
    """Central did not answer the update request; the box asks again later."""


class RepositoryError(OtaError):
    """The update repository cannot do this; the message says what to do instead."""


class UnknownChannel(RepositoryError):
    """Unknown channel: use stable or beta."""

    def __init__(self, channel: str, channels: tuple[str, ...]) -> None:
        super().__init__(f"unknown channel {channel!r}: use {' or '.join(channels)}")


class KeyProblem(RepositoryError):
    """A signing key is missing, unreadable or already there; the message names the file."""


class PublishRefused(RepositoryError):
    """The bundle was not published; the message says why."""


class RolloutRefused(OtaError):
    """The rollout was not changed; the message says why and what to do."""
