"""The admin password: its rules, its hash, and the file that keeps it (first claim wins)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from edge.auth.errors import AlreadyClaimed
from edge.auth.passwords import (
    ADMIN_FILE,
    check_password_rules,
    create_credential,
    hash_password,
    load_credential,
    password_problems,
    verify_password,
)
from edge.errors import InvalidInput


def test_password_rules():
    assert password_problems("correct horse") == []
    assert [p.where for p in password_problems("short")] == ["password"]
    assert [p.where for p in password_problems("        ")] == ["password"]
    assert [p.where for p in password_problems("long enough", "long enougH")] == ["password_again"]
    with pytest.raises(InvalidInput) as refused:
        check_password_rules("1234567")
    assert "at least 8 characters" in str(refused.value)


def test_the_credential_file_is_private_and_written_once(tmp_path: Path):
    assert load_credential(tmp_path) is None
    credential = create_credential(tmp_path, hash_password("correct horse"))
    assert stat.S_IMODE((tmp_path / ADMIN_FILE).stat().st_mode) == 0o600
    assert "correct horse" not in (tmp_path / ADMIN_FILE).read_text()
    stored = load_credential(tmp_path)
    assert stored == credential
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "correct horsE")
    with pytest.raises(AlreadyClaimed):
        create_credential(tmp_path, hash_password("another one"))
    assert load_credential(tmp_path) == credential
    assert sorted(p.name for p in tmp_path.iterdir()) == [ADMIN_FILE]
