"""The case state as read-model rows. Idempotent: a copy no newer than the stored one changes
nothing, so replays and retries of the projection never duplicate or roll back rows.

Rows of the records still in the state are replaced; rows of records that have left it stay as
they were last written. Every settled record is archived (sealed) when a projection first sees
it, even a projection older than the rows (a settled record does not change), and the workflow
lets a record go only once a projection has run; a notification's archived copy is replaced
with its latest, as one that lapsed may still be sent again while it is in the state."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Insert, Table, delete, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel

from infra.database import writer
from store import blind
from store.keys import CaseKeys
from store.tables import (
    AgencyRow,
    CaseDocument,
    CaseRecord,
    CaseRow,
    DeadlineRow,
    MeasureRow,
    NotificationRow,
    SearchTerm,
)
from store.views import Label
from store.visibility import listed
from workflows.model.state import CaseState
from workflows.model.vocabulary import (
    AlertKind,
    ConsentScope,
    ContactStatus,
    DeadlineStatus,
    MeasureStatus,
    NotificationStatus,
    PlanStatus,
)
from workflows.rules import size
from workflows.rules.notifications import consent_in_force

ROWS = (DeadlineRow, NotificationRow, MeasureRow)
DOCUMENT = "document"  # what the case document is sealed for
RECORD = "record"  # what an archived record is sealed for
LABEL = "label"  # what a case's label (who it is about, for the lists) is sealed for

TableRow = tuple[Table, dict[str, Any]]
"""A table and one row's values: plain values, not an ORM object (building one of those cost
more than writing the row)."""


def _row(model: type[SQLModel], **values: Any) -> TableRow:
    return model.__table__, values  # type: ignore[attr-defined]


def project(engine: Engine, keys: CaseKeys, state: CaseState) -> bool:
    """Write the case's rows in one transaction; return False when they were already as new.
    Plain SQL statements (SQLAlchemy Core), not the ORM's unit of work: the rows are written,
    never read back, and this runs at every change of every case."""
    # Sealed first: fetching (or making) the case's key must not wait on our own write lock.
    document = keys.seal(state.case_id, DOCUMENT, state.model_dump_json().encode())
    label = keys.seal(state.case_id, LABEL, Label.of(state).model_dump_json().encode())
    terms = blind.terms(keys.masters.index_keys[0], state)  # outside the lock too
    with writer(engine).begin() as db:
        stored = db.execute(select(CaseRow.revision).where(CaseRow.case_id == state.case_id)
                            .with_for_update()).scalar_one_or_none()
        newest = stored is None or stored < state.revision
        _insert(db, _archived(db, keys, state, replace=newest))
        if stored == state.revision:
            # The same copy again (a rebuild, a retry): a label where a row written before
            # labels has none, and the index under the newest key (after a rotation).
            db.execute(update(CaseRow).where(CaseRow.case_id == state.case_id,
                                             CaseRow.label.is_(None)).values(label=label))
            _index(db, state.case_id, terms)
        if not newest:
            return False  # what the archive lacked is in, whatever the rows' revision
        for table, column, ids in (
                (DeadlineRow, DeadlineRow.deadline_id, [d.id for d in state.deadlines]),
                (NotificationRow, NotificationRow.notification_id,
                 [n.id for n in state.notifications]),
                (MeasureRow, MeasureRow.measure_id, [m.id for m in state.measures])):
            if ids:
                db.execute(delete(table).where(table.case_id == state.case_id,
                                               column.in_(ids)))
        db.execute(delete(AgencyRow).where(AgencyRow.case_id == state.case_id))
        _upsert(db, summary(state, label))
        _upsert(db, CaseDocument(case_id=state.case_id, revision=state.revision,
                                 sealed=document))
        _insert(db, rows(state))
        _index(db, state.case_id, terms)
    return True


def _upsert(db: Connection, row: SQLModel) -> None:
    table: Table = type(row).__table__  # type: ignore[attr-defined]
    values = row.model_dump()
    if values.keys() != set(table.c.keys()):  # a column left out would be set to NULL
        raise ValueError(f"{table.name}: values for {sorted(values)}, not every column")
    db.execute(_upsert_statement(db.dialect.name, table), values)


@functools.cache
def _upsert_statement(dialect_name: str, table: Table) -> Insert:
    """Insert a row, or update the one with its key if it is of an older revision (both
    databases say it the same way). The revision check is what keeps a late projection from
    overwriting a newer one where the row did not exist yet to be locked (PostgreSQL). Built
    once, its values bound at each execution (building it each time cost more than running
    it)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    key = [column.name for column in table.primary_key]
    insert_ = dialect.insert(table)
    return insert_.on_conflict_do_update(
        index_elements=key,
        set_={c.key: insert_.excluded[c.key] for c in table.columns if c.name not in key},
        where=table.c.revision < insert_.excluded.revision)


def _insert(db: Connection, new: Sequence[TableRow]) -> None:
    """The rows, one statement per table (executed for all its rows at once)."""
    by_table: dict[Table, list[dict[str, Any]]] = {}
    for table, values in new:
        by_table.setdefault(table, []).append(values)
    for table, values_of_table in by_table.items():
        db.execute(insert(table), values_of_table)


def _archived(db: Connection, keys: CaseKeys, state: CaseState, *,
              replace: bool) -> list[TableRow]:
    """The state's settled records the archive does not hold yet, sealed; with `replace` (the
    newest projection) its settled notifications too, whose copies it replaces."""
    settled = size.settled(state)
    if not settled:
        return []
    if replace:
        db.execute(delete(CaseRecord).where(
            CaseRecord.case_id == state.case_id, CaseRecord.kind == "notifications",
            CaseRecord.position.in_([r.position for r in settled
                                     if r.kind == "notifications"])))
    held = set(db.execute(select(CaseRecord.kind, CaseRecord.position).where(
        CaseRecord.case_id == state.case_id,
        tuple_(CaseRecord.kind, CaseRecord.position).in_([(r.kind, r.position)
                                                          for r in settled]))).all())
    return [_row(CaseRecord, case_id=state.case_id, kind=r.kind, position=r.position,
                 sealed=keys.seal(state.case_id, RECORD, r.item.model_dump_json().encode()))
            for r in settled if (r.kind, r.position) not in held]


def summary(state: CaseState, label: bytes | None = None) -> CaseRow:
    nxt = state.next_deadline()
    open_deadlines = {d.id for d in state.deadlines if d.status.unsettled}
    return CaseRow(
        case_id=state.case_id, revision=state.revision, version=state.version,
        phase=str(state.phase), office=str(state.assignment.office),
        caseworker_id=state.assignment.caseworker_id, minor=state.minor,
        admitted=state.admission.admitted if state.admission else None,
        closed=state.phase.closed, criminal_stage=str(state.criminal_process.stage),
        referred_at=state.referred_at,
        exited_on=state.exit.decided_on if state.exit else None,
        next_deadline_at=nxt.due_at if nxt else None,
        next_deadline_kind=str(nxt.kind) if nxt else None,
        overdue=state.deadlines_in(DeadlineStatus.OVERDUE),
        pending_notifications=state.notifications_in(NotificationStatus.PENDING),
        failed_notifications=state.notifications_in(NotificationStatus.FAILED),
        escalations=len({a.deadline_id for a in state.alerts if a.kind is AlertKind.ESCALATION
                         and a.deadline_id in open_deadlines}),
        declined_measures=sum(m.provider_accepted is False and m.status is MeasureStatus.PLANNED
                              for m in state.measures),
        awaiting_ack=sum(n.status is NotificationStatus.DELIVERED and n.expects_ack
                         for n in state.notifications),
        shares_with_agencies=consent_in_force(state, ConsentScope.SHARE_WITH_AGENCIES),
        police_contact=consent_in_force(state, ConsentScope.CONTACT_POLICE),
        acute_danger=state.acute_danger_at is not None,
        next_appointment_at=min((c.at for c in state.contacts
                                 if c.status is ContactStatus.PLANNED), default=None),
        plans_awaiting=sum(p.status is PlanStatus.AWAITING_APPROVAL for p in state.plans),
        worker_changes=state.worker_changes,
        last_step_at=state.steps[-1].at, label=label,
        reference_number=state.reference_number,
        referrer_type=str(state.referrer.agency_type), received_on=state.began_on,
        duplicate_of=state.duplicate_of)


def _index(db: Connection, case_id: str, terms: set[str]) -> None:
    """The case's blind-index terms (written only where they changed)."""
    held = set(db.execute(select(SearchTerm.term).where(SearchTerm.case_id == case_id)).scalars())
    if held != terms:
        db.execute(delete(SearchTerm).where(SearchTerm.case_id == case_id))
        _insert(db, [_row(SearchTerm, term=term, case_id=case_id) for term in terms])


def rows(state: CaseState) -> list[TableRow]:
    office = str(state.assignment.office)
    return [
        *(_row(AgencyRow, case_id=state.case_id, agency_id=agency, involvement=",".join(kinds))
          for agency, kinds in listed(state).items()),
        *(_row(DeadlineRow, case_id=state.case_id, deadline_id=d.id, kind=str(d.kind),
               rule_version=d.rule_version, office=office, status=str(d.status),
               due_at=d.due_at) for d in state.deadlines),
        *(_row(NotificationRow, case_id=state.case_id, notification_id=n.id, purpose=n.purpose,
               agency_id=n.agency_id, status=str(n.status), consent=n.consent and str(n.consent),
               legal_basis=n.legal_basis and str(n.legal_basis), attempts=n.attempts,
               last_error=n.last_error, changed_at=n.changed_at)
          for n in state.notifications),
        *(_row(MeasureRow, case_id=state.case_id, measure_id=m.id, type=str(m.type),
               provider_agency=m.provider.agency_id, status=str(m.status),
               changed_at=m.changed_at) for m in state.measures),
    ]
