"""Failed attempts at a secret (a login, the setup PIN, an event key), kept across restarts.

The box and central each keep this table in their own database, so a restart of
either does not hand a guesser a fresh set of tries. One row per failure: the
brute-force limit (``edge.auth.limiter``) counts them in a sliding window.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table
from sqlmodel import SQLModel

TABLE = "failed_attempt"


def failed_attempt_table(metadata: MetaData) -> Table:
    """The table of failed attempts on ``metadata`` (the box's, or central's own)."""
    return Table(
        TABLE,
        metadata,
        # INTEGER on SQLite (only that is the rowid), BIGINT on PostgreSQL: ids are never
        # reused, and an attack may go on for a long time.
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
        Column("scope", String, nullable=False),  # what was guessed: login, pin, event-key
        Column("client", String, nullable=False),  # the client address it came from
        Column("at_us", BigInteger, nullable=False),  # wall clock, µs since the epoch
        Index(f"ix_{TABLE}_scope_client", "scope", "client"),
        Index(f"ix_{TABLE}_at_us", "at_us"),
    )


FAILED_ATTEMPT = failed_attempt_table(SQLModel.metadata)
"""The box's table (in edge.db, beside the data)."""
