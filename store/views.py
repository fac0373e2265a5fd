"""What the API answers, never the workflow's state itself: the whole case as staff and
auditors see it (`CaseView`), what it answers from the read model, and the views of a case
built for a reader who may not see the whole of it: list rows and pages for operations and
agencies, an agency's view of a case, the operations view. None of those carries personal data,
but an agency's view carries the notifications it was sent and, to a member of the support
network, the client plan's goals (as far as the client's consent allows).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import Field, create_model

from workflows.model.consultations import Consultation
from workflows.model.state import (
    CaseState,
    ClientPlan,
    Contact,
    Deadline,
    Needs,
    Notification,
    StepRecord,
)
from workflows.model.vocabulary import (
    AgencyType,
    DeadlineKind,
    DocumentType,
    MeasureStatus,
    MeasureType,
    Model,
    NotificationStatus,
    Office,
    Phase,
)

T = TypeVar("T")

# The workflow's own machinery in its state: its runs and its count of changes. No reader's.
MACHINERY = frozenset({"runs", "revision"})
# The whole case, for staff of its office (or with a stated reason) and auditors: made from the
# state's fields (each with its personal-data class) but the machinery's, a model of its own,
# so that a field can be withheld from them without changing the workflow's state.
CaseView = create_model(  # type: ignore[call-overload]
    "CaseView", __base__=Model, __doc__="A case as the readers who see the whole of it see it.",
    **{name: (info.annotation, info) for name, info in CaseState.model_fields.items()
       if name not in MACHINERY})


def whole_case(state: CaseState) -> Any:
    """The `CaseView` of a state (its records are the state's own, not copied)."""
    return CaseView.model_construct(**{name: getattr(state, name)
                                       for name in CaseView.model_fields})


class Page(Model, Generic[T]):
    """Every list the API answers: its items, and the token of the next page (null on the
    last). A client pages by passing `page_token` until no token comes back."""

    items: list[T]
    next_page_token: str | None = Field(
        default=None, description="Pass as `page_token` for the next page; null on the last.")


class CaseSummary(Model):
    """A list row: no personal data, only what visibility holds."""

    case_id: str
    reference_number: str | None = Field(
        default=None, description="The number a person can read out, e.g. HEL-2026-0042 (none "
        "on cases opened before it).")
    phase: Phase
    office: Office
    caseworker_id: str | None
    referred_at: datetime
    closed: bool


class CasePage(Page[CaseSummary]):
    """Cases from the read model, newest first."""


class DueRow(Model):
    """An operations row: a case's next deadline and how many are overdue. No personal data."""

    case_id: str
    office: Office
    caseworker_id: str | None
    next_deadline_kind: DeadlineKind | None
    next_due_at: datetime | None
    overdue: int


class WorkRow(Model):
    """A case on someone's desk: where it stands and what is next. No personal data."""

    case_id: str
    reference_number: str | None = None
    phase: Phase
    office: Office
    caseworker_id: str | None
    next_deadline_kind: DeadlineKind | None
    next_due_at: datetime | None
    overdue: int
    pending: int
    failed: int
    escalations: int = 0
    declined_measures: int = 0
    awaiting_ack: int = 0
    acute_danger: bool = False
    next_appointment_at: datetime | None = None
    plans_awaiting: int = 0
    worker_changes: int = 0


class IntakeRow(Model):
    """A referral waiting in an office's intake: no personal data."""

    case_id: str
    reference_number: str | None = None
    version: int
    office: Office
    referrer_type: AgencyType | None = Field(default=None, description="Who referred, by type "
                                             "(`self`: the person themself).")
    received_on: date | None = Field(default=None, description="The day the referral was "
                                     "received: the admission deadline counts from it.")
    decision_due_at: datetime | None = Field(default=None, description="When the admission "
                                             "decision is due.")
    minor: bool


class ReferralReceipt(Model):
    """What a referrer is told of its referral: that it arrived, and its number. Whether the
    person was admitted, it learns later on its view of the case (`/v1/agency/cases/{id}`);
    nothing else."""

    case_id: str
    reference_number: str | None
    received_on: date
    status: Literal["received"] = "received"


class IntakeList(Model):
    """The referrals waiting in an office's intake, the oldest first."""

    items: list[IntakeRow]


class FailedNotice(Model):
    """A notification that failed, as operations see it: where to, why, never what it says."""

    case_id: str
    version: int
    notification_id: str
    purpose: str
    agency_id: str | None
    last_error: str | None


class DuePage(Page[DueRow]):
    """Cases with deadlines due or overdue, most overdue first."""


class Retrying(Model):
    """A notification whose delivery is being retried, as Temporal knows it right now: which,
    how many attempts so far, why the last one failed, when the next is due. No content."""

    notification_id: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None


class DeliveryRow(Model):
    """An operations row: a case's notifications failed and still retrying. No personal data."""

    case_id: str
    office: Office
    caseworker_id: str | None
    failed: int
    pending: int
    retrying: list[Retrying] = Field(default=[], description="The deliveries in flight, with "
                                     "their attempts and last error (one just queued has none).")


class DeliveryPage(Page[DeliveryRow]):
    """Cases with failed or retrying notifications, most failures first."""


class AgencyNotice(Model):
    """A notification as the agency it was sent to sees it."""

    id: str
    purpose: str
    status: NotificationStatus
    sent_at: datetime
    message: dict[str, Any]
    expects_ack: bool = Field(default=True, description="Whether the agency is to acknowledge it.")


class AgencyMeasure(Model):
    id: str
    type: MeasureType
    status: MeasureStatus
    provider_accepted: bool | None


class AgencyDocument(Model):
    """A document of the case the client consents to share with the agency for its purpose."""

    id: str
    caption: str
    media_type: DocumentType
    size: int
    added_at: datetime


class AgencyGoal(Model):
    goal: str
    responsible: str


class AgencyPlan(Model):
    """The client plan in force as a member of the support network sees it, with the client's
    consent to share it: the goals and who answers for each, and when it is reviewed."""

    number: int
    goals: list[AgencyGoal]
    review_on: list[date]


class AgencyCaseView(Model):
    """What one agency may know of a case: need to know, as far as the client's consent (or a
    recorded legal basis) allows. Only the referrer learns whether the person was admitted; an
    agency with nothing that still stands gets no view at all (403, as if never involved)."""

    case_id: str
    reference_number: str | None = Field(default=None,
                                         description="The number a person can read out.")
    version: int = Field(description="The case's version: send it as If-Match with a step.")
    involvement: list[Literal["referrer", "notified", "provider", "network"]]
    closed: bool = Field(default=False, description=(
        "The assistance has ended: nothing more is asked of the agency (it may still "
        "acknowledge a notification it received)."))
    admitted: bool | None = Field(
        default=None, exclude_if=lambda admitted: admitted is None,
        description="To the referrer alone, once the admission is decided: whether the person "
                    "was admitted. Absent for every other agency.")
    notifications: list[AgencyNotice] = []
    measures: list[AgencyMeasure] = []
    plan: AgencyPlan | None = None
    documents: list[AgencyDocument] = Field(default=[], description=(
        "The documents the client consents to share with this agency, each for its purpose: "
        "read at `/v1/cases/{id}/attachments/{document id}`."))


class AgencyCaseRow(Model):
    case_id: str
    reference_number: str | None = None
    involvement: list[Literal["referrer", "notified", "provider", "network"]]


class AgencyCasePage(Page[AgencyCaseRow]):
    """The cases an agency is involved in."""


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


class StepPage(Page[StepRecord]):
    """A case's steps, oldest first: the recent ones from the case, older ones from the read
    model."""


class ContactPage(Page[Contact]):
    """A case's contacts and appointments, oldest first: the recent ones from the case, older
    ones from the read model. Notes are personal data: every read is in the access log."""


class PlanPage(Page[ClientPlan]):
    """Every revision of the client plan, oldest first: the recent ones from the case, older
    superseded ones from the read model."""


class AssessmentPage(Page[Needs]):
    """Every assessment of needs, oldest first (the current one last)."""


class DeadlineList(Page[Deadline]):
    """A case's deadlines, whole (one page)."""


class NotificationList(Page[Notification]):
    """A case's notifications, whole (one page)."""


class Label(Model):
    """Who a case is about, as the lists of those who may open it name it (sealed at rest)."""

    name: str
    born: date | None = None
    reference: str | None = None  # the referrer's own

    @classmethod
    def of(cls, state: CaseState) -> Label:
        return cls(name=f"{state.person.surname}, {state.person.given_names}",
                   born=state.person.date_of_birth, reference=state.referrer.reference)


class LikenessRow(Model):
    """Another case possibly about the same person: which, and how strong the likeness is."""

    case_id: str
    reference_number: str
    strength: Literal["strong", "possible"]


class LikenessList(Page[LikenessRow]):
    """The other cases possibly about a case's person, strongest first (at most five)."""


class ConsultationRecord(Consultation):
    """An anonymous consultation as recorded: its number and when."""

    number: str = Field(description="K-HEL-2026-0007: a referral may cite it.")
    at: datetime


class ConsultationList(Page[ConsultationRecord]):
    """The newest consultations, newest first (one page)."""
