"""The cluster's periodic jobs as Temporal Schedules: one of each however many workers run.
Every worker makes sure they exist at start (idempotent: an existing schedule gets the interval
the settings say)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from infra.settings import Settings
from workflows.archiving import ArchiveWorkflow

ARCHIVE = "casework-archive"


def archive_schedule(settings: Settings) -> Schedule:
    """A round of archiving every interval; a round still running makes the next one skip."""
    return Schedule(
        action=ScheduleActionStartWorkflow(ArchiveWorkflow.run, id="casework-archive-round",
                                           task_queue=settings.temporal_task_queue),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(
            every=timedelta(seconds=settings.archive_interval_seconds))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP))


async def ensure_archive_schedule(client: Client, settings: Settings) -> None:
    schedule = archive_schedule(settings)
    try:
        await client.create_schedule(ARCHIVE, schedule)
    except ScheduleAlreadyRunningError:
        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(ARCHIVE).update(replace)
