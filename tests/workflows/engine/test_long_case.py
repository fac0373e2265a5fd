"""A case of thousands of steps over seven simulated years, on the time-skipping server with a
real worker, read model and mailbox: what it carries stays bounded, and nothing is lost."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from infra.database import engine_for
from infra.settings import Settings
from store import queries
from store.keys import case_keys
from store.tables import CaseRecord
from tests.support import factories as f
from tests.support.workflow import Handle, Opener, client_of, describe_raw, settled, step
from worker.main import build_worker
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.requests import NotificationRef
from workflows.model.state import CaseState
from workflows.model.vocabulary import (
    CriminalStage,
    MeasureAction,
    NotificationStatus,
    Phase,
)
from workflows.rules import size

YEARS, CYCLES_PER_QUARTER = 7, 9  # 7 × 4 × 9 cycles of 8 steps: 2,016 steps


def payload_sizes(history: WorkflowHistory) -> dict[str, int]:
    """The largest payload of each kind in a run's history (JSON, as the converter wrote it)."""
    largest: dict[str, int] = {}

    def note(kind: str, payloads: Any) -> None:
        for p in payloads:
            largest[kind] = max(largest.get(kind, 0), len(p.data))

    for e in history.events:
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            note("run input", e.workflow_execution_started_event_attributes.input.payloads)
        elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            note("step result",
                 e.workflow_execution_update_completed_event_attributes.outcome.success.payloads)
        elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = e.activity_task_scheduled_event_attributes
            if attrs.activity_type.name == "project_case":
                note("projection", attrs.input.payloads)
        elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            note("run input",
                 e.workflow_execution_continued_as_new_event_attributes.input.payloads)
    return largest


def without_deliveries(state: CaseState) -> CaseState:
    """The state without the notifications still being delivered. A step answers before its
    notifications are delivered, and they leave the state once they are: one still retrying
    (with its error) follows how this machine's mailbox answered, not the case. A fresh-clone
    CI run had one sample 6 KB above the bound below; the rest follows from the steps."""
    return state.model_copy(update={"notifications": [
        n for n in state.notifications if n.status is not NotificationStatus.PENDING]})


async def every_run(handle: Handle) -> list[WorkflowHistory]:
    """The histories of a case's runs, newest first: each run names the one it continued."""
    run_id = (await describe_raw(handle)).workflow_execution_info.execution.run_id
    runs = []
    while run_id:
        history = await client_of(handle).get_workflow_handle(
            handle.id, run_id=run_id).fetch_history()
        runs.append(history)
        started = history.events[0].workflow_execution_started_event_attributes
        run_id = started.continued_execution_run_id
    return runs


async def test_thousands_of_steps_over_seven_years_stay_bounded(
        env: WorkflowEnvironment, settings: Settings, open_case: Opener) -> None:
    async with build_worker(env.client, settings):
        h = await open_case()
        s = await step(h, CaseWorkflow.decide_admission, f.admission(), 1)
        s = await step(h, CaseWorkflow.assess_needs, f.assessment(), s.version)
        s = await step(h, CaseWorkflow.record_criminal_stage, f.criminal(CriminalStage.REPORTED),
                       s.version)
        for stage in (CriminalStage.PRE_TRIAL_INVESTIGATION,
                      CriminalStage.CONSIDERATION_OF_CHARGES, CriminalStage.TRIAL):
            s = await step(h, CaseWorkflow.record_criminal_stage, f.criminal(stage), s.version)
        sizes, stage = [], CriminalStage.TRIAL
        for _ in range(YEARS * 4):
            await env.sleep(timedelta(days=92))
            for _ in range(CYCLES_PER_QUARTER):
                s = await step(h, CaseWorkflow.add_measure, f.measure(), s.version)
                m = s.measures[-1].id
                for action in (MeasureAction.START, MeasureAction.COMPLETE):
                    s = await step(h, CaseWorkflow.change_measure, f.measure_update(m, action),
                                   s.version)
                s = await step(h, CaseWorkflow.record_consent, f.consent(), s.version)
                told = NotificationRef(reason="Police confirmed by phone.",
                                       notification_id=s.notifications[-1].id)
                s = await step(h, CaseWorkflow.acknowledge_notification, told, s.version)
                # Delivered before consent ends. With the delivery still to come at the
                # withdrawal (cancelled, or refused by its attempt), the time-skipping server
                # stopped skipping time in this test, three runs of three: its lock for an
                # activity is left held (the family of sdk-java #1138). The withdrawal during a
                # delivery is tested on its own in test_notifications.
                await settled(h)
                s = await step(h, CaseWorkflow.record_consent, f.consent(given=False), s.version)
                stage = CriminalStage.APPEAL if stage is CriminalStage.JUDGMENT else (
                    CriminalStage.JUDGMENT)
                s = await step(h, CaseWorkflow.record_criminal_stage, f.criminal(stage),
                               s.version)
                other = "cw-pekka" if s.assignment.caseworker_id == "cw-anna" else "cw-anna"
                s = await step(h, CaseWorkflow.reassign, f.reassignment(other), s.version)
                sizes.append(size.size(without_deliveries(s)))
        steps = s.version
        await step(h, CaseWorkflow.exit_case, f.exit_decision(), s.version)
        await env.sleep(timedelta(days=40))  # the appeal period elapses; the case completes
        final = await h.result()

    assert steps > 2000 and final.phase is Phase.EXITED and final.version == steps + 1
    years = (final.steps[-1].at - final.referred_at) / timedelta(days=365)
    assert years > YEARS
    # The state levels off: its last year is no larger than its first (within a tenth).
    per_year = len(sizes) // YEARS
    assert max(sizes[-per_year:]) <= max(sizes[:per_year]) * 1.1, sizes[::per_year]
    assert max(sizes) < 64 * 1024  # an ordinary long case: tens of kilobytes

    # Every payload in every run's history stays within the state's budget.
    runs = await every_run(h)
    largest: dict[str, int] = {}
    for history in runs:
        assert len(history.events) <= 2100
        for kind, held in payload_sizes(history).items():
            largest[kind] = max(largest.get(kind, 0), held)
    assert len(runs) > 3
    assert set(largest) == {"run input", "step result", "projection"}
    assert max(largest.values()) < size.BUDGET, largest
    print(f"\n{steps} steps over {years:.1f} years in {len(runs)} runs; largest payloads "
          f"(bytes): {json.dumps(largest)}; state after each cycle: {min(sizes)}–{max(sizes)}")

    # Nothing was lost: the read model holds every step, in order, and the case's last state.
    engine, keys = engine_for(settings.database), case_keys(settings)
    with Session(engine) as session:
        archived = session.execute(select(func.count()).where(
            CaseRecord.case_id == h.id, CaseRecord.kind == "steps")).scalar_one()
    assert archived >= steps - size.KEEP["steps"]
    seqs, token = [], None
    while True:
        page = queries.case_steps(engine, keys, final, page_size=500, page_token=token)
        seqs += [st.seq for st in page.items]
        if not (token := page.next_page_token):
            break
    assert seqs == list(range(1, final.version + 1))
