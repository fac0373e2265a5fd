"""Valid step bodies for tests; each test changes only what it is about. Dates are today's
(or near it): a step's dates must make sense for a case referred today."""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from infra.codec import MasterKeys
from infra.proof import OPENING, StepProofs
from workflows.model.requests import (
    Actor,
    AdmissionDecision,
    Assessment,
    ConsentChange,
    ContactRecord,
    CriminalEvent,
    ExitDecision,
    Goal,
    ManualNotification,
    MeasureEnding,
    MeasureUpdate,
    MunicipalityTransition,
    NetworkJoin,
    NewMeasure,
    OfficeTransfer,
    OnExit,
    Person,
    PlanRevision,
    Provider,
    Reassignment,
    Referral,
    Referrer,
    StepMeta,
)
from workflows.model.state import Opening
from workflows.model.vocabulary import (
    AgencyType,
    ConsentGiver,
    ConsentScope,
    ContactKind,
    ContactStatus,
    CriminalStage,
    ExitGround,
    Exploitation,
    LegalBasis,
    MeasureAction,
    MeasureOutcome,
    MeasureType,
    NetworkRole,
    Office,
    Purpose,
    Role,
    ThreatLevel,
)

CASEWORKER = Actor(user_id="cw-anna", role=Role.CASEWORKER, office=Office.HELSINKI)


def today() -> date:
    """Today in Helsinki, where the case's dates are counted."""
    from workflows.model.calendar import helsinki_date

    return helsinki_date(datetime.now(UTC))
# Personal data that must never appear outside the case state.
PERSON = Person(given_names="Maria Elena", surname="Vasquez-Testperson",
                date_of_birth=date(1994, 3, 17), nationality="PHL", languages=["tl", "en"])


def child() -> Person:
    """A person of fifteen: a minor's referral must say so and agree with the birth date."""
    return PERSON.model_copy(update={"date_of_birth": today() - timedelta(days=15 * 365)})


def referral(**changes: Any) -> Referral:
    if changes.get("minor") and "person" not in changes:
        changes["person"] = child()
    base = Referral(
        reason="Referred by the police after a labour inspection at a berry farm.",
        referrer=Referrer(agency_type=AgencyType.POLICE, organisation="Helsinki police"),
        office=Office.HELSINKI, exploitation=[Exploitation.FORCED_LABOUR], minor=False,
        client_consent=True, person=PERSON,
    )
    return Referral.model_validate(base.model_dump() | changes)


# The master key of the tests' settings: a test that sends a step to a case's workflow itself
# seals it as the API does (`sealed`), with the key the worker holds.
PAYLOAD_KEYS = "tests-1:dGhlLXRlc3RzLW1hc3Rlci1rZXktMzItYnl0ZXMhISE"
PROOFS = StepProofs(MasterKeys.parse(PAYLOAD_KEYS))


def master(kid: str) -> str:
    """A new master key under `kid`, as configuration gives it."""
    return f"{kid}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}"


def meta(version: int, *, key: str | None = None, actor: Actor = CASEWORKER,
         fingerprint: str = "fp") -> StepMeta:
    return StepMeta(actor=actor, expected_version=version,
                    idempotency_key=key or str(uuid.uuid4()), fingerprint=fingerprint)


def sealed(case_id: str, step: str, meta: StepMeta, body: BaseModel) -> StepMeta:
    """`meta` with the API's proof that it sent this step."""
    return PROOFS.sealed(case_id, step, meta, body)


def opening(case_id: str, referral: Referral, actor: Actor = CASEWORKER) -> Opening:
    """A case's opening as the API starts it: the referral with its sealed metadata."""
    return Opening(referral=referral,
                   meta=sealed(case_id, OPENING, meta(0, actor=actor), referral))


def admission(admitted: bool = True) -> AdmissionDecision:
    return AdmissionDecision(reason="Indications of forced labour; needs help because of it.",
                             admitted=admitted, decision_maker_id="lead-jussi",
                             decided_on=today())


def assessment() -> Assessment:
    return Assessment(reason="Joint meeting with the reception centre.",
                      safety_threat=ThreatLevel.HIGH, criminal_matter=True,
                      needs_support_person=True, client_view="Wants safe housing and work.",
                      agencies=[AgencyType.RECEPTION_CENTRE], assessed_on=today())


def measure(kind: MeasureType = MeasureType.HOUSING) -> NewMeasure:
    return NewMeasure(reason="Safe housing is needed at once.", type=kind,
                      provider=Provider(agency_type=AgencyType.RECEPTION_CENTRE,
                                        organisation="Joutseno reception centre"))


def measure_update(measure_id: str, action: MeasureAction) -> MeasureUpdate:
    return MeasureUpdate(reason=f"Measure {action}.", measure_id=measure_id, action=action)


def criminal(stage: CriminalStage) -> CriminalEvent:
    return CriminalEvent(reason="Police informed the case worker.", stage=stage,
                         on=today(), authority="National Bureau of Investigation")


def consent(scope: ConsentScope = ConsentScope.CONTACT_POLICE, given: bool = True,
            by: ConsentGiver = ConsentGiver.CLIENT, agency_id: str | None = None,
            purpose: Purpose | None = None) -> ConsentChange:
    return ConsentChange(reason="Client decided after advice.", scope=scope, given_by=by,
                         given=given, agency_id=agency_id, purpose=purpose)


def transition() -> MunicipalityTransition:
    return MunicipalityTransition(reason="Client got a home municipality.", municipality="Tampere",
                                  home_municipality_since=today() + timedelta(days=30),
                                  handover_on=today() + timedelta(days=44),
                                  integration_plan_start=today() + timedelta(days=60))


def exit_decision(*implemented: str) -> ExitDecision:
    """An exit that says what becomes of what is open: the measures named end implemented, the
    rest cancelled."""
    return ExitDecision(reason="Client no longer needs the assistance system's help.",
                        ground=ExitGround.NO_LONGER_NEEDS_HELP, decision_maker_id="lead-jussi",
                        decided_on=today(), open_items=OnExit(implemented=list(implemented)))


def manual_notification(agency_id: str,
                        basis: LegalBasis | None = LegalBasis.ACUTE_DANGER) -> ManualNotification:
    return ManualNotification(reason="Acute danger: the police must know now.",
                              agency_id=agency_id, legal_basis=basis)


def reassignment(caseworker_id: str = "cw-pekka") -> Reassignment:
    return Reassignment(reason="Caseworker on leave.", caseworker_id=caseworker_id)


# The caseworker who takes the case over in Tampere.
TAMPERE_CASEWORKER = Actor(user_id="cw-tiina", role=Role.CASEWORKER, office=Office.TAMPERE)


def transfer(office: Office = Office.TAMPERE) -> OfficeTransfer:
    return OfficeTransfer(reason="Client moved.", office=office, caseworker_id="cw-tiina")


def plan(*measure_ids: str, review_in_days: int = 30) -> PlanRevision:
    return PlanRevision(
        reason="Agreed with the client at the plan meeting.",
        goals=[Goal(goal="A safe place to live.", measure_ids=list(measure_ids),
                    responsible="cw-anna"),
               Goal(goal="Finnish lessons twice a week.", responsible="Tampere adult education")],
        client_view="Wants to start work as soon as possible.", client_agrees=True,
        review_on=[today() + timedelta(days=review_in_days)])


def contact(status: ContactStatus = ContactStatus.HELD, *, at: datetime | None = None,
            threat: ThreatLevel | None = None, appointment_id: str | None = None,
            note: str = "Talked about housing; she sleeps badly.") -> ContactRecord:
    # Held: now, not an hour ago, which in the first hour of a Helsinki day is the day before
    # the case's referral (refused: the tests failed between 22:00 and 23:00 UTC).
    when = at or (datetime.now(UTC) + (timedelta(days=2) if status is ContactStatus.PLANNED
                                       else timedelta(0)))
    return ContactRecord(reason="Weekly meeting.", kind=ContactKind.MEETING, status=status,
                         at=when, place="Helsinki office", interpreter_language="es",
                         participants=["interpreter"], note=note, safety_threat=threat,
                         appointment_id=appointment_id)


def network_member(agency_id: str | None = "vsf") -> NetworkJoin:
    return NetworkJoin(reason="Her support person from now on.",
                       role=NetworkRole.CRIME_SUPPORT_PERSON, organisation="Victim Support Finland",
                       contact_person="Support person Liisa", contact_channel="+358 40 000 0000",
                       agency_id=agency_id)


def measure_end(measure_id: str = "M1",
                outcome: MeasureOutcome = MeasureOutcome.IMPLEMENTED) -> MeasureEnding:
    return MeasureEnding(reason="She moved into the flat.", measure_id=measure_id,
                         outcome=outcome)


async def consent_holds(_delivery: object) -> bool:
    """A delivery's question to its case, where the test has no case: consent covers it."""
    return True
