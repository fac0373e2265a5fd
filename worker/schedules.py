"""The cluster's periodic jobs as Temporal Schedules: one of each however many workers run.
Every worker makes sure they exist at start (idempotent: an existing schedule gets the interval
the settings say)."""

from __future__ import annotations

import dataclasses
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
from workflows.engine.archiving import ROUND, ArchiveWorkflow

ARCHIVE = "casework-archive"


def archive_schedule(settings: Settings) -> Schedule:
    """A round of archiving every interval; a round still running makes the next one skip."""
    return Schedule(
        # A round that never ends (its queue unpolled, say) must not skip all later ones.
        action=ScheduleActionStartWorkflow(ArchiveWorkflow.run, id="casework-archive-round",
                                           task_queue=settings.temporal_task_queue,
                                           execution_timeout=ROUND * 2),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(
            every=timedelta(seconds=settings.archive_interval_seconds))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP))


async def ensure_archive_schedule(client: Client, settings: Settings) -> None:
    """Create the schedule, or bring its action, interval and policy to these settings; its
    state (an operator's pause and note) stays as it is."""
    schedule = archive_schedule(settings)
    try:
        await client.create_schedule(ARCHIVE, schedule)
    except ScheduleAlreadyRunningError:
        def replace(current: ScheduleUpdateInput) -> ScheduleUpdate | None:
            now = current.description.schedule
            if (now.action, now.spec.intervals, now.policy.overlap) == (
                    schedule.action, schedule.spec.intervals, schedule.policy.overlap):
                return None  # as it should be: nothing to write
            return ScheduleUpdate(schedule=dataclasses.replace(
                now, action=schedule.action, spec=schedule.spec, policy=schedule.policy))

        await client.get_schedule_handle(ARCHIVE).update(replace)
