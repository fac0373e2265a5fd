"""The intake desk's reads: the referrals waiting in an office's intake (from agencies and from
the person themself, until a caseworker takes one over), the oldest first; and the cases a
duplicate referral links."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlmodel import Session

from store.references import case_with
from store.tables import CaseRow
from store.views import IntakeRow
from workflows.model.state import CaseState
from workflows.model.vocabulary import Phase

WAITING_AT_MOST = 500  # an office's intake holds tens; a page this long is an outage to see


def waiting(engine: Engine, office: str) -> list[IntakeRow]:
    query = (select(CaseRow).where(CaseRow.office == office,
                                   CaseRow.phase == str(Phase.REFERRED),
                                   CaseRow.caseworker_id.is_(None))  # type: ignore[union-attr]
             .order_by(CaseRow.received_on, CaseRow.referred_at, CaseRow.case_id)
             .limit(WAITING_AT_MOST))
    with Session(engine) as session:
        return [IntakeRow(case_id=r.case_id, reference_number=r.reference_number,
                          version=r.version, office=r.office, referrer_type=r.referrer_type,
                          received_on=r.received_on, decision_due_at=r.next_deadline_at,
                          minor=r.minor)
                for r in session.execute(query).scalars()]


def linked(engine: Engine, state: CaseState) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The cases linked to this one by a duplicate referral, as (case id, number): the one it
    was merged into, if it was, and those merged into it."""
    goes_on = case_with(engine, state.duplicate_of) if state.duplicate_of else None
    into = [(goes_on, str(state.duplicate_of))] if goes_on else []
    if not state.reference_number:
        return into, []
    with Session(engine) as session:
        merged = session.execute(select(CaseRow.case_id, CaseRow.reference_number).where(
            CaseRow.duplicate_of == state.reference_number).order_by(CaseRow.referred_at)).all()
    return into, [(i, str(n)) for i, n in merged]
