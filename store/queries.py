"""The operations lists, read from the read model: filtered, ordered, and paged by keyset (the
token names the last row's sort key), so a page costs the same on page one and page five
hundred, with tens of thousands of cases."""

from __future__ import annotations

import base64
import contextlib
import json
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import (
    ColumnElement,
    DateTime,
    Engine,
    Integer,
    Select,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlmodel import Session

from infra.codec import KeyShredded, KeyUnavailable
from store import blind
from store.keys import CaseKeys
from store.projection import DOCUMENT, LABEL, RECORD
from store.tables import (
    AgencyRow,
    CaseDocument,
    CaseRecord,
    CaseRow,
    NotificationRow,
    UTCDateTime,
)
from store.views import (
    AgencyCasePage,
    AgencyCaseRow,
    AssessmentPage,
    CasePage,
    CaseSummary,
    ContactPage,
    DeliveryPage,
    DeliveryRow,
    DuePage,
    DueRow,
    FailedNotice,
    Label,
    PlanPage,
    StepPage,
    WorkRow,
)
from workflows.model.state import (
    Alert,
    Archived,
    CaseState,
    ClientPlan,
    Consent,
    Contact,
    CriminalRecord,
    Deadline,
    Measure,
    Needs,
    NetworkMember,
    Notification,
    StepRecord,
)
from workflows.model.vocabulary import (
    DeadlineKind,
    NotificationStatus,
    Office,
    Phase,
)
from workflows.rules import size

FAR = datetime(9999, 1, 1, tzinfo=UTC)
# Written out, not a parameter: the partial indexes of the overdue cases (migration 0009) say
# `overdue > 0`, and a PostgreSQL plan made for any parameter value could not use them.
OVERDUE = CaseRow.overdue > literal_column("0")


class BadToken(ValueError):
    """A page token this module did not write."""


# The cases a reader may open without a reason: those of an office, and those assigned to them.
Within = tuple[str | None, str | None]


def list_cases(engine: Engine, *, phase: Phase | None, office: Office | None,
               caseworker_id: str | None, page_size: int, page_token: str | None,
               overdue: bool = False, matching: blind.Wanted | None = None,
               within: Within | None = None) -> CasePage:
    """A page of cases; those `matching` a search (`store.blind.wanted`) among those `within`
    an office or assigned to a person (the cases a reader may open), if given."""
    query = select(CaseRow).where(OVERDUE) if overdue else select(CaseRow)
    for column, value in ((CaseRow.phase, phase), (CaseRow.office, office),
                          (CaseRow.caseworker_id, caseworker_id)):
        if value is not None:
            query = query.where(column == str(value))
    if within is not None:
        query = query.where(or_(CaseRow.office == within[0], CaseRow.caseworker_id == within[1]))
    if matching is not None:
        query = query.where(blind.matching(CaseRow.case_id, matching))
    # Newest first: the sort key negated would defeat the index, so this one runs descending.
    rows, token = _page(engine, query, [CaseRow.referred_at, CaseRow.case_id], page_size,
                        page_token, descending=True)
    return CasePage(items=[CaseSummary(case_id=r.case_id,
                                       reference_number=r.reference_number,
                                       phase=Phase(r.phase),
                                       office=Office(r.office), caseworker_id=r.caseworker_id,
                                       referred_at=r.referred_at, closed=r.closed)
                           for r in rows], next_page_token=token)


def labels(engine: Engine, keys: CaseKeys, case_ids: list[str],
           within: Within) -> dict[str, Label]:
    """Who each case is about, for a list: only the cases `within` an office or assigned to a
    person as the read model knows them now; none for a case whose key is gone or not held, or
    one not written since labels came."""
    with Session(engine) as session:
        rows = session.execute(select(CaseRow.case_id, CaseRow.label).where(
            CaseRow.case_id.in_(case_ids), CaseRow.label.is_not(None),
            or_(CaseRow.office == within[0], CaseRow.caseworker_id == within[1]))).all()
    found = {}
    for case_id, sealed in rows:
        with contextlib.suppress(KeyShredded, KeyUnavailable, InvalidTag):
            found[case_id] = Label.model_validate_json(keys.open(case_id, LABEL, sealed))
    return found


def list_due(engine: Engine, *, office: Office | None, overdue: bool,
             due_before: datetime | None, page_size: int, page_token: str | None) -> DuePage:
    """Open cases with an overdue deadline, or one due before a time (either, if both; every
    case with a deadline pending or overdue, if neither). Most overdue first, then soonest."""
    wanted = []
    if overdue:
        wanted.append(OVERDUE)
    if due_before is not None:
        wanted.append(CaseRow.next_deadline_at < due_before)
    if not wanted:
        wanted = [OVERDUE, CaseRow.next_deadline_at.is_not(None)]
    query = select(CaseRow).where(or_(*wanted))
    if office is not None:
        query = query.where(CaseRow.office == str(office))
    next_at = func.coalesce(CaseRow.next_deadline_at, literal(FAR, UTCDateTime()))
    rows, token = _page(engine, query, [-CaseRow.overdue, next_at, CaseRow.case_id], page_size,
                        page_token)
    return DuePage(items=[DueRow(case_id=r.case_id, office=Office(r.office),
                                caseworker_id=r.caseworker_id,
                                next_deadline_kind=(DeadlineKind(r.next_deadline_kind)
                                                    if r.next_deadline_kind else None),
                                next_due_at=r.next_deadline_at, overdue=r.overdue)
                         for r in rows], next_page_token=token)


def work_list(engine: Engine, *, caseworker_id: str | None, office: Office | None,
              limit: int = 200) -> list[WorkRow]:
    """The open cases assigned to a caseworker (or, for an office lead, the office's), the most
    overdue first, then by their next deadline."""
    query = select(CaseRow).where(CaseRow.closed == False)  # noqa: E712 - SQL, not Python
    if caseworker_id is not None:
        query = query.where(CaseRow.caseworker_id == caseworker_id)
    if office is not None:
        query = query.where(CaseRow.office == str(office))
    next_at = func.coalesce(CaseRow.next_deadline_at, literal(FAR, UTCDateTime()))
    acute_first = CaseRow.acute_danger.desc()  # type: ignore[attr-defined]
    query = query.order_by(acute_first, -CaseRow.overdue, next_at, CaseRow.case_id).limit(limit)
    with Session(engine) as db:
        rows = db.scalars(query).all()
    return [WorkRow(case_id=r.case_id, reference_number=r.reference_number,
                    phase=Phase(r.phase),
                    office=Office(r.office),
                    caseworker_id=r.caseworker_id,
                    next_deadline_kind=(DeadlineKind(r.next_deadline_kind)
                                        if r.next_deadline_kind else None),
                    next_due_at=r.next_deadline_at, overdue=r.overdue,
                    pending=r.pending_notifications, failed=r.failed_notifications,
                    escalations=r.escalations, declined_measures=r.declined_measures,
                    awaiting_ack=r.awaiting_ack, acute_danger=r.acute_danger,
                    next_appointment_at=r.next_appointment_at, plans_awaiting=r.plans_awaiting,
                    worker_changes=r.worker_changes)
            for r in rows]


def failed_notices(engine: Engine, *, office: Office | None,
                   limit: int = 200) -> list[FailedNotice]:
    """The failed notifications, with the version of their case as the read model knows it (the
    If-Match of a re-send)."""
    query = (select(NotificationRow, CaseRow.version).join(
        CaseRow, CaseRow.case_id == NotificationRow.case_id)
        .where(NotificationRow.status == str(NotificationStatus.FAILED)))
    if office is not None:
        query = query.where(CaseRow.office == str(office))
    query = query.order_by(NotificationRow.changed_at, NotificationRow.case_id).limit(limit)
    with Session(engine) as db:
        found = db.execute(query).all()
    return [FailedNotice(case_id=n.case_id, version=version, notification_id=n.notification_id,
                         purpose=n.purpose, agency_id=n.agency_id, last_error=n.last_error)
            for n, version in found]


def list_deliveries(engine: Engine, *, office: Office | None, failed_only: bool,
                    page_size: int, page_token: str | None) -> DeliveryPage:
    """Cases with notifications failed (or, unless `failed_only`, still retrying)."""
    wanted = [CaseRow.failed_notifications > 0]
    if not failed_only:
        wanted.append(CaseRow.pending_notifications > 0)
    query = select(CaseRow).where(or_(*wanted))
    if office is not None:
        query = query.where(CaseRow.office == str(office))
    rows, token = _page(engine, query, [-CaseRow.failed_notifications,
                                        -CaseRow.pending_notifications, CaseRow.case_id],
                        page_size, page_token)
    return DeliveryPage(items=[DeliveryRow(case_id=r.case_id, office=Office(r.office),
                                          caseworker_id=r.caseworker_id,
                                          failed=r.failed_notifications,
                                          pending=r.pending_notifications) for r in rows],
                        next_page_token=token)


def list_agency_cases(engine: Engine, *, agency_id: str, page_size: int,
                      page_token: str | None) -> AgencyCasePage:
    """The cases an agency's list shows (`store.visibility.listed`, kept by the projection)."""
    query = select(AgencyRow.case_id, AgencyRow.involvement, CaseRow.reference_number).join(
        CaseRow, CaseRow.case_id == AgencyRow.case_id).where(AgencyRow.agency_id == agency_id)
    if page_token:
        after = _decode(page_token)
        if len(after) != 1 or not isinstance(after[0], str):
            raise BadToken("page_token is not valid")
        query = query.where(AgencyRow.case_id > after[0])
    with Session(engine) as session:
        rows = session.execute(query.order_by(AgencyRow.case_id).limit(page_size + 1)).all()
    cases = [AgencyCaseRow(case_id=case_id, involvement=involvement.split(","),
                           reference_number=number) for case_id, involvement, number
             in rows[:page_size]]
    return AgencyCasePage(items=cases, next_page_token=_encode((cases[-1].case_id,))
                          if len(rows) > page_size else None)


def case_assignment(engine: Engine, case_id: str) -> tuple[str, str | None] | None:
    """The case's office and caseworker as last projected."""
    with Session(engine) as session:
        row = session.execute(select(CaseRow.office, CaseRow.caseworker_id)
                              .where(CaseRow.case_id == case_id)).first()
    return None if row is None else (row[0], row[1])


def case_document(engine: Engine, keys: CaseKeys, case_id: str) -> CaseState | None:
    """The case as last projected: what a closed case shows once Temporal has let it go.
    Raises KeyShredded once the case is shredded."""
    with Session(engine) as session:
        doc = session.get(CaseDocument, case_id)
    if doc is None:
        return None
    return CaseState.model_validate_json(keys.open(case_id, DOCUMENT, doc.sealed))


RECORD_MODELS: dict[str, type[Any]] = {
    "steps": StepRecord, "alerts": Alert, "criminal": CriminalRecord, "consents": Consent,
    "measures": Measure, "deadlines": Deadline, "notifications": Notification,
    "contacts": Contact, "plans": ClientPlan, "assessments": Needs, "network": NetworkMember}


def archived(engine: Engine, keys: CaseKeys, case_id: str, kind: str, *, after: int = 0,
             before: int | None = None, limit: int | None = None) -> list[tuple[int, Any]]:
    """A case's archived records of one kind, by position: (position, record)."""
    query = select(CaseRecord.position, CaseRecord.sealed).where(
        CaseRecord.case_id == case_id, CaseRecord.kind == kind, CaseRecord.position > after)
    if before is not None:
        query = query.where(CaseRecord.position < before)
    with Session(engine) as session:
        rows = session.execute(query.order_by(CaseRecord.position).limit(limit)).all()
    model = RECORD_MODELS[kind]
    return [(position, model.model_validate_json(keys.open(case_id, RECORD, sealed)))
            for position, sealed in rows]


def case_steps(engine: Engine, keys: CaseKeys, state: CaseState, *, page_size: int,
               page_token: str | None) -> StepPage:
    """Every step of a case, oldest first: the archived ones, then those the state keeps."""
    items, token = case_records(engine, keys, state, "steps", page_size, page_token)
    return StepPage(items=items, next_page_token=token)


def case_contacts(engine: Engine, keys: CaseKeys, state: CaseState, *, page_size: int,
                  page_token: str | None) -> ContactPage:
    """The case's whole contact log, oldest first (planned appointments included)."""
    items, token = case_records(engine, keys, state, "contacts", page_size, page_token)
    return ContactPage(items=items, next_page_token=token)


def case_plans(engine: Engine, keys: CaseKeys, state: CaseState, *, page_size: int,
               page_token: str | None) -> PlanPage:
    items, token = case_records(engine, keys, state, "plans", page_size, page_token)
    return PlanPage(items=items, next_page_token=token)


def case_assessments(engine: Engine, keys: CaseKeys, state: CaseState, *, page_size: int,
                     page_token: str | None) -> AssessmentPage:
    """The earlier assessments, then the current one (which the case holds)."""
    current = state.model_copy(update={"past_needs": [*state.past_needs, state.needs]}) \
        if state.needs else state
    items, token = case_records(engine, keys, current, "assessments", page_size, page_token)
    return AssessmentPage(items=items, next_page_token=token)


def case_records(engine: Engine, keys: CaseKeys, state: CaseState, kind: str, page_size: int,
                 page_token: str | None) -> tuple[list[Any], str | None]:
    """A page of a case's records of one kind by position: the archive's and the state's
    (whose copy wins), merged; each source read no further than the page needs."""
    after = position_after(page_token)
    items_of, position_of = size.LISTS[kind]
    merged = dict(archived(engine, keys, state.case_id, kind, after=after, limit=page_size + 1))
    kept = items_of(state)
    merged.update({p: item for p, item in ((position_of(state, i), item)
                                           for i, item in enumerate(kept)) if p > after})
    positions = sorted(merged)[:page_size + 1]
    more = len(positions) > page_size
    positions = positions[:page_size]
    return [merged[p] for p in positions], token_for(positions[-1]) if more else None


def whole_case(engine: Engine, keys: CaseKeys, state: CaseState) -> CaseState:
    """The case with every archived record back in its place: its whole life, for the
    auditors' picture. The state's own copy of a record wins over the archive's."""
    whole = state.model_copy(deep=True)
    for kind, (items_of, position_of) in size.LISTS.items():
        items = items_of(whole)
        kept = {position_of(whole, i): item for i, item in enumerate(items)}
        merged = dict(archived(engine, keys, state.case_id, kind))
        merged.update(kept)
        items[:] = [merged[p] for p in sorted(merged)]
    whole.archived = Archived()
    return whole


def position_after(token: str | None) -> int:
    """The position a page token names (0 for none)."""
    if not token:
        return 0
    values = _decode(token)
    if len(values) != 1 or not _is_int(values[0]):
        raise BadToken("page_token is not valid")
    return values[0]


def _page(engine: Engine, query: Select[Any], key: list[ColumnElement[Any]], size: int,
          token: str | None, *, descending: bool = False) -> tuple[list[CaseRow], str | None]:
    if token:
        values = _decode(token)
        if len(values) != len(key) or not all(isinstance(v, _expects(k))
                                              for k, v in zip(key, values, strict=True)):
            raise BadToken("page_token is not valid")
        after = tuple_(*(literal(v, type_=k.type) for k, v in zip(key, values, strict=True)))
        query = query.where(tuple_(*key) < after if descending else tuple_(*key) > after)
    query = query.order_by(*(k.desc() if descending else k for k in key)).limit(size + 1)
    with Session(engine) as session:
        keys = (k.label(f"sort_key_{i}") for i, k in enumerate(key))
        result = session.execute(query.add_columns(*keys)).all()
    rows = [r[0] for r in result[:size]]
    return rows, _encode(result[size - 1][1:]) if len(result) > size else None


def token_for(position: int) -> str:
    return _encode((position,))


def _expects(column: ColumnElement[Any]) -> type:
    """The Python type a sort key's value must have (SQLModel's types name none)."""
    if isinstance(column.type, UTCDateTime | DateTime):
        return datetime
    return int if isinstance(column.type, Integer) else str


def _encode(values: tuple[Any, ...]) -> str:
    plain = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


# A token names at most a few sort-key values: an id, a count, an instant.
TOKEN_CHARS = 512
TOKEN_VALUES = 4
TOKEN_INT = 2**53


def _decode(token: str) -> list[Any]:
    """The sort key a token names. Anything this module would not have written is refused with
    `BadToken`: tokens come from clients, and a forged one must not reach the database."""
    if len(token) > TOKEN_CHARS:
        raise BadToken("page_token is not valid")
    try:
        plain = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError, RecursionError) as err:
        raise BadToken("page_token is not valid") from err
    if not isinstance(plain, list) or not 0 < len(plain) <= TOKEN_VALUES:
        raise BadToken("page_token is not valid")
    return [_value(v) for v in plain]


def _value(v: Any) -> Any:
    if isinstance(v, dict) and set(v) == {"t"} and isinstance(v["t"], str):
        try:
            at = datetime.fromisoformat(v["t"])
            if at.tzinfo is not None:
                return at.astimezone(UTC)
        except (ValueError, OverflowError):
            pass
    elif _is_int(v) or (isinstance(v, str) and len(v) <= 64):
        return v
    raise BadToken("page_token is not valid")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and -TOKEN_INT <= v <= TOKEN_INT
