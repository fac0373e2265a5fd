"""The case's data: what a caseworker sends with each step and what the workflow keeps.

These pydantic models are the contract shared by the API (request and response bodies), the
Temporal data converter (workflow, update and query payloads) and the tests. Validation here is
structural only (types, lengths, required fields). Domain rules live in `case_rules`, because a
stricter model validator would also reject the recorded payloads of older cases on replay.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from workflows.deadline_rules import DeadlineKind, helsinki_date

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# Staff and agency identifiers are pseudonymous keys, never names.
Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]


def choices(most: int) -> Any:
    """A list of choices, each at most once, at most `most` of them. Stated in the schema and
    enforced by the guards of a new step (`case_guards`), not here: these models also decode
    the payloads of cases recorded before the bound, which must replay as they were."""
    return Field(json_schema_extra={"maxItems": most, "uniqueItems": True})


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class Office(StrEnum):
    JOUTSENO = "joutseno"
    HELSINKI = "helsinki"
    TAMPERE = "tampere"
    OULU = "oulu"


class AgencyType(StrEnum):
    POLICE = "police"
    BORDER_GUARD = "border_guard"
    RECEPTION_CENTRE = "reception_centre"
    SOCIAL_SERVICES = "social_services"
    CHILD_PROTECTION = "child_protection"
    HEALTH_CARE = "health_care"
    NGO = "ngo"
    ASSISTANCE_OFFICE = "assistance_office"  # an office of the assistance system (its inbox)
    OFFICE_LEAD = "office_lead"  # the lead of an assistance-system office
    SELF = "self"
    OTHER = "other"


class Exploitation(StrEnum):
    """Forms of exploitation named in Criminal Code 25:3 (trafficking in human beings)."""

    SEXUAL = "sexual"
    FORCED_LABOUR = "forced_labour"
    FORCED_CRIMINALITY = "forced_criminality"
    BEGGING = "begging"
    FORCED_MARRIAGE = "forced_marriage"
    ORGAN_REMOVAL = "organ_removal"
    OTHER = "other"


class Role(StrEnum):
    CASEWORKER = "caseworker"
    OFFICE_LEAD = "office_lead"
    POLICE = "police"
    BORDER_GUARD = "border_guard"
    RECEPTION_CENTRE = "reception_centre"
    SOCIAL_SERVICES = "social_services"
    NGO = "ngo"
    AUDITOR = "auditor"
    OPERATOR = "operator"


class Phase(StrEnum):
    REFERRED = "referred"  # awaiting the admission decision
    ADMITTED = "admitted"  # identified as a victim; needs not yet assessed
    ASSISTANCE = "assistance"  # needs assessed; measures under way
    MUNICIPALITY = "municipality"  # home municipality responsible; the system cooperates
    NOT_ADMITTED = "not_admitted"  # closed by a negative admission decision
    EXITED = "exited"  # closed by an exit decision

    @property
    def closed(self) -> bool:
        return self in (Phase.NOT_ADMITTED, Phase.EXITED)


class MeasureType(StrEnum):
    HOUSING = "housing"
    HEALTH_CARE = "health_care"
    SOCIAL_SERVICES = "social_services"
    LEGAL_AID = "legal_aid"
    SUPPORT_PERSON = "support_person"
    INTERPRETING = "interpreting"
    INCOME_SUPPORT = "income_support"
    RETURN_ASSISTANCE = "return_assistance"
    RESIDENCE_PERMIT_HELP = "residence_permit_help"
    REFLECTION_PERIOD = "reflection_period"
    OTHER = "other"


class MeasureStatus(StrEnum):
    PLANNED = "planned"
    STARTED = "started"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class MeasureAction(StrEnum):
    START = "start"
    COMPLETE = "complete"
    CANCEL = "cancel"


class CriminalStage(StrEnum):
    NONE = "none"
    REPORTED = "reported"
    PRE_TRIAL_INVESTIGATION = "pre_trial_investigation"
    CONSIDERATION_OF_CHARGES = "consideration_of_charges"
    TRIAL = "trial"
    JUDGMENT = "judgment"
    APPEAL = "appeal"
    DISCONTINUED = "discontinued"


class ThreatLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    HIGH = "high"
    ACUTE = "acute"


class ExitGround(StrEnum):
    NO_LONGER_NEEDS_HELP = "no_longer_needs_help"
    CLIENT_REQUEST = "client_request"
    OTHER_STATUTORY_GROUND = "other_statutory_ground"


class DeadlineStatus(StrEnum):
    OPEN = "open"
    EXTENDED = "extended"  # open, with a due date moved by an extension
    MET = "met"
    CANCELLED = "cancelled"
    OVERDUE = "overdue"  # past due and not met: escalated; stays so until met

    @property
    def pending(self) -> bool:
        return self in (DeadlineStatus.OPEN, DeadlineStatus.EXTENDED)

    @property
    def unsettled(self) -> bool:
        """Neither met nor cancelled: pending, or overdue and still to be met."""
        return self.pending or self is DeadlineStatus.OVERDUE


class DeadlineAction(StrEnum):
    MEET = "meet"
    CANCEL = "cancel"


class AlertKind(StrEnum):
    REMINDER = "reminder"  # to the responsible caseworker's office, before due
    REVIEW = "review"  # a recurring review falls due (integration plan)
    ESCALATION = "escalation"  # to the office's lead, when a deadline passes unmet


class ConsentScope(StrEnum):
    REFERRAL = "referral"  # to be referred to and helped by the assistance system
    CONTACT_POLICE = "contact_police"
    SHARE_WITH_AGENCIES = "share_with_agencies"


class ConsentGiver(StrEnum):
    CLIENT = "client"
    GUARDIAN = "guardian"  # guardian or appointed representative of a minor


# --- who acts -------------------------------------------------------------------------------


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


# --- step bodies (API request bodies and update arguments) ----------------------------------


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


# --- the case state (query result, response body, continue-as-new payload) -----------------


class StepRecord(Model):
    seq: int
    action: str
    actor: Actor
    at: datetime
    reason: str
    version: int


class Consent(Model):
    scope: ConsentScope
    given_by: ConsentGiver
    given: bool
    at: datetime
    recorded_by: Ident
    seq: int | None = None  # its position among the case's consents (None: its place in the list)


class Assignment(Model):
    office: Office
    caseworker_id: Ident


class Decision(Model):
    """An appealable administrative decision (admission or exit)."""

    decision_maker_id: Ident
    decided_on: date
    reasons: str
    appealable: bool = True


class Admission(Decision):
    admitted: bool


class Exit(Decision):
    ground: ExitGround


class Needs(Model):
    safety_threat: ThreatLevel
    criminal_matter: bool
    needs_support_person: bool
    client_view: str
    agencies: list[AgencyType]
    assessed_on: date


class Measure(Model):
    id: str
    type: MeasureType
    provider: Provider
    status: MeasureStatus = MeasureStatus.PLANNED
    added_at: datetime
    changed_at: datetime
    # The provider's answer to the referral of this measure: None until it answers.
    provider_accepted: bool | None = None
    provider_reason: str | None = None


class CriminalRecord(Model):
    stage: CriminalStage
    on: date
    authority: str | None = None


class CriminalProcess(Model):
    stage: CriminalStage = CriminalStage.NONE
    history: list[CriminalRecord] = []


class Municipality(Model):
    municipality: str
    home_municipality_since: date
    handover_on: date
    integration_plan_start: date | None = None


class NotificationStatus(StrEnum):
    WITHHELD = "withheld"  # no consent and no legal basis: not sent
    PENDING = "pending"  # being delivered (retrying until it is)
    DELIVERED = "delivered"
    FAILED = "failed"  # permanently refused, or undeliverable: an operator can re-send
    ACKNOWLEDGED = "acknowledged"


class LegalBasis(StrEnum):
    """Grounds to notify without the client's consent, recorded with the notification."""

    CHILD_WELFARE = "child_welfare"  # Child Welfare Act 417/2007 § 25: report a child at once
    ACUTE_DANGER = "acute_danger"
    REFERRAL = "referral"  # the referrer learns the outcome of its own referral
    INTERNAL = "internal"  # within the assistance system (deadline alerts to offices)
    OTHER_STATUTORY = "other_statutory"


class Selector(Model):
    """Whom to notify: one agency by id, or every agency of a type serving an office or a
    municipality. The directory answers it when the notification is sent."""

    agency_id: str | None = None
    agency_type: AgencyType | None = None
    office: str | None = None
    municipality: str | None = None

    def __str__(self) -> str:
        if self.agency_id:
            return self.agency_id
        return f"{self.agency_type}@{self.municipality or self.office or 'any'}"


class Notification(Model):
    id: str
    key: str  # idempotency key (case and notification); receivers deduplicate on it
    purpose: str
    selector: Selector  # whom the matrix asked for
    agency_id: str | None = None  # whom the directory named
    status: NotificationStatus
    message: dict[str, Any] = {}
    expects_ack: bool = True
    sends: int = 0  # deliveries started (1, then one more per re-send)
    consent: ConsentScope | None = None  # the consent it rests on, or
    legal_basis: LegalBasis | None = None  # the legal basis recorded instead
    step_seq: int | None = None
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime
    changed_at: datetime
    acknowledged_by: Actor | None = None


class DeadlineEvent(Model):
    at: datetime
    what: str
    actor: Actor | None = None  # None: the workflow's own timer
    reason: str | None = None


class Deadline(Model):
    id: str
    kind: DeadlineKind
    subject: str | None = None  # what it is about, e.g. the notification awaiting acknowledgement
    rule_version: str
    rule_source: str
    begins_on: date
    due_on: date
    due_at: datetime
    reminders_at: list[datetime] = []
    reviews_on: list[date] = []
    # How many of the reminders and reviews above have been raised (they are in time order).
    reminders_raised: int = 0
    reviews_raised: int = 0
    extension: Length | None = None  # the total granted so far
    length: Length | None = None  # a length chosen case by case (reflection period)
    status: DeadlineStatus = DeadlineStatus.OPEN
    events: list[DeadlineEvent] = []


class Told(Model):
    """An agency that was delivered a notification of the case, and on what basis: whom an exit
    is announced to, and what the agency may see, after the notification itself left the state."""

    agency_id: str
    consent: ConsentScope | None = None
    legal_basis: LegalBasis | None = None


class Archived(Model):
    """How many records of each kind have left the state for the read model (settled ones,
    oldest first): ids go on counting from them, so a case's state stays bounded however long
    it lives."""

    steps: int = 0
    measures: int = 0
    deadlines: int = 0
    notifications: int = 0
    alerts: int = 0
    consents: int = 0
    criminal: int = 0


class Alert(Model):
    seq: int
    kind: AlertKind
    deadline_id: str
    deadline_kind: DeadlineKind
    office: Office
    at: datetime  # the instant the rule set
    raised_at: datetime  # when the workflow raised it


class CaseState(Model):
    case_id: str
    version: int
    phase: Phase
    referred_at: datetime
    referrer: Referrer
    exploitation: list[Exploitation]
    minor: bool
    person: Person
    assignment: Assignment
    consents: list[Consent]
    admission: Admission | None = None
    assessment_started_on: date | None = None
    needs: Needs | None = None
    measures: list[Measure] = []
    criminal_process: CriminalProcess = CriminalProcess()
    municipality: Municipality | None = None
    exit: Exit | None = None
    steps: list[StepRecord] = []
    deadlines: list[Deadline] = []
    alerts: list[Alert] = []
    notifications: list[Notification] = []
    runs: int = Field(default=1, description="Workflow runs so far (continue-as-new).")
    revision: int = Field(default=0, description="Counts every change, steps and the "
                          "workflow's own (alerts, deliveries); orders the read model's copies.")
    received_on: date | None = Field(default=None, description="The day the referral was "
                                     "received, when before the day it was recorded.")
    archived: Archived = Field(default_factory=Archived, description="Records moved to the "
                               "read model: the state keeps the recent and the open ones.")
    informed: list[Told] = Field(default=[], description="Agencies delivered a notification.")

    @property
    def began_on(self) -> date:
        """The day the case began: the referral's receipt (Helsinki time)."""
        return self.received_on or helsinki_date(self.referred_at)

    def next_measure_id(self) -> str:
        return f"M{self.archived.measures + len(self.measures) + 1}"

    def next_deadline_id(self) -> str:
        return f"D{self.archived.deadlines + len(self.deadlines) + 1}"

    def next_notification_id(self) -> str:
        return f"N{self.archived.notifications + len(self.notifications) + 1}"

    def next_alert_seq(self) -> int:
        return self.archived.alerts + len(self.alerts) + 1

    def next_deadline(self) -> Deadline | None:
        return min((d for d in self.deadlines if d.status.pending), key=lambda d: d.due_at,
                   default=None)

    def deadlines_in(self, status: DeadlineStatus) -> int:
        return sum(d.status is status for d in self.deadlines)

    def notifications_in(self, status: NotificationStatus) -> int:
        return sum(n.status is status for n in self.notifications)


class CaseSummary(Model):
    """A list row: no personal data, only what visibility holds."""

    case_id: str
    phase: Phase
    office: Office
    caseworker_id: str | None
    referred_at: datetime
    closed: bool


class CasePage(Model):
    cases: list[CaseSummary]
    next_page_token: str | None = None


class DueRow(Model):
    """An operations row: a case's next deadline and how many are overdue. No personal data."""

    case_id: str
    office: Office
    caseworker_id: str | None
    next_deadline_kind: DeadlineKind | None
    next_due_at: datetime | None
    overdue: int


class DuePage(Model):
    rows: list[DueRow]
    next_page_token: str | None = None


# --- workflow input ---------------------------------------------------------------------------


class MeasureUpdate(Step):
    """A measure's status change as the workflow receives it (id and action come from the URL)."""

    measure_id: Ident
    action: MeasureAction


class Opening(Model):
    referral: Referral
    meta: StepMeta


class Carried(Model):
    """What a run hands to the next on continue-as-new."""

    state: CaseState
    keys: dict[str, str] = Field(description="Idempotency key -> request fingerprint.")


class CaseInput(Model):
    opening: Opening | None = None
    carried: Carried | None = None
    history_limit: int = Field(default=2000, ge=20, description="Continue as new past this.")
    delivery_give_up_days: float = Field(default=7.0, gt=0,
                                         description="Retry a notification this long.")


class DeliveryRow(Model):
    """An operations row: a case's notifications failed and still retrying. No personal data."""

    case_id: str
    office: Office
    caseworker_id: str | None
    failed: int
    pending: int


class DeliveryPage(Model):
    rows: list[DeliveryRow]
    next_page_token: str | None = None


class AgencyNotice(Model):
    """A notification as the agency it was sent to sees it."""

    id: str
    purpose: str
    status: NotificationStatus
    sent_at: datetime
    message: dict[str, Any]


class AgencyMeasure(Model):
    id: str
    type: MeasureType
    status: MeasureStatus
    provider_accepted: bool | None


class AgencyCaseView(Model):
    """What one agency may know of a case: need to know, as far as the client's consent (or a
    recorded legal basis) allows. A referrer alone learns only whether the person was admitted."""

    case_id: str
    version: int = Field(description="The case's version: send it as If-Match with a step.")
    involvement: list[Literal["referrer", "notified", "provider"]]
    admitted: bool | None
    notifications: list[AgencyNotice] = []
    measures: list[AgencyMeasure] = []


class AgencyCaseRow(Model):
    case_id: str
    involvement: list[Literal["notified", "provider"]]


class AgencyCasePage(Model):
    cases: list[AgencyCaseRow]
    next_page_token: str | None = None


class OperationsNotice(Model):
    """A notification as operations see it: where it stands, never what it says."""

    id: str
    purpose: str
    agency_id: str | None
    status: NotificationStatus
    attempts: int
    last_error: str | None
    changed_at: datetime


class OperationsCaseView(Model):
    """What operations staff see of one case: where it stands and how its deliveries go. No
    personal data, no reasons."""

    case_id: str
    version: int
    phase: Phase
    office: Office
    caseworker_id: str | None
    notifications: list[OperationsNotice]


class StepPage(Model):
    """A case's steps, oldest first: the recent ones from the case, older ones from the read
    model."""

    steps: list[StepRecord]
    next_page_token: str | None = None
