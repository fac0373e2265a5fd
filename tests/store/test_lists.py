"""The read model's lists for a person's desk: the overdue filter of the case list, and the open
cases of a caseworker (or an office) with the most overdue first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from infra.database import engine_for
from store import queries
from store.tables import CaseRow
from workflows.model.vocabulary import DeadlineKind, Office, Phase

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def row(case: str, *, office: str = "helsinki", caseworker: str = "cw-anna", overdue: int = 0,
        closed: bool = False, due_in_days: int | None = 5) -> dict[str, Any]:
    return {"case_id": case, "revision": 1, "version": 1,
            "phase": "exited" if closed else "assistance", "office": office,
            "caseworker_id": caseworker, "minor": False, "admitted": True, "closed": closed,
            "criminal_stage": "none", "referred_at": T0, "exited_on": None,
            "next_deadline_at": None if due_in_days is None else T0 + timedelta(days=due_in_days),
            "next_deadline_kind": None if due_in_days is None
            else str(DeadlineKind.ASSESSMENT_START),
            "overdue": overdue, "pending_notifications": 0, "failed_notifications": 0,
            "last_step_at": T0}


def test_the_overdue_filter_and_the_desk(any_database: str) -> None:
    engine = engine_for(any_database)
    with engine.begin() as conn:
        conn.execute(insert(CaseRow), [
            row("case-a", due_in_days=3), row("case-b", overdue=2, due_in_days=-4),
            row("case-c", overdue=1, office="oulu", caseworker="cw-olli"),
            row("case-d", closed=True, due_in_days=None), row("case-e", due_in_days=None)])
    page = queries.list_cases(engine, phase=None, office=None, caseworker_id=None,
                              page_size=50, page_token=None, overdue=True)
    assert {c.case_id for c in page.items} == {"case-b", "case-c"}
    mine = queries.work_list(engine, caseworker_id="cw-anna", office=None)
    assert [w.case_id for w in mine] == ["case-b", "case-a", "case-e"]  # open only, late first
    assert mine[0].overdue == 2 and mine[0].phase is Phase.ASSISTANCE
    office = queries.work_list(engine, caseworker_id=None, office=Office.OULU)
    assert [w.case_id for w in office] == ["case-c"]
