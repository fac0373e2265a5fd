"""The guards a new step must pass, as the pure functions they are: who may take it, whether its
dates make sense for the case, and whether a referral is plausible."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.support import factories as f
from tests.support.states import NOW, TODAY, admitted, referred, take
from workflows.model.requests import (
    Actor,
    DeadlineExtension,
    ExitDecision,
    Length,
    MeasureAnswer,
    NotificationRef,
    Provider,
    ReflectionPeriodGrant,
    StepMeta,
)
from workflows.model.vocabulary import (
    ContactStatus,
    MeasureAction,
    MeasureOutcome,
    MeasureStatus,
    NotificationStatus,
    Office,
    Role,
)
from workflows.rules import client_work as work
from workflows.rules import deadlines, guards, measures
from workflows.rules import lifecycle as rules
from workflows.rules.step import StepContext, StepRejected
from workflows.steps import of


def meta(actor: Actor, reason: str | None = None) -> StepMeta:
    return f.meta(1, actor=actor).model_copy(update={"access_reason": reason})


def refused(call: Any, *args: Any) -> StepRejected:
    with pytest.raises(StepRejected) as caught:
        call(*args)
    assert "Vasquez" not in str(caught.value) and "1994" not in str(caught.value)
    return caught.value


OULU = Actor(user_id="cw-olli", role=Role.CASEWORKER, office=Office.OULU)
OULU_LEAD = Actor(user_id="lead-oona", role=Role.OFFICE_LEAD, office=Office.OULU)


@pytest.mark.parametrize(("actor", "reason", "allowed"), [
    (f.CASEWORKER, None, True),  # Helsinki's caseworker, Helsinki's case
    (OULU, None, False),  # another office
    (OULU_LEAD, None, False),  # another office's lead
    (OULU, "Client phoned the Oulu office in crisis.", True),  # break the glass
    (Actor(user_id="cw-anna", role=Role.CASEWORKER, office=Office.OULU), None, True),  # assigned
    (Actor(user_id="aud-1", role=Role.AUDITOR), None, True),  # roles are the table's business
])
def test_staff_reach_their_office_and_assigned_cases(actor: Actor, reason: str | None,
                                                     allowed: bool) -> None:
    state = referred()
    if allowed:
        guards.access(state, meta(actor, reason))
    else:
        assert refused(guards.access, state, meta(actor, reason)).type == "OutsideOffice"


def test_only_the_provider_answers_its_measure_and_only_the_notified_agency_acknowledges() -> None:
    state = admitted()
    of(rules.record_consent).take(state, f.consent(f.ConsentScope.SHARE_WITH_AGENCIES),
               StepContext(NOW, f.CASEWORKER), notify=True)
    measure = f.measure().model_copy(update={"provider": Provider(
        agency_type="ngo", organisation="Victim Support Finland", agency_id="vsf")})
    of(measures.add_measure).take(state, measure, StepContext(NOW, f.CASEWORKER), notify=True)
    answer = MeasureAnswer(reason="We take it.", measure_id="M1", accepted=True)
    vsf = Actor(user_id="ngo-1", role=Role.NGO, agency="vsf")
    of(measures.respond_to_measure).authorize(state, meta(vsf), answer)
    of(measures.respond_to_measure).authorize(state, meta(f.CASEWORKER), answer)  # staff record
    for other in (Actor(user_id="bg-1", role=Role.BORDER_GUARD, agency="border-guard"),
                  Actor(user_id="ngo-2", role=Role.NGO)):  # another agency; none named
        err = refused(of(measures.respond_to_measure).authorize, state, meta(other), answer)
        assert err.type == "Forbidden"
    missing = answer.model_copy(update={"measure_id": "M9"})  # no telling what exists
    assert refused(of(measures.respond_to_measure).authorize, state, meta(vsf),
                   missing).type == "Forbidden"
    ack = NotificationRef(reason="Got it.", notification_id="N1")  # the referral to vsf
    of(rules.acknowledge_notification).authorize(state, meta(vsf), ack)
    state.notifications[0].status = NotificationStatus.WITHHELD  # as without consent
    assert refused(of(rules.acknowledge_notification).authorize, state, meta(vsf),
                   ack).type == "Forbidden"
    state.notifications[0].status = NotificationStatus.PENDING
    border_guard = Actor(user_id="bg-1", role=Role.BORDER_GUARD, agency="border-guard")
    for who, notification in ((border_guard, "N1"), (vsf, "N9")):
        err = refused(of(rules.acknowledge_notification).authorize, state, meta(who),
                      ack.model_copy(update={"notification_id": notification}))
        assert err.type == "Forbidden"


DATES = [
    ("admission before the referral", rules.decide_admission,
     f.admission().model_copy(update={"decided_on": TODAY - timedelta(days=1)}), referred,
     "decided_on"),
    ("admission in the future", rules.decide_admission,
     f.admission().model_copy(update={"decided_on": TODAY + timedelta(days=1)}), referred,
     "decided_on"),
    ("exit two years ahead", rules.exit_case,
     f.exit_decision().model_copy(update={"decided_on": TODAY + timedelta(days=730)}), admitted,
     "decided_on"),
    ("exit before the admission", rules.exit_case,
     f.exit_decision().model_copy(update={"decided_on": TODAY - timedelta(days=1)}), admitted,
     "decided_on"),
    ("assessment before the admission", rules.assess_needs,
     f.assessment().model_copy(update={"assessed_on": TODAY - timedelta(days=1)}), admitted,
     "assessed_on"),
    ("criminal stage in the future", rules.record_criminal_stage,
     f.criminal(f.CriminalStage.REPORTED).model_copy(update={"on": TODAY + timedelta(days=3)}),
     referred, "on"),
    ("handover three years ahead", rules.transition_to_municipality,
     f.transition().model_copy(update={"handover_on": TODAY + timedelta(days=1100)}), admitted,
     "handover_on"),
    ("reflection period granted in 2020", rules.grant_reflection_period,
     ReflectionPeriodGrant(reason="x", granted_on=date(2020, 1, 1), length=Length(days=30),
                           granted_by="police"), referred, "granted_on"),
    ("an extension of nothing", deadlines.extend_deadline,
     DeadlineExtension(reason="x", deadline_id="D1", extension=Length()), admitted, "extension"),
]


@pytest.mark.parametrize(("rule", "step", "make", "field"), [d[1:] for d in DATES],
                         ids=[d[0] for d in DATES])
def test_dates_must_make_sense_for_the_case(rule: Any, step: Any, make: Any, field: str) -> None:
    err = refused(of(rule).check_dates, make(), step, TODAY)
    assert err.type == "InvalidStep" and err.details[0]["field"] == field


def test_dates_that_make_sense_pass() -> None:
    state = admitted()
    for rule, step in (
            (rules.assess_needs, f.assessment().model_copy(update={"assessed_on": TODAY})),
            (rules.exit_case, f.exit_decision().model_copy(update={"decided_on": TODAY})),
            # Other authorities act before the referral: a police report months earlier.
            (rules.record_criminal_stage, f.criminal(f.CriminalStage.REPORTED).model_copy(
                update={"on": TODAY - timedelta(days=200)})),
            # A plan under the old act, begun long before the referral.
            (rules.transition_to_municipality, f.transition().model_copy(update={
                "integration_plan_start": date(2024, 6, 3), "handover_on": TODAY,
                "home_municipality_since": date(2024, 6, 1)}))):
        of(rule).check_dates(state, step, TODAY)


REFERRALS = [
    ("received tomorrow", {"received_on": TODAY + timedelta(days=1)}, "received_on"),
    ("received two years ago", {"received_on": TODAY - timedelta(days=730)}, "received_on"),
    ("born in 9999", {"person": f.PERSON.model_copy(update={"date_of_birth": date(9999, 1, 1)})},
     "person.date_of_birth"),
    ("born in 1850", {"person": f.PERSON.model_copy(update={"date_of_birth": date(1850, 1, 1)})},
     "person.date_of_birth"),
    ("a minor born in 1994", {"minor": True, "guardian_consent": True, "person": f.PERSON},
     "minor"),
    ("an adult born ten years ago", {"person": f.PERSON.model_copy(
        update={"date_of_birth": TODAY - timedelta(days=3650)})}, "minor"),
]


@pytest.mark.parametrize(("changes", "field"), [r[1:] for r in REFERRALS],
                         ids=[r[0] for r in REFERRALS])
def test_a_referral_must_be_plausible(changes: dict[str, Any], field: str) -> None:
    err = refused(guards.check_referral, f.referral(**changes), TODAY)
    assert err.type == "InvalidStep" and err.details[0]["field"] == field


def test_a_referral_received_yesterday_counts_its_deadline_from_yesterday() -> None:
    yesterday = TODAY - timedelta(days=1)
    guards.check_referral(f.referral(received_on=yesterday), TODAY)
    state = referred(received_on=yesterday)
    (deadline,) = state.deadlines
    assert state.began_on == deadline.begins_on == yesterday
    # The decision itself may then be dated yesterday too, but not before.
    of(rules.decide_admission).check_dates(state,
                       f.admission().model_copy(update={"decided_on": yesterday}), TODAY)


def exit_on_today(*implemented: str) -> ExitDecision:
    return f.exit_decision(*implemented).model_copy(update={"decided_on": TODAY})


def test_an_exit_says_what_becomes_of_what_is_open() -> None:
    """No decision by omission: while measures are open or appointments ahead, an exit must say
    what becomes of them; the started measures it names end implemented, the rest cancelled."""
    state = admitted()
    take(state, rules.assess_needs, f.assessment())
    for _ in range(2):
        take(state, measures.add_measure, f.measure())
    take(state, measures.change_measure, f.measure_update("M1", MeasureAction.START))
    take(state, work.record_contact, f.contact(ContactStatus.PLANNED,
                                               at=NOW + timedelta(days=3)))
    silent = exit_on_today().model_copy(update={"open_items": None})
    err = refused(guards.exit_decision, state, silent, TODAY)
    said = err.details[0]
    assert (said["field"], said["measures"], said["appointments"]) == ("open_items", 2, 1)
    err = refused(guards.exit_decision, state, exit_on_today("M2"), TODAY)  # only planned
    assert err.details[0]["field"] == "open_items.implemented"

    guards.exit_decision(state, exit_on_today("M1"), TODAY)
    take(state, rules.exit_case, exit_on_today("M1"))
    assert [(m.status, m.outcome) for m in state.measures] == [
        (MeasureStatus.COMPLETED, MeasureOutcome.IMPLEMENTED), (MeasureStatus.CANCELLED, None)]
    assert [c.status for c in state.contacts] == [ContactStatus.CANCELLED]

    # An exit recorded before it was asked (no `open_items`) leaves things as they were.
    before = admitted()
    take(before, measures.add_measure, f.measure())
    take(before, rules.exit_case, silent)
    assert [m.status for m in before.measures] == [MeasureStatus.PLANNED]
