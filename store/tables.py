"""The tables. Summary, deadline, notification and measure rows carry no personal data; the
case document (the whole state, for reading a case after Temporal's retention) does."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Text, TypeDecorator, text
from sqlmodel import Column, Field, SQLModel

OVERDUE = text("overdue > 0")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) as well."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC).replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, _dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def instant(*, index: bool = False, nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), index=index, nullable=nullable))


class CaseRow(SQLModel, table=True):
    """One row per case for the operations lists."""

    __tablename__ = "case_summary"
    # Each list's filter with its order (newest first), so that a page reads its rows in order
    # instead of sorting every case the filter matches (migration 0008); the overdue ones apart,
    # few among many (0009).
    __table_args__ = (
        Index("ix_case_summary_referred", "referred_at", "case_id"),
        Index("ix_case_summary_office_referred", "office", "referred_at", "case_id"),
        Index("ix_case_summary_caseworker_referred", "caseworker_id", "referred_at", "case_id"),
        Index("ix_case_summary_phase_referred", "phase", "referred_at", "case_id"),
        Index("ix_case_summary_overdue_referred", "referred_at", "case_id",
              sqlite_where=OVERDUE, postgresql_where=OVERDUE),
        Index("ix_case_summary_overdue_office", "office", "referred_at", "case_id",
              sqlite_where=OVERDUE, postgresql_where=OVERDUE),
    )

    case_id: str = Field(primary_key=True, max_length=40)
    revision: int  # the workflow's change counter: an older projection never overwrites a newer
    version: int
    phase: str = Field(max_length=30)
    office: str = Field(max_length=30)
    caseworker_id: str | None = Field(default=None, max_length=64)
    minor: bool
    admitted: bool | None = None
    closed: bool
    criminal_stage: str = Field(max_length=30)
    referred_at: datetime = instant()
    exited_on: date | None = None
    next_deadline_at: datetime | None = instant(index=True, nullable=True)
    next_deadline_kind: str | None = Field(default=None, max_length=40)
    overdue: int = Field(index=True)
    # The client's consents in force, for what agencies may see of the case.
    shares_with_agencies: bool = False
    police_contact: bool = False
    pending_notifications: int = Field(index=True)
    failed_notifications: int = Field(index=True)
    # What asks for the caseworker's attention, for their desk: escalated deadlines still open,
    # measures a provider declined (to refer elsewhere), notifications awaiting acknowledgement.
    escalations: int = 0
    declined_measures: int = 0
    awaiting_ack: int = 0
    # The work between the steps: an acute threat the police have not been told of, the next
    # appointment, plans awaiting the lead's approval, and how often the worker changed.
    acute_danger: bool = False
    next_appointment_at: datetime | None = instant(nullable=True)
    plans_awaiting: int = 0
    worker_changes: int = 0
    last_step_at: datetime = instant()
    # Who the case is about, for the lists of those who may open it: sealed under the case's
    # data key (`store.projection.LABEL`), so it goes with the key when the case is shredded.
    label: bytes | None = None
    # The number a person can read out (`store.references`); none on cases opened before it.
    reference_number: str | None = Field(default=None, max_length=20, unique=True)
    # Intake: who referred (the agency's type) and the day the referral was received; and the
    # number of the case a duplicate referral was merged into.
    referrer_type: str | None = Field(default=None, max_length=30)
    received_on: date | None = None
    duplicate_of: str | None = Field(default=None, max_length=20, index=True)


class CaseDocument(SQLModel, table=True):
    """The case's whole state as the workflow last projected it, sealed under the case's data
    key (so shredding the case erases it here too, backups included)."""

    __tablename__ = "case_document"

    case_id: str = Field(primary_key=True, max_length=40)
    revision: int
    sealed: bytes


class CaseRecord(SQLModel, table=True):
    """A settled record of a case (a step, an alert, a finished measure, a settled deadline or
    notification, a superseded consent, an earlier criminal-process stage), archived before it
    leaves the case's state. Sealed under the case's data key, like the case document."""

    __tablename__ = "case_record"

    case_id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(primary_key=True, max_length=20)  # steps, measures, … (`rules.size.KEEP`)
    position: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    sealed: bytes


class SearchTerm(SQLModel, table=True):
    """A case's blind-index terms (`store.blind`): keyed hashes, never a name."""

    __tablename__ = "case_search"

    term: str = Field(primary_key=True, max_length=40)
    case_id: str = Field(primary_key=True, index=True, max_length=40)


class AgencyRow(SQLModel, table=True):
    """An agency whose list shows the case, and as what (notified, provider): written by the
    projection from `store.visibility`, the rule of the agency's own view."""

    __tablename__ = "case_agency"

    case_id: str = Field(primary_key=True, max_length=40)
    agency_id: str = Field(primary_key=True, index=True, max_length=64)
    involvement: str = Field(max_length=40)  # comma-separated, e.g. "notified,provider"


class DeadlineRow(SQLModel, table=True):
    __tablename__ = "case_deadline"

    case_id: str = Field(primary_key=True, max_length=40)
    deadline_id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(index=True, max_length=40)
    rule_version: str = Field(max_length=40)
    office: str = Field(index=True, max_length=30)
    status: str = Field(index=True, max_length=20)
    due_at: datetime = instant(index=True)


class NotificationRow(SQLModel, table=True):
    __tablename__ = "case_notification"

    case_id: str = Field(primary_key=True, max_length=40)
    notification_id: str = Field(primary_key=True, max_length=40)
    purpose: str = Field(max_length=60)
    agency_id: str | None = Field(default=None, index=True, max_length=64)
    status: str = Field(index=True, max_length=20)
    consent: str | None = Field(default=None, max_length=30)  # the consent it rests on, or
    legal_basis: str | None = Field(default=None, max_length=30)  # the basis recorded instead
    attempts: int
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    changed_at: datetime = instant()


class MeasureRow(SQLModel, table=True):
    __tablename__ = "case_measure"

    case_id: str = Field(primary_key=True, max_length=40)
    measure_id: str = Field(primary_key=True, max_length=40)
    type: str = Field(max_length=40)
    provider_agency: str | None = Field(default=None, index=True, max_length=64)
    status: str = Field(index=True, max_length=20)
    changed_at: datetime = instant()


class AuditEntry(SQLModel, table=True):
    """One command or read, chained to the one before it by hash. Append-only."""

    __tablename__ = "audit_log"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = instant()
    actor_id: str = Field(max_length=64)
    role: str | None = Field(default=None, max_length=30)
    agency: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=10)  # command | read
    action: str = Field(max_length=60)
    case_id: str | None = Field(default=None, index=True, max_length=40)
    reason: str | None = Field(default=None, sa_column=Column(Text))  # sealed, base64
    request_id: str | None = Field(default=None, max_length=100)
    outcome: str = Field(max_length=60)  # the HTTP status, and the problem code when refused
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    # The case's office, on an entry of staff reaching a case outside their office and
    # assignment (break the glass): what office leads review. Hashed only when set.
    office: str | None = Field(default=None, index=True, max_length=30)


class AuditHead(SQLModel, table=True):
    """The chain's last entry: the row every append locks, so appends are serialised."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int
    hash: str = Field(max_length=64)


class AuditAnchor(SQLModel, table=True):
    """The audit chain's head as it was at a moment, kept outside the audit log (in the read
    model's database): a log cut short or rewritten from some entry on no longer matches it."""

    __tablename__ = "audit_anchor"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    hash: str = Field(max_length=64)
    at: datetime = instant()


class AuditCheckpoint(SQLModel, table=True):
    """The last entry a full walk (or a walk from the checkpoint before it) found intact, kept
    beside the anchors: the next check starts there. The entry must still have this hash, or
    the log was rewritten up to it."""

    __tablename__ = "audit_checkpoint"

    id: int = Field(default=1, primary_key=True)
    seq: int
    hash: str = Field(max_length=64)
    at: datetime = instant()
    # The last walk of the whole chain: a check from the checkpoint does not see an entry
    # altered before it, so the whole chain must be walked now and then.
    full_at: datetime | None = instant(nullable=True)


class HistoryEvent(SQLModel, table=True):
    """One event of a case's Temporal history, as the engine stored it (payloads encoded)."""

    __tablename__ = "history_event"

    case_id: str = Field(primary_key=True, max_length=40)
    run_id: str = Field(primary_key=True, max_length=40)
    event_id: int = Field(primary_key=True)
    at: datetime = instant()
    event: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class ArchivedRun(SQLModel, table=True):
    """A closed run whose whole history is in `history_event`."""

    __tablename__ = "archived_run"

    run_id: str = Field(primary_key=True, max_length=40)
    case_id: str = Field(index=True, max_length=40)
    started_at: datetime = instant()
    closed_at: datetime = instant(index=True)
    status: str = Field(max_length=30)
    events: int


class ConsultationRow(SQLModel, table=True):
    """An anonymous consultation (`workflows.model.requests.Consultation`): choices only,
    nothing of the person it was about."""

    __tablename__ = "consultation"
    __table_args__ = (Index("ix_consultation_office_at", "office", "at"),)

    number: str = Field(primary_key=True, max_length=20)
    office: str = Field(max_length=30)
    at: datetime = instant()
    asked_by: str = Field(max_length=30)
    situation: str = Field(max_length=30)
    exploitation: str = Field(max_length=200)  # comma-separated
    advice: str = Field(max_length=200)  # comma-separated
    referral_recommended: bool
    minutes: int
    recorded_by: str = Field(max_length=64)


class ReferenceCounter(SQLModel, table=True):
    """The last reference number given per office and year (`store.references`)."""

    __tablename__ = "reference_counter"

    office: str = Field(primary_key=True, max_length=30)
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int


class CaseKey(SQLModel, table=True):
    """A case's data key, wrapped (AES-GCM) by a master key. Deleting the row shreds the case:
    every payload encrypted under it, in Temporal's history or in our copies, is unreadable."""

    __tablename__ = "case_key"

    case_id: str = Field(primary_key=True, max_length=40)
    master_key_id: str = Field(max_length=40)
    wrapped: bytes
    created_at: datetime = instant()


class ConsoleSession(SQLModel, table=True):
    """A signed-in console user: the cookie holds a random token, this row its hash, the person
    the sign-in verified, the form token (CSRF) and the language. No personal data of a case."""

    __tablename__ = "console_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    actor: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    csrf: str = Field(max_length=64)
    language: str = Field(max_length=8)
    # Cases reached outside the person's office, and the reason given (break the glass),
    # sealed under the case's key (`console.session.give_reason`).
    reasons: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    expires_at: datetime = instant()
