"""Which step notifies whom, with which data, on what basis: the notification matrix.

Pure, like the other rules: a step's planner (`workflows.steps` declares which) turns a step
(or a deadline alert) into planned notifications; the workflow checks consent, resolves
recipients from the agency directory (an activity) and delivers. Messages carry the minimum
each recipient needs; names only where the recipient must know whom it is about.

| step | recipient | basis | data |
|---|---|---|---|
| referral of a minor | child protection of the office | Child Welfare Act § 25 | the child |
| admission decision | the referrer | its referral | its reference, admitted yes/no |
| asked for more (intake) | the referrer | its referral | case number, its reference, question |
| consent to contact the police | police of the office | that consent | the person, exploitation |
| joint assessment | reception centre of the office | consent to share | the person, needs |
| measure added / provider changed | the providing agency | consent to share | person, the measure |
| transition | social services of the home municipality | consent to share | handover summary |
| exit | every agency notified before | as before | case id, exit date |
| deadline reminder / review | the office | internal | case id, deadline |
| deadline escalation | the office's lead | internal | case id, deadline |
| by hand | a named agency | consent to share, or a recorded legal basis | case id, purpose |
| acute threat recorded (assessment, contact) | the office's lead, at once | internal | case id |

Consent to share is per agency and purpose (`Purpose`): each notification names the purpose its
consent must cover, and the latest consent covering that agency and purpose decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from workflows.model.requests import (
    ManualNotification,
    Person,
)
from workflows.model.state import (
    Alert,
    CaseState,
    Notification,
    Selector,
    Told,
)
from workflows.model.vocabulary import (
    AgencyType,
    AlertKind,
    ConsentGiver,
    ConsentScope,
    LegalBasis,
    NotificationStatus,
    Phase,
    Purpose,
    ThreatLevel,
)

SHARE = ConsentScope.SHARE_WITH_AGENCIES


@dataclass(frozen=True)
class Planned:
    purpose: str
    selector: Selector
    consent: ConsentScope | None = None  # the consent it needs, or
    legal_basis: LegalBasis | None = None  # the basis on which it needs none
    covers: Purpose | None = None  # the purpose that consent must cover
    message: dict[str, Any] = field(default_factory=dict)
    expects_ack: bool = True
    step_seq: int | None = None


# What a step's planner is: the notifications it calls for, given the case after it.
Planner = Callable[[CaseState, Any], list[Planned]]


def consent_in_force(state: CaseState, scope: ConsentScope, agency_id: str | None = None,
                     purpose: Purpose | None = None) -> bool:
    """The latest word of the client (and of a minor's guardian) on this scope, among the
    consents that cover this agency and purpose, is yes: withdrawing one consent withholds only
    what it covered."""
    givers = [ConsentGiver.CLIENT] + ([ConsentGiver.GUARDIAN] if state.minor else [])
    for giver in givers:
        latest = [c for c in state.consents if c.scope is scope and c.given_by is giver
                  and c.covers(agency_id, purpose)]
        if not latest or not latest[-1].given:
            return False
    return True


def _person(p: Person) -> dict[str, Any]:
    return {"given_names": p.given_names, "surname": p.surname,
            "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else None,
            "nationality": p.nationality, "languages": p.languages}


def _case(state: CaseState) -> dict[str, Any]:
    """The case a message is about: its id, and the number a person reads out (cases opened
    before numbers have none, and their messages stay as they were)."""
    number = {"reference_number": state.reference_number} if state.reference_number else {}
    return {"case_id": state.case_id, **number}


def _office(state: CaseState) -> str:
    return str(state.assignment.office)


def minor_referred(state: CaseState, _step: Any) -> list[Planned]:
    if not state.minor:
        return []
    office = _office(state)
    return [Planned("minor_referred",
                    Selector(agency_type=AgencyType.CHILD_PROTECTION, office=office),
                    legal_basis=LegalBasis.CHILD_WELFARE,
                    message={**_case(state), "office": office, "child": _person(state.person),
                             "exploitation": [str(e) for e in state.exploitation]})]


def referral_outcome(state: CaseState, _step: Any) -> list[Planned]:
    if not state.referrer.agency_id:
        return []
    return [Planned("referral_outcome", Selector(agency_id=state.referrer.agency_id),
                    legal_basis=LegalBasis.REFERRAL, expects_ack=False,
                    message={"reference": state.referrer.reference,
                             "admitted": state.phase is not Phase.NOT_ADMITTED})]


def more_information(state: CaseState, step: Any) -> list[Planned]:
    """The referrer is asked for more about its referral: its reference and the question, read
    when it signs in (the e-mail names only the case's number and what is asked)."""
    assert state.referrer.agency_id is not None  # the rule refuses the step otherwise
    return [Planned("more_information", Selector(agency_id=state.referrer.agency_id),
                    legal_basis=LegalBasis.REFERRAL,
                    message={**_case(state), "reference": state.referrer.reference,
                             "question": step.question})]


def police_contact(state: CaseState, step: Any) -> list[Planned]:
    if step.scope is not ConsentScope.CONTACT_POLICE:
        return []
    office = _office(state)
    return [Planned("police_contact", Selector(agency_type=AgencyType.POLICE, office=office),
                    consent=ConsentScope.CONTACT_POLICE,
                    message={**_case(state), "office": office, "person": _person(state.person),
                             "exploitation": [str(e) for e in state.exploitation]})]


def _joint_assessment(state: CaseState, _step: Any) -> list[Planned]:
    if not (state.needs and AgencyType.RECEPTION_CENTRE in state.needs.agencies):
        return []
    return [Planned("joint_assessment",
                    Selector(agency_type=AgencyType.RECEPTION_CENTRE, office=_office(state)),
                    consent=SHARE, covers=Purpose.ASSESSMENT,
                    message={**_case(state), "person": _person(state.person),
                             "safety_threat": str(state.needs.safety_threat),
                             "needs_support_person": state.needs.needs_support_person})]


def measure_referral(state: CaseState, step: Any) -> list[Planned]:
    """To the measure's provider: the one just added, or the one referred to another."""
    measure_id = getattr(step, "measure_id", None)
    measure = (state.measures[-1] if measure_id is None
               else next(m for m in state.measures if m.id == measure_id))
    if not measure.provider.agency_id:
        return []
    return [Planned("measure_referral", Selector(agency_id=measure.provider.agency_id),
                    consent=SHARE, covers=Purpose.MEASURES,
                    message={**_case(state), "measure_id": measure.id,
                                            "measure": str(measure.type),
                                            "person": _person(state.person)})]


def handover(state: CaseState, _step: Any) -> list[Planned]:
    if not state.municipality:
        return []
    return [Planned(
        "handover", Selector(agency_type=AgencyType.SOCIAL_SERVICES,
                             municipality=state.municipality.municipality),
        consent=SHARE, covers=Purpose.HANDOVER,
        message={**_case(state), "person": _person(state.person),
                 "municipality": state.municipality.model_dump(mode="json"),
                 "measures": [{"type": str(m.type), "status": str(m.status)}
                              for m in state.measures],
                 "needs": state.needs.model_dump(mode="json", exclude={"client_view"})
                 if state.needs else None})]


def exit_notices(state: CaseState, _step: Any) -> list[Planned]:
    """Each agency told before, once, on the basis it was first told on."""
    if not state.exit:
        return []
    return [Planned("exit", Selector(agency_id=agency_id), consent=first.consent,
                    legal_basis=first.legal_basis, covers=first.covers, expects_ack=False,
                    message={**_case(state), "exited_on": state.exit.decided_on.isoformat()})
            for agency_id, first in told(state).items()]


def by_hand(state: CaseState, step: ManualNotification) -> list[Planned]:
    return [Planned("by_hand", Selector(agency_id=step.agency_id),
                    consent=None if step.legal_basis else SHARE, legal_basis=step.legal_basis,
                    covers=None if step.legal_basis else Purpose.COORDINATION,
                    message={**_case(state), "office": _office(state)})]


def acute_danger(state: CaseState, step: Any) -> list[Planned]:
    """An acute threat this step recorded: the office's lead hears of it at once."""
    if (getattr(step, "safety_threat", None) is not ThreatLevel.ACUTE
            or state.acute_danger_at != state.steps[-1].at):
        return []
    return [Planned("acute_danger", Selector(agency_type=AgencyType.OFFICE_LEAD,
                                             office=_office(state)),
                    legal_basis=LegalBasis.INTERNAL, expects_ack=False,
                    message={**_case(state), "office": _office(state),
                             "caseworker_id": state.assignment.caseworker_id})]


def assessed(state: CaseState, step: Any) -> list[Planned]:
    return acute_danger(state, step) + _joint_assessment(state, step)


# The planners whose notifications rest on the client's consent to share, for a purpose: what
# the console says before such a step, when no consent covers it (the notification would be
# withheld). `tests/workflows/rules/test_notifications.py` checks each against what it plans.
CONSENT_NEEDED: dict[Planner, tuple[ConsentScope, Purpose]] = {
    assessed: (SHARE, Purpose.ASSESSMENT), measure_referral: (SHARE, Purpose.MEASURES),
    handover: (SHARE, Purpose.HANDOVER)}


def consent_wanted(state: CaseState, planner: Planner) -> tuple[ConsentScope, Purpose] | None:
    """The consent a planner's notifications need that no consent in force gives, to any
    agency. (Where one covers some agencies only, whether it covers the one a step will name is
    not known before the step; the notification says so after it, if it is withheld.)"""
    need = CONSENT_NEEDED.get(planner)
    if need is None:
        return None
    scope, purpose = need
    agencies = {c.agency_id for c in state.consents if c.scope is scope}
    return None if any(consent_in_force(state, scope, agency, purpose)
                       for agency in agencies) else need


def plan_step(planner: Planner, state: CaseState, step: Any) -> list[Planned]:
    """The notifications a step calls for, each marked with the step that called for it."""
    seq = state.steps[-1].seq if state.steps else None
    return [replace(p, step_seq=seq) for p in planner(state, step)]


SENT = (NotificationStatus.DELIVERED, NotificationStatus.ACKNOWLEDGED)


def told(state: CaseState) -> dict[str, Told]:
    """Every agency delivered a notification of the case, each once, with the basis it was first
    told on: those recorded as told (notifications that have left the state), then the rest."""
    first: dict[str, Told] = {}
    for t in state.informed:
        first.setdefault(t.agency_id, t)
    for n in state.notifications:
        if n.agency_id and n.status in SENT:
            first.setdefault(n.agency_id, Told(agency_id=n.agency_id, consent=n.consent,
                                               legal_basis=n.legal_basis, covers=n.covers))
    return first


def covered(state: CaseState, consent: ConsentScope | None, legal_basis: LegalBasis | None,
            agency_id: str | None = None, purpose: Purpose | None = None) -> bool:
    """Whether what was sent on this basis may still be known (by this agency, for this
    purpose): a legal basis stands, a consent only while it is in force."""
    return legal_basis is not None or (
        consent is not None and consent_in_force(state, consent, agency_id, purpose))


def plan_alert(state: CaseState, alert: Alert) -> Planned:
    to = AgencyType.OFFICE_LEAD if alert.kind is AlertKind.ESCALATION else (
        AgencyType.ASSISTANCE_OFFICE)
    deadline = next(d for d in state.deadlines if d.id == alert.deadline_id)
    return Planned(f"deadline_{alert.kind}", Selector(agency_type=to, office=str(alert.office)),
                   legal_basis=LegalBasis.INTERNAL, expects_ack=False,
                   message={"case_id": state.case_id, "deadline_id": deadline.id,
                            "deadline": str(deadline.kind), "due_at": deadline.due_at.isoformat(),
                            "alert": str(alert.kind), "caseworker_id":
                            state.assignment.caseworker_id})


def allowed(state: CaseState, planned: Planned) -> bool:
    return covered(state, planned.consent, planned.legal_basis, planned.selector.agency_id,
                   planned.covers)


def still_allowed(state: CaseState, n: Notification) -> bool:
    """A notification about to be delivered, to the agency the directory named: its consent
    still covers that agency and purpose."""
    return covered(state, n.consent, n.legal_basis, n.agency_id, n.covers)


def notification(state: CaseState, planned: Planned, now: datetime) -> Notification:
    """The record of a planned notification: pending if it may be sent, else withheld."""
    nid = state.next_notification_id()
    return Notification(
        id=nid, key=f"{state.case_id}:{nid}", purpose=planned.purpose,
        selector=planned.selector, agency_id=planned.selector.agency_id,
        status=NotificationStatus.PENDING if allowed(state, planned)
        else NotificationStatus.WITHHELD,
        message=planned.message, expects_ack=planned.expects_ack, consent=planned.consent,
        legal_basis=planned.legal_basis, covers=planned.covers, step_seq=planned.step_seq,
        created_at=now,
        changed_at=now)
