"""The archiving round `ArchiveWorkflow` runs: closed case runs' histories copied into the
database (`store.history`), beating while it works."""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity
from temporalio.client import Client

from activities.heartbeat import beating
from store.history import archive_closed_runs


class ArchiveActivities:
    def __init__(self, client: Client, engine: Engine) -> None:
        self._client, self._engine = client, engine

    @activity.defn(name="archive_histories")
    async def archive_histories(self) -> int:
        async with beating():
            copied = await archive_closed_runs(self._client, self._engine)
        if copied:
            activity.logger.info("case histories archived", extra={"runs": copied})
        return copied
