"""The reader service starts without OpenSSL (edge.cli.lean); other commands keep it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edge.cli.lean import subcommand

ROOT = Path(__file__).resolve().parents[2]

LOADED = """
import json, sys
import edge.cli
import asyncio, hashlib, hmac, secrets
print(json.dumps({
    "ssl": sys.modules.get("ssl") is not None,
    "_hashlib": sys.modules.get("_hashlib") is not None,
    "sha256": hashlib.sha256(b"chrono").hexdigest(),
    "hmac": hmac.new(b"k", b"m", "sha256").hexdigest(),
}))
"""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["reader"], "reader"),
        (["--db", "x.db", "reader", "--verbose"], "reader"),
        (["--data-dir", "/var/lib/chronoedge", "--db=y.db", "reader"], "reader"),
        (["--db", "reader", "worker"], "worker"),  # a database file named "reader"
        (["--version"], None),
        ([], None),
        (["serve", "reader"], "serve"),
    ],
)
def test_the_subcommand_is_the_first_word_after_the_global_options(
    args: list[str], expected: str | None
) -> None:
    assert subcommand(args) == expected


def _modules(*args: str) -> dict[str, object]:
    script = [sys.executable, "-c", LOADED, *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(script, env=env, capture_output=True, text=True, check=True)
    loaded: dict[str, object] = json.loads(done.stdout)
    return loaded


def test_the_reader_loads_no_openssl_and_its_hashes_still_work() -> None:
    other = _modules("--db", "edge.db", "worker")
    reader = _modules("--db", "edge.db", "reader")
    # The check can see them: other commands load them.
    assert other["ssl"]
    assert other["_hashlib"]
    assert not reader["ssl"]
    assert not reader["_hashlib"]
    # Python's built-in hashes answer as OpenSSL's do.
    assert reader["sha256"] == other["sha256"]
    assert reader["hmac"] == other["hmac"]
