"""What /setup shows and does about over-the-air updates: the status, Defer, Force.

The status is ``ota.status.update_status`` (the worker's offer.json and the installer's
state.json); Defer and Force write the operator's word (``ota.operator``), which the
worker's ``ota.install`` and the installer read before they go on.
"""

from __future__ import annotations

import asyncio
from typing import Any

from edge.errors import InvalidInput, Problem
from edge.paths import BoxPaths
from ota import operator
from ota.layout import Layout
from ota.settings import get_ota_settings
from ota.status import update_status


class UpdateService:
    """The box's update state and the operator's two buttons."""

    def __init__(self, paths: BoxPaths) -> None:
        self.layout = Layout(get_ota_settings(), paths)

    async def status(self) -> dict[str, Any]:
        """Current, previous, offered, rollout, state, last attempt, deferral, force."""
        return await asyncio.to_thread(update_status, self.layout)

    async def defer(self, hours: str) -> operator.OperatorWord:
        """Hold updates back for ``hours`` (0: allow them again)."""
        try:
            value = float(hours or "0")
        except ValueError:
            raise InvalidInput([Problem("hours", "a number of hours")], "defer") from None
        return await asyncio.to_thread(operator.defer, self.layout.operator_file, value)

    async def force(self, reason: str) -> operator.Force:
        """Let the offered release install now, through the gates, for ``reason``."""
        offered = (await self.status())["offered"]
        word = await asyncio.to_thread(
            operator.force, self.layout.operator_file, offered or "", reason
        )
        assert word.force is not None  # operator.force always records one
        return word.force
