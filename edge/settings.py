"""Settings of the edge processes (environment ``CHRONO_EDGE_*`` > ``.env`` > defaults).

The box's role (master/slave, reader, event) is not here: it lives in reader.json.
Where the box's files live is ``Settings.paths`` (``edge.paths.BoxPaths``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from edge.paths import DEVELOPMENT_DIR, BoxPaths


class Settings(BaseSettings):
    """Process settings of a ChronoEdge box."""

    model_config = SettingsConfigDict(
        env_prefix="CHRONO_EDGE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path | None = Field(
        default=None,
        description="The box's folder: every file it writes is derived from it (edge.paths;"
        " on a Pi: /var/lib/chronoedge). None: the database's folder when CHRONO_EDGE_DB or"
        " --db names one, else var.",
    )
    config_dir: Path | None = Field(
        default=None,
        description="Where reader.json, the keys and the setup PIN live when they are apart"
        " from the data (on a Pi: /etc/chronoedge). None: the data directory.",
    )
    db: Path | None = Field(
        default=None,
        description="SQLite database file of the box. None: edge.db in the data directory.",
    )
    role_file: Path | None = Field(
        default=None,
        description="The box's role at the event. None: reader.json in the config directory.",
    )
    key_folder: Path | None = Field(
        default=None,
        description="Where the box keeps its WireGuard private key. None: keys/ in the config"
        " directory.",
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
    public_results_url: str = Field(
        default="",
        description="Central's address as spectators reach it (e.g. https://results.example.org):"
        " PDF result sheets carry a QR code of the event's live page there. Empty: the address"
        " the box enrolled with (reader.json's central link); no QR code on a box never enrolled.",
    )
    screen_qr: bool = Field(
        default=False,
        description="Show a QR code of the event's live page on central (public_results_url,"
        " else the enrolled central) in a corner of the speaker screen, for the crowd's phones.",
    )
    backup_recipient: str = Field(
        default="",
        description="The fleet backup key's public recipient (age1..., printed by `chrono-central"
        " backup-key new`; Ansible sets it): event archives are sealed with it. Empty: archiving"
        " is refused until it is set (docs/race-day.md).",
    )
    backup_tolerance_s: float = Field(
        default=1.0,
        ge=0,
        description="Backup line: a backup passing this close to the chip passing confirms it;"
        " further apart, the pair goes to review on the console (docs/race-day.md).",
    )
    backup_pair_window_s: float = Field(
        default=300.0,
        gt=0,
        description="Backup line: a chip passing this close to a backup passing is the same"
        " crossing; with none this close, the backup passing fills a missing one.",
    )
    alarm_no_read_s: float = Field(
        default=120.0,
        ge=0,
        description="Alarm when a point (or one of its antennas) reads nothing for this long"
        " while its race is open; a point's no_read_alarm_s in the event file overrides it."
        " 0: no such alarm (docs/race-day.md, Alarms).",
    )
    alarm_disk_free_pct: float = Field(
        default=10.0,
        ge=0,
        le=100,
        description="Alarm when less than this percentage of the data disk is free.",
    )
    alarm_backlog_age_s: float = Field(
        default=120.0,
        gt=0,
        description="Alarm when a change has waited this long in the outbox (to the MASTER on"
        " a SLAVE, to central on an enrolled MASTER): the backlog grows, nothing drains it.",
    )
    reader_hold_reads: int = Field(
        default=200_000,
        ge=1,
        description="Full disk: how many reads the reader keeps in memory at most while it"
        " cannot store them (~250 bytes each: 200,000 is ~50 MB); past it, newer reads are"
        " dropped and counted (docs/race-day.md, Full disk).",
    )
    clock_tolerance_ms: float = Field(
        default=20.0,
        gt=0,
        description="Clocks: a SLAVE further than this from its MASTER's clock, or a reader"
        " whose clock drifted this far since connect, raises an alarm; that SLAVE's passings"
        " are marked on the MASTER (docs/race-day.md, Clocks).",
    )
    clock_probe_every_s: float = Field(
        default=5.0,
        gt=0,
        description="Clocks: how often a SLAVE measures its clock's offset to the MASTER's"
        " (one request and its answer, the NTP way) and reports it.",
    )
    chrony_socket: str = Field(
        default="",
        description="Clocks: chronyd's command socket or address that chronyc asks (chronyc"
        " -h); empty: the system's chronyd.",
    )
    chrony_sources_dir: Path | None = Field(
        default=None,
        description="Clocks: chrony's sourcedir where a SLAVE's worker writes its MASTER as"
        " time source (on a Pi: /var/lib/chronoedge-chrony). None: chrony is left alone.",
    )
    clock_role_every_s: float = Field(
        default=60.0,
        gt=0,
        description="Clocks: how often the worker checks chrony's event-LAN source against"
        " the role (also at once when the role changes).",
    )
    tunnel_check_every_s: float = Field(
        default=30.0, gt=0, description="How often the worker brings a fallen tunnel back up."
    )
    cache_folder: Path | None = Field(
        default=None,
        description="Live-results JSON documents for the screens. None: cache/ in the data"
        " directory.",
    )
    exports_folder: Path | None = Field(
        default=None,
        description="Where export jobs write result sheets and certificates to download."
        " None: exports/ in the data directory.",
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
    forwarded_allow_ips: str = Field(
        default="",
        description="Comma-separated addresses of reverse proxies whose X-Forwarded-For and"
        " X-Forwarded-Proto are believed (the client address keys the login limits). Empty:"
        " trust nobody, the client is the TCP peer (a box serves browsers directly).",
    )

    request_max_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body accepted (413 beyond it), but for the CSV imports"
        " and SLAVEs' sync batches, which have their own bounds. Event files fit in it.",
    )
    import_max_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=1024,
        description="Largest body of an entrants or passings CSV import (413 beyond it): about"
        " 85,000 entrants; an import takes some 35 times its size in memory while it runs."
        " The import page re-posts the checked file in base64, so files up to 3/4 of it.",
    )
    streams_max: int = Field(
        default=200,
        ge=1,
        description="Most live streams (speaker screens, console, job logs) open at once;"
        " beyond it a new one gets 503 with Retry-After. Keep it well below the process's"
        " open-file limit (ulimit -n).",
    )
    connections_max: int = Field(
        default=1000,
        ge=16,
        description="Most requests and open connections the web server handles at once"
        " (uvicorn's limit_concurrency); beyond it 503 and the connection is closed. The"
        " open-file limit is raised to make room for them.",
    )
    page_rows: int = Field(
        default=100,
        ge=1,
        le=500,  # edge.services.paging.MAX_PAGE_ROWS
        description="Rows per page of the results and entrants pages: a 20,000-runner race"
        " is shown a page at a time, never rendered whole (?per_page= asks for up to 500).",
    )
    streams_per_client: int = Field(
        default=8,
        ge=1,
        description="Most live streams open at once from one client address (503 beyond it).",
    )

    @property
    def paths(self) -> BoxPaths:
        """Every file of the box: the data directory's, but for the paths set one by one."""
        data_dir = self.data_dir
        if data_dir is None:
            # `--db /elsewhere/edge.db` alone is a box in /elsewhere, not one whose
            # reader.json stays in ./var (two boxes in two folders share nothing).
            data_dir = self.db.parent if self.db is not None else DEVELOPMENT_DIR
        return BoxPaths.under(
            data_dir,
            self.config_dir,
            database=self.db,
            role_file=self.role_file,
            key_folder=self.key_folder,
            cache_folder=self.cache_folder,
            exports_folder=self.exports_folder,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process settings, read once."""
    return Settings()
