"""What a caseworker sends with each step: the API's request bodies and the workflow's update
arguments, one model per step, and who takes it (`Actor`, `StepMeta`).

Validation here is structural only (types, lengths, required fields). Domain rules live in
`case_rules` and `case_guards`, because a stricter model would also refuse to decode the
recorded payloads of older cases on replay. The handlers take `(meta, step)`: recorded
histories make it costly to change, so every handler keeps that shape.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints

from workflows.vocabulary import (
    AgencyType,
    ConsentGiver,
    ConsentScope,
    CriminalStage,
    DeadlineAction,
    ExitGround,
    Exploitation,
    Ident,
    LegalBasis,
    MeasureAction,
    MeasureType,
    Model,
    Name,
    Office,
    Role,
    Text,
    ThreatLevel,
    choices,
)


class Actor(Model):
    """The person behind a step: a pseudonymous staff id, their role, and their agency (agency
    staff) or office (the assistance system's staff)."""

    user_id: Ident
    role: Role
    agency: Ident | None = None
    office: Office | None = None


class StepMeta(Model):
    """What the API adds to every step: who, the version they saw, and the idempotency key."""

    actor: Actor
    expected_version: int = Field(ge=0)
    idempotency_key: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    # Hash of the request (body and caller): a reused key with another request is refused.
    fingerprint: Annotated[str, StringConstraints(max_length=64)]
    # Staff reaching a case outside their office and assignment state why ("break the glass").
    access_reason: Text | None = None


class Step(Model):
    reason: Text = Field(description="Why this step is taken; recorded with the step.")


class Person(Model):
    """The client's personal data. It never leaves the case state: not in ids, logs or lists."""

    given_names: Name
    surname: Name
    date_of_birth: date | None = None
    nationality: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = Field(
        default=None, description="ISO 3166-1 alpha-3"
    )
    languages: Annotated[list[Annotated[str, StringConstraints(min_length=2, max_length=35)]],
                         choices(10)] = []


class Referrer(Model):
    agency_type: AgencyType
    organisation: Name | None = None
    agency_id: Ident | None = Field(default=None, description="The referrer's entry in the "
                                    "agency directory: it learns whether the person was admitted.")
    reference: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        default=None, description="The referrer's own reference, returned with the outcome.")


class Referral(Step):
    referrer: Referrer
    office: Office
    exploitation: Annotated[list[Exploitation], Field(min_length=1),
                            choices(len(Exploitation))]
    minor: bool
    client_consent: bool = Field(description="The client's consent to the referral.")
    guardian_consent: bool | None = Field(
        default=None, description="For a minor: the guardian's or representative's consent."
    )
    person: Person
    caseworker_id: Ident | None = Field(
        default=None, description="Responsible caseworker; defaults to the referring user."
    )
    received_on: date | None = Field(
        default=None, description="The day the referral was received (by phone, say), if "
        "before today; its deadlines count from it. Not in the future, at most a year back.")


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
    agency_type: AgencyType
    organisation: Name
    agency_id: Ident | None = Field(default=None, description="The provider's entry in the "
                                    "agency directory: it is asked to accept the measure.")


class NewMeasure(Step):
    type: MeasureType
    provider: Provider


class CriminalEvent(Step):
    stage: CriminalStage
    on: date
    authority: Name | None = None


class ConsentChange(Step):
    scope: ConsentScope
    given_by: ConsentGiver
    given: bool


class MunicipalityTransition(Step):
    municipality: Name
    home_municipality_since: date
    handover_on: date
    integration_plan_start: date | None = None


class ExitDecision(Step):
    ground: ExitGround
    decision_maker_id: Ident
    decided_on: date
    by_post: bool = Field(default=False, description="Served by post: the appeal period "
                          "starts on the 7th day after sending.")


class ManualNotification(Step):
    """Notify an agency on a recorded legal basis, e.g. police in acute danger without consent."""

    agency_id: Ident
    legal_basis: LegalBasis | None = None


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

    years: int = Field(default=0, ge=0, le=10)
    months: int = Field(default=0, ge=0, le=120)
    days: int = Field(default=0, ge=0, le=3650)


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


class Reassignment(Step):
    caseworker_id: Ident


class OfficeTransfer(Step):
    office: Office
    caseworker_id: Ident


class MeasureUpdate(Step):
    """A measure's status change as the workflow receives it (id and action come from the URL)."""

    measure_id: Ident
    action: MeasureAction
