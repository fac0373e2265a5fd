"""CaseWorkflow on the time-skipping test server: every step, every refusal, long lives."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from infra.settings import Settings
from infra.temporal import DATA_CONVERTER
from tests.support import factories as f
from tests.support.workflow import Opener, keywords, rejected, step
from worker.main import WORKFLOWS, build_worker
from worker.sandbox import WORKFLOW_RUNNER
from workflows.engine.case_workflow import RUN_AGE, CaseWorkflow
from workflows.model.requests import Actor, PlanApproval
from workflows.model.search_attributes import CASE_OFFICE, CASE_PHASE
from workflows.model.state import CaseInput
from workflows.model.vocabulary import (
    ConsentGiver,
    ConsentScope,
    CriminalStage,
    MeasureAction,
    MeasureStatus,
    MeasureType,
    Office,
    Phase,
    Role,
)


@pytest.mark.usefixtures("worker")
async def test_a_case_through_its_whole_life(open_case: Opener) -> None:
    h = await open_case()
    s = await h.query(CaseWorkflow.state)
    assert (s.phase, s.version, s.assignment.caseworker_id) == (Phase.REFERRED, 1, "cw-anna")
    assert [(c.scope, c.given_by) for c in s.consents] == [
        (ConsentScope.REFERRAL, ConsentGiver.CLIENT)]

    s = await step(h, CaseWorkflow.decide_admission, f.admission(), 1)
    assert s.phase is Phase.ADMITTED and s.admission and s.admission.admitted
    s = await step(h, CaseWorkflow.add_measure, f.measure(), 2)  # urgent, before assessment
    s = await step(h, CaseWorkflow.assess_needs, f.assessment(), 3)
    assert s.phase is Phase.ASSISTANCE and s.needs and s.needs.criminal_matter
    s = await step(h, CaseWorkflow.add_measure, f.measure(MeasureType.LEGAL_AID), 4)
    s = await step(h, CaseWorkflow.change_measure, f.measure_update("M1", MeasureAction.START), 5)
    s = await step(h, CaseWorkflow.change_measure,
                   f.measure_update("M1", MeasureAction.COMPLETE), 6)
    s = await step(h, CaseWorkflow.change_measure,
                   f.measure_update("M2", MeasureAction.CANCEL), 7)
    assert [m.status for m in s.measures] == [MeasureStatus.COMPLETED, MeasureStatus.CANCELLED]

    s = await step(h, CaseWorkflow.record_consent, f.consent(), 8)
    version = s.version
    for stage in (CriminalStage.REPORTED, CriminalStage.PRE_TRIAL_INVESTIGATION,
                  CriminalStage.CONSIDERATION_OF_CHARGES, CriminalStage.TRIAL,
                  CriminalStage.JUDGMENT, CriminalStage.APPEAL, CriminalStage.JUDGMENT):
        s = await step(h, CaseWorkflow.record_criminal_stage, f.criminal(stage), version)
        version = s.version
    assert s.criminal_process.stage is CriminalStage.JUDGMENT
    assert len(s.criminal_process.history) == 7

    s = await step(h, CaseWorkflow.reassign, f.reassignment(), version)
    s = await step(h, CaseWorkflow.transfer_office, f.transfer(), s.version)
    assert (s.assignment.office, s.assignment.caseworker_id) == (Office.TAMPERE, "cw-tiina")
    # From here on the case is Tampere's.
    tiina = f.TAMPERE_CASEWORKER
    s = await step(h, CaseWorkflow.transition_to_municipality, f.transition(), s.version,
                   actor=tiina)
    assert s.phase is Phase.MUNICIPALITY and s.municipality
    s = await step(h, CaseWorkflow.add_measure, f.measure(MeasureType.INTERPRETING), s.version,
                   actor=tiina)
    s = await step(h, CaseWorkflow.exit_case, f.exit_decision(), s.version, actor=tiina)

    final = await h.result()
    assert final.phase is Phase.EXITED and final.exit and final.exit.appealable
    # The state keeps the newest steps; the read model has every one (seq = version).
    assert final.version == 21 and final.archived.steps + len(final.steps) == 21
    assert [st.seq for st in final.steps] == list(range(22 - len(final.steps), 22))
    assert all(st.seq == st.version for st in final.steps)
    assert final.steps[-1].action == "exited"
    assert [st.actor.user_id for st in final.steps[-3:]] == ["cw-tiina"] * 3
    assert all(st.reason for st in final.steps)
    _, attributes = await keywords(h)
    assert (attributes[CASE_PHASE.name], attributes[CASE_OFFICE.name]) == ("exited", "tampere")

    # The recorded history replays on the current code.
    await Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER,
                   workflow_runner=WORKFLOW_RUNNER).replay_workflow(
        await h.fetch_history())


@pytest.mark.usefixtures("worker")
async def test_non_admission_closes_the_case(open_case: Opener) -> None:
    h = await open_case()
    await step(h, CaseWorkflow.decide_admission, f.admission(admitted=False), 1)
    final = await h.result()
    assert final.phase is Phase.NOT_ADMITTED
    assert final.admission and not final.admission.admitted and final.admission.appealable


@pytest.mark.usefixtures("worker")
async def test_minor_records_guardian_consent(open_case: Opener) -> None:
    h = await open_case(minor=True, guardian_consent=True)
    s = await h.query(CaseWorkflow.state)
    assert {c.given_by for c in s.consents} == {ConsentGiver.CLIENT, ConsentGiver.GUARDIAN}
    s = await step(h, CaseWorkflow.record_consent,
                   f.consent(given=False, by=ConsentGiver.GUARDIAN), 1)
    assert s.consents[-1].given is False and s.steps[-1].action == "consent_withdrawn"


def assisted() -> list[tuple[Any, Any]]:
    return [(CaseWorkflow.decide_admission, f.admission()),
            (CaseWorkflow.assess_needs, f.assessment())]


def refusals() -> list[tuple[list[Any], tuple[Any, Any], str]]:
    """A few of the refusals `rules/test_lifecycle.py` tables, each of another kind, through
    the workflow: (steps to reach the state, the refused step, the error code). Made when a
    test runs, not when the module is read: their dates are today's in Helsinki, and a run
    that crossed midnight there refused them for the wrong reason."""
    return [
        ([], (CaseWorkflow.assess_needs, f.assessment()), "InvalidTransition"),
        ([], (CaseWorkflow.record_consent, f.consent(by=ConsentGiver.GUARDIAN)), "InvalidStep"),
        ([(CaseWorkflow.decide_admission, f.admission())],
         (CaseWorkflow.change_measure, f.measure_update("M9", MeasureAction.START)),
         "UnknownMeasure"),
        ([(CaseWorkflow.record_criminal_stage, f.criminal(CriminalStage.REPORTED)),
          (CaseWorkflow.record_criminal_stage, f.criminal(CriminalStage.DISCONTINUED))],
         (CaseWorkflow.record_criminal_stage, f.criminal(CriminalStage.PRE_TRIAL_INVESTIGATION)),
         "InvalidTransition"),
        # Refused by a guard alone (the rule would take them): the validators run the guards on
        # the very rules every update names.
        ([], (CaseWorkflow.decide_admission, f.admission().model_copy(
            update={"decided_on": f.today() + timedelta(days=3)})), "InvalidStep"),
        (assisted(), (CaseWorkflow.revise_plan, f.plan(review_in_days=-3)), "InvalidStep"),
        ([], (CaseWorkflow.record_contact, f.contact(at=datetime.now(UTC) + timedelta(days=2))),
         "InvalidStep"),
        ([*assisted(), (CaseWorkflow.revise_plan, f.plan())],
         (CaseWorkflow.approve_plan, PlanApproval(reason="Agreed.", plan=1)), "Forbidden"),
    ]


@pytest.mark.usefixtures("worker")
@pytest.mark.parametrize("n", range(len(refusals())), ids=[c for *_, c in refusals()])
async def test_invalid_steps_are_refused_before_history(open_case: Opener, n: int) -> None:
    setup, refused, code = refusals()[n]
    h = await open_case()
    version = 1
    for update, body in setup:
        version = (await step(h, update, body, version)).version
    err = await rejected(h, *refused, version)
    assert err.type == code
    assert "Vasquez" not in str(err) and "Maria" not in str(err)
    assert (await h.query(CaseWorkflow.state)).version == version
    accepted = [e for e in (await h.fetch_history()).events
                if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED]
    assert len(accepted) == len(setup)  # the validator said no: the step left no trace


@pytest.mark.usefixtures("worker")
async def test_a_stale_step_is_refused_with_the_current_version(
        open_case: Opener) -> None:
    h = await open_case()
    await step(h, CaseWorkflow.decide_admission, f.admission(), 1)
    # A second caseworker still looking at version 1 tries to act.
    err = await rejected(h, CaseWorkflow.add_measure, f.measure(), 1)
    assert err.type == "StaleVersion" and err.details[0]["current_version"] == 2


@pytest.mark.usefixtures("worker")
async def test_a_retried_step_has_one_effect(open_case: Opener) -> None:
    h = await open_case()
    await step(h, CaseWorkflow.decide_admission, f.admission(), 1)
    first = await step(h, CaseWorkflow.add_measure, f.measure(), 2, key="k-1", fingerprint="a")
    # The retry carries the version the caseworker saw then, now stale: still one effect.
    again = await step(h, CaseWorkflow.add_measure, f.measure(), 2, key="k-1", fingerprint="a")
    assert again.version == first.version == 3 and len(again.measures) == 1
    err = await rejected(h, CaseWorkflow.add_measure, f.measure(), 3, key="k-1",
                         fingerprint="b")
    assert err.type == "IdempotencyKeyReused"


@pytest.mark.usefixtures("worker")
async def test_a_closed_case_takes_no_more_steps(
        open_case: Opener) -> None:
    h = await open_case()
    await step(h, CaseWorkflow.decide_admission, f.admission(admitted=False), 1)
    await h.result()
    # The server refuses: the run has completed (the API turns this into 409).
    with pytest.raises(RPCError) as caught:
        await step(h, CaseWorkflow.add_measure, f.measure(), 2)
    assert caught.value.status is RPCStatusCode.NOT_FOUND
    assert (await h.query(CaseWorkflow.state)).measures == []


async def test_continue_as_new_keeps_everything(dev_env: WorkflowEnvironment,
                                                settings: Settings) -> None:
    # On the real dev server: right after a run continues as new, the time-skipping server can
    # hand the next query to the closed run and drop its answer (the query times out).
    client = dev_env.client
    async with build_worker(client, settings):
        case_id = f"case-{uuid.uuid4().hex[:20]}"
        started = await client.start_workflow(
            CaseWorkflow.run, CaseInput(opening=f.opening(case_id, f.referral()),
                                        history_limit=50),
            id=case_id, task_queue=settings.temporal_task_queue)
        h = client.get_workflow_handle_for(CaseWorkflow.run, started.id)
        first_run, _ = await keywords(h)
        s = await step(h, CaseWorkflow.decide_admission, f.admission(), 1, key="adm")
        for _ in range(12):
            s = await step(h, CaseWorkflow.add_measure, f.measure(), s.version)
        s = await h.query(CaseWorkflow.state)
        assert s.runs > 1 and (await keywords(h))[0] != first_run
        assert s.version == 14 and [m.id for m in s.measures] == [f"M{i}" for i in range(1, 13)]
        assert [st.seq for st in s.steps] == list(range(15 - len(s.steps), 15))
        # An idempotency key from the first run is still known in the later ones.
        again = await step(h, CaseWorkflow.decide_admission, f.admission(), 1, key="adm")
        assert again.version == 14
        assert (await keywords(h))[1][CASE_PHASE.name] == "admitted"
        await h.terminate("test over")


@pytest.mark.usefixtures("worker")
async def test_a_case_lives_five_years(env: WorkflowEnvironment,
        open_case: Opener) -> None:
    h = await open_case(history_limit=60)
    start = await env.get_current_time()
    s = await step(h, CaseWorkflow.decide_admission, f.admission(), 1)
    s = await step(h, CaseWorkflow.assess_needs, f.assessment(), s.version)
    for _ in range(5 * 4):  # five years, quarter by quarter
        await env.sleep(timedelta(days=91))
        s = await step(h, CaseWorkflow.add_measure, f.measure(), s.version)
    s = await step(h, CaseWorkflow.exit_case, f.exit_decision(), s.version)
    final = await h.result()
    lived = final.steps[-1].at - final.referred_at
    assert timedelta(days=5 * 364) <= lived <= timedelta(days=5 * 366)
    assert final.referred_at - start < timedelta(minutes=1)
    assert final.runs > 1 and final.phase is Phase.EXITED
    # The exit cancelled the twenty measures still planned; settled, all but the newest left
    # the state for the archive.
    assert final.archived.measures + len(final.measures) == 20
    assert {m.status for m in final.measures} == {MeasureStatus.CANCELLED}


@pytest.mark.usefixtures("worker")
async def test_a_retried_step_is_answered_as_what_it_was(open_case: Opener) -> None:
    """The caseworker's connection drops after a step; meanwhile the case moves to another
    office. Her retry (same key, same request) is answered as the step it was, not refused as
    outside her office; a new step of hers is refused."""
    h = await open_case()
    s = await step(h, CaseWorkflow.decide_admission, f.admission(), 1, key="adm-1")
    lead = Actor(user_id="lead-hel", role=Role.OFFICE_LEAD, office=Office.HELSINKI)
    moved = await step(h, CaseWorkflow.transfer_office, f.transfer(), s.version, actor=lead)
    again = await step(h, CaseWorkflow.decide_admission, f.admission(), 1, key="adm-1")
    assert again.version == moved.version  # answered, nothing applied twice
    err = await rejected(h, CaseWorkflow.add_measure, f.measure(), moved.version)
    assert err.type == "OutsideOffice"
    # Someone else with her key is another request: refused for who they are, as before.
    other = Actor(user_id="cw-oulu", role=Role.CASEWORKER, office=Office.OULU)
    err = await rejected(h, CaseWorkflow.decide_admission, f.admission(), 1, key="adm-1",
                         actor=other, fingerprint="another")
    assert err.type == "OutsideOffice"


@pytest.mark.usefixtures("worker")
async def test_a_quiet_case_moves_on_to_current_code(env: WorkflowEnvironment,
                                                    open_case: Opener) -> None:
    """A case with nothing happening for months still continues as new every `RUN_AGE`: its
    next run runs the code deployed since, so a patch marker can retire on a schedule rather
    than when the quietest case's history fills."""
    h = await open_case()
    await step(h, CaseWorkflow.decide_admission, f.admission(), 1)
    first, _ = await keywords(h)
    await env.sleep(RUN_AGE + timedelta(days=1))
    s = await h.query(CaseWorkflow.state)
    assert s.runs == 2 and (await keywords(h))[0] != first and s.version == 2
