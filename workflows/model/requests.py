"""What a caseworker sends with each step: the API's request bodies and the workflow's update
arguments, one model per step, and who takes it (`Actor`, `StepMeta`).

Validation here is structural only (types, lengths, required fields). Domain rules live in
`rules.lifecycle` and `rules.guards`, because a stricter model would also refuse to decode the
recorded payloads of older cases on replay. The handlers take `(meta, step)`: recorded
histories make it costly to change, so every handler keeps that shape.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from workflows.model.personal import ABOUT, IDENTIFYING, NO, OTHERS
from workflows.model.vocabulary import (
    AgencyType,
    ConsentGiver,
    ConsentScope,
    ContactKind,
    ContactStatus,
    CriminalStage,
    DeadlineAction,
    ExitGround,
    Exploitation,
    Ident,
    LegalBasis,
    MeasureAction,
    MeasureOutcome,
    MeasureType,
    Model,
    Name,
    NetworkRole,
    Office,
    Purpose,
    Role,
    Text,
    ThreatLevel,
    choices,
)


class Actor(Model):
    """The person behind a step: a pseudonymous staff id, their role, and their agency (agency
    staff) or office (the assistance system's staff)."""

    user_id: Annotated[Ident, NO]
    role: Annotated[Role, NO]
    agency: Annotated[Ident | None, NO] = None
    office: Annotated[Office | None, NO] = None


class StepMeta(Model):
    """What the API adds to every step: who, the version they saw, and the idempotency key."""

    actor: Actor
    expected_version: int = Field(ge=0)
    idempotency_key: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    # Hash of the request (body and caller): a reused key with another request is refused.
    fingerprint: Annotated[str, StringConstraints(max_length=64)]
    # Staff reaching a case outside their office and assignment state why ("break the glass").
    access_reason: Text | None = None
    # The deployment's policy: a client plan comes into force only when an office lead approves.
    approval_required: bool = False
    # The request whose audited intent this step is: the audit check pairs each step in a
    # history with its intent by it.
    request_id: Annotated[str, StringConstraints(max_length=100)] | None = None
    # The API's seal over the case, the step, this metadata and the body (`infra.proof`): the
    # worker takes no step without it. None only in histories recorded before it existed.
    proof: Annotated[str, StringConstraints(max_length=120)] | None = None


class Step(Model):
    reason: Text = Field(description="Why this step is taken; recorded with the step.")


class Person(Model):
    """The client's personal data. It never leaves the case state: not in ids, logs or lists."""

    given_names: Annotated[Name, IDENTIFYING]
    surname: Annotated[Name, IDENTIFYING]
    date_of_birth: Annotated[date | None, IDENTIFYING] = None
    nationality: Annotated[Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None,
                           IDENTIFYING] = Field(default=None, description="ISO 3166-1 alpha-3")
    languages: Annotated[list[Annotated[str, StringConstraints(min_length=2, max_length=35)]],
                         choices(10), IDENTIFYING] = []
    interpreter_language: Annotated[
        Annotated[str, StringConstraints(min_length=2, max_length=35)] | None, IDENTIFYING] = \
        Field(default=None, description="The language the client needs an interpreter in, if "
              "any: each appointment offers it, and the documents the client receives are "
              "translated into it.")


class Referrer(Model):
    agency_type: Annotated[AgencyType, NO]
    organisation: Annotated[Name | None, NO] = None
    agency_id: Annotated[Ident | None, NO] = Field(default=None, description=(
        "The referrer's entry in the agency directory: it learns whether the person was "
        "admitted."))
    reference: Annotated[Annotated[str, StringConstraints(max_length=100)] | None, ABOUT] = Field(
        default=None, description="The referrer's own reference, returned with the outcome.")


class Referred(Step):
    """What every referral tells, whoever makes it."""

    office: Office
    exploitation: Annotated[list[Exploitation], Field(min_length=1),
                            choices(len(Exploitation))]
    minor: bool
    client_consent: bool = Field(description="The client's consent to the referral.")
    guardian_consent: bool | None = Field(
        default=None, description="For a minor: the guardian's or representative's consent."
    )
    person: Person
    received_on: date | None = Field(
        default=None, description="The day the referral was received (by phone, say), if "
        "before today; its deadlines count from it. Not in the future, at most a year back.")
    consultation: Annotated[str, StringConstraints(pattern=CONSULTATION_NUMBER)] | None = Field(
        default=None, description="The number of an anonymous consultation that recommended "
        "this referral (`K-HEL-2026-0007`): the case keeps the number, nothing passes between "
        "them.")


class Referral(Referred):
    """A referral as the case keeps it (and as the assistance system's staff make it)."""

    referrer: Referrer
    caseworker_id: Ident | None = Field(
        default=None, description="Responsible caseworker; defaults to the referring member of "
        "staff (an agency's referral waits in the office's intake).")


class AgencyReferral(Referred):
    """A referral from an agency, with its own token: the referrer is the agency itself."""

    own_reference: Annotated[Annotated[str, StringConstraints(max_length=100)] | None, ABOUT] = \
        Field(default=None, description="The agency's own reference, returned with the outcome.")


class PublicReferral(Referred):
    """A referral through the public form (`/refer`), by anyone without an account: who refers,
    besides what every referral tells."""

    reason: Text = Field(description="What has happened, and how the assistance system can "
                         "reach the person safely (a phone number, a language, a time).")
    who_refers: AgencyType
    organisation: Annotated[Name | None, Field(description="A professional's organisation.")] \
        = None


CONSULTATION_NUMBER = r"^K-(?:HEL|TRE|OUL|JOU)-\d{4}-\d{4,6}$"
REFERENCE_NUMBER = r"^(?:HEL|TRE|OUL|JOU)-\d{4}-\d{4,6}$"


class AdmissionDecision(Step):
    admitted: bool
    decision_maker_id: Ident
    decided_on: date
    by_post: bool = Field(default=False, description="Served by post: the appeal period "
                          "starts on the 7th day after sending.")


class Assessment(Step):
    safety_threat: ThreatLevel
    criminal_matter: bool
    needs_support_person: bool
    client_view: Text
    agencies: Annotated[list[AgencyType], choices(len(AgencyType))] = []
    assessed_on: date


class Provider(Model):
    agency_type: Annotated[AgencyType, NO]
    organisation: Annotated[Name, NO]
    agency_id: Annotated[Ident | None, NO] = Field(default=None, description=(
        "The provider's entry in the agency directory: it is asked to accept the measure."))


class NewMeasure(Step):
    type: MeasureType
    provider: Provider
    planned_start: date | None = Field(
        default=None, description="When the measure is to start, if it waits in a queue: the "
        "wait until it starts is measured from the day it was added.")


class CriminalEvent(Step):
    stage: CriminalStage
    on: date
    authority: Name | None = None


class ConsentChange(Step):
    scope: ConsentScope
    given_by: ConsentGiver
    given: bool
    agency_id: Ident | None = Field(
        default=None, description="Share with agencies: only this agency (else every agency). "
        "The latest consent that covers an agency and purpose decides for it.")
    purpose: Purpose | None = Field(
        default=None, description="Share with agencies: only for this purpose (else every "
        "purpose).")


class MunicipalityTransition(Step):
    municipality: Name
    home_municipality_since: date
    handover_on: date
    integration_plan_start: date | None = None


OPEN_ON_EXIT = 50  # started measures named at an exit, at most


class OnExit(Model):
    """What becomes of what is still open when a case exits: the started measures named here
    end implemented; every other open measure, and every appointment ahead, is cancelled.
    Notifications on their way are still delivered."""

    implemented: Annotated[list[Ident], choices(OPEN_ON_EXIT)] = Field(
        default=[], description="The started measures carried out; the others end cancelled.")


class ExitDecision(Step):
    ground: ExitGround
    decision_maker_id: Ident
    decided_on: date
    by_post: bool = Field(default=False, description="Served by post: the appeal period "
                          "starts on the 7th day after sending.")
    open_items: OnExit | None = Field(default=None, description=(
        "Required while measures are open or appointments ahead: what becomes of them."))


class ManualNotification(Step):
    """Notify an agency on a recorded legal basis, e.g. police in acute danger without consent."""

    agency_id: Ident
    legal_basis: LegalBasis | None = None


class TakeOver(Step):
    """A caseworker of the office takes over a referral waiting in intake."""


class InformationRequest(Step):
    """Ask the referrer for more about its referral (told on the basis of the referral)."""

    question: Annotated[Text, ABOUT] = Field(description="What the referrer is asked; it reads "
                                             "the question by signing in, never by e-mail.")


class Duplicate(Step):
    """A second referral of a person whose case goes on in another: this one closes."""

    duplicate_of: Annotated[str, StringConstraints(pattern=REFERENCE_NUMBER)] = Field(
        description="The reference number of the case that goes on (the reader must have a "
        "right to it, or state a reason).")


class NotificationRef(Step):
    notification_id: Ident


class MeasureResponse(Step):
    """The providing agency accepts or declines the referral of a measure."""

    accepted: bool


class MeasureAnswer(MeasureResponse):
    measure_id: Ident


class ProviderChange(Step):
    provider: Provider


class MeasureProviderChange(ProviderChange):
    measure_id: Ident


class AssessmentStart(Step):
    started_on: date


class Length(Model):
    """A length of calendar time, e.g. {"months": 6} or {"days": 45}."""

    years: Annotated[int, NO] = Field(default=0, ge=0, le=10)
    months: Annotated[int, NO] = Field(default=0, ge=0, le=120)
    days: Annotated[int, NO] = Field(default=0, ge=0, le=3650)


class ReflectionPeriodGrant(Step):
    granted_on: date
    length: Length
    granted_by: AgencyType


class DeadlineChange(Step):
    """Meet or cancel a deadline (the id and action come from the URL)."""

    deadline_id: Ident
    action: DeadlineAction


class Extension(Step):
    extension: Length


class DeadlineExtension(Extension):
    deadline_id: Ident


HandoverNote = Annotated[Text | None, Field(
    description="What the new caseworker must know to carry on; their first contact with the "
    "client becomes a deadline.")]


class Reassignment(Step):
    caseworker_id: Ident
    handover_note: HandoverNote = None


class OfficeTransfer(Step):
    office: Office
    caseworker_id: Ident
    handover_note: HandoverNote = None


class MeasureUpdate(Step):
    """A measure's status change as the workflow receives it (id and action come from the URL)."""

    measure_id: Ident
    action: MeasureAction


class MeasureEnd(Step):
    """How a measure the provider accepted ended: implemented, or not successful (say why)."""

    outcome: MeasureOutcome


class MeasureEnding(MeasureEnd):
    measure_id: Ident


PLAN_GOALS = 12
PLAN_REVIEWS = 6
GOAL_MEASURES = 10
PARTICIPANTS = 10


class Goal(Model):
    goal: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
                    ABOUT]
    measure_ids: Annotated[list[Ident], Field(max_length=GOAL_MEASURES), NO] = Field(
        default=[], description="The case's measures that serve this goal (M1, M2, ...).")
    responsible: Annotated[Name, OTHERS] = Field(
        description="Who answers for it: a person or an organisation.")


class PlanRevision(Step):
    """A revision of the client plan (asiakassuunnitelma), resting on the latest assessment."""

    goals: Annotated[list[Goal], Field(min_length=1, max_length=PLAN_GOALS)]
    client_view: Text = Field(description="The client's own view of the plan, in their words.")
    client_agrees: bool = Field(description="The client agrees to the plan.")
    review_on: Annotated[list[date], Field(min_length=1, max_length=PLAN_REVIEWS)] = Field(
        description="When the plan is reviewed with the client: each is a deadline of the case.")


class PlanApproval(Step):
    plan: int = Field(ge=1, le=10_000, description="The number of the plan revision approved.")


class ContactRecord(Step):
    """A meeting, call or visit: planned ahead (a reminder), held, or missed."""

    kind: ContactKind
    status: ContactStatus
    at: AwareDatetime = Field(description="When it takes or took place.")
    place: Name | None = None
    remote: bool = False
    interpreter_language: Annotated[str, StringConstraints(
        strip_whitespace=True, min_length=2, max_length=35)] | None = None
    participants: Annotated[list[Name], Field(max_length=PARTICIPANTS)] = Field(
        default=[], description="Who took part besides the client and the caseworker (roles, "
        "organisations).")
    note: Text | None = Field(default=None, description="What was discussed. Personal data: "
                              "encrypted with the case, and every read of it is logged.")
    safety_threat: ThreatLevel | None = Field(
        default=None, description="A change in the client's safety noticed at the contact; "
        "acute raises an alert to the office lead at once.")
    appointment_id: Ident | None = Field(
        default=None, description="The planned appointment this records as held, missed or "
        "cancelled.")


class NetworkJoin(Step):
    """Someone of the client's support network: what they may know follows the consents."""

    role: NetworkRole
    organisation: Name
    contact_person: Name | None = None
    contact_channel: Name | None = Field(default=None, description="How to reach them "
                                         "(a phone number, a secure mailbox).")
    agency_id: Ident | None = Field(default=None, description="The organisation's entry in the "
                                    "agency directory, if it has one.")


class NetworkLeave(Step):
    member_id: Ident
