"""The work between the steps as its rules state it, without a server: the client plan and its
revisions and approval, reassessment, contacts and appointments, the support network, handovers
between workers, acute danger, and how a measure ends."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.support import factories as f
from tests.support.states import NOW, TODAY, in_phase, referred, take
from workflows.model.requests import (
    Actor,
    NetworkLeave,
    NotificationRef,
    PlanApproval,
    Provider,
    Step,
)
from workflows.model.state import CaseState
from workflows.model.vocabulary import (
    Action,
    ConsentScope,
    ContactStatus,
    DeadlineKind,
    DeadlineStatus,
    LegalBasis,
    MeasureAction,
    MeasureOutcome,
    MeasureStatus,
    NotificationStatus,
    Office,
    Phase,
    PlanStatus,
    Purpose,
    Role,
    ThreatLevel,
)
from workflows.rules import client_work as work
from workflows.rules import guards, measures, size
from workflows.rules import lifecycle as rules
from workflows.rules.notifications import consent_in_force
from workflows.rules.step import Rule, StepContext, StepRejected
from workflows.steps import of

LEAD = Actor(user_id="lead-jussi", role=Role.OFFICE_LEAD, office=Office.HELSINKI)
OULU_LEAD = Actor(user_id="lead-oona", role=Role.OFFICE_LEAD, office=Office.OULU)


def refused(state: CaseState, rule: Rule[Any], step: Step, **ctx: Any) -> StepRejected:
    with pytest.raises(StepRejected) as caught:
        of(rule).take(state, step, StepContext(NOW, f.CASEWORKER, **ctx), notify=True)
    assert "Vasquez" not in str(caught.value) and "sleeps" not in str(caught.value)
    return caught.value


def approving(state: CaseState, rule: Rule[Any], step: Step, actor: Actor = f.CASEWORKER,
              ) -> Action:
    """A step under a deployment that requires an office lead's approval of plans."""
    ctx = StepContext(NOW, actor, approval_required=True)
    return of(rule).take(state, step, ctx, notify=True)


def of_kind(state: CaseState, kind: DeadlineKind) -> list[tuple[str, Any, DeadlineStatus]]:
    return [(d.subject or "", d.due_on, d.status) for d in state.deadlines if d.kind is kind]


def assisted() -> CaseState:
    return in_phase(Phase.ASSISTANCE)


# --- the client plan -----------------------------------------------------------------------

def test_a_plan_rests_on_the_assessment_and_its_review_dates_are_deadlines() -> None:
    state = assisted()
    take(state, measures.add_measure, f.measure())
    assert take(state, work.revise_plan, f.plan("M1")) is Action.PLAN_ADOPTED
    (plan,) = state.plans
    assert (plan.number, plan.rests_on, plan.status, plan.goals[0].measure_ids) == (
        1, 1, PlanStatus.IN_FORCE, ["M1"])
    review = f.plan().review_on[0]
    assert of_kind(state, DeadlineKind.PLAN_REVIEW) == [("plan 1", review, DeadlineStatus.OPEN)]


def test_a_revision_keeps_the_earlier_plan_readable_and_replaces_its_review_dates() -> None:
    state = assisted()
    take(state, work.revise_plan, f.plan())
    take(state, rules.assess_needs, f.assessment())  # a reassessment
    take(state, work.revise_plan, f.plan(review_in_days=60))
    first, second = state.plans
    assert (first.status, second.status) == (PlanStatus.SUPERSEDED, PlanStatus.IN_FORCE)
    assert (first.rests_on, second.rests_on) == (1, 2)
    assert first.goals == second.goals  # the earlier one as it was
    assert state.plan_in_force() is second
    reviews = of_kind(state, DeadlineKind.PLAN_REVIEW)
    assert [(s, status) for s, _, status in reviews] == [
        ("plan 1", DeadlineStatus.CANCELLED), ("plan 2", DeadlineStatus.OPEN)]


def test_a_plan_names_only_the_case_s_measures() -> None:
    state = assisted()
    err = refused(state, work.revise_plan, f.plan("M7"))
    assert (err.type, err.details[0]["measure_ids"]) == ("UnknownMeasure", ["M7"])
    assert state.plans == []


def test_with_approval_required_a_plan_waits_for_the_office_lead() -> None:
    state = assisted()
    assert approving(state, work.revise_plan, f.plan()) is Action.PLAN_PROPOSED
    assert state.plans[0].status is PlanStatus.AWAITING_APPROVAL
    assert of_kind(state, DeadlineKind.PLAN_REVIEW) == []  # nothing in force yet
    approval = PlanApproval(reason="Realistic and agreed.", plan=1)
    assert approving(state, work.approve_plan, approval, LEAD) is Action.PLAN_ADOPTED
    assert (state.plans[0].status, state.plans[0].approved_by) == (PlanStatus.IN_FORCE, LEAD)
    assert len(of_kind(state, DeadlineKind.PLAN_REVIEW)) == 1
    assert refused(state, work.approve_plan, approval).type == "InvalidTransition"
    assert refused(state, work.approve_plan, PlanApproval(reason="x", plan=9)).type == (
        "UnknownItem")


def test_an_approval_later_than_a_review_date_opens_only_the_reviews_ahead() -> None:
    state = assisted()
    step = f.plan().model_copy(update={"review_on": [TODAY - timedelta(days=1),
                                                     TODAY + timedelta(days=30)]})
    approving(state, work.revise_plan, step)
    approving(state, work.approve_plan, PlanApproval(reason="Late, but agreed.", plan=1), LEAD)
    assert [day for _, day, _ in of_kind(state, DeadlineKind.PLAN_REVIEW)] == [
        TODAY + timedelta(days=30)]


def test_superseded_plans_earlier_assessments_and_departed_members_leave_the_state() -> None:
    """They go to the read model like other settled records; numbers count on from them."""
    state = assisted()
    for _ in range(size.KEEP["plans"] + 3):
        take(state, work.revise_plan, f.plan())
        take(state, rules.assess_needs, f.assessment())
    for _ in range(size.KEEP["network"] + 2):
        take(state, work.join_network, f.network_member())
        take(state, work.leave_network, NetworkLeave(reason="x", member_id=state.network[-1].id))
    size.trim(state, size.leaving(state))
    assert (state.archived.plans, state.archived.assessments, state.archived.network) == (
        2, 3, 2)  # 5 superseded, 6 earlier, 12 departed: the newest 3, 3 and 10 stay
    take(state, work.revise_plan, f.plan())
    take(state, work.join_network, f.network_member())
    assert (state.plans[-1].number, state.network[-1].id) == (7, "P13")
    assert state.plan_in_force() is state.plans[-1]


def test_a_revision_replaces_one_still_awaiting_approval() -> None:
    state = assisted()
    approving(state, work.revise_plan, f.plan())
    approving(state, work.revise_plan, f.plan(review_in_days=45))
    assert [p.status for p in state.plans] == [PlanStatus.SUPERSEDED,
                                               PlanStatus.AWAITING_APPROVAL]


@pytest.mark.parametrize(("actor", "allowed"), [
    (LEAD, True), (f.CASEWORKER, False), (OULU_LEAD, False)])
def test_only_the_lead_of_the_case_s_office_approves_a_plan(actor: Actor, allowed: bool) -> None:
    state = assisted()
    approval = PlanApproval(reason="Agreed.", plan=1)
    meta = f.meta(state.version, actor=actor)
    if allowed:
        of(work.approve_plan).authorize(state, meta, approval)
    else:
        with pytest.raises(StepRejected) as caught:
            of(work.approve_plan).authorize(state, meta, approval)
        assert caught.value.type in ("Forbidden", "OutsideOffice")


@pytest.mark.parametrize(("days", "ok"), [(-1, False), (0, True), (365, True), (400, False)])
def test_review_dates_lie_ahead_within_a_year(days: int, ok: bool) -> None:
    step = f.plan().model_copy(update={"review_on": [TODAY + timedelta(days=days)]})
    if ok:
        of(work.revise_plan).check_dates(assisted(), step, TODAY)
    else:
        with pytest.raises(StepRejected, match="review_on"):
            of(work.revise_plan).check_dates(assisted(), step, TODAY)


# --- reassessment --------------------------------------------------------------------------

def test_a_reassessment_keeps_the_earlier_one_and_the_phase() -> None:
    state = in_phase(Phase.MUNICIPALITY)
    changed = f.assessment().model_copy(update={"safety_threat": ThreatLevel.LOW})
    assert take(state, rules.assess_needs, changed) is Action.NEEDS_REASSESSED
    assert state.phase is Phase.MUNICIPALITY
    assert [n.number for n in state.past_needs] == [1]
    assert state.needs is not None and (state.needs.number, state.needs.safety_threat) == (
        2, ThreatLevel.LOW)


# --- contacts and appointments -------------------------------------------------------------

def test_a_planned_appointment_is_a_deadline_met_when_it_is_recorded() -> None:
    state = referred()
    assert take(state, work.record_contact, f.contact(ContactStatus.PLANNED)) is (
        Action.CONTACT_PLANNED)
    (planned,) = state.contacts
    assert planned.id == "K1" and planned.status is ContactStatus.PLANNED
    assert [s for s, _, st in of_kind(state, DeadlineKind.APPOINTMENT)
            if st is DeadlineStatus.OPEN] == ["K1"]
    take(state, work.record_contact, f.contact(ContactStatus.MISSED, appointment_id="K1"))
    assert (len(state.contacts), state.contacts[0].status) == (1, ContactStatus.MISSED)
    assert of_kind(state, DeadlineKind.APPOINTMENT)[0][2] is DeadlineStatus.MET
    again = f.contact(ContactStatus.HELD, appointment_id="K1")
    assert refused(state, work.record_contact, again).type == "InvalidTransition"


@pytest.mark.parametrize(("step", "code"), [
    (f.contact(ContactStatus.HELD, appointment_id="K9"), "UnknownItem"),
    (f.contact(ContactStatus.PLANNED, threat=ThreatLevel.HIGH), "InvalidStep"),
])
def test_contacts_refused(step: Step, code: str) -> None:
    assert refused(referred(), work.record_contact, step).type == code


def test_a_cancelled_appointment_cancels_its_deadline() -> None:
    state = referred()
    take(state, work.record_contact, f.contact(ContactStatus.PLANNED))
    take(state, work.record_contact, f.contact(ContactStatus.CANCELLED, appointment_id="K1"))
    assert of_kind(state, DeadlineKind.APPOINTMENT)[0][2] is DeadlineStatus.CANCELLED


@pytest.mark.parametrize(("status", "hours", "ok"), [
    (ContactStatus.HELD, -1, True), (ContactStatus.HELD, 48, False),
    (ContactStatus.PLANNED, 48, True), (ContactStatus.PLANNED, -48, False),
])
def test_contacts_take_place_after_the_referral_and_appointments_lie_ahead(
        status: ContactStatus, hours: int, ok: bool) -> None:
    state = referred()
    step = f.contact(status, at=NOW + timedelta(hours=hours))
    if ok:
        of(work.record_contact).check_dates(state, step, TODAY)
    else:
        with pytest.raises(StepRejected, match="'?at"):
            of(work.record_contact).check_dates(state, step, TODAY)


# --- acute danger ---------------------------------------------------------------------------

def test_acute_danger_stands_until_the_police_are_notified_on_its_basis() -> None:
    state = referred()
    take(state, work.record_contact, f.contact(threat=ThreatLevel.ACUTE))
    assert state.acute_danger_at == NOW
    take(state, rules.notify_by_hand, f.manual_notification("police-1"))
    assert state.acute_danger_at is None
    assert state.notifications[-1].legal_basis is LegalBasis.ACUTE_DANGER


def test_a_run_without_the_patch_raises_no_new_command_from_old_steps() -> None:
    """Recorded histories replay as they ran: an acute assessment alerts no one and a
    reassignment opens no deadline before the patch; what only changes the state (the handover
    kept and counted) and what only new steps do (a contact's acute threat) need no patch."""
    state = in_phase(Phase.ADMITTED)
    old = StepContext(NOW, f.CASEWORKER, work=False)
    acute = f.assessment().model_copy(update={"safety_threat": ThreatLevel.ACUTE})
    of(rules.assess_needs).take(state, acute, old, notify=True)
    of(rules.reassign).take(state, f.reassignment(), old, notify=True)
    assert state.acute_danger_at is None
    assert (state.worker_changes, [h.to_caseworker for h in state.handovers]) == (1, ["cw-pekka"])
    assert of_kind(state, DeadlineKind.FIRST_CONTACT) == []
    assert [n.purpose for n in state.notifications] == ["joint_assessment"]
    of(work.record_contact).take(state, f.contact(threat=ThreatLevel.ACUTE), old, notify=True)
    assert state.acute_danger_at == NOW
    assert [n.purpose for n in state.notifications][-1] == "acute_danger"


def test_a_reassessment_below_acute_ends_the_danger_and_only_acute_alerts() -> None:
    state = assisted()
    take(state, rules.assess_needs, f.assessment().model_copy(
        update={"safety_threat": ThreatLevel.ACUTE}))
    assert state.acute_danger_at == NOW
    take(state, work.record_contact, f.contact(threat=ThreatLevel.LOW))  # same instant
    assert [n.purpose for n in state.notifications].count("acute_danger") == 1
    take(state, rules.assess_needs, f.assessment())  # high, not acute
    assert state.acute_danger_at is None


# --- handovers -------------------------------------------------------------------------------

def test_a_change_of_worker_carries_a_note_and_makes_the_first_contact_a_deadline() -> None:
    state = referred()
    take(state, rules.reassign, f.reassignment().model_copy(
        update={"handover_note": "Prefers phone calls in the afternoon."}))
    assert state.worker_changes == 1
    (handover,) = state.handovers
    assert (handover.from_caseworker, handover.to_caseworker, handover.note) == (
        "cw-anna", "cw-pekka", "Prefers phone calls in the afternoon.")
    assert [st for _, _, st in of_kind(state, DeadlineKind.FIRST_CONTACT)] == [
        DeadlineStatus.OPEN]
    take(state, rules.transfer_office, f.transfer())  # and again: the first one lapses
    assert state.worker_changes == 2
    assert [st for _, _, st in of_kind(state, DeadlineKind.FIRST_CONTACT)] == [
        DeadlineStatus.CANCELLED, DeadlineStatus.OPEN]
    take(state, work.record_contact, f.contact(ContactStatus.MISSED))  # not a contact yet
    assert of_kind(state, DeadlineKind.FIRST_CONTACT)[-1][2] is DeadlineStatus.OPEN
    before = f.contact(ContactStatus.HELD, at=NOW - timedelta(days=1))  # with the last worker
    take(state, work.record_contact, before)
    assert of_kind(state, DeadlineKind.FIRST_CONTACT)[-1][2] is DeadlineStatus.OPEN
    take(state, work.record_contact, f.contact(ContactStatus.HELD, at=NOW))
    assert of_kind(state, DeadlineKind.FIRST_CONTACT)[-1][2] is DeadlineStatus.MET


# --- the support network ---------------------------------------------------------------------

def test_members_join_and_leave_the_network_and_stay_on_record() -> None:
    state = referred()
    take(state, work.join_network, f.network_member())
    take(state, work.join_network, f.network_member(agency_id=None))
    assert [m.id for m in state.network] == ["P1", "P2"]
    leave = NetworkLeave(reason="The support relationship ended.", member_id="P1")
    assert take(state, work.leave_network, leave) is Action.NETWORK_LEFT
    assert state.network[0].left_at == NOW and state.network[1].left_at is None
    assert refused(state, work.leave_network, leave).type == "InvalidTransition"
    unknown = NetworkLeave(reason="x", member_id="P9")
    assert refused(state, work.leave_network, unknown).type == "UnknownItem"


def test_a_network_has_a_bound() -> None:
    state = referred()
    for _ in range(guards.NETWORK):
        take(state, work.join_network, f.network_member())
    with pytest.raises(StepRejected, match="at most"):
        of(work.join_network).check_dates(state, f.network_member(), TODAY)


def test_consent_per_agency_or_purpose_is_only_for_sharing() -> None:
    step = f.consent(ConsentScope.CONTACT_POLICE, agency_id="police-1")
    assert refused(referred(), rules.record_consent, step).type == "InvalidStep"
    state = referred()
    take(state, rules.record_consent, f.consent(ConsentScope.SHARE_WITH_AGENCIES,
                                                agency_id="vsf", purpose=Purpose.PLAN))
    assert (state.consents[-1].agency_id, state.consents[-1].purpose) == ("vsf", Purpose.PLAN)


# --- how a measure ends ----------------------------------------------------------------------

def test_a_started_measure_ends_with_its_outcome_and_its_wait_is_measured() -> None:
    state = assisted()
    take(state, measures.add_measure, f.measure().model_copy(
        update={"planned_start": TODAY + timedelta(days=14)}))
    assert state.measures[0].planned_start == TODAY + timedelta(days=14)
    assert refused(state, measures.end_measure, f.measure_end()).type == "InvalidTransition"
    later = StepContext(NOW + timedelta(days=15), f.CASEWORKER)
    of(measures.change_measure).take(state, f.measure_update("M1", MeasureAction.START),
               later, notify=True)
    assert state.measures[0].waited_days == 15
    ended = f.measure_end(outcome=MeasureOutcome.NOT_SUCCESSFUL)
    assert take(state, measures.end_measure, ended) is Action.MEASURE_ENDED
    m = state.measures[0]
    assert (m.status, m.outcome, m.outcome_reason) == (
        MeasureStatus.COMPLETED, MeasureOutcome.NOT_SUCCESSFUL, ended.reason)


def test_a_general_consent_outlives_many_for_one_agency() -> None:
    """Consents are superseded per agency and purpose: ten changes for one agency never let
    the general one go."""
    state = referred()
    share = ConsentScope.SHARE_WITH_AGENCIES
    take(state, rules.record_consent, f.consent(share))
    for i in range(size.KEEP["consents"] + 2):
        take(state, rules.record_consent, f.consent(share, given=i % 2 == 0, agency_id="vsf",
                                                    purpose=Purpose.PLAN))
    size.trim(state, size.leaving(state))
    assert consent_in_force(state, share, "ngo-2", Purpose.MEASURES)
    assert not consent_in_force(state, share, "vsf", Purpose.PLAN)  # the last word was no


@pytest.mark.parametrize(("days", "ok"), [(-400, False), (0, True), (30, True), (400, False)])
def test_a_measure_s_planned_start_lies_within_the_case_and_a_year(days: int, ok: bool) -> None:
    step = f.measure().model_copy(update={"planned_start": TODAY + timedelta(days=days)})
    if ok:
        of(measures.add_measure).check_dates(assisted(), step, TODAY)
    else:
        with pytest.raises(StepRejected, match="planned_start"):
            of(measures.add_measure).check_dates(assisted(), step, TODAY)


def test_a_reassessment_is_not_dated_before_the_previous_one() -> None:
    state = assisted()
    assert state.needs is not None
    earlier = f.assessment().model_copy(
        update={"assessed_on": state.needs.assessed_on - timedelta(days=1)})
    with pytest.raises(StepRejected, match="previous assessment"):
        of(rules.assess_needs).check_dates(state, earlier, TODAY + timedelta(days=1))


def test_a_contact_out_of_the_calendar_is_refused_at_its_field() -> None:
    step = f.contact().model_copy(update={"at": datetime.max.replace(tzinfo=timezone(
        timedelta(hours=-12)))})
    with pytest.raises(StepRejected) as caught:
        of(work.record_contact).check_dates(referred(), step, TODAY)
    assert caught.value.details[0]["field"] == "at"


def test_a_withheld_notification_is_sent_again_on_a_consent_for_its_agency_and_purpose() -> None:
    state = assisted()
    share = ConsentScope.SHARE_WITH_AGENCIES
    take(state, measures.add_measure, f.measure().model_copy(update={"provider": Provider(
        agency_type="ngo", organisation="Victim Support Finland", agency_id="vsf")}))
    (withheld,) = [n for n in state.notifications if n.purpose == "measure_referral"]
    resend = NotificationRef(reason="Consent given.", notification_id=withheld.id)
    take(state, rules.record_consent, f.consent(share, agency_id="vsf", purpose=Purpose.PLAN))
    assert refused(state, rules.resend_notification, resend).type == "ConsentMissing"
    take(state, rules.record_consent, f.consent(share, agency_id="vsf", purpose=Purpose.MEASURES))
    take(state, rules.resend_notification, resend)
    assert withheld.status is NotificationStatus.PENDING
