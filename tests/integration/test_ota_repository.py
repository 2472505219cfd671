"""The TUF repository as python-tuf's own client sees it over HTTP: updates, attacks refused."""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tuf.api.exceptions import (
    BadVersionNumberError,
    ExpiredMetadataError,
    LengthOrHashMismatchError,
)
from tuf.api.metadata import Metadata
from tuf.ngclient import Updater

from ota.errors import KeyProblem, PublishRefused
from ota.repository import (
    CHANNELS,
    init_repository,
    publish,
    refresh_timestamp,
    rotate_online_key,
    trusted_root,
)
from tests.otabundles import release_bundle

pytestmark = pytest.mark.integration

CHANNEL = "stable"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An initialised repository folder."""
    root = tmp_path / "repo"
    init_repository(root)
    return root


@pytest.fixture
def served(repo: Path) -> Iterator[str]:
    """The repository folder served over HTTP on loopback; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(repo))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def client(repo: Path, base: str, box: Path, channel: str = CHANNEL) -> Updater:
    """python-tuf's Updater as a box runs it: metadata kept in ``box``, root shipped to it."""
    metadata = box / "metadata"
    metadata.mkdir(parents=True, exist_ok=True)
    bootstrap = None if (metadata / "root.json").exists() else trusted_root(repo, channel)
    return Updater(
        str(metadata),
        f"{base}/{channel}/metadata/",
        str(box / "downloads"),
        f"{base}/{channel}/targets/",
        bootstrap=bootstrap,
    )


def metadata_file(repo: Path, name: str) -> Path:
    return repo / CHANNEL / "metadata" / name


def newest(repo: Path, role: str) -> Path:
    files = metadata_file(repo, "").glob(f"*.{role}.json")
    return max(files, key=lambda path: int(path.name.split(".")[0]))


def test_a_published_bundle_is_found_and_downloaded_by_the_real_client(
    repo: Path, served: str, tmp_path: Path
) -> None:
    bundle = release_bundle(tmp_path / "build", "0.2.0")
    name = publish(repo, bundle, CHANNEL)
    assert name == "chronoedge-0.2.0-linux-aarch64-cp311.tar"
    updater = client(repo, served, tmp_path / "box")
    updater.refresh()
    info = updater.get_targetinfo(name)
    assert info is not None
    assert info.custom == {
        "version": "0.2.0",
        "target": "linux-aarch64-cp311",
        "rollback_floor": "0.1.0",
    }
    assert info.length == bundle.stat().st_size
    downloaded = Path(updater.download_target(info))
    assert downloaded.read_bytes() == bundle.read_bytes()
    # The other channel knows nothing of it.
    assert client(repo, served, tmp_path / "beta-box", "beta").get_targetinfo(name) is None


def test_every_channel_starts_with_the_same_root_and_version_one(repo: Path) -> None:
    roots = {trusted_root(repo, channel) for channel in CHANNELS}
    assert len(roots) == 1
    root = Metadata.from_bytes(roots.pop())
    assert root.signed.version == 1
    assert root.signed.consistent_snapshot is True
    for name in ("1.root.json", "1.targets.json", "1.snapshot.json", "timestamp.json"):
        assert metadata_file(repo, name).is_file()


def test_an_expired_timestamp_is_refused(repo: Path, served: str, tmp_path: Path) -> None:
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    publish(repo, release_bundle(tmp_path / "build", "0.2.0"), CHANNEL, now=two_days_ago)
    with pytest.raises(ExpiredMetadataError, match="timestamp"):
        client(repo, served, tmp_path / "box").refresh()


def test_an_old_timestamp_served_again_is_refused(repo: Path, served: str, tmp_path: Path) -> None:
    publish(repo, release_bundle(tmp_path / "build", "0.2.0"), CHANNEL)
    old_timestamp = metadata_file(repo, "timestamp.json").read_bytes()
    publish(repo, release_bundle(tmp_path / "build", "0.3.0"), CHANNEL)
    client(repo, served, tmp_path / "box").refresh()  # the box has seen 0.3.0's metadata
    metadata_file(repo, "timestamp.json").write_bytes(old_timestamp)  # a freeze/rollback
    with pytest.raises(BadVersionNumberError):
        client(repo, served, tmp_path / "box").refresh()


def test_an_old_targets_file_served_under_the_new_name_is_refused(
    repo: Path, served: str, tmp_path: Path
) -> None:
    publish(repo, release_bundle(tmp_path / "build", "0.2.0"), CHANNEL)
    old_targets = newest(repo, "targets").read_bytes()
    publish(repo, release_bundle(tmp_path / "build", "0.3.0"), CHANNEL)
    newest(repo, "targets").write_bytes(old_targets)
    with pytest.raises(BadVersionNumberError, match="targets"):
        client(repo, served, tmp_path / "box").refresh()


def test_an_old_snapshot_served_under_the_new_name_is_refused(
    repo: Path, served: str, tmp_path: Path
) -> None:
    publish(repo, release_bundle(tmp_path / "build", "0.2.0"), CHANNEL)
    old_snapshot = newest(repo, "snapshot").read_bytes()
    publish(repo, release_bundle(tmp_path / "build", "0.3.0"), CHANNEL)
    newest(repo, "snapshot").write_bytes(old_snapshot)
    with pytest.raises(BadVersionNumberError, match="snapshot"):
        client(repo, served, tmp_path / "box").refresh()


def test_a_tampered_bundle_fails_its_length_and_hashes(
    repo: Path, served: str, tmp_path: Path
) -> None:
    name = publish(repo, release_bundle(tmp_path / "build", "0.2.0"), CHANNEL)
    (stored,) = (repo / CHANNEL / "targets").glob(f"*.{name}")
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))
    updater = client(repo, served, tmp_path / "box")
    info = updater.get_targetinfo(name)
    assert info is not None
    with pytest.raises(LengthOrHashMismatchError):
        updater.download_target(info)
    with stored.open("rb") as stream, pytest.raises(LengthOrHashMismatchError):
        info.verify_length_and_hashes(stream)
    assert not list((tmp_path / "box" / "downloads").glob("*"))


def test_republishing_a_version_with_other_bytes_is_refused(repo: Path, tmp_path: Path) -> None:
    first = release_bundle(tmp_path / "a", "0.2.0")
    publish(repo, first, CHANNEL)
    timestamp = metadata_file(repo, "timestamp.json").read_bytes()
    assert publish(repo, first, CHANNEL) == first.name  # the same bytes: nothing changes
    assert metadata_file(repo, "timestamp.json").read_bytes() == timestamp
    other = release_bundle(tmp_path / "b", "0.2.0", payload=b"# rebuilt\n")
    with pytest.raises(PublishRefused, match="already published in stable with other bytes"):
        publish(repo, other, CHANNEL)
    assert metadata_file(repo, "timestamp.json").read_bytes() == timestamp
    assert len(list((repo / CHANNEL / "targets").glob("*.tar"))) == 1


def test_the_timestamp_is_renewed_within_twelve_hours_of_expiry(
    repo: Path, served: str, tmp_path: Path
) -> None:
    start = datetime.now(UTC)
    assert refresh_timestamp(repo, CHANNEL, now=start) is False
    assert refresh_timestamp(repo, CHANNEL, now=start + timedelta(hours=13)) is True
    timestamp = Metadata.from_bytes(metadata_file(repo, "timestamp.json").read_bytes())
    assert timestamp.signed.version == 2
    assert timestamp.signed.expires > start + timedelta(days=1, hours=12)
    assert timestamp.signed.snapshot_meta.version == 1  # the snapshot is days from expiry
    # Six days on, the snapshot is within two days of its own expiry: it is renewed too.
    assert refresh_timestamp(repo, CHANNEL, now=start + timedelta(days=6)) is True
    assert newest(repo, "snapshot").name == "2.snapshot.json"
    client(repo, served, tmp_path / "box").refresh()


def test_a_rotated_online_key_is_trusted_through_a_new_root(
    repo: Path, served: str, tmp_path: Path
) -> None:
    name = publish(repo, release_bundle(tmp_path / "build", "0.2.0"), CHANNEL)
    client(repo, served, tmp_path / "box").refresh()  # a box that trusts root 1
    old_key = (repo / "keys" / "online.key").read_bytes()
    root_key = tmp_path / "offline" / "root.key"  # the root key, brought back from offline
    root_key.parent.mkdir()
    shutil.move(repo / "keys" / "root.key", root_key)
    with pytest.raises(KeyProblem, match=r"root\.key: no such key file"):
        rotate_online_key(repo)
    keyid = rotate_online_key(repo, root_key)
    assert (repo / "keys" / "online.key").read_bytes() != old_key
    root = Metadata.from_bytes(trusted_root(repo, CHANNEL))
    assert root.signed.version == 2
    assert root.signed.roles["timestamp"].keyids == [keyid]
    updater = client(repo, served, tmp_path / "box")
    assert updater.get_targetinfo(name) is not None
    assert (
        Metadata.from_bytes(
            (tmp_path / "box" / "metadata" / "root.json").read_bytes()
        ).signed.version
        == 2
    )


def test_keys_are_never_overwritten(repo: Path) -> None:
    key = (repo / "keys" / "root.key").read_bytes()
    with pytest.raises(KeyProblem, match="already initialised"):
        init_repository(repo)
    assert (repo / "keys" / "root.key").read_bytes() == key
    assert (repo / "keys" / "root.key").stat().st_mode & 0o777 == 0o600
