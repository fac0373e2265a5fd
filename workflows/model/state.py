"""What a case is: the state the workflow keeps (the query's result, a step's answer to staff,
the input of a continued run) and the records it is made of; and the workflow's input.

A case's state stays bounded over its life (`rules.size`): settled records leave it for the
read model, and `archived` counts them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field

from workflows.model.calendar import helsinki_date
from workflows.model.documents import Document
from workflows.model.personal import ABOUT, IDENTIFYING, NO, OTHERS
from workflows.model.personal import keys as personal_keys
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
    seq: Annotated[int, NO]
    action: Annotated[Action, NO]
    actor: Actor
    at: Annotated[datetime, NO]
    reason: Annotated[str, ABOUT]
    version: Annotated[int, NO]


class Consent(Model):
    scope: Annotated[ConsentScope, NO]
    given_by: Annotated[ConsentGiver, NO]
    given: Annotated[bool, NO]
    at: Annotated[datetime, NO]
    recorded_by: Annotated[Ident, NO]
    # its position among the case's consents (None: its place in the list)
    seq: Annotated[int | None, NO] = None
    agency_id: Annotated[str | None, NO] = None  # share with this agency only (None: every agency)
    purpose: Annotated[Purpose | None, NO] = None  # for this purpose only (None: every purpose)

    def covers(self, agency_id: str | None, purpose: Purpose | None) -> bool:
        """Whether this consent speaks for the agency and purpose asked about (None asked:
        an agency or purpose not known yet, which only a general consent covers)."""
        return (self.agency_id in (None, agency_id)) and (self.purpose in (None, purpose))


class Assignment(Model):
    office: Annotated[Office, NO]
    # None: referred by an agency or the person themself, waiting in the office's intake.
    caseworker_id: Annotated[Ident | None, NO] = None


class Decision(Model):
    """An appealable administrative decision (admission or exit)."""

    decision_maker_id: Annotated[Ident, NO]
    decided_on: Annotated[date, NO]
    reasons: Annotated[str, ABOUT]
    appealable: Annotated[bool, NO] = True


class Admission(Decision):
    admitted: Annotated[bool, ABOUT]


class Exit(Decision):
    ground: Annotated[ExitGround, ABOUT]


class Needs(Model):
    safety_threat: Annotated[ThreatLevel, ABOUT]
    criminal_matter: Annotated[bool, ABOUT]
    needs_support_person: Annotated[bool, ABOUT]
    client_view: Annotated[str, ABOUT]
    agencies: Annotated[list[AgencyType], NO]
    assessed_on: Annotated[date, NO]
    number: Annotated[int, NO] = 1  # the case's first assessment, or a later reassessment


class Measure(Model):
    id: Annotated[str, NO]
    type: Annotated[MeasureType, NO]
    provider: Provider
    status: Annotated[MeasureStatus, NO] = MeasureStatus.PLANNED
    added_at: Annotated[datetime, NO]
    changed_at: Annotated[datetime, NO]
    # The provider's answer to the referral of this measure: None until it answers.
    provider_accepted: Annotated[bool | None, NO] = None
    provider_reason: Annotated[str | None, ABOUT] = None
    planned_start: Annotated[date | None, NO] = None  # waiting in a queue until then
    started_at: Annotated[datetime | None, NO] = None
    outcome: Annotated[MeasureOutcome | None, NO] = None  # how an accepted measure ended
    outcome_reason: Annotated[str | None, ABOUT] = None

    @property
    def waited_days(self) -> int | None:
        """Days from being added to starting: the wait for help, measurable per measure."""
        return None if self.started_at is None else (self.started_at - self.added_at).days


class CriminalRecord(Model):
    stage: Annotated[CriminalStage, NO]
    on: Annotated[date, NO]
    authority: Annotated[str | None, NO] = None


class CriminalProcess(Model):
    stage: Annotated[CriminalStage, NO] = CriminalStage.NONE
    history: list[CriminalRecord] = []


class Municipality(Model):
    municipality: Annotated[str, ABOUT]
    home_municipality_since: Annotated[date, NO]
    handover_on: Annotated[date, NO]
    integration_plan_start: Annotated[date | None, NO] = None


class Selector(Model):
    """Whom to notify: one agency by id, or every agency of a type serving an office or a
    municipality. The directory answers it when the notification is sent."""

    agency_id: Annotated[str | None, NO] = None
    agency_type: Annotated[AgencyType | None, NO] = None
    office: Annotated[str | None, NO] = None
    municipality: Annotated[str | None, ABOUT] = None

    def __str__(self) -> str:
        if self.agency_id:
            return self.agency_id
        return f"{self.agency_type}@{self.municipality or self.office or 'any'}"


class Notification(Model):
    id: Annotated[str, NO]
    key: Annotated[str, NO]  # idempotency key (case and notification); receivers deduplicate on it
    purpose: Annotated[str, NO]
    selector: Selector  # whom the matrix asked for
    agency_id: Annotated[str | None, NO] = None  # whom the directory named
    status: Annotated[NotificationStatus, NO]
    message: Annotated[dict[str, Any], ABOUT] = {}
    expects_ack: Annotated[bool, NO] = True
    sends: Annotated[int, NO] = 0  # deliveries started (1, then one more per re-send)
    consent: Annotated[ConsentScope | None, NO] = None  # the consent it rests on, or
    legal_basis: Annotated[LegalBasis | None, NO] = None  # the legal basis recorded instead
    covers: Annotated[Purpose | None, NO] = None  # the purpose the consent must cover
    step_seq: Annotated[int | None, NO] = None
    attempts: Annotated[int, NO] = 0
    last_error: Annotated[str | None, NO] = None
    created_at: Annotated[datetime, NO]
    changed_at: Annotated[datetime, NO]
    acknowledged_by: Actor | None = None


class DeadlineEvent(Model):
    at: Annotated[datetime, NO]
    what: Annotated[str, NO]
    actor: Actor | None = None  # None: the workflow's own timer
    reason: Annotated[str | None, ABOUT] = None


class Deadline(Model):
    id: Annotated[str, NO]
    kind: Annotated[DeadlineKind, NO]
    # what it is about, e.g. the notification awaiting acknowledgement
    subject: Annotated[str | None, NO] = None
    rule_version: Annotated[str, NO]
    rule_source: Annotated[str, NO]
    begins_on: Annotated[date, NO]
    due_on: Annotated[date, NO]
    due_at: Annotated[datetime, NO]
    reminders_at: Annotated[list[datetime], NO] = []
    reviews_on: Annotated[list[date], NO] = []
    # How many of the reminders and reviews above have been raised (they are in time order).
    reminders_raised: Annotated[int, NO] = 0
    reviews_raised: Annotated[int, NO] = 0
    extension: Length | None = None  # the total granted so far
    length: Length | None = None  # a length chosen case by case (reflection period)
    status: Annotated[DeadlineStatus, NO] = DeadlineStatus.OPEN
    events: list[DeadlineEvent] = []


class Told(Model):
    """An agency that was delivered a notification of the case, and on what basis: whom an exit
    is announced to, and what the agency may see, after the notification itself left the state."""

    agency_id: Annotated[str, NO]
    consent: Annotated[ConsentScope | None, NO] = None
    legal_basis: Annotated[LegalBasis | None, NO] = None
    covers: Annotated[Purpose | None, NO] = None


class Archived(Model):
    """How many records of each kind have left the state for the read model (settled ones,
    oldest first): ids go on counting from them, so a case's state stays bounded however long
    it lives."""

    steps: Annotated[int, NO] = 0
    measures: Annotated[int, NO] = 0
    deadlines: Annotated[int, NO] = 0
    notifications: Annotated[int, NO] = 0
    alerts: Annotated[int, NO] = 0
    consents: Annotated[int, NO] = 0
    criminal: Annotated[int, NO] = 0
    contacts: Annotated[int, NO] = 0
    plans: Annotated[int, NO] = 0  # superseded plan revisions
    assessments: Annotated[int, NO] = 0  # earlier assessments
    network: Annotated[int, NO] = 0  # members who left the network


class Alert(Model):
    seq: Annotated[int, NO]
    kind: Annotated[AlertKind, NO]
    deadline_id: Annotated[str, NO]
    deadline_kind: Annotated[DeadlineKind, NO]
    office: Annotated[Office, NO]
    at: Annotated[datetime, NO]  # the instant the rule set
    raised_at: Annotated[datetime, NO]  # when the workflow raised it


class ClientPlan(Model):
    """One revision of the client plan; earlier revisions stay readable."""

    number: Annotated[int, NO]
    goals: list[Goal]
    client_view: Annotated[str, ABOUT]
    client_agrees: Annotated[bool, ABOUT]
    review_on: Annotated[list[date], NO]
    rests_on: Annotated[int | None, NO] = None  # the number of the assessment it is based on
    status: Annotated[PlanStatus, NO]
    proposed_by: Actor
    proposed_at: Annotated[datetime, NO]
    approved_by: Actor | None = None
    in_force_from: Annotated[datetime | None, NO] = None


class Contact(Model):
    id: Annotated[str, NO]
    kind: Annotated[ContactKind, NO]
    status: Annotated[ContactStatus, NO]
    at: Annotated[datetime, NO]
    place: Annotated[str | None, ABOUT] = None
    remote: Annotated[bool, NO] = False
    interpreter_language: Annotated[str | None, IDENTIFYING] = None
    participants: Annotated[list[str], NO] = []
    note: Annotated[str | None, ABOUT] = None
    safety_threat: Annotated[ThreatLevel | None, ABOUT] = None
    recorded_by: Actor
    recorded_at: Annotated[datetime, NO]


class NetworkMember(Model):
    id: Annotated[str, NO]
    role: Annotated[NetworkRole, NO]
    organisation: Annotated[str, NO]
    contact_person: Annotated[str | None, OTHERS] = None
    contact_channel: Annotated[str | None, OTHERS] = None
    agency_id: Annotated[str | None, NO] = None
    joined_at: Annotated[datetime, NO]
    left_at: Annotated[datetime | None, NO] = None


class Handover(Model):
    at: Annotated[datetime, NO]
    from_caseworker: Annotated[str | None, NO]  # None: taken over from intake
    to_caseworker: Annotated[str, NO]
    office: Annotated[Office, NO]
    note: Annotated[str | None, ABOUT] = None


class CaseState(Model):
    case_id: Annotated[str, NO]
    # The number a person can read out (`store.references`): none on cases opened before it.
    reference_number: Annotated[str | None, NO] = None
    version: Annotated[int, NO]
    phase: Annotated[Phase, NO]
    referred_at: Annotated[datetime, NO]
    referrer: Referrer
    exploitation: Annotated[list[Exploitation], ABOUT]
    minor: Annotated[bool, ABOUT]
    person: Person
    assignment: Assignment
    consents: list[Consent]
    admission: Admission | None = None
    assessment_started_on: Annotated[date | None, NO] = None
    needs: Needs | None = None
    measures: list[Measure] = []
    criminal_process: CriminalProcess = CriminalProcess()
    municipality: Municipality | None = None
    exit: Exit | None = None
    steps: list[StepRecord] = []
    deadlines: list[Deadline] = []
    alerts: list[Alert] = []
    notifications: list[Notification] = []
    runs: Annotated[int, NO] = Field(default=1,
                                     description="Workflow runs so far (continue-as-new).")
    revision: Annotated[int, NO] = Field(default=0, description=(
        "Counts every change, steps and the workflow's own (alerts, deliveries); orders the read "
        "model's copies."))
    received_on: Annotated[date | None, NO] = Field(default=None, description=(
        "The day the referral was received, when before the day it was recorded."))
    consultation: Annotated[str | None, NO] = None  # an anonymous consultation's number it cites
    duplicate_of: Annotated[str | None, NO] = None  # merged: the number of the case that goes on
    archived: Archived = Field(default_factory=Archived, description="Records moved to the "
                               "read model: the state keeps the recent and the open ones.")
    informed: list[Told] = Field(default=[], description="Agencies delivered a notification.")
    past_needs: list[Needs] = Field(default=[], description="Earlier assessments, oldest first.")
    plans: list[ClientPlan] = Field(default=[], description="Client plan revisions, oldest first.")
    contacts: list[Contact] = []
    network: list[NetworkMember] = []
    handovers: list[Handover] = Field(default=[], description="The latest handovers.")
    documents: list[Document] = []
    worker_changes: Annotated[int, NO] = Field(
        default=0, description="Reassignments and transfers so far.")
    acute_danger_at: Annotated[datetime | None, ABOUT] = Field(
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
    reference_number: str | None = None  # given by the API before the case starts


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


# The names the case's personal fields go by: what no log line or span may show
# (`infra.logs.Mask`, made by each entry point).
LOGGED = personal_keys(CaseState)
