"""The fleet backup key: files sealed (age format) for its recipient, opened with its identity.

Boxes and central hold only the recipient (``age1...``): they can seal, never open.
The identity (``AGE-SECRET-KEY-1...``, a file written by ``chrono-central backup-key new``
or by ``age-keygen``) stays with the fleet admin and is needed only to restore a box or
to read an archive. Sealed files are standard age files: ``age -d -i key.txt`` opens
them without ChronoEdge. Shared by edge and central (the import contract lists it).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyrage
from pyrage import x25519

from edge.errors import ChronoEdgeError

AGE_MAGIC = b"age-encryption.org/v1\n"
"""The first line of every age file (binary format)."""
_HEADER_MAX = 64 * 1024  # an age header with one recipient is ~200 bytes


class SealError(ChronoEdgeError):
    """A file could not be sealed or opened with the fleet backup key."""


@dataclass(frozen=True)
class Sealed:
    """A sealed file: where it is, its size and the sha256 of its bytes (the ciphertext)."""

    path: Path
    size: int
    sha256: str


def parse_recipient(text: str) -> x25519.Recipient:
    """The fleet's public recipient from its ``age1...`` text (clear error when it is not one)."""
    try:
        return x25519.Recipient.from_str(text.strip())
    except (pyrage.RecipientError, ValueError) as error:
        raise SealError(
            f"{text.strip()[:12]!r}... is not an age recipient: set the fleet's public backup"
            " key (it starts with age1, `chrono-central backup-key new` prints it)"
        ) from error


def load_identity(path: Path) -> x25519.Identity:
    """The fleet's identity from a key file (``age-keygen``'s format: comments, then the key)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise SealError(f"cannot read the backup key file {path}: {error.strerror}") from error
    keys = [line.strip() for line in lines if line.strip().startswith("AGE-SECRET-KEY-")]
    if not keys:
        raise SealError(f"{path} holds no age identity (a line starting AGE-SECRET-KEY-)")
    try:
        return x25519.Identity.from_str(keys[0])
    except (pyrage.IdentityError, ValueError) as error:
        raise SealError(f"{path} holds a damaged age identity") from error


def new_identity(path: Path) -> str:
    """Write a new identity to ``path`` (0600, never over an existing file); its recipient."""
    identity = x25519.Identity.generate()
    recipient = str(identity.to_public())
    text = f"# ChronoEdge fleet backup key\n# public key: {recipient}\n{identity}\n"
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as error:
        raise SealError(f"{path} exists: a backup key is never overwritten") from error
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    return recipient


def seal_file(source: Path, target: Path, recipient: str) -> Sealed:
    """Encrypt ``source`` to ``target`` (0600, fsynced) for ``recipient``; describe ``target``."""
    with source.open("rb") as plain:
        return seal_stream(plain, target, recipient, source.name)


def seal_stream(plain: BinaryIO, target: Path, recipient: str, what: str) -> Sealed:
    """Encrypt what ``plain`` reads to ``target`` (0600, fsynced); describe ``target``."""
    chosen = parse_recipient(recipient)
    handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "wb") as sealed:
        try:
            pyrage.encrypt_io(plain, sealed, [chosen])  # type: ignore[arg-type]
        except pyrage.EncryptError as error:
            raise SealError(f"cannot encrypt {what}: {error}") from error
        sealed.flush()
        os.fsync(sealed.fileno())
    return Sealed(target, target.stat().st_size, file_sha256(target))


def open_file(source: Path, target: Path, identity: x25519.Identity) -> None:
    """Decrypt ``source`` into ``target`` (0600) with the fleet's identity."""
    handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with source.open("rb") as sealed, os.fdopen(handle, "wb") as plain:
        try:
            pyrage.decrypt_io(sealed, plain, [identity])
        except pyrage.DecryptError as error:
            target.unlink(missing_ok=True)
            raise SealError(
                f"cannot decrypt {source.name} with this key: it was sealed for another fleet"
                " key, or it is damaged"
            ) from error


def is_sealed(head: bytes) -> bool:
    """Whether bytes (a file's first ones) start an age file."""
    return head.startswith(AGE_MAGIC)


def check_header(head: bytes) -> int:
    """Parse an age header (no key needed): how many stanzas; SealError if malformed.

    What central can tell about a sealed file without the identity: it is an age file
    whose header is complete (stanzas, then the ``---`` line with its MAC).
    """
    if not is_sealed(head):
        raise SealError("not an age file: it does not start with age-encryption.org/v1")
    lines = head[len(AGE_MAGIC) : _HEADER_MAX].split(b"\n")
    stanzas = 0
    for line in lines:
        if line.startswith(b"-> "):
            stanzas += 1
        elif line.startswith(b"--- "):
            if stanzas == 0:
                raise SealError("the age header names no recipient")
            return stanzas
    raise SealError("the age header is cut short (no MAC line)")


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
