"""The archiving round `ArchiveWorkflow` runs: closed case runs' histories copied into the
database (`store.history`), beating while it works."""

from __future__ import annotations

from datetime import UTC, datetime

from opentelemetry import metrics
from sqlalchemy import Engine
from temporalio import activity
from temporalio.client import Client

from activities.heartbeat import beating
from store.history import archive_closed_runs

# From a run closing to its history's copy in the database.
LAG = metrics.get_meter("casework").create_histogram(
    "casework_archive_lag", unit="s", description="Time from a case run closing to its "
    "history being copied into the database.")


class ArchiveActivities:
    def __init__(self, client: Client, engine: Engine) -> None:
        self._client, self._engine = client, engine

    @activity.defn(name="archive_histories")
    async def archive_histories(self) -> int:
        async with beating():
            closed = await archive_closed_runs(self._client, self._engine)
        now = datetime.now(UTC)
        for at in closed:
            LAG.record((now - at).total_seconds())
        if closed:
            activity.logger.info("case histories archived", extra={"runs": len(closed)})
        return len(closed)
