"""The box's WireGuard key pair: made once with ``wg genkey``, the private key kept 0600."""

from __future__ import annotations

import os
from pathlib import Path

from edge.vpn.runner import run_tool

PRIVATE_KEY = "wg-private.key"


def ensure_keypair(folder: Path) -> str:
    """Return the box's public key, generating the private key the first time."""
    private_file = folder / PRIVATE_KEY
    if not private_file.exists():
        folder.mkdir(parents=True, exist_ok=True)
        private = run_tool(["wg", "genkey"]).strip()
        temporary = private_file.with_suffix(".tmp")
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w", encoding="ascii") as file:
            file.write(private + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, private_file)
    private = private_file.read_text(encoding="ascii").strip()
    return run_tool(["wg", "pubkey"], stdin=private + "\n").strip()
