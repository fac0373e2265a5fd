"""The lifecycle of a case as its rules state it, table by table and without a server: which
steps each phase allows and where they lead, how the criminal process and a measure move, and
what every other refusal is called. The workflow runs these same rules in its update validators;
`test_case_workflow.py` shows there that a refused step leaves nothing in the case's history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.support import factories as f
from tests.support.states import TODAY, in_intake, in_phase, referred, take
from workflows import steps
from workflows.model.requests import (
    AssessmentStart,
    DeadlineChange,
    DeadlineExtension,
    Duplicate,
    InformationRequest,
    Length,
    MeasureAnswer,
    MeasureProviderChange,
    NotificationRef,
    Provider,
    ReflectionPeriodGrant,
    Step,
    TakeOver,
)
from workflows.model.state import CaseState
from workflows.model.vocabulary import (
    AgencyType,
    ConsentGiver,
    CriminalStage,
    DeadlineAction,
    MeasureAction,
    MeasureStatus,
    Office,
    Phase,
)
from workflows.rules import client_work as work
from workflows.rules import deadlines, intake, measures
from workflows.rules import lifecycle as rules
from workflows.rules.step import Rule, StepRejected

STEPS: dict[str, tuple[Rule[Any], Step]] = {
    "admission decision": (rules.decide_admission, f.admission()),
    "start of the assessment": (rules.begin_assessment,
                                AssessmentStart(reason="Met the client.", started_on=TODAY)),
    "assessment of needs": (rules.assess_needs, f.assessment()),
    "assistance measure": (measures.add_measure, f.measure()),
    "criminal process": (rules.record_criminal_stage, f.criminal(CriminalStage.REPORTED)),
    "consent": (rules.record_consent, f.consent()),
    "reflection period": (rules.grant_reflection_period, ReflectionPeriodGrant(
        reason="Granted by the police.", granted_on=TODAY, length=Length(days=30),
        granted_by=AgencyType.POLICE)),
    "reassignment": (rules.reassign, f.reassignment()),
    "office transfer": (rules.transfer_office, f.transfer()),
    "notification by hand": (rules.notify_by_hand, f.manual_notification("police-test")),
    "transition to the home municipality": (rules.transition_to_municipality, f.transition()),
    "exit": (rules.exit_case, f.exit_decision()),
    "client plan": (work.revise_plan, f.plan()),
    "contact": (work.record_contact, f.contact()),
    "support network": (work.join_network, f.network_member()),
    "take over": (intake.take_over, TakeOver(reason="Mine.")),
    "ask the referrer": (intake.ask_referrer, InformationRequest(
        reason="Unclear.", question="How can we reach her?")),
    "duplicate": (intake.mark_duplicate, Duplicate(reason="Referred twice.",
                                                   duplicate_of="HEL-2026-0001")),
}
ALONGSIDE = {"criminal process", "consent", "reflection period", "reassignment",
             "office transfer", "notification by hand", "contact",
             "support network"}  # from referral to the case's close

# The lifecycle: the steps each phase allows (every other step is refused there).
LIFECYCLE: dict[Phase, set[str]] = {
    Phase.REFERRED: {"admission decision", "take over", "ask the referrer", "duplicate"}
    | ALONGSIDE,
    Phase.ADMITTED: {"start of the assessment", "assessment of needs", "assistance measure",
                     "exit"} | ALONGSIDE,
    Phase.ASSISTANCE: {"assistance measure", "transition to the home municipality",
                       "exit", "assessment of needs", "client plan"} | ALONGSIDE,
    Phase.MUNICIPALITY: {"assistance measure", "exit", "assessment of needs",
                         "client plan"} | ALONGSIDE,
    Phase.NOT_ADMITTED: set(),
    Phase.EXITED: set(),
    Phase.MERGED: set(),
}
# The steps that move a case on; every other allowed step leaves it in its phase.
MOVES = {(Phase.REFERRED, "admission decision"): Phase.ADMITTED,
         (Phase.REFERRED, "duplicate"): Phase.MERGED,
         (Phase.ADMITTED, "assessment of needs"): Phase.ASSISTANCE,
         (Phase.ASSISTANCE, "transition to the home municipality"): Phase.MUNICIPALITY,
         (Phase.ADMITTED, "exit"): Phase.EXITED,
         (Phase.ASSISTANCE, "exit"): Phase.EXITED,
         (Phase.MUNICIPALITY, "exit"): Phase.EXITED}


def test_every_step_of_its_own_has_its_row() -> None:
    """A step declared with a form of its own (`workflows.steps`) is in the table above: its
    phases there are the law's, written apart from its declaration."""
    assert {rule for rule, _ in STEPS.values()} == {
        s.rule for s in steps.STEPS if s.offered is steps.Offered.FORM}


def refused(state: CaseState, rule: Rule[Any], step: Step) -> StepRejected:
    with pytest.raises(StepRejected) as caught:
        take(state, rule, step)
    assert "Vasquez" not in str(caught.value) and "Maria" not in str(caught.value)
    return caught.value


@pytest.mark.parametrize("name", STEPS)
@pytest.mark.parametrize("phase", LIFECYCLE)
def test_each_phase_allows_its_steps_and_refuses_the_rest(phase: Phase, name: str) -> None:
    state = in_intake() if phase is Phase.REFERRED else in_phase(phase)  # an agency referred
    rule, step = STEPS[name]
    if name in LIFECYCLE[phase]:
        take(state, rule, step)
        assert state.phase is MOVES.get((phase, name), phase)
    else:
        expected = "CaseClosed" if phase.closed else "InvalidTransition"
        assert refused(state, rule, step).type == expected


def test_a_negative_admission_decision_closes_the_case() -> None:
    state = referred()
    take(state, rules.decide_admission, f.admission(admitted=False))
    assert state.phase is Phase.NOT_ADMITTED and state.phase.closed


CRIMINAL_PATHS = [
    [CriminalStage.REPORTED, CriminalStage.PRE_TRIAL_INVESTIGATION,
     CriminalStage.CONSIDERATION_OF_CHARGES, CriminalStage.TRIAL, CriminalStage.JUDGMENT,
     CriminalStage.APPEAL, CriminalStage.JUDGMENT],
    [CriminalStage.PRE_TRIAL_INVESTIGATION, CriminalStage.DISCONTINUED],  # no report first
    [CriminalStage.REPORTED, CriminalStage.DISCONTINUED],
    [CriminalStage.REPORTED, CriminalStage.PRE_TRIAL_INVESTIGATION,
     CriminalStage.CONSIDERATION_OF_CHARGES, CriminalStage.TRIAL, CriminalStage.DISCONTINUED],
]


@pytest.mark.parametrize("path", CRIMINAL_PATHS, ids=lambda p: "-".join(p))
def test_the_criminal_process_moves_one_stage_at_a_time_alongside_assistance(
        path: list[CriminalStage]) -> None:
    state = referred()  # from the referral on, before any admission decision
    for stage in path:
        take(state, rules.record_criminal_stage, f.criminal(stage))
    assert [r.stage for r in state.criminal_process.history] == path
    assert state.phase is Phase.REFERRED  # it never moves the case


@pytest.mark.parametrize(("path", "then"), [
    ([], CriminalStage.TRIAL),  # skips the investigation
    ([CriminalStage.REPORTED], CriminalStage.JUDGMENT),
    ([CriminalStage.REPORTED, CriminalStage.DISCONTINUED], CriminalStage.PRE_TRIAL_INVESTIGATION),
    ([CriminalStage.REPORTED, CriminalStage.PRE_TRIAL_INVESTIGATION,
      CriminalStage.CONSIDERATION_OF_CHARGES, CriminalStage.TRIAL, CriminalStage.JUDGMENT],
     CriminalStage.DISCONTINUED),  # judged: only an appeal follows
    ([], CriminalStage.APPEAL),
], ids=lambda v: v if isinstance(v, str) else None)
def test_the_criminal_process_does_not_skip_or_reopen(path: list[CriminalStage],
                                                      then: CriminalStage) -> None:
    state = referred()
    for stage in path:
        take(state, rules.record_criminal_stage, f.criminal(stage))
    err = refused(state, rules.record_criminal_stage, f.criminal(then))
    assert err.type == "InvalidTransition"
    assert err.details[0]["stage"] == str(path[-1] if path else CriminalStage.NONE)


# A measure is planned, started, completed; it may be cancelled until it is completed.
MEASURES = [
    ([], MeasureAction.START, MeasureStatus.STARTED),
    ([], MeasureAction.CANCEL, MeasureStatus.CANCELLED),
    ([MeasureAction.START], MeasureAction.COMPLETE, MeasureStatus.COMPLETED),
    ([MeasureAction.START], MeasureAction.CANCEL, MeasureStatus.CANCELLED),
    ([], MeasureAction.COMPLETE, None),
    ([MeasureAction.START], MeasureAction.START, None),
    ([MeasureAction.START, MeasureAction.COMPLETE], MeasureAction.CANCEL, None),
    ([MeasureAction.CANCEL], MeasureAction.START, None),
]


@pytest.mark.parametrize(("before", "action", "becomes"), MEASURES)
def test_a_measure_moves_from_planned_to_started_to_completed_or_cancelled(
        before: list[MeasureAction], action: MeasureAction, becomes: MeasureStatus | None) -> None:
    state = in_phase(Phase.ASSISTANCE)
    take(state, measures.add_measure, f.measure())
    for earlier in before:
        take(state, measures.change_measure, f.measure_update("M1", earlier))
    if becomes is None:
        assert refused(state, measures.change_measure,
                       f.measure_update("M1", action)).type == "InvalidTransition"
    else:
        take(state, measures.change_measure, f.measure_update("M1", action))
        assert state.measures[0].status is becomes


def with_measure(provider: Provider | None = None) -> CaseState:
    state = in_phase(Phase.ASSISTANCE)
    take(state, measures.add_measure, f.measure().model_copy(
        update={"provider": provider or f.measure().provider}))
    return state


VSF = Provider(agency_type=AgencyType.NGO, organisation="Victim Support Finland",
               agency_id="vsf")
ANSWER = MeasureAnswer(reason="We take it.", measure_id="M1", accepted=True)

# (what is refused, the case it is refused in, the step, the refusal)
REFUSALS: list[tuple[str, Any, tuple[Rule[Any], Step], str]] = [
    ("a guardian's consent for an adult", referred,
     (rules.record_consent, f.consent(by=ConsentGiver.GUARDIAN)), "InvalidStep"),
    ("reassignment to the same caseworker", referred,
     (rules.reassign, f.reassignment("cw-anna")), "InvalidStep"),
    ("transfer to the same office", referred,
     (rules.transfer_office, f.transfer(Office.HELSINKI)), "InvalidStep"),
    ("a handover before the home municipality", lambda: in_phase(Phase.ASSISTANCE),
     (rules.transition_to_municipality, f.transition().model_copy(update={
         "handover_on": f.transition().home_municipality_since - timedelta(days=1)})),
     "InvalidStep"),
    ("a notification by hand without consent or legal basis", referred,
     (rules.notify_by_hand, f.manual_notification("police-test", basis=None)), "ConsentMissing"),
    ("an assessment started twice", lambda: _started(in_phase(Phase.ADMITTED)),
     STEPS["start of the assessment"], "InvalidTransition"),
    ("a change of an unknown measure", lambda: in_phase(Phase.ASSISTANCE),
     (measures.change_measure, f.measure_update("M9", MeasureAction.START)), "UnknownMeasure"),
    ("a second answer to a measure", lambda: _answered(with_measure(VSF)),
     (measures.respond_to_measure, ANSWER), "InvalidTransition"),
    ("another provider for a started measure",
     lambda: _started_measure(with_measure()),
     (measures.change_provider, MeasureProviderChange(reason="Moved.", measure_id="M1",
                                                   provider=VSF)), "InvalidTransition"),
    ("an unknown deadline met", referred,
     (deadlines.change_deadline, DeadlineChange(reason="Done.", deadline_id="D9",
                                            action=DeadlineAction.MEET)), "UnknownDeadline"),
    ("a deadline met twice", lambda: in_phase(Phase.ADMITTED),  # D1, the decision, was met
     (deadlines.change_deadline, DeadlineChange(reason="Done.", deadline_id="D1",
                                            action=DeadlineAction.MEET)), "InvalidTransition"),
    ("a settled deadline extended", lambda: in_phase(Phase.ADMITTED),
     (deadlines.extend_deadline, DeadlineExtension(reason="More time.", deadline_id="D1",
                                               extension=Length(days=10))), "InvalidTransition"),
    ("an unknown notification acknowledged", referred,
     (rules.acknowledge_notification, NotificationRef(reason="Got it.", notification_id="N9")),
     "UnknownNotification"),
    ("a pending notification resent", lambda: _notified(referred()),
     (rules.resend_notification, NotificationRef(reason="Again.", notification_id="N1")),
     "InvalidTransition"),
]


def _started(state: CaseState) -> CaseState:
    take(state, *STEPS["start of the assessment"])
    return state


def _answered(state: CaseState) -> CaseState:
    take(state, measures.respond_to_measure, ANSWER)
    return state


def _started_measure(state: CaseState) -> CaseState:
    take(state, measures.change_measure, f.measure_update("M1", MeasureAction.START))
    return state


def _notified(state: CaseState) -> CaseState:
    take(state, *STEPS["notification by hand"])
    return state


@pytest.mark.parametrize(("make", "refused_step", "code"), [r[1:] for r in REFUSALS],
                         ids=[r[0] for r in REFUSALS])
def test_steps_the_case_does_not_allow_are_refused_by_name(
        make: Any, refused_step: tuple[Rule[Any], Step], code: str) -> None:
    assert refused(make(), *refused_step).type == code


@pytest.mark.parametrize(("changes", "field"), [
    ({"client_consent": False}, "client_consent"),
    ({"minor": True, "guardian_consent": False}, "guardian_consent"),
])
def test_no_case_opens_without_the_consent_to_refer(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(StepRejected) as caught:
        referred(**changes)
    assert caught.value.type == "ConsentMissing" and caught.value.details[0]["field"] == field


def test_each_step_is_recorded_with_who_when_why_and_the_version_it_made() -> None:
    state = in_phase(Phase.ASSISTANCE)
    actions = [(s.seq, s.action, s.version, s.actor.user_id) for s in state.steps]
    assert actions == [(1, "referred", 1, "cw-anna"), (2, "admitted", 2, "cw-anna"),
                       (3, "needs_assessed", 3, "cw-anna")]
    assert state.version == 3 and state.steps[-1].reason == f.assessment().reason
