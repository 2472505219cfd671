"""Settings of the central server (environment ``CHRONO_CENTRAL_*`` > ``.env`` > defaults)."""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Interface
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CentralSettings(BaseSettings):
    """Process settings of the central server."""

    model_config = SettingsConfigDict(
        env_prefix="CHRONO_CENTRAL_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="sqlite+aiosqlite:///var/central.db",
        description="SQLAlchemy URL: the embedded SQLite file, or postgresql+asyncpg://... "
        "in production.",
    )
    host: str = Field(default="127.0.0.1", description="Address the server listens on.")
    port: int = Field(default=8100, ge=1, le=65535, description="Port the server listens on.")
    forwarded_allow_ips: str = Field(
        default="",
        description="Comma-separated addresses of reverse proxies whose X-Forwarded-For and"
        " X-Forwarded-Proto are believed (the client address keys the login limits): nginx's"
        " address when central is behind it (the Ansible role sets 127.0.0.1). Empty: trust"
        " nobody, the client is the TCP peer.",
    )
    access_log: bool = Field(
        default=True,
        description="Log every request (uvicorn's access log). The Ansible role turns it off:"
        " nginx in front logs each request already, and at 500 requests/s the line cost"
        " central a tenth of its CPU.",
    )
    tunnel_network: IPv4Interface = Field(
        default=IPv4Interface("10.77.0.1/16"),
        description="The hub's WireGuard address and the range boxes get a /32 from.",
    )
    hub_public_key: str = Field(
        default="", description="The hub's WireGuard public key, given to enrolling boxes."
    )
    hub_endpoint: str = Field(
        default="", description="host:port where boxes reach the hub's WireGuard interface."
    )
    hub_interface: str = Field(
        default="",
        max_length=15,
        description="The hub's WireGuard interface on this machine (e.g. wg0); empty: no hub, "
        "boxes enroll without a tunnel.",
    )
    hub_private_key_file: Path | None = Field(
        default=None,
        description="The hub's private key (mode 0600, made with `wg genkey`); its public key "
        "is derived from it when CHRONO_CENTRAL_HUB_PUBLIC_KEY is empty.",
    )
    hub_listen_port: int = Field(
        default=51820, ge=1, le=65535, description="UDP port the hub's interface listens on."
    )
    enroll_token_ttl_s: int = Field(
        default=7 * 24 * 3600, gt=0, description="How long a new enrollment token is valid."
    )
    data_dir: Path = Field(
        default=Path("var/central"), description="Where backups and other files are stored."
    )
    backups_keep: int = Field(
        default=5, ge=1, le=1000, description="Complete backups kept per device (older pruned)."
    )
    backup_recipient: str = Field(
        default="",
        description="The fleet backup key's public recipient (age1..., printed by `chrono-central"
        " backup-key new`): every backup is sealed with it at rest, and stored plaintext ones at"
        " start-up. Empty: backups stay as the boxes sent them (docs/operations.md).",
    )
    ota_dir: Path | None = Field(
        default=None,
        description="The update repository central serves (chrono-ota --repo); empty: "
        "<data_dir>/ota.",
    )
    ota_refresh_s: float = Field(
        default=600.0,
        gt=0,
        description="How often central checks whether update metadata must be re-signed "
        "(the timestamp within 12 h of its expiry).",
    )
    sessions_prune_s: float = Field(
        default=3600.0,
        gt=0,
        description="How often central deletes expired dashboard sessions from "
        "<data_dir>/sessions.",
    )
    request_max_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body accepted (413 beyond it), but for sync batches and"
        " backup chunks, which have their own bounds (8 MiB and 4 MiB).",
    )
    alarm_webhooks: list[str] = Field(
        default_factory=list,
        description="URLs central POSTs each alarm raise and clear to, as JSON (env: a JSON"
        ' list, e.g. ["https://chat.example/hooks/timing"]). Empty: no webhook.',
    )
    alarm_mail_to: list[str] = Field(
        default_factory=list,
        description="Addresses e-mailed on each alarm raise and clear (env: a JSON list)."
        " Empty: no e-mail. Sent through smtp_host.",
    )
    alarm_mail_from: str = Field(
        default="chronoedge@localhost", description="The From: of alarm e-mails."
    )
    alarm_push_every_s: float = Field(
        default=2.0,
        gt=0,
        description="How often central sends the alarm notifications waiting (a failed one"
        " is tried again, up to alarm_push_attempts rounds).",
    )
    alarm_push_attempts: int = Field(
        default=20,
        ge=1,
        description="Rounds after which a notification that keeps failing is given up (its"
        " error stays on the dashboard's alarm history).",
    )
    smtp_host: str = Field(
        default="", description="SMTP server for alarm e-mails; empty: no e-mail is sent."
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="The SMTP server's port.")
    smtp_starttls: bool = Field(
        default=True, description="Upgrade the SMTP connection with STARTTLS before logging in."
    )
    smtp_username: str = Field(default="", description="SMTP login; empty: no login.")
    smtp_password: str = Field(default="", description="SMTP password (with smtp_username).")

    @property
    def ota_repo(self) -> Path:
        """The update repository folder: ``ota_dir``, or ``<data_dir>/ota``."""
        return self.ota_dir if self.ota_dir is not None else self.data_dir / "ota"


@lru_cache(maxsize=1)
def get_settings() -> CentralSettings:
    """Return the central settings, read once."""
    return CentralSettings()
