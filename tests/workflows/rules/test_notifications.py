"""The notification matrix as a table, without a server: for each step, whom it notifies, on
what basis, with which data, and whether it may go now or waits, withheld, for consent.
Delivery itself (receivers, retries, acknowledgements) is `test_notifications.py`'s business."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.support import factories as f
from tests.support.states import NOW, in_intake, in_phase, notified, referred, take
from workflows import steps
from workflows.model.requests import (
    InformationRequest,
    MeasureProviderChange,
    Provider,
    Referrer,
    Step,
)
from workflows.model.state import Alert, CaseState, Notification, Selector
from workflows.model.vocabulary import (
    Action,
    AgencyType,
    AlertKind,
    ConsentGiver,
    ConsentScope,
    CriminalStage,
    LegalBasis,
    NotificationStatus,
    Office,
    Phase,
    Purpose,
    ThreatLevel,
)
from workflows.rules import client_work as work
from workflows.rules import intake, measures, notifications
from workflows.rules import lifecycle as rules
from workflows.rules.step import Rule

PENDING, WITHHELD = NotificationStatus.PENDING, NotificationStatus.WITHHELD
SHARE, POLICE = ConsentScope.SHARE_WITH_AGENCIES, ConsentScope.CONTACT_POLICE
PERSON = {"given_names", "surname", "date_of_birth", "nationality", "languages"}
PROVIDER = Provider(agency_type=AgencyType.NGO, organisation="Victim Support Finland",
                    agency_id="vsf")


def sharing(state: CaseState) -> CaseState:
    take(state, rules.record_consent, f.consent(SHARE))
    return state


def in_phase_sharing(phase: Phase) -> Any:
    return lambda: sharing(in_phase(phase))


def measure(provider: Provider | None) -> Step:
    return f.measure().model_copy(update={"provider": provider or f.measure().provider})


def consenting(*consents: Step) -> Any:
    """A case in assistance with these consents recorded, in order."""
    def make() -> CaseState:
        state = in_phase(Phase.ASSISTANCE)
        for c in consents:
            take(state, rules.record_consent, c)
        return state
    return make


def acute(step: Step) -> Step:
    return step.model_copy(update={"safety_threat": ThreatLevel.ACUTE})


LEAD = Selector(agency_type=AgencyType.OFFICE_LEAD, office="helsinki")
ACUTE = ("acute_danger", LEAD, LegalBasis.INTERNAL, PENDING, {"case_id", "office",
                                                              "caseworker_id"})
JOINT = ("joint_assessment", Selector(agency_type=AgencyType.RECEPTION_CENTRE, office="helsinki"),
         SHARE, PENDING, {"case_id", "person", "safety_threat", "needs_support_person"})
VSF = ("measure_referral", Selector(agency_id="vsf"), SHARE, PENDING,
       {"case_id", "measure_id", "measure", "person"})


def with_a_measure() -> CaseState:
    """Sharing, with measure M1 planned at a provider outside the directory."""
    state = sharing(in_phase(Phase.ASSISTANCE))
    take(state, measures.add_measure, measure(None))
    return state


# (the row, the case, the step, what it plans: [(purpose, selector, basis, status, data)])
# `basis` is the consent it needs or the legal basis it goes on; `data` the message's keys.
MATRIX: list[tuple[str, Any, tuple[Rule[Any], Step], list[tuple[Any, ...]]]] = [
    ("a step of the criminal process notifies no one", lambda: in_phase(Phase.ADMITTED),
     (rules.record_criminal_stage, f.criminal(CriminalStage.REPORTED)), []),
    ("admission: the referrer learns the outcome",
     lambda: referred(referrer=Referrer(agency_type=AgencyType.POLICE, agency_id="police-1",
                                        reference="R-17")),
     (rules.decide_admission, f.admission()),
     [("referral_outcome", Selector(agency_id="police-1"), LegalBasis.REFERRAL, PENDING,
       {"reference", "admitted"})]),
    ("not admitted: the referrer learns that too",
     lambda: referred(referrer=Referrer(agency_type=AgencyType.NGO, agency_id="ngo-1")),
     (rules.decide_admission, f.admission(admitted=False)),
     [("referral_outcome", Selector(agency_id="ngo-1"), LegalBasis.REFERRAL, PENDING,
       {"reference", "admitted"})]),
    ("intake: the referrer is asked for more, on the basis of its referral", in_intake,
     (intake.ask_referrer, InformationRequest(reason="Unclear.", question="Her phone?")),
     [("more_information", Selector(agency_id="police-helsinki"), LegalBasis.REFERRAL, PENDING,
       {"case_id", "reference", "question"})]),
    ("admission: a referrer outside the directory is told by the caseworker", referred,
     (rules.decide_admission, f.admission()), []),
    ("consent to contact the police: the office's police", referred,
     (rules.record_consent, f.consent(POLICE)),
     [("police_contact", Selector(agency_type=AgencyType.POLICE, office="helsinki"), POLICE,
       PENDING, {"case_id", "office", "person", "exploitation"})]),
    ("consent to share tells no one by itself", referred,
     (rules.record_consent, f.consent(SHARE)), []),
    ("a withdrawn consent tells no one", referred,
     (rules.record_consent, f.consent(POLICE, given=False)), []),
    ("assessment with the reception centre, consent to share given",
     in_phase_sharing(Phase.ADMITTED), (rules.assess_needs, f.assessment()),
     [("joint_assessment", Selector(agency_type=AgencyType.RECEPTION_CENTRE, office="helsinki"),
       SHARE, PENDING, {"case_id", "person", "safety_threat", "needs_support_person"})]),
    ("assessment with the reception centre, no consent to share: withheld",
     lambda: in_phase(Phase.ADMITTED), (rules.assess_needs, f.assessment()),
     [("joint_assessment", Selector(agency_type=AgencyType.RECEPTION_CENTRE, office="helsinki"),
       SHARE, WITHHELD, {"case_id", "person", "safety_threat", "needs_support_person"})]),
    ("assessment without the reception centre", lambda: in_phase(Phase.ADMITTED),
     (rules.assess_needs, f.assessment().model_copy(update={"agencies": []})), []),
    ("a measure: its provider is asked", in_phase_sharing(Phase.ASSISTANCE),
     (measures.add_measure, measure(PROVIDER)),
     [("measure_referral", Selector(agency_id="vsf"), SHARE, PENDING,
       {"case_id", "measure_id", "measure", "person"})]),
    ("a measure, no consent to share: withheld", lambda: in_phase(Phase.ASSISTANCE),
     (measures.add_measure, measure(PROVIDER)),
     [("measure_referral", Selector(agency_id="vsf"), SHARE, WITHHELD,
       {"case_id", "measure_id", "measure", "person"})]),
    ("a measure by a provider outside the directory", in_phase_sharing(Phase.ASSISTANCE),
     (measures.add_measure, measure(None)), []),
    ("a measure referred to another provider: that provider is asked", with_a_measure,
     (measures.change_provider, MeasureProviderChange(
         measure_id="M1", provider=PROVIDER, reason="The first had no room.")),
     [("measure_referral", Selector(agency_id="vsf"), SHARE, PENDING,
       {"case_id", "measure_id", "measure", "person"})]),
    ("transition: social services of the home municipality",
     in_phase_sharing(Phase.ASSISTANCE), (rules.transition_to_municipality, f.transition()),
     [("handover", Selector(agency_type=AgencyType.SOCIAL_SERVICES, municipality="Tampere"),
       SHARE, PENDING, {"case_id", "person", "municipality", "measures", "needs"})]),
    ("exit with no agency told before", lambda: in_phase(Phase.ASSISTANCE),
     (rules.exit_case, f.exit_decision()), []),
    ("by hand on a legal basis, without consent", referred,
     (rules.notify_by_hand, f.manual_notification("police-1")),
     [("by_hand", Selector(agency_id="police-1"), LegalBasis.ACUTE_DANGER, PENDING,
       {"case_id", "office"})]),
    ("by hand on the consent to share", lambda: sharing(referred()),
     (rules.notify_by_hand, f.manual_notification("police-1", basis=None)),
     [("by_hand", Selector(agency_id="police-1"), SHARE, PENDING, {"case_id", "office"})]),
    ("a reassessment: the reception centre again", in_phase_sharing(Phase.ASSISTANCE),
     (rules.assess_needs, f.assessment()), [JOINT]),
    ("an assessment of acute danger: the office's lead at once, without consent",
     in_phase_sharing(Phase.ADMITTED), (rules.assess_needs, acute(f.assessment())),
     [ACUTE, JOINT]),
    ("a contact noticing acute danger: the office's lead at once", referred,
     (work.record_contact, acute(f.contact())), [ACUTE]),
    ("a contact of high threat tells no one", referred,
     (work.record_contact, f.contact(threat=ThreatLevel.HIGH)), []),
    ("consent to share with this provider for measures",
     consenting(f.consent(SHARE, agency_id="vsf", purpose=Purpose.MEASURES)),
     (measures.add_measure, measure(PROVIDER)), [VSF]),
    ("consent to share with another agency only: withheld",
     consenting(f.consent(SHARE, agency_id="ngo-2")), (measures.add_measure, measure(PROVIDER)),
     [VSF[:3] + (WITHHELD, VSF[4])]),
    ("consent to share with this provider, for its assessment only: withheld",
     consenting(f.consent(SHARE, agency_id="vsf", purpose=Purpose.ASSESSMENT)),
     (measures.add_measure, measure(PROVIDER)), [VSF[:3] + (WITHHELD, VSF[4])]),
    ("consent to share, then withdrawn for another agency: still sent",
     consenting(f.consent(SHARE), f.consent(SHARE, given=False, agency_id="ngo-2")),
     (measures.add_measure, measure(PROVIDER)), [VSF]),
    ("consent to share, then withdrawn for this provider: withheld",
     consenting(f.consent(SHARE), f.consent(SHARE, given=False, agency_id="vsf")),
     (measures.add_measure, measure(PROVIDER)), [VSF[:3] + (WITHHELD, VSF[4])]),
    ("withdrawn for this provider, then given it for measures: sent",
     consenting(f.consent(SHARE), f.consent(SHARE, given=False, agency_id="vsf"),
                f.consent(SHARE, agency_id="vsf", purpose=Purpose.MEASURES)),
     (measures.add_measure, measure(PROVIDER)), [VSF]),
]


def test_every_action_of_the_matrix_has_a_row() -> None:
    """A planner declared for a step (`workflows.steps`) without a row here fails this test (a
    referral opens the case, so it has tests of its own below)."""
    rows = {notified_action(make, *taken) for _, make, taken, _ in MATRIX}
    assert set(steps.MATRIX) - {Action.REFERRED} <= rows


def notified_action(make: Any, rule: Rule[Any], step: Step) -> Action:
    state = make()
    take(state, rule, step)
    return state.steps[-1].action


def basis(n: Notification) -> Any:
    return n.legal_basis or n.consent


@pytest.mark.parametrize(("make", "taken", "planned"), [m[1:] for m in MATRIX],
                         ids=[m[0] for m in MATRIX])
def test_the_notification_matrix(make: Any, taken: tuple[Rule[Any], Step],
                                 planned: list[tuple[Any, ...]]) -> None:
    state = make()
    got = notified(state, *taken)
    assert [(n.purpose, n.selector, basis(n), n.status, set(n.message)) for n in got] == planned
    assert all(n.step_seq == state.steps[-1].seq for n in got)  # the step that called for it


def test_a_minor_is_reported_to_child_protection_at_referral_without_consent() -> None:
    state = referred(minor=True, guardian_consent=True)
    (planned,) = notifications.plan_step(steps.MATRIX[Action.REFERRED], state, None)
    assert (planned.purpose, planned.selector, planned.legal_basis, planned.consent) == (
        "minor_referred", Selector(agency_type=AgencyType.CHILD_PROTECTION, office="helsinki"),
        LegalBasis.CHILD_WELFARE, None)
    assert {"case_id", "office", "child", "exploitation"} == set(planned.message)
    assert notifications.plan_step(steps.MATRIX[Action.REFERRED], referred(),
                                  None) == []  # an adult


def test_exit_tells_each_agency_told_before_once_on_its_first_basis() -> None:
    state = sharing(referred())
    take(state, rules.notify_by_hand, f.manual_notification("police-1"))  # legal basis
    take(state, rules.notify_by_hand, f.manual_notification("police-1", basis=None))  # again
    take(state, rules.notify_by_hand, f.manual_notification("ngo-1", basis=None))  # consent
    take(state, rules.notify_by_hand, f.manual_notification("ngo-2", basis=None))
    for n in state.notifications[:3]:
        n.status = NotificationStatus.DELIVERED  # ngo-2's is still on its way
    take(state, rules.decide_admission, f.admission())
    got = notified(state, rules.exit_case, f.exit_decision())
    assert [(n.purpose, n.agency_id, basis(n), set(n.message)) for n in got] == [
        ("exit", "police-1", LegalBasis.ACUTE_DANGER, {"case_id", "exited_on"}),
        ("exit", "ngo-1", SHARE, {"case_id", "exited_on"})]


def test_an_agency_told_on_a_consent_since_withdrawn_hears_of_no_exit_without_it() -> None:
    state = sharing(referred())
    take(state, rules.notify_by_hand, f.manual_notification("ngo-1", basis=None))
    state.notifications[0].status = NotificationStatus.DELIVERED
    take(state, rules.decide_admission, f.admission())
    take(state, rules.record_consent, f.consent(SHARE, given=False))
    (exit_,) = notified(state, rules.exit_case, f.exit_decision())
    assert (exit_.agency_id, exit_.status) == ("ngo-1", WITHHELD)


@pytest.mark.parametrize(("kind", "to"), [
    (AlertKind.REMINDER, AgencyType.ASSISTANCE_OFFICE),
    (AlertKind.ESCALATION, AgencyType.OFFICE_LEAD),
])
def test_deadline_alerts_go_to_the_office_and_escalations_to_its_lead(
        kind: AlertKind, to: AgencyType) -> None:
    state = referred()
    (deadline,) = state.deadlines
    planned = notifications.plan_alert(state, Alert(
        seq=1, kind=kind, deadline_id=deadline.id, deadline_kind=deadline.kind,
        office=Office.HELSINKI, at=NOW, raised_at=NOW + timedelta(seconds=1)))
    assert (planned.selector, planned.legal_basis, planned.expects_ack) == (
        Selector(agency_type=to, office="helsinki"), LegalBasis.INTERNAL, False)
    assert set(planned.message) == {"case_id", "deadline_id", "deadline", "due_at", "alert",
                                    "caseworker_id"}  # no personal data


def test_a_minor_needs_the_guardians_consent_as_well_as_the_childs() -> None:
    state = referred(minor=True, guardian_consent=True)
    take(state, rules.record_consent, f.consent(POLICE))
    assert state.notifications[-1].status is WITHHELD  # the guardian has not agreed yet
    take(state, rules.record_consent, f.consent(POLICE, by=ConsentGiver.GUARDIAN))
    assert notifications.consent_in_force(state, POLICE)


def test_what_a_step_would_have_withheld_is_known_before_it_is_taken() -> None:
    """The consent each planner's notifications rest on is what `CONSENT_NEEDED` declares, so
    the console can say before the step that they would be withheld, and stop saying it once
    the client consents."""
    state = in_phase(Phase.ADMITTED)
    assess, add = steps.of(rules.assess_needs), steps.of(measures.add_measure)
    assert assess.consent_wanted(state) == [(SHARE, Purpose.ASSESSMENT)]
    planned = notified(state, rules.assess_needs, f.assessment())
    assert [(n.consent, n.covers, n.status) for n in planned if n.consent] == [
        (SHARE, Purpose.ASSESSMENT, WITHHELD)]
    referral = f.measure().model_copy(update={"provider": PROVIDER})
    assert add.consent_wanted(state) == [(SHARE, Purpose.MEASURES)]
    assert [(n.consent, n.covers) for n in notified(state, measures.add_measure, referral)] == [
        (SHARE, Purpose.MEASURES)]
    moved = steps.of(rules.transition_to_municipality)
    assert moved.consent_wanted(state) == [(SHARE, Purpose.HANDOVER)]
    assert [(n.consent, n.covers) for n in notified(
        state, rules.transition_to_municipality, f.transition())] == [(SHARE, Purpose.HANDOVER)]

    take(state, rules.record_consent, f.consent(SHARE, purpose=Purpose.MEASURES))
    assert add.consent_wanted(state) == [] and moved.consent_wanted(state) != []
    # A consent to share with one agency: whether the step will name it is not known before.
    take(state, rules.record_consent, f.consent(SHARE, agency_id="social-tampere",
                                                purpose=Purpose.HANDOVER))
    assert moved.consent_wanted(state) == []
    take(state, rules.record_consent, f.consent(SHARE, given=False, agency_id="social-tampere",
                                                purpose=Purpose.HANDOVER))
    assert moved.consent_wanted(state) == [(SHARE, Purpose.HANDOVER)]
    take(state, rules.record_consent, f.consent(SHARE))  # every purpose
    assert [s.name for s in steps.STEPS if s.consent_wanted(state)] == []
