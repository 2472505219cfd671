"""What a long-running service leaves unloaded, decided before the command line is imported.

``chrono-edge reader`` talks LLRP over plain TCP and stores in SQLite: it never opens
a TLS connection nor needs OpenSSL's hashes. Yet asyncio imports ``ssl``, and
pydantic (through ``secrets`` and ``hmac``) imports ``_hashlib``, and each loads
OpenSSL's libcrypto: 4.5 MB resident in a reader that runs for the whole event
(measured importing the reader's modules: 41.2 -> 36.7 MB). Marked as missing before
anything imports them, both fall back as they are written to: asyncio without TLS,
``hashlib`` with Python's built-in hashes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

WITHOUT_OPENSSL = frozenset({"reader"})
"""Subcommands that never use TLS or OpenSSL: a service listed here that one day needs
it fails at its start (``ImportError: import of ssl halted``), never mid-event."""
OPENSSL_MODULES = ("ssl", "_ssl", "_hashlib")
GLOBAL_OPTIONS_WITH_VALUE = frozenset({"--data-dir", "--db"})
"""The group's options that take a value as the next argument (``edge.cli.base``)."""


def subcommand(args: Sequence[str]) -> str | None:
    """The subcommand named by ``chrono-edge ARGS`` (the first word after the global options)."""
    words = iter(args)
    for word in words:
        if word in GLOBAL_OPTIONS_WITH_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def leave_openssl_unloaded(args: Sequence[str]) -> bool:
    """Keep OpenSSL out of a ``WITHOUT_OPENSSL`` service; whether ``args`` names one.

    Only takes effect before ``ssl`` and ``hashlib`` are first imported: the console
    script and ``python -m edge.cli`` call it first thing.
    """
    if subcommand(args) not in WITHOUT_OPENSSL:
        return False
    for name in OPENSSL_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    return True
