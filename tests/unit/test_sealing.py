"""The fleet backup key's envelope: age files sealed for a recipient, opened with the identity."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from edge.sealing import (
    AGE_MAGIC,
    SealError,
    check_header,
    file_sha256,
    load_identity,
    new_identity,
    open_file,
    parse_recipient,
    seal_file,
)


def test_a_sealed_file_opens_with_its_identity_only(tmp_path: Path) -> None:
    key = tmp_path / "key.txt"
    recipient = new_identity(key)
    assert recipient.startswith("age1")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    plain = tmp_path / "plain"
    plain.write_bytes(b"bib;name\n1;Dupont\n" * 1000)
    sealed = seal_file(plain, tmp_path / "plain.age", recipient)
    data = sealed.path.read_bytes()
    assert data.startswith(AGE_MAGIC)
    assert b"Dupont" not in data
    assert sealed.size == len(data)
    assert sealed.sha256 == file_sha256(sealed.path)
    assert check_header(data[:4096]) >= 1  # the recipient's, and rage may add a "grease" one
    open_file(sealed.path, tmp_path / "opened", load_identity(key))
    assert (tmp_path / "opened").read_bytes() == plain.read_bytes()
    other = tmp_path / "other.txt"
    new_identity(other)
    with pytest.raises(SealError, match="sealed for another fleet key"):
        open_file(sealed.path, tmp_path / "nope", load_identity(other))
    assert not (tmp_path / "nope").exists()


def test_a_key_file_is_never_overwritten(tmp_path: Path) -> None:
    key = tmp_path / "key.txt"
    new_identity(key)
    before = key.read_bytes()
    with pytest.raises(SealError, match="never overwritten"):
        new_identity(key)
    assert key.read_bytes() == before


@pytest.mark.parametrize(
    ("head", "why"),
    [
        (b"SQLite format 3\x00", "not an age file"),
        (b"\x1f\x8b\x08\x00", "not an age file"),
        (AGE_MAGIC + b"--- abc\n", "names no recipient"),
        (AGE_MAGIC + b"-> X25519 abc\nxyz\n", "cut short"),
    ],
)
def test_a_header_that_is_not_a_whole_age_header_is_refused(head: bytes, why: str) -> None:
    with pytest.raises(SealError, match=why):
        check_header(head)


def test_bad_keys_are_explained(tmp_path: Path) -> None:
    with pytest.raises(SealError, match="not an age recipient"):
        parse_recipient("ssh-ed25519 AAAA")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing here\n")
    with pytest.raises(SealError, match="holds no age identity"):
        load_identity(empty)
    with pytest.raises(SealError, match="cannot read the backup key file"):
        load_identity(tmp_path / "missing.txt")
