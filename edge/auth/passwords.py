"""The admin password: its rules, its argon2 hash, and the 0600 file that keeps it.

The credential lives in ``admin.json`` (mode 0600) in the database's folder, beside
the sessions, not inside the database: database snapshots are uploaded to central
and restored onto replacement boxes, and neither should carry this box's password
nor wipe it.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from edge.auth.errors import AlreadyClaimed
from edge.errors import InvalidInput, Problem

ADMIN_FILE = "admin.json"
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
    try:
        data = json.loads((folder / ADMIN_FILE).read_text(encoding="utf-8"))
        return AdminCredential(str(data["password_hash"]), str(data["stamp"]))
    except FileNotFoundError:
        return None


def create_credential(folder: Path, password_hash: str) -> AdminCredential:
    """Store the first credential; AlreadyClaimed if one exists (the first claim wins)."""
    credential = AdminCredential(password_hash, secrets.token_hex(8))
    body = json.dumps({"password_hash": credential.password_hash, "stamp": credential.stamp})
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{ADMIN_FILE}.{secrets.token_hex(4)}"
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(body + "\n")
            file.flush()
            os.fsync(file.fileno())
        # link() never replaces an existing file: of two claims at once, one fails here.
        os.link(temporary, folder / ADMIN_FILE)
    except FileExistsError as error:
        raise AlreadyClaimed() from error
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_folder(folder)
    return credential


def _fsync_folder(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
