"""Settings of over-the-air updates on a box (environment ``CHRONO_OTA_*`` > ``.env`` > defaults).

Read by the worker's ``ota.*`` jobs, by /setup and by the installer (``chrono-ota
apply``, run as root by ``chronoedge-update.service``). Where the box keeps its data
and configuration is not here: that is ``edge.settings`` (``CHRONO_EDGE_DATA_DIR``,
``CHRONO_EDGE_CONFIG_DIR``), which the installer reads too, so both agree.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

BOX_UNITS = ("chronoedge-web", "chronoedge-reader", "chronoedge-worker", "chronoedge-panel")
"""The units that run a release (ansible/roles/chronoedge_box/vars/main.yml)."""
UPDATE_UNIT = "chronoedge-update.service"


class OtaSettings(BaseSettings):
    """How a box checks for, downloads and installs releases."""

    model_config = SettingsConfigDict(
        env_prefix="CHRONO_OTA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    channel: str = Field(
        default="stable", description="The release channel the box follows (stable or beta)."
    )
    check_every_s: float = Field(
        default=600.0, gt=0, description="How often the worker asks central for an update."
    )
    download_rate_kbps: float = Field(
        default=256.0,
        ge=0,
        description="Most kilobytes per second a bundle download takes, so live sync is never"
        " starved on 4G; 0: no cap.",
    )
    install_window: str = Field(
        default="",
        description="When an update may install, box local time, as HH:MM-HH:MM (may wrap"
        " past midnight, e.g. 22:00-06:00). Empty: any time (the other gates still apply).",
    )
    opt_dir: Path = Field(
        default=Path("/opt/chronoedge"),
        description="Where the releases live (releases/<version>, current, previous).",
    )
    units: tuple[str, ...] = Field(
        default=BOX_UNITS,
        description="The units restarted on a new release (JSON list in the environment).",
    )
    restart_command: tuple[str, ...] = Field(
        default=("systemctl", "restart"),
        description="The command that restarts the units (their names are appended).",
    )
    start_command: tuple[str, ...] = Field(
        default=("sudo", "-n", "systemctl", "start", "--no-block", UPDATE_UNIT),
        description="How the worker starts the installer (root, outside the worker; the"
        " role's sudoers allows exactly this).",
    )
    web_url: str = Field(
        default="http://127.0.0.1:80",
        description="Where the health gate asks the web unit's /healthz.",
    )
    box_user: str | None = Field(
        default="chronoedge",
        description="The user the installer runs the box's own commands as (status, database"
        " upgrade), so root never leaves a file the units cannot write. Empty: as itself.",
    )
    venv_python: Path = Field(
        default=Path("/usr/bin/python3"), description="The interpreter a release's venv uses."
    )
    health_deadline_s: float = Field(
        default=180.0,
        gt=0,
        description="How long a new release has to pass its health gate (serve answers its"
        " version, the worker beats, the reader reconnects if it was connected) before the"
        " box goes back to the previous release.",
    )


@lru_cache(maxsize=1)
def get_ota_settings() -> OtaSettings:
    """Return the update settings, read once."""
    return OtaSettings()
