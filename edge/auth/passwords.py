"""The admin password: its rules, its argon2 hash, and the 0600 file that keeps it.

The credential lives in ``admin.json`` (mode 0600) in the box's data folder, beside
the sessions, not inside the database: database snapshots are uploaded to central
and restored onto replacement boxes, and neither should carry this box's password
nor wipe it. A corrupt admin.json is moved aside (``edge.store.documents``): the
box is then unclaimed, and whoever holds its new setup PIN (its console or SD card)
claims it again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from edge.auth.errors import AlreadyClaimed
from edge.errors import InvalidInput, Problem
from edge.paths import ADMIN_FILE
from edge.store.documents import DocumentKind, read_document, set_aside, write_document
from edge.store.files import PRIVATE_MODE

__all__ = ["ADMIN_FILE"]  # where the credential is, for the admin service and tests

ADMIN_DOCUMENT = DocumentKind("admin.json", version=1)
MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 takes any length; this only bounds the work per attempt

_hasher = PasswordHasher()


@dataclass(frozen=True)
class AdminCredential:
    """The admin password's hash and a stamp that changes whenever the password does."""

    password_hash: str
    stamp: str  # sessions remember it: a new password ends every older session


def password_problems(password: str, again: str | None = None) -> list[Problem]:
    """What is wrong with a new password (empty list: it is acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(Problem("password", f"at least {MIN_LENGTH} characters"))
    if len(password) > MAX_LENGTH:
        problems.append(Problem("password", f"at most {MAX_LENGTH} characters"))
    if password and not password.strip():
        problems.append(Problem("password", "not only spaces"))
    if again is not None and again != password:
        problems.append(Problem("password_again", "the two passwords differ"))
    return problems


def check_password_rules(password: str, again: str | None = None) -> None:
    """Raise InvalidInput listing every rule the new password breaks."""
    problems = password_problems(password, again)
    if problems:
        raise InvalidInput(problems, "the password was not accepted")


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(credential: AdminCredential, password: str) -> bool:
    """Whether ``password`` matches the stored hash."""
    try:
        return _hasher.verify(credential.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def load_credential(folder: Path) -> AdminCredential | None:
    """The admin credential in ``folder``, or None when the box is not claimed."""
    path = folder / ADMIN_FILE
    data = read_document(path, ADMIN_DOCUMENT)
    if data is None:
        return None
    try:
        return AdminCredential(str(data["password_hash"]), str(data["stamp"]))
    except KeyError as missing:
        set_aside(path, ADMIN_DOCUMENT, f"no {missing}")
        return None


def create_credential(folder: Path, password_hash: str) -> AdminCredential:
    """Store the first credential; AlreadyClaimed if one exists (the first claim wins)."""
    credential = AdminCredential(password_hash, secrets.token_hex(8))
    body = {"password_hash": credential.password_hash, "stamp": credential.stamp}
    try:
        # Never replaces an existing file: of two claims at once, exactly one succeeds.
        write_document(folder / ADMIN_FILE, ADMIN_DOCUMENT, body, PRIVATE_MODE, exclusive=True)
    except FileExistsError as error:
        raise AlreadyClaimed() from error
    return credential
