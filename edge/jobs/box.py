"""Every job kind a box runs and every schedule, in one place (docs/operations.md lists them).

Handlers are named, not imported: the web process lists and enqueues jobs with
this registry without loading the sync, backup or VPN code that only a worker
runs. Periods come from the settings.
"""

from __future__ import annotations

from edge.jobs.registry import JobRegistry, Kind, Periodic
from edge.settings import Settings
from ota.settings import get_ota_settings

PRUNE_EVERY_S = 3600.0
EXPORTS_QUEUE = "exports"
"""The queue of the export kinds (``edge.services.exports.QUEUE`` enqueues on it)."""
OTA_QUEUE = "ota"
"""The queue of the over-the-air update kinds (``edge.jobs.updates``)."""


def box_registry(settings: Settings) -> JobRegistry:
    """The box's job kinds, their queues and attempts, and the periodic ones' periods."""
    return JobRegistry.of(
        [
            Kind("diagnostics.sleep", "edge.jobs.builtin:diagnostics_sleep", "default", 1),
            Kind("jobs.prune", "edge.jobs.builtin:prune_jobs", "maintenance", 3),
            Kind("sessions.prune", "edge.jobs.catalog:prune_sessions", "maintenance", 3),
            Kind("exports.results", "edge.jobs.exports:export_results", EXPORTS_QUEUE, 2),
            Kind("exports.certificates", "edge.jobs.exports:export_certificates", EXPORTS_QUEUE, 2),
            Kind("sync.forward", "edge.jobs.catalog:forward_to_master", "sync", 5),
            Kind("sync.central", "edge.jobs.catalog:push_to_central", "sync", 5),
            Kind("backup.upload", "edge.jobs.catalog:upload_backup", "backup", 5),
            Kind("archive.event", "edge.jobs.archives:archive_event", "backup", 10),
            Kind("vpn.keep_up", "edge.jobs.catalog:keep_tunnel_up", "vpn", 1),
            Kind("clock.event_lan", "edge.jobs.clockrole:apply_clock_role", "vpn", 1),
            Kind("results.cache", "edge.jobs.catalog:refresh_results", "results", 3),
            Kind("ota.check", "edge.jobs.updates:check_update", OTA_QUEUE, 1),
            Kind("ota.download", "edge.jobs.updates:download_update", OTA_QUEUE, 20),
            Kind("ota.install", "edge.jobs.updates:install_update", OTA_QUEUE, 3),
        ],
        [
            Periodic("jobs.prune", PRUNE_EVERY_S),
            Periodic("sessions.prune", PRUNE_EVERY_S),
            Periodic("sync.forward", settings.sync_every_s),
            Periodic("sync.central", settings.sync_every_s),
            Periodic("results.cache", settings.results_cache_every_s),
            Periodic("backup.upload", settings.backup_every_s),
            Periodic("vpn.keep_up", settings.tunnel_check_every_s),
            Periodic("clock.event_lan", settings.clock_role_every_s),
            Periodic("ota.check", get_ota_settings().check_every_s),
        ],
    )
