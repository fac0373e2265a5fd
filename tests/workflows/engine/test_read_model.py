"""The read model follows the workflow exactly: one set of rows per case, whatever is retried or
replayed, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.read_model import ReadModelActivities
from infra.database import engine_for
from infra.settings import Settings
from infra.temporal import DATA_CONVERTER
from store.keys import case_keys
from store.projection import DOCUMENT, ROWS
from store.tables import CaseDocument, CaseRow
from tests.support import factories as f
from tests.support.waiting import eventually
from tests.support.workflow import Opener, settled, step
from worker.main import WORKFLOWS, build_worker
from worker.sandbox import WORKFLOW_RUNNER
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.state import CaseState
from workflows.model.vocabulary import MeasureAction


def snapshot(engine: Engine, case_id: str) -> dict[str, list[dict[str, Any]]]:
    with Session(engine) as session:
        return {table.__tablename__: sorted(
            (row.model_dump() for row in session.execute(
                select(table).where(table.case_id == case_id)).scalars()), key=repr)
            for table in (CaseRow, CaseDocument, *ROWS)}


async def test_the_read_model_follows_every_change_once(
        env: WorkflowEnvironment, settings: Settings, open_case: Opener,
        any_database: str) -> None:
    settings = settings.model_copy(update={"database_url": any_database})
    engine = engine_for(any_database)
    async with build_worker(env.client, settings):
        h = await open_case(minor=True, guardian_consent=True)  # child protection notified
        first = await settled(h)
        s = await step(h, CaseWorkflow.decide_admission, f.admission(), 1)
        s = await step(h, CaseWorkflow.add_measure, f.measure(), s.version)
        s = await step(h, CaseWorkflow.change_measure, f.measure_update("M1", MeasureAction.START),
                       s.version)
        state = await settled(h)

    rows = snapshot(engine, h.id)
    (summary,) = rows["case_summary"]
    assert (summary["revision"], summary["version"], summary["phase"]) == (
        state.revision, 4, "admitted")
    assert summary["next_deadline_at"] == state.next_deadline().due_at
    assert len(rows["case_deadline"]) == len(state.deadlines) > 0
    assert len(rows["case_notification"]) == len(state.notifications) > 0
    assert [(m["measure_id"], m["status"]) for m in rows["case_measure"]] == [("M1", "started")]
    # No personal data in the rows; the whole state only sealed under the case's key.
    assert "Vasquez" not in repr(rows)
    keys = case_keys(settings)
    document = rows["case_document"][0]["sealed"]
    assert CaseState.model_validate_json(keys.open(h.id, DOCUMENT, document)) == state

    # Replaying the history runs no activity: the rows stay as they are.
    history = await h.fetch_history()
    replay = await Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER,
                            workflow_runner=WORKFLOW_RUNNER).replay_workflow(history)
    assert replay.replay_failure is None
    assert snapshot(engine, h.id) == rows

    # A retried projection (the activity ran, its completion was lost) and a late one from
    # an earlier revision change nothing.
    project = ReadModelActivities(engine, keys).project_case
    assert await ActivityEnvironment().run(project, state) is False
    assert await ActivityEnvironment().run(project, first) is False
    assert snapshot(engine, h.id) == rows


def test_settled_records_are_archived_even_by_a_projection_older_than_the_rows(
        settings: Settings) -> None:
    """After a reset, say, the workflow projects revisions the rows have passed: the rows stay
    as they are, but what the state lets go must be in the archive."""
    from datetime import UTC, datetime

    from sqlalchemy import func, select

    from store.projection import project
    from store.tables import CaseRecord
    from workflows.model.vocabulary import Action
    from workflows.rules import lifecycle as rules
    from workflows.rules.step import StepContext

    engine, keys = engine_for(settings.database), case_keys(settings)
    now = datetime.now(UTC)
    state = rules.open_case("case-" + "r" * 20, f.referral(), StepContext(now, f.CASEWORKER))
    for n in range(12):
        rules.record(state, Action.REASSIGNED, StepContext(now, f.CASEWORKER), f"x{n}")
    ahead = state.model_copy(update={"revision": 99, "steps": state.steps[:1]})
    assert project(engine, keys, ahead)
    older = state.model_copy(update={"revision": 3})
    assert project(engine, keys, older) is False
    with Session(engine) as session:
        archived = session.execute(select(func.count()).where(
            CaseRecord.case_id == state.case_id, CaseRecord.kind == "steps")).scalar_one()
        revision = session.execute(select(CaseRow.revision).where(
            CaseRow.case_id == state.case_id)).scalar_one()
    assert (archived, revision) == (12, 99)


@activity.defn(name="project_case")
async def unreadable(_state: CaseState) -> bool:
    """The read model's side of a failure no retry mends (a state this code cannot read)."""
    raise ApplicationError("the state could not be read", type="ValidationError",
                           non_retryable=True)


async def test_a_projection_no_retry_mends_fails_the_workflow_task_where_it_is_seen(
        env: WorkflowEnvironment, settings: Settings, open_case: Opener) -> None:
    # The read model's activity stands in (nothing else is needed here); the workflow and the
    # worker's sandbox are the real ones.
    worker = Worker(env.client, task_queue=settings.temporal_task_queue, workflows=WORKFLOWS,
                    activities=[unreadable], workflow_runner=WORKFLOW_RUNNER)
    async with worker:
        h = await open_case()

        async def failed_task() -> str | None:
            events = (await h.fetch_history()).events
            return next((e.workflow_task_failed_event_attributes.failure.message for e in events
                         if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED), None)

        # Not a line in the worker's log only: the run's task fails, visible in its history
        # (and the SDK's task-failure metric), and the run stays open for an operator to mend.
        # Named by its kinds, not its text (the SDK logs the message at every retry).
        message = await eventually(failed_task)
        assert message == "ActivityError: ValidationError", message
        assert (await h.describe()).status is WorkflowExecutionStatus.RUNNING
