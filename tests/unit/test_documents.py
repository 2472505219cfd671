"""JSON files carry a schema version, are migrated on read, and a corrupt one is set aside."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from edge.auth.passwords import ADMIN_FILE, load_credential
from edge.store.documents import DocumentKind, NewerDocument, read_document, write_document


def _rename_total(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k != "total"} | {"count": raw["total"]}


COUNTER = DocumentKind("counter", version=2, migrations={1: _rename_total})


def test_a_document_is_written_with_its_version(tmp_path: Path) -> None:
    write_document(tmp_path / "c.json", COUNTER, {"count": 3})
    assert json.loads((tmp_path / "c.json").read_text()) == {"schema": 2, "count": 3}
    assert read_document(tmp_path / "c.json", COUNTER) == {"schema": 2, "count": 3}


def test_an_older_document_is_migrated_and_one_without_version_is_version_1(
    tmp_path: Path,
) -> None:
    (tmp_path / "c.json").write_text('{"total": 5}')
    assert read_document(tmp_path / "c.json", COUNTER) == {"schema": 2, "count": 5}


def test_a_newer_document_is_refused_and_kept(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text('{"schema": 9, "count": 5}')
    with pytest.raises(NewerDocument):
        read_document(tmp_path / "c.json", COUNTER)
    assert (tmp_path / "c.json").exists()


def test_a_corrupt_document_is_moved_aside_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "c.json").write_text('{"count": 5')  # torn
    with caplog.at_level(logging.WARNING):
        assert read_document(tmp_path / "c.json", COUNTER) is None
    [moved] = list(tmp_path.iterdir())
    assert moved.name.startswith("c.json.corrupt-")
    assert moved.read_text() == '{"count": 5'
    assert "counter" in caplog.text
    assert "moved aside" in caplog.text
    assert read_document(tmp_path / "c.json", COUNTER) is None  # now simply absent


def test_a_corrupt_admin_file_leaves_the_box_unclaimed_instead_of_crashing(
    tmp_path: Path,
) -> None:
    (tmp_path / ADMIN_FILE).write_text("not json")
    assert load_credential(tmp_path) is None
    (tmp_path / ADMIN_FILE).write_text('{"stamp": "x"}')
    assert load_credential(tmp_path) is None
    assert not (tmp_path / ADMIN_FILE).exists()
    assert len(list(tmp_path.glob(f"{ADMIN_FILE}.corrupt-*"))) == 2
