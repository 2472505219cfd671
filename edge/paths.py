"""Every file and folder a box writes, derived from its data directory: ``BoxPaths``.

A box is one folder (``--data-dir`` / ``CHRONO_EDGE_DATA_DIR``; ``var`` in
development), and two boxes in two folders share nothing. On a Pi the same
object has two roots (docs/operations.md, "Where a box keeps its files"):

    /etc/chronoedge/       config: reader.json, keys/, setup-pin.txt
    /var/lib/chronoedge/   state: edge.db, admin.json, sessions/, cache/, exports/,
                           backups/, archives/, ota/

A setting naming one file or folder (``CHRONO_EDGE_DB``, ``CHRONO_EDGE_ROLE_FILE``,
...) overrides that one path and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

DEVELOPMENT_DIR = Path("var")
"""The data directory when none is given (a development checkout)."""
APPLIANCE_CONFIG_DIR = Path("/etc/chronoedge")
APPLIANCE_STATE_DIR = Path("/var/lib/chronoedge")

DATABASE_FILE = "edge.db"
ROLE_FILE = "reader.json"
SETUP_PIN_FILE = "setup-pin.txt"
ADMIN_FILE = "admin.json"


@dataclass(frozen=True)
class BoxPaths:
    """Where one box keeps each of its files (every field is a path the box writes to)."""

    config_dir: Path  # what an operator or the image sets up
    data_dir: Path  # what the box itself accumulates
    database: Path
    role_file: Path  # reader.json, 0600
    key_folder: Path  # WireGuard key and wg-quick file, 0600
    setup_pin: Path  # 0600, spent by the claim
    admin_file: Path  # the admin password's hash, 0600; never inside database snapshots
    sessions_folder: Path
    cache_folder: Path  # live-results documents (results/<event>/<race>.json)
    exports_folder: Path
    backups_folder: Path  # snapshots on their way to central
    archives_folder: Path  # sealed event archives on their way to central (kept until purged)
    ota_folder: Path  # over-the-air updates: state files, TUF metadata, bundles (ota.layout)
    downloads_folder: Path  # OTA release bundles on their way in

    @classmethod
    def under(
        cls, data_dir: Path, config_dir: Path | None = None, **overrides: Path | None
    ) -> BoxPaths:
        """The paths of a box in ``data_dir`` (config in ``config_dir``, else there too).

        ``overrides`` (field name -> path, None: derived) replace single paths.
        """
        config = config_dir if config_dir is not None else data_dir
        derived = {
            "database": data_dir / DATABASE_FILE,
            "role_file": config / ROLE_FILE,
            "key_folder": config / "keys",
            "setup_pin": config / SETUP_PIN_FILE,
            "admin_file": data_dir / ADMIN_FILE,
            "sessions_folder": data_dir / "sessions",
            "cache_folder": data_dir / "cache",
            "exports_folder": data_dir / "exports",
            "backups_folder": data_dir / "backups",
            "archives_folder": data_dir / "archives",
            "ota_folder": data_dir / "ota",
            "downloads_folder": data_dir / "ota" / "downloads",
        }
        unknown = set(overrides) - set(derived)
        if unknown:
            raise TypeError(f"BoxPaths has no path named {', '.join(sorted(unknown))}")
        chosen = {name: path for name, path in overrides.items() if path is not None}
        return cls(config_dir=config, data_dir=data_dir, **(derived | chosen))

    @classmethod
    def appliance(cls, **overrides: Path | None) -> BoxPaths:
        """The paths of a box installed by the image or Ansible (config / state split)."""
        return cls.under(APPLIANCE_STATE_DIR, APPLIANCE_CONFIG_DIR, **overrides)

    def listing(self) -> dict[str, Path]:
        """Every path by name, roots first (for ``chrono-edge paths`` and the docs)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}
