"""The TUF repository central serves, one per channel, written with python-tuf's Metadata API.

Under a repository folder ``R`` (central's ``data_dir/ota`` by default)::

    R/keys/root.key, R/keys/online.key            (ota.keys)
    R/<channel>/metadata/{N}.root.json, root.json  (root.json: a copy of the newest)
    R/<channel>/metadata/{N}.targets.json, {N}.snapshot.json, timestamp.json
    R/<channel>/targets/<sha256>.<target name>     (consistent snapshots: hash-prefixed)
    R/<channel>/rollouts.json                      (ota.rollout)

Every file is written atomically, a versioned file is never rewritten, and versions
only increase. The writers of one channel (``chrono-ota publish``, central's timestamp
refresh, a key rotation) take the channel's lock, so two of them never sign the same
version or leave a timestamp pointing at an older snapshot.
"""

from __future__ import annotations

import fcntl
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from securesystemslib.signer import Signer
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Signed,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization import DeserializationError
from tuf.api.serialization.json import JSONSerializer

from edge.store.files import create_atomic, move_into_place, sync_file, write_atomic
from ota.bundle import bundle_name
from ota.errors import KeyProblem, PublishRefused, RepositoryError, UnknownChannel
from ota.keys import create_key, load_signer, online_key_path, root_key_path
from ota.targets import get_target
from ota.verify import verify_bundle

CHANNELS = ("stable", "beta")
METADATA_FOLDER = "metadata"
TARGETS_FOLDER = "targets"
HASH_ALGORITHM = "sha256"
EXPIRY = {
    Root.type: timedelta(days=365),
    Targets.type: timedelta(days=90),
    Snapshot.type: timedelta(days=7),
    Timestamp.type: timedelta(days=1),
}
# Central re-signs an online role this long before it expires (the timestamp within
# 12 h, as the contract with the boxes says; snapshot and targets long before theirs).
RENEW_WITHIN = {
    Targets.type: timedelta(days=14),
    Snapshot.type: timedelta(days=2),
    Timestamp.type: timedelta(hours=12),
}
# The roles the online key signs, in the order each one names the next's version.
ONLINE_ROLES = (Targets.type, Snapshot.type, Timestamp.type)
_NEXT_ONLINE_KEY = "online.key.next"
_LOCK = ".lock"
_SERIALIZER = JSONSerializer(compact=True)
S = TypeVar("S", Root, Timestamp, Snapshot, Targets)


def channel_folder(repo: Path, channel: str) -> Path:
    """``R/<channel>``; refuse a channel that is not in CHANNELS."""
    if channel not in CHANNELS:
        raise UnknownChannel(channel, CHANNELS)
    return repo / channel


def init_repository(repo: Path, *, now: datetime | None = None) -> None:
    """Create both keys and every channel's first metadata; refuse an existing repository."""
    for channel in CHANNELS:
        existing = channel_folder(repo, channel) / METADATA_FOLDER / "root.json"
        if existing.exists():
            raise KeyProblem(f"{existing} exists: this repository is already initialised")
    root_signer = create_key(root_key_path(repo))
    online_signer = create_key(online_key_path(repo))
    when = _now(now)
    for channel in CHANNELS:
        folder = channel_folder(repo, channel)
        (folder / TARGETS_FOLDER).mkdir(parents=True, exist_ok=True)
        root = Metadata(Root(expires=when + EXPIRY[Root.type], consistent_snapshot=True))
        root.signed.add_key(root_signer.public_key, Root.type)
        for role in ONLINE_ROLES:
            root.signed.add_key(online_signer.public_key, role)
        state = _Channel(
            folder / METADATA_FOLDER,
            root,
            Metadata(Targets()),
            Metadata(Snapshot()),
            Metadata(Timestamp()),
        )
        for metadata in (state.targets, state.snapshot, state.timestamp):
            metadata.signed.version = 0  # sign_online counts up: the first ones are version 1
        state.write_root(root_signer, when, bump=False)
        state.sign_online(Targets.type, online_signer, when)


def publish(repo: Path, bundle: Path, channel: str, *, now: datetime | None = None) -> str:
    """Verify ``bundle`` and add it as a target of ``channel``; return its target name.

    Publishing the same bytes again changes nothing; other bytes under a published
    name (same version and target) are refused.
    """
    folder = channel_folder(repo, channel)
    signer = load_signer(online_key_path(repo))
    targets = folder / TARGETS_FOLDER
    targets.mkdir(parents=True, exist_ok=True)
    # The copy that is verified and hashed is the one served: nothing changes in between.
    with tempfile.TemporaryDirectory(prefix=".incoming-", dir=targets) as incoming:
        copy = Path(incoming) / bundle.name
        _copy_synced(bundle, copy)
        manifest = verify_bundle(copy)
        name = bundle_name(manifest.version, get_target(manifest.target))
        info = TargetFile.from_file(name, str(copy), [HASH_ALGORITHM])
        info.unrecognized_fields["custom"] = {
            "version": manifest.version,
            "target": manifest.target,
            "rollback_floor": manifest.rollback_floor,
        }
        with channel_lock(repo, channel):
            state = _Channel.load(folder / METADATA_FOLDER)
            published = state.targets.signed.targets.get(name)
            if published is not None:
                if published.hashes == info.hashes and published.length == info.length:
                    return name
                raise PublishRefused(
                    f"{name} is already published in {channel} with other bytes: "
                    "a new build needs a new version"
                )
            move_into_place(copy, targets / f"{info.hashes[HASH_ALGORITHM]}.{name}")
            state.targets.signed.targets[name] = info
            state.sign_online(Targets.type, signer, _now(now))
    return name


def refresh_timestamp(repo: Path, channel: str, *, now: datetime | None = None) -> bool:
    """Re-sign the timestamp if it expires within 12 h; say whether anything was signed.

    The snapshot and targets are re-signed too when they near their own expiry
    (RENEW_WITHIN), so a channel nobody publishes to stays valid for its boxes.
    """
    folder = channel_folder(repo, channel)
    when = _now(now)
    with channel_lock(repo, channel):
        state = _Channel.load(folder / METADATA_FOLDER)
        due = [role for role in ONLINE_ROLES if state.expires(role) - when <= RENEW_WITHIN[role]]
        if not due:
            return False
        state.sign_online(due[0], load_signer(online_key_path(repo)), when)
    return True


def rotate_online_key(
    repo: Path, root_key: Path | None = None, *, now: datetime | None = None
) -> str:
    """Trust a new online key in every channel (a new root version, root-signed); return its id.

    An interrupted rotation is finished by running it again: the new key waits in
    ``keys/online.key.next`` until every channel trusts it and is signed with it.
    """
    root_signer = load_signer(root_key or root_key_path(repo))
    pending = online_key_path(repo).with_name(_NEXT_ONLINE_KEY)
    online = load_signer(pending) if pending.exists() else create_key(pending)
    new_key = online.public_key
    when = _now(now)
    for channel in CHANNELS:
        folder = channel_folder(repo, channel)
        with channel_lock(repo, channel):
            state = _Channel.load(folder / METADATA_FOLDER)
            root = state.root.signed
            if root_signer.public_key.keyid not in root.roles[Root.type].keyids:
                raise KeyProblem(
                    f"{root_key or root_key_path(repo)} is not this repository's root key"
                )
            if new_key.keyid not in root.roles[Timestamp.type].keyids:
                for role in ONLINE_ROLES:
                    for keyid in list(root.roles[role].keyids):
                        root.revoke_key(keyid, role)
                    root.add_key(new_key, role)
                state.write_root(root_signer, when, bump=True)
            state.sign_online(Targets.type, online, when)
    move_into_place(pending, online_key_path(repo))
    return new_key.keyid


def trusted_root(repo: Path, channel: str) -> bytes:
    """The newest ``root.json`` of ``channel``: the root a box is shipped to trust."""
    path = channel_folder(repo, channel) / METADATA_FOLDER / "root.json"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise RepositoryError(f"{path}: no repository here (run chrono-ota keys init)") from None


def published_targets(repo: Path, channel: str) -> dict[str, TargetFile]:
    """The targets of ``channel``'s current targets metadata, by target name."""
    folder = channel_folder(repo, channel) / METADATA_FOLDER
    return dict(_Channel.load(folder).targets.signed.targets)


def metadata_expiry(repo: Path, channel: str) -> dict[str, datetime]:
    """When each role's current metadata of ``channel`` expires."""
    state = _Channel.load(channel_folder(repo, channel) / METADATA_FOLDER)
    return {role: state.expires(role) for role in (Root.type, *ONLINE_ROLES)}


@dataclass
class _Channel:
    """The current metadata of one channel, and how to sign and write its next versions."""

    folder: Path
    root: Metadata[Root]
    targets: Metadata[Targets]
    snapshot: Metadata[Snapshot]
    timestamp: Metadata[Timestamp]

    @classmethod
    def load(cls, folder: Path) -> _Channel:
        """Read the newest root and the timestamp, snapshot and targets it chains to."""
        timestamp = _read(folder / "timestamp.json", Timestamp)
        snapshot = _read(
            folder / f"{timestamp.signed.snapshot_meta.version}.snapshot.json", Snapshot
        )
        targets_version = snapshot.signed.meta["targets.json"].version
        targets = _read(folder / f"{targets_version}.targets.json", Targets)
        return cls(folder, _read(folder / "root.json", Root), targets, snapshot, timestamp)

    def expires(self, role: str) -> datetime:
        """The expiry of ``role``'s current metadata."""
        signed: dict[str, Signed] = {
            Root.type: self.root.signed,
            Targets.type: self.targets.signed,
            Snapshot.type: self.snapshot.signed,
            Timestamp.type: self.timestamp.signed,
        }
        return signed[role].expires

    def write_root(self, signer: Signer, now: datetime, *, bump: bool) -> None:
        """Sign root (a new version if ``bump``), write ``{N}.root.json`` then ``root.json``."""
        if bump:
            self.root.signed.version += 1
        self.root.signed.expires = now + EXPIRY[Root.type]
        self.root.sign(signer)
        data = self.root.to_bytes(_SERIALIZER)
        create_atomic(self.folder / f"{self.root.signed.version}.root.json", data)
        write_atomic(self.folder / "root.json", data)

    def sign_online(self, first: str, signer: Signer, now: datetime) -> None:
        """New versions of ``first`` and every online role after it, the timestamp last."""
        for role in ONLINE_ROLES[ONLINE_ROLES.index(first) :]:
            if role == Targets.type:
                self._next(self.targets, now)
                self.targets.sign(signer)
                name = f"{self.targets.signed.version}.targets.json"
                create_atomic(self.folder / name, self.targets.to_bytes(_SERIALIZER))
            elif role == Snapshot.type:
                self._next(self.snapshot, now)
                self.snapshot.signed.meta["targets.json"] = MetaFile(self.targets.signed.version)
                self.snapshot.sign(signer)
                name = f"{self.snapshot.signed.version}.snapshot.json"
                create_atomic(self.folder / name, self.snapshot.to_bytes(_SERIALIZER))
            else:
                self._next(self.timestamp, now)
                self.timestamp.signed.snapshot_meta = MetaFile(self.snapshot.signed.version)
                self.timestamp.sign(signer)
                write_atomic(self.folder / "timestamp.json", self.timestamp.to_bytes(_SERIALIZER))

    @staticmethod
    def _next(metadata: Metadata[Any], now: datetime) -> None:
        metadata.signed.version += 1
        metadata.signed.expires = now + EXPIRY[metadata.signed.type]


def _read(path: Path, kind: type[S]) -> Metadata[S]:
    try:
        metadata = Metadata[S].from_bytes(path.read_bytes())
    except FileNotFoundError:
        raise RepositoryError(f"{path}: missing (run chrono-ota keys init first)") from None
    except DeserializationError as error:
        raise RepositoryError(f"{path}: not TUF metadata ({error})") from None
    if not isinstance(metadata.signed, kind):
        raise RepositoryError(f"{path}: {metadata.signed.type} metadata, expected {kind.type}")
    return metadata


def _copy_synced(source: Path, destination: Path) -> None:
    try:
        shutil.copyfile(source, destination)
    except OSError as error:
        raise PublishRefused(f"{source}: cannot be read ({error.strerror})") from None
    sync_file(destination)


@contextmanager
def channel_lock(repo: Path, channel: str) -> Iterator[None]:
    """Hold ``channel``'s writer lock (an flock, so across processes too)."""
    folder = channel_folder(repo, channel)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / _LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)
