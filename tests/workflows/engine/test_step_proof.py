"""The engine is not a back door: a case's workflow takes only the steps the API sealed
(`infra.proof`, `worker.proof`). Whoever else reaches Temporal sends steps that are refused
before they touch history, and a case they start never opens."""

from __future__ import annotations

import uuid

import pytest
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings
from tests.support import factories as f
from tests.support.workflow import Opener, rejected, settled
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.requests import Actor
from workflows.model.state import Carried, CaseInput, Opening
from workflows.model.vocabulary import CriminalStage, Office, Role

LEAD = Actor(user_id="lead-hel", role=Role.OFFICE_LEAD, office=Office.HELSINKI)


@pytest.mark.usefixtures("worker")
async def test_an_unsealed_step_is_refused_and_leaves_no_trace(open_case: Opener) -> None:
    h = await open_case()
    err = await rejected(h, CaseWorkflow.record_criminal_stage,
                         f.criminal(CriminalStage.REPORTED), 1, seal=False, actor=LEAD)
    assert err.type == "Forbidden" and "not sent by the API" in str(err)
    assert (await h.query(CaseWorkflow.state)).version == 1


@pytest.mark.usefixtures("worker")
async def test_a_seal_holds_only_for_its_own_case_step_actor_and_body(open_case: Opener) -> None:
    h = await open_case()
    other = await open_case()
    body = f.criminal(CriminalStage.REPORTED)
    meta = f.meta(1)
    sealed = f.sealed(h.id, "record_criminal_stage", meta, body)
    forgeries = [
        # the seal of another case, another step, another actor, another body
        f.sealed(other.id, "record_criminal_stage", meta, body),
        f.sealed(h.id, "exit_case", meta, body),
        sealed.model_copy(update={"actor": LEAD}),
        sealed.model_copy(update={"request_id": "someone-else's-request"}),
    ]
    await settled(h)
    changed = body.model_copy(update={"authority": "Someone else"})
    for forged, sent in [*((m, body) for m in forgeries), (sealed, changed)]:
        with pytest.raises(WorkflowUpdateFailedError) as caught:
            await h.execute_update(CaseWorkflow.record_criminal_stage, args=[forged, sent])
        cause = caught.value.cause
        assert isinstance(cause, ApplicationError) and "not sent by the API" in str(cause)
    assert (await h.query(CaseWorkflow.state)).version == 1
    # The real one goes through.
    state = await h.execute_update(CaseWorkflow.record_criminal_stage, args=[sealed, body])
    assert state.version == 2


@pytest.mark.usefixtures("worker")
async def test_a_case_started_by_anyone_but_the_api_never_opens(
        env: WorkflowEnvironment, settings: Settings) -> None:
    unsealed = CaseInput(opening=Opening(referral=f.referral(), meta=f.meta(0)))
    case_id = f"case-{uuid.uuid4().hex[:20]}"
    # A carried state is only a run's own continuation, never a new start.
    carried = CaseInput(carried=Carried(state=await _some_state(env, settings), keys={}))
    for inp in (unsealed, carried):
        handle = await env.client.start_workflow(CaseWorkflow.run, inp, id=case_id,
                                                 task_queue=settings.temporal_task_queue)
        with pytest.raises(WorkflowFailureError) as caught:
            await handle.result()
        assert "not sent by the API" in str(caught.value.cause)
        case_id = f"case-{uuid.uuid4().hex[:20]}"


async def _some_state(env: WorkflowEnvironment, settings: Settings) -> object:
    case_id = f"case-{uuid.uuid4().hex[:20]}"
    handle = await env.client.start_workflow(
        CaseWorkflow.run, CaseInput(opening=f.opening(case_id, f.referral())), id=case_id,
        task_queue=settings.temporal_task_queue)
    state = await handle.query(CaseWorkflow.state)
    await handle.terminate("test over")
    return state
