"""`ArchiveWorkflow`: one round of copying closed case runs' histories into the database, started
by the Temporal Schedule `casework-archive` (`infra.temporal.ensure_archive_schedule`), so one
round runs at a time in the whole cluster however many workers there are (a round still going
when the next is due makes the Schedule skip that one)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.model import contracts

ROUND = timedelta(minutes=30)  # a round that has not finished in this long is tried again
HEARTBEAT = timedelta(seconds=30)


@workflow.defn
class ArchiveWorkflow:
    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_activity(
            contracts.archive_histories, start_to_close_timeout=ROUND,
            heartbeat_timeout=HEARTBEAT, retry_policy=RetryPolicy(maximum_attempts=3))
