"""The box's job registry declares every kind and schedule; the queue engine knows none."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest

from edge.jobs import archives, builtin, catalog, clockrole, exports, updates
from edge.jobs.box import box_registry
from edge.jobs.context import JobContext
from edge.jobs.errors import UnknownKind
from edge.jobs.registry import JobRegistry, Kind, Periodic, load_registry, resolve_handler
from edge.services import exports as export_service
from edge.settings import Settings
from ota.settings import get_ota_settings

JOBS = Path(builtin.__file__).parent
ENGINE = ("admin", "context", "errors", "lease", "models", "queue", "registry", "rescue")
ENGINE += ("statements", "store", "worker")
"""The generic queue: what any registry runs on."""
BOX_CODE = (
    "edge.jobs.box",
    "edge.jobs.catalog",
    "edge.jobs.builtin",
    "edge.jobs.exports",
    "edge.jobs.updates",
)
BOX_CODE += ("edge.services", "edge.sync", "edge.vpn", "edge.backup", "edge.fleet")


async def _sleep(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A handler for the registries made here."""


def _handlers_in(module: object) -> set[str]:
    """Names of the module's public async functions taking a JobContext first: job handlers."""
    found = set()
    for name, function in inspect.getmembers(module, inspect.iscoroutinefunction):
        parameters = list(inspect.signature(function).parameters.values())
        mine = function.__module__ == getattr(module, "__name__", None)
        takes_context = parameters and parameters[0].annotation in ("JobContext", JobContext)
        if mine and takes_context and not name.startswith("_"):
            found.add(f"{function.__module__}:{name}")
    return found


def test_the_box_registry_declares_every_handler_the_worker_can_run():
    registry = box_registry(Settings())
    handlers = registry.handlers()  # what a worker imports at its start: every name resolves
    assert all(inspect.iscoroutinefunction(h) for h in handlers.values())
    declared = {kind.handler for kind in registry.kinds.values()}
    written = {
        handler
        for module in (archives, builtin, catalog, clockrole, exports, updates)
        for handler in _handlers_in(module)
    }
    assert written == declared, "a job handler is written but not declared, or the reverse"
    queues = {"backup", "default", "exports", "maintenance", "ota", "results", "sync", "vpn"}
    assert set(registry.queues()) == queues


def test_the_box_registry_schedules_the_periodic_kinds_at_the_settings_periods(
    monkeypatch: pytest.MonkeyPatch,
):
    settings = Settings(
        sync_every_s=3,
        results_cache_every_s=4,
        backup_every_s=5,
        tunnel_check_every_s=6,
        clock_role_every_s=8,
    )
    monkeypatch.setenv("CHRONO_OTA_CHECK_EVERY_S", "7")
    get_ota_settings.cache_clear()
    try:
        periods = {k: p.every_s for k, p in box_registry(settings).periodic.items()}
    finally:
        get_ota_settings.cache_clear()
    assert periods == {
        "jobs.prune": 3600.0,
        "sessions.prune": 3600.0,
        "sync.forward": 3,
        "sync.central": 3,
        "results.cache": 4,
        "backup.upload": 5,
        "vpn.keep_up": 6,
        "ota.check": 7,
        "clock.event_lan": 8,
    }
    assert set(catalog.ROLE_JOBS) <= set(periods)  # follow_role runs them on a role change


def test_export_kinds_are_declared_on_the_queue_the_export_service_enqueues_on():
    registry = box_registry(Settings())
    names = {export_service.RESULTS_JOB, *export_service.JOB_KINDS.values()}
    assert {registry.kind(name).queue for name in names} == {export_service.QUEUE}


def test_an_unknown_kind_is_refused_with_the_known_ones():
    registry = JobRegistry.of([Kind("a.b", _sleep), Kind("c.d", _sleep, "other", 2)])
    with pytest.raises(UnknownKind, match=r"unknown job kind 'x' \(known: a.b, c.d\)"):
        registry.kind("x")
    assert registry.names() == ["a.b", "c.d"]
    assert registry.queues() == ["default", "other"]


def test_a_registry_refuses_twice_the_same_kind_and_schedules_of_undeclared_kinds():
    with pytest.raises(ValueError, match="declared twice"):
        JobRegistry.of([Kind("a.b", _sleep), Kind("a.b", _sleep)])
    with pytest.raises(ValueError, match="not a declared kind"):
        JobRegistry.of([Kind("a.b", _sleep)], [Periodic("c.d", 1.0)])
    with pytest.raises(ValueError, match="positive period"):
        JobRegistry.of([Kind("a.b", _sleep)], [Periodic("a.b", 0)])


def test_including_adds_kinds_and_replaces_schedules():
    base = JobRegistry.of([Kind("a.b", _sleep)], [Periodic("a.b", 10.0)])
    more = JobRegistry.of([Kind("c.d", _sleep)], [Periodic("c.d", 1.0)])
    both = base.including(more)
    assert both.names() == ["a.b", "c.d"]
    assert {k: p.every_s for k, p in both.periodic.items()} == {"a.b": 10.0, "c.d": 1.0}
    faster = JobRegistry.of([Kind("a.b", _sleep)], [Periodic("a.b", 0.5)])
    assert base.including(faster).periodic["a.b"].every_s == 0.5  # the same kind, kept once
    with pytest.raises(ValueError, match="declared twice"):
        base.including(JobRegistry.of([Kind("a.b", _sleep, "other")]))
    assert base.names() == ["a.b"]  # a registry is a value: including made a new one


def test_handlers_and_registries_are_named_module_colon_name():
    assert resolve_handler("edge.jobs.builtin:diagnostics_sleep") is builtin.diagnostics_sleep
    assert resolve_handler(_sleep) is _sleep
    with pytest.raises(TypeError, match="not an async function"):
        resolve_handler("edge.jobs.box:box_registry")
    with pytest.raises(ValueError, match="'module:name'"):
        resolve_handler("edge.jobs.builtin")
    with pytest.raises(AttributeError):
        load_registry("tests.jobkinds:nothing")
    with pytest.raises(TypeError, match="not a job registry"):
        load_registry("edge.jobs.box:PRUNE_EVERY_S")
    assert "test.noop" in load_registry("tests.jobkinds:registry").kinds
    assert "diagnostics.sleep" in load_registry("tests.jobkinds:with_box").kinds


@pytest.mark.parametrize("name", ENGINE)
def test_the_queue_engine_imports_none_of_the_box_jobs(name: str):
    tree = ast.parse((JOBS / f"{name}.py").read_text(encoding="utf-8"))
    imported = {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not {m for m in imported if m.startswith(BOX_CODE)}


def test_the_operations_guide_lists_every_kind_of_the_box_with_its_queue():
    guide = (JOBS.parents[1] / "docs" / "operations.md").read_text(encoding="utf-8")
    for kind in box_registry(Settings()).kinds.values():
        assert f"| `{kind.name}` | {kind.queue} | {kind.max_attempts} |" in guide, kind.name
