"""Settings of the edge processes (environment ``CHRONO_EDGE_*`` > ``.env`` > defaults).

The box's role (master/slave, reader, event) is not here: it lives in reader.json.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process settings of a ChronoEdge box."""

    model_config = SettingsConfigDict(
        env_prefix="CHRONO_EDGE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    db: Path = Field(
        default=Path("var/edge.db"),
        description="SQLite database file of the box (on a Pi: /var/lib/chronoedge/edge.db).",
    )
    role_file: Path = Field(
        default=Path("var/reader.json"),
        description="The box's role at the event (on a Pi: /etc/chronoedge/reader.json).",
    )
    key_folder: Path = Field(
        default=Path("var/keys"),
        description="Where the box keeps its WireGuard private key (on a Pi: /etc/chronoedge).",
    )
    sync_every_s: float = Field(
        default=2.0, gt=0, description="How often the worker pushes the outbox (MASTER/central)."
    )
    results_cache_every_s: float = Field(
        default=2.0, gt=0, description="How often the live-results cache is refreshed."
    )
    backup_every_s: float = Field(
        default=900.0, gt=0, description="How often a snapshot is uploaded to central."
    )
    tunnel_check_every_s: float = Field(
        default=30.0, gt=0, description="How often the worker brings a fallen tunnel back up."
    )
    cache_folder: Path = Field(
        default=Path("var/cache"), description="Live-results JSON documents for the screens."
    )
    exports_folder: Path = Field(
        default=Path("var/exports"),
        description="Where export jobs write result sheets and certificates to download.",
    )
    boot_folder: Path | None = Field(
        default=None,
        description="Where the setup PIN is also written for the operator (the SD card's boot"
        " partition); None: /boot/firmware or /boot when it holds the Pi's config.txt.",
    )
    host: str = Field(default="127.0.0.1", description="Address the web UI and HTTP API listen on.")
    port: int = Field(
        default=8000, ge=1, le=65535, description="Port of the web UI and HTTP API (80 on a Pi)."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process settings, read once."""
    return Settings()
