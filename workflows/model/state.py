"""What a case is: the state the workflow keeps (the query's result, a step's answer to staff,
the input of a continued run) and the records it is made of; and the workflow's input.

A case's state stays bounded over its life (`rules.size`): settled records leave it for the
read model, and `archived` counts them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from workflows.model.calendar import helsinki_date
from workflows.model.requests import (
    Actor,
    Goal,
    Length,
    Person,
    Provider,
    Referral,
    Referrer,
    StepMeta,
)
from workflows.model.vocabulary import (
    Action,
    AgencyType,
    AlertKind,
    ConsentGiver,
    ConsentScope,
    ContactKind,
    ContactStatus,
    CriminalStage,
    DeadlineKind,
    DeadlineStatus,
    ExitGround,
    Exploitation,
    Ident,
    LegalBasis,
    MeasureOutcome,
    MeasureStatus,
    MeasureType,
    Model,
    NetworkRole,
    NotificationStatus,
    Office,
    Phase,
    PlanStatus,
    Purpose,
    ThreatLevel,
)


class StepRecord(Model):
    seq: int
    action: Action
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
    agency_id: str | None = None  # share with this agency only (None: every agency)
    purpose: Purpose | None = None  # for this purpose only (None: every purpose)

    def covers(self, agency_id: str | None, purpose: Purpose | None) -> bool:
        """Whether this consent speaks for the agency and purpose asked about (None asked:
        an agency or purpose not known yet, which only a general consent covers)."""
        return (self.agency_id in (None, agency_id)) and (self.purpose in (None, purpose))


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
    number: int = 1  # the case's first assessment, or a later reassessment


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
    planned_start: date | None = None  # waiting in a queue until then
    started_at: datetime | None = None
    outcome: MeasureOutcome | None = None  # how an accepted measure ended
    outcome_reason: str | None = None

    @property
    def waited_days(self) -> int | None:
        """Days from being added to starting: the wait for help, measurable per measure."""
        return None if self.started_at is None else (self.started_at - self.added_at).days


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
    covers: Purpose | None = None  # the purpose the consent must cover
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
    covers: Purpose | None = None


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
    contacts: int = 0
    plans: int = 0  # superseded plan revisions
    assessments: int = 0  # earlier assessments
    network: int = 0  # members who left the network


class Alert(Model):
    seq: int
    kind: AlertKind
    deadline_id: str
    deadline_kind: DeadlineKind
    office: Office
    at: datetime  # the instant the rule set
    raised_at: datetime  # when the workflow raised it


class ClientPlan(Model):
    """One revision of the client plan; earlier revisions stay readable."""

    number: int
    goals: list[Goal]
    client_view: str
    client_agrees: bool
    review_on: list[date]
    rests_on: int | None = None  # the number of the assessment it is based on
    status: PlanStatus
    proposed_by: Actor
    proposed_at: datetime
    approved_by: Actor | None = None
    in_force_from: datetime | None = None


class Contact(Model):
    id: str
    kind: ContactKind
    status: ContactStatus
    at: datetime
    place: str | None = None
    remote: bool = False
    interpreter_language: str | None = None
    participants: list[str] = []
    note: str | None = None
    safety_threat: ThreatLevel | None = None
    recorded_by: Actor
    recorded_at: datetime


class NetworkMember(Model):
    id: str
    role: NetworkRole
    organisation: str
    contact_person: str | None = None
    contact_channel: str | None = None
    agency_id: str | None = None
    joined_at: datetime
    left_at: datetime | None = None


class Handover(Model):
    at: datetime
    from_caseworker: str
    to_caseworker: str
    office: Office
    note: str | None = None


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
    past_needs: list[Needs] = Field(default=[], description="Earlier assessments, oldest first.")
    plans: list[ClientPlan] = Field(default=[], description="Client plan revisions, oldest first.")
    contacts: list[Contact] = []
    network: list[NetworkMember] = []
    handovers: list[Handover] = Field(default=[], description="The latest handovers.")
    worker_changes: int = Field(default=0, description="Reassignments and transfers so far.")
    acute_danger_at: datetime | None = Field(
        default=None, description="Since when an acute threat stands that the police have not "
        "been notified of.")

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

    def next_contact_id(self) -> str:
        return f"K{self.archived.contacts + len(self.contacts) + 1}"

    def next_plan_number(self) -> int:
        return self.archived.plans + len(self.plans) + 1

    def next_member_id(self) -> str:
        return f"P{self.archived.network + len(self.network) + 1}"

    def plan_in_force(self) -> ClientPlan | None:
        return next((p for p in reversed(self.plans) if p.status is PlanStatus.IN_FORCE), None)

    def next_alert_seq(self) -> int:
        return self.archived.alerts + len(self.alerts) + 1

    def next_deadline(self) -> Deadline | None:
        return min((d for d in self.deadlines if d.status.pending), key=lambda d: d.due_at,
                   default=None)

    def deadlines_in(self, status: DeadlineStatus) -> int:
        return sum(d.status is status for d in self.deadlines)

    def notifications_in(self, status: NotificationStatus) -> int:
        return sum(n.status is status for n in self.notifications)


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
