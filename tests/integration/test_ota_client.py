"""The box's TUF client and download against a live central: resume, cap, and every refusal.

Central serves a real repository (python-tuf metadata, real bundles of this checkout);
the attacks are made on its disk, as a compromised mirror or a stale server would
serve them: an expired timestamp, a frozen one, an older one (rollback), a bundle
whose bytes differ from the signed hashes, a target signed for another platform.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tuf.api.metadata import Metadata, TargetFile, Timestamp
from tuf.api.serialization.json import JSONSerializer

from ota.client import CentralLink, check_target, download_target, refreshed_target
from ota.errors import UpdateRefused
from ota.keys import load_signer, online_key_path
from ota.offer import Offer
from ota.repository import publish, trusted_root
from tests.otabox import TARGET, OtaCentral, ota_central
from tests.otabundles import release_bundle

pytestmark = pytest.mark.integration

CAP_BPS = 4_000_000


@pytest.fixture(scope="module")
def central(
    ota_bundles: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OtaCentral]:
    folder = tmp_path_factory.mktemp("ota-central")
    with ota_central(folder, [ota_bundles["0.1.1"]]) as found:
        yield found


@pytest.fixture
def box(central: OtaCentral, tmp_path: Path) -> dict[str, Path]:
    """A box's TUF folders: the root it was shipped with, its metadata, its downloads."""
    root = tmp_path / "etc" / "root.json"
    root.parent.mkdir(parents=True)
    root.write_bytes(trusted_root(central.repo, "stable"))
    return {"root": root, "tuf": tmp_path / "tuf", "downloads": tmp_path / "downloads"}


def link(central: OtaCentral) -> CentralLink:
    return CentralLink(central.base, "no token needed for metadata", "stable")


def refresh(central: OtaCentral, box: dict[str, Path], name: str) -> TargetFile:
    return refreshed_target(link(central), box["tuf"], box["root"], name)


def resign_timestamp(central: OtaCentral, expires: datetime) -> bytes:
    """Sign the next timestamp version with the online key, expiring at ``expires``."""
    path = central.repo / "stable" / "metadata" / "timestamp.json"
    metadata = Metadata[Timestamp].from_bytes(path.read_bytes())
    metadata.signed.version += 1
    metadata.signed.expires = expires.replace(microsecond=0)
    metadata.sign(load_signer(online_key_path(central.repo)))
    data = metadata.to_bytes(JSONSerializer(compact=True))
    path.write_bytes(data)
    return data


def test_a_cut_download_resumes_under_the_bandwidth_cap(
    central: OtaCentral, box: dict[str, Path], ota_bundles: dict[str, Path]
) -> None:
    bundle = ota_bundles["0.1.1"]
    # A worker killed mid-download (CHRONO_OTA_FAILPOINT=download: SIGKILL at half).
    script = (
        "import sys\nfrom pathlib import Path\n"
        "from ota.client import CentralLink, download_target, refreshed_target\n"
        f"link = CentralLink({central.base!r}, 'x', 'stable')\n"
        f"info = refreshed_target(link, Path({str(box['tuf'])!r}), Path({str(box['root'])!r}),"
        f" {bundle.name!r})\n"
        f"download_target(link, info, Path({str(box['downloads'])!r}), {TARGET!r})\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script],
        env={"CHRONO_OTA_FAILPOINT": "download", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr
    part = box["downloads"] / f"{bundle.name}.part"
    total = bundle.stat().st_size
    cut = part.stat().st_size
    assert total // 2 <= cut < total
    assert not (box["downloads"] / bundle.name).exists()

    info = refresh(central, box, bundle.name)
    started = time.monotonic()
    done = download_target(link(central), info, box["downloads"], TARGET, rate_bps=CAP_BPS)
    elapsed = time.monotonic() - started
    assert done == box["downloads"] / bundle.name
    assert done.read_bytes() == bundle.read_bytes()
    assert not part.exists()
    rest = total - cut
    assert elapsed >= 0.9 * rest / CAP_BPS, elapsed  # the cap held
    print(
        f"bundle {total / 1e6:.1f} MB; resumed at {cut / 1e6:.1f} MB, the remaining "
        f"{rest / 1e6:.1f} MB in {elapsed:.1f} s under a {CAP_BPS / 1e6:.0f} MB/s cap "
        f"({rest / elapsed / 1e6:.2f} MB/s)"
    )


def test_expired_frozen_and_rolled_back_metadata_is_refused(
    central: OtaCentral, box: dict[str, Path], ota_bundles: dict[str, Path], tmp_path: Path
) -> None:
    name = ota_bundles["0.1.1"].name
    assert refresh(central, box, name)  # the box trusts the repository as it is
    metadata = central.repo / "stable" / "metadata" / "timestamp.json"
    old = metadata.read_bytes()

    # Rollback: the box saw a newer timestamp; a server handing the older one is refused.
    publish(
        central.repo, release_bundle(tmp_path / "other", "0.1.3", "linux-aarch64-cp311"), "stable"
    )
    assert refresh(central, box, name)
    newer = metadata.read_bytes()
    metadata.write_bytes(old)
    with pytest.raises(UpdateRefused, match="BadVersionNumberError"):
        refresh(central, box, name)
    metadata.write_bytes(newer)

    # Expired: a timestamp signed in the past is refused, whatever its version.
    resign_timestamp(central, datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(UpdateRefused, match="ExpiredMetadataError"):
        refresh(central, box, name)

    # Freeze: the box accepts a timestamp while it is valid; the server keeps handing the
    # same one (frozen, never re-signed): once it expires, it is refused.
    resign_timestamp(central, datetime.now(UTC) + timedelta(seconds=3))
    assert refresh(central, box, name)
    time.sleep(4)
    with pytest.raises(UpdateRefused, match="ExpiredMetadataError"):
        refresh(central, box, name)

    resign_timestamp(central, datetime.now(UTC) + timedelta(days=1))  # for the next tests
    assert refresh(central, box, name)


def test_bytes_that_differ_from_the_signed_hashes_are_thrown_away(
    central: OtaCentral, box: dict[str, Path], ota_bundles: dict[str, Path]
) -> None:
    bundle = ota_bundles["0.1.1"]
    info = refresh(central, box, bundle.name)
    (served,) = (central.repo / "stable" / "targets").glob(f"*.{bundle.name}")
    original = served.read_bytes()
    altered = bytearray(original)
    altered[len(altered) // 3] ^= 0xFF
    served.write_bytes(bytes(altered))
    try:
        with pytest.raises(UpdateRefused, match="thrown away"):
            download_target(link(central), info, box["downloads"], TARGET)
    finally:
        served.write_bytes(original)
    assert list(box["downloads"].iterdir()) == []


def test_a_target_signed_for_another_platform_or_version_is_refused(
    central: OtaCentral, box: dict[str, Path], tmp_path: Path
) -> None:
    pi = release_bundle(tmp_path / "pi", "0.1.4", "linux-aarch64-cp311")
    publish(central.repo, pi, "stable")
    info = refresh(central, box, pi.name)
    offer = Offer("0.1.4", pi.name, "stable")
    with pytest.raises(UpdateRefused, match=f"not {re.escape(TARGET)}"):
        check_target(info, offer, TARGET)
    with pytest.raises(UpdateRefused, match=r"central offers 0\.1\.5"):
        check_target(info, Offer("0.1.5", pi.name, "stable"), "linux-aarch64-cp311")
    with pytest.raises(UpdateRefused, match="not among the channel's signed targets"):
        refresh(central, box, "chronoedge-9.9.9-linux-x86_64-cp311.tar")
