"""The box's WireGuard key pair: made once, the private key kept 0600.

Keys are Curve25519 (X25519) pairs, base64 as ``wg genkey`` / ``wg pubkey`` print
them. They are made with the ``cryptography`` library rather than the ``wg`` tool, so
a box (or a development machine) without wireguard-tools can still enroll with
central: only bringing the tunnel up needs the tools.
"""

from __future__ import annotations

import base64
from pathlib import Path

from edge.store.files import PRIVATE_MODE, write_atomic
from edge.vpn.errors import VpnError

PRIVATE_KEY = "wg-private.key"
KEY_BYTES = 32


# cryptography is imported by the functions that make or read keys (~7 MB resident):
# the web and worker processes that only show or check the tunnel never load it.


def new_private_key() -> str:
    """A new private key, clamped as ``wg genkey`` makes it (RFC 7748)."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    raw = bytearray(
        X25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    )
    raw[0] &= 248
    raw[31] = (raw[31] & 127) | 64
    return base64.b64encode(bytes(raw)).decode("ascii")


def public_key(private: str) -> str:
    """The public key of a base64 private key, as ``wg pubkey`` prints it."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    try:
        raw = base64.b64decode(private.strip(), validate=True)
    except ValueError as error:
        raise VpnError("the WireGuard private key is not base64: enroll again") from error
    if len(raw) != KEY_BYTES:
        raise VpnError("the WireGuard private key is not 32 bytes: enroll again")
    pair = X25519PrivateKey.from_private_bytes(raw)
    return base64.b64encode(pair.public_key().public_bytes_raw()).decode("ascii")


def ensure_keypair(folder: Path) -> str:
    """Return the box's public key, generating the private key the first time."""
    private_file = folder / PRIVATE_KEY
    if not private_file.exists():
        write_atomic(private_file, new_private_key() + "\n", PRIVATE_MODE)
    return public_key(private_file.read_text(encoding="ascii"))
