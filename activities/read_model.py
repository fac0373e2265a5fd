"""Projecting a case into the read model: the workflow calls this after its state changes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from opentelemetry import metrics
from sqlalchemy import Engine
from temporalio import activity

from activities.heartbeat import beating
from store.keys import CaseKeys
from store.projection import project
from workflows.model.state import CaseState

# From the workflow asking for a projection to the read model holding it.
LAG = metrics.get_meter("casework").create_histogram(
    "casework_projection_lag", unit="s", description="Time from a case's change to its "
    "projection into the read model.")


class ReadModelActivities:
    def __init__(self, engine: Engine, keys: CaseKeys) -> None:
        self._engine, self._keys = engine, keys
        # One projection at a time per worker: they queue here in order, rather than in
        # SQLite's busy handler, which backs off in sleeps of up to 100 ms.
        self._one_at_a_time = asyncio.Lock()

    @activity.defn
    async def project_case(self, state: CaseState) -> bool:
        """Write the case's read-model rows; False when a newer copy was already there. Beats
        while it waits its turn and while it writes: its worker is known to be alive."""
        async with beating(), self._one_at_a_time:
            # The database driver blocks: keep it off the worker's event loop.
            written = await asyncio.to_thread(project, self._engine, self._keys, state)
        asked = activity.info().scheduled_time
        LAG.record((datetime.now(UTC) - asked).total_seconds())
        return written
