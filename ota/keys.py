"""The repository's two ed25519 signing keys: the offline root key and the online key.

``keys/root.key`` signs only ``root.json`` (which keys to trust); after ``chrono-ota
keys init`` it belongs on an offline medium, not on the server. ``keys/online.key``
signs targets, snapshot and timestamp, so central can publish and re-sign the
timestamp unattended. Both are PKCS#8 PEM files, mode 0600.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner

from edge.store.files import PRIVATE_MODE, create_atomic
from ota.errors import KeyProblem

KEYS_FOLDER = "keys"
ROOT_KEY = "root.key"
ONLINE_KEY = "online.key"


def root_key_path(repo: Path) -> Path:
    """Where ``keys init`` writes the root key (move it offline afterwards)."""
    return repo / KEYS_FOLDER / ROOT_KEY


def online_key_path(repo: Path) -> Path:
    """The online key central signs targets, snapshot and timestamp with."""
    return repo / KEYS_FOLDER / ONLINE_KEY


def create_key(path: Path) -> CryptoSigner:
    """Generate an ed25519 key into ``path`` (0600); refuse to overwrite an existing file."""
    signer = CryptoSigner.generate_ed25519()
    try:
        create_atomic(path, signer.private_bytes, mode=PRIVATE_MODE)
    except FileExistsError:
        raise KeyProblem(
            f"{path} exists: keys are never overwritten (rotate the online key instead)"
        ) from None
    return signer


def load_signer(path: Path) -> CryptoSigner:
    """The signer of the key file at ``path``."""
    try:
        private = load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise KeyProblem(
            f"{path}: no such key file (run chrono-ota keys init, or pass the key's path)"
        ) from None
    except (OSError, ValueError, TypeError) as error:
        raise KeyProblem(f"{path}: not a readable private key ({error})") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyProblem(f"{path}: not an ed25519 key")
    return CryptoSigner(private)
