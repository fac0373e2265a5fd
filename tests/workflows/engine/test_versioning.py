"""Worker Versioning on the real dev server: a case's run stays on the build it started on, and
moves onto the current build by plan (woken, it continues as new) or, when no worker of its
build is left, by an override after the grace."""

from __future__ import annotations

import contextlib
import uuid

from temporalio.api.enums.v1 import EventType, VersioningBehavior
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings
from tests.support import factories as f
from tests.support.waiting import eventually
from tests.support.workflow import Handle, describe_raw, settled, step
from worker.main import build_worker
from worker.versioning import (
    Moved,
    current_build,
    listed_as,
    move_on,
    promote,
    promote_unless_older,
)
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.state import CaseInput


def build(settings: Settings, deployment: str, build_id: str) -> Settings:
    return settings.model_copy(update={"worker_versioning": True, "worker_build_id": build_id,
                                       "worker_deployment": deployment})


async def served_by(handle: Handle) -> tuple[str, str, int]:
    """The current run's id, the build it is on, and its versioning behaviour."""
    info = (await describe_raw(handle)).workflow_execution_info
    versioning = info.versioning_info
    return info.execution.run_id, versioning.deployment_version.build_id, versioning.behavior


async def listed_on(client: Client, handle: Handle, on: Settings) -> None:
    """Until visibility (which lags) lists the case's run on that build, as a promotion sees."""
    query = (f"WorkflowId = '{handle.id}' AND ExecutionStatus = 'Running' "
             f"AND TemporalWorkerDeploymentVersion = '{listed_as(on)}'")

    async def listed() -> int:
        return (await client.count_workflows(query)).count

    await eventually(listed)


async def open_case(client: Client, settings: Settings) -> Handle:
    case_id = f"case-{uuid.uuid4().hex[:20]}"
    await client.start_workflow(CaseWorkflow.run,
                                CaseInput(opening=f.opening(case_id, f.referral())),
                                id=case_id, task_queue=settings.temporal_task_queue)
    return client.get_workflow_handle_for(CaseWorkflow.run, case_id)


async def test_a_run_stays_on_its_build_until_it_moves_on_by_plan(
        dev_env: WorkflowEnvironment, settings: Settings) -> None:
    client, deployment = dev_env.client, f"casework-{uuid.uuid4().hex[:8]}"
    a, b, c = (build(settings, deployment, name) for name in "abc")
    # c's workers start last: the server first sees that build after a and b.
    async with (build_worker(client, a), build_worker(client, b),
                contextlib.AsyncExitStack() as later):
        await promote(client, a)
        h = await open_case(client, a)
        s = await step(h, CaseWorkflow.decide_admission, f.admission(), 1)
        await settled(h)  # idle: nothing will wake it by itself
        await listed_on(client, h, a)
        first_run, on, behavior = await served_by(h)
        assert (on, behavior) == ("a", VersioningBehavior.VERSIONING_BEHAVIOR_PINNED)

        # A newer build is made current: the idle run stays where it started until woken; then
        # its own build's worker continues it as new onto the current one, state and all.
        await promote(client, b)
        assert await served_by(h) == (first_run, "a", behavior)
        assert await move_on(client, b, grace=60) == Moved(woken=1, overridden=0)

        async def moved_to_b() -> tuple[str, str, int] | None:  # its first task done there
            served = await served_by(h)
            pinned = served[2] == VersioningBehavior.VERSIONING_BEHAVIOR_PINNED
            return served if served[0] != first_run and served[1] == "b" and pinned else None

        run, _, _ = await eventually(moved_to_b)
        moved = await h.query(CaseWorkflow.state)
        assert (moved.version, moved.runs) == (s.version, 2)
        assert await move_on(client, b, grace=0) == Moved(woken=0, overridden=0)

        # A step after the next promotion is taken by the run's own build (pinned), and the run
        # moves on by itself once its deliveries are done (the server told its task).
        await later.enter_async_context(build_worker(client, c))
        await promote(client, c)
        s = await step(h, CaseWorkflow.add_measure, f.measure(), s.version)

        async def on_c() -> bool:
            return (await served_by(h))[1] == "c"

        await eventually(on_c)
        # Build a, older than c, starting again (a rollback, an old pod restarting) does not
        # make itself current.
        assert not await promote_unless_older(client, a)
        assert await current_build(client, c) == "c"
        moved = await h.query(CaseWorkflow.state)
        assert (moved.version, moved.runs, len(moved.measures)) == (s.version, 3, 1)
        events = (await client.get_workflow_handle(h.id, run_id=run).fetch_history()).events
        assert {e.workflow_task_completed_event_attributes.deployment_version.build_id
                for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED} \
            == {"b"}
        assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED in {
            e.event_type for e in events}
        await h.terminate("test over")


async def test_a_run_whose_build_no_worker_serves_is_moved_onto_the_current_one(
        dev_env: WorkflowEnvironment, settings: Settings) -> None:
    client, deployment = dev_env.client, f"casework-{uuid.uuid4().hex[:8]}"
    old, new = build(settings, deployment, "a"), build(settings, deployment, "b")
    async with build_worker(client, old):
        await promote(client, old)
        h = await open_case(client, old)
        s = await step(h, CaseWorkflow.decide_admission, f.admission(), 1)
    # The old build's workers are gone (`casework run` restarted with new code, say).
    async with build_worker(client, new):
        await promote(client, new)
        first_run, on, _ = await served_by(h)
        assert on == "a"
        await listed_on(client, h, old)
        assert await move_on(client, new, grace=1) == Moved(woken=1, overridden=1)
        # Replayed by the current build, which takes its next step.
        s = await step(h, CaseWorkflow.add_measure, f.measure(), s.version)
        assert len(s.measures) == 1
        run, on, _ = await served_by(h)
        assert (run, on) == (first_run, "b")
        versioning = (await describe_raw(h)).workflow_execution_info.versioning_info
        assert versioning.versioning_override.auto_upgrade
        await h.terminate("test over")
