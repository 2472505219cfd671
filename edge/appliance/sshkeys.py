"""OpenSSH public keys: checked one by one, then merged into an authorized_keys file."""

from __future__ import annotations

import base64
import binascii
import struct
from pathlib import Path

from edge.store.files import PRIVATE_MODE, write_atomic

KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    }
)


def check_public_key(line: str) -> str | None:
    """Why ``line`` is not one OpenSSH public key (``TYPE BASE64 [comment]``), or None."""
    fields = line.split(maxsplit=2)
    if len(fields) < 2:
        return "an OpenSSH public key is 'TYPE BASE64 [comment]' (the .pub file's one line)"
    kind, blob = fields[0], fields[1]
    if kind not in KEY_TYPES:
        return f"{kind[:40]!r} is not an OpenSSH public key type ({', '.join(sorted(KEY_TYPES))})"
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return "the key's base64 part is damaged (copy the whole .pub line again)"
    # The blob starts with its own type as an SSH string: a key cut or pasted into the
    # wrong type's line fails here, as ssh-keygen -l would refuse it.
    if len(raw) < 4:
        return "the key's base64 part is too short"
    (length,) = struct.unpack(">I", raw[:4])
    if raw[4 : 4 + length] != kind.encode("ascii") or len(raw) < 4 + length + 16:
        return f"the key's content is not a {kind} key (copy the whole .pub line again)"
    return None


def _identity(line: str) -> tuple[str, ...]:
    return tuple(line.split()[:2])


def merge_authorized_keys(path: Path, keys: list[str]) -> list[str]:
    """Add the ``keys`` missing from ``path`` (0600, folder 0700); return those added."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    present = {_identity(line) for line in lines if line.strip() and not line.startswith("#")}
    added = []
    for key in keys:
        if _identity(key) not in present:
            present.add(_identity(key))
            added.append(key)
    if added or not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        write_atomic(path, "".join(f"{line}\n" for line in lines + added), PRIVATE_MODE)
    return added
