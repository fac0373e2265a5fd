"""What stands open in the read model, counted for operations' metrics: open cases by office and
phase, unsettled deadlines by office and status, notifications waiting or failed by agency.
Counts only: offices, phases, agencies and statuses, never a case or a person."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from store.tables import CaseRow, DeadlineRow, NotificationRow
from workflows.model.vocabulary import DeadlineStatus, NotificationStatus

UNSETTLED = [str(s) for s in DeadlineStatus if s.unsettled]
WAITING = [str(NotificationStatus.PENDING), str(NotificationStatus.FAILED)]


def _grouped(engine: Engine, query: Any, *names: str) -> list[tuple[dict[str, str], int]]:
    with Session(engine) as db:
        rows = db.execute(query).all()
    return [({n: str(v or "") for n, v in zip(names, row[:-1], strict=True)}, row[-1])
            for row in rows]


def open_cases(engine: Engine) -> list[tuple[dict[str, str], int]]:
    return _grouped(engine, select(CaseRow.office, CaseRow.phase, func.count())
                    .where(CaseRow.closed == False)  # noqa: E712 - SQL, not Python
                    .group_by(CaseRow.office, CaseRow.phase), "office", "phase")


def unsettled_deadlines(engine: Engine) -> list[tuple[dict[str, str], int]]:
    return _grouped(engine, select(DeadlineRow.office, DeadlineRow.status, func.count())
                    .where(DeadlineRow.status.in_(UNSETTLED))  # type: ignore[attr-defined]
                    .group_by(DeadlineRow.office, DeadlineRow.status), "office", "status")


def waiting_notifications(engine: Engine) -> list[tuple[dict[str, str], int]]:
    return _grouped(engine, select(NotificationRow.agency_id, NotificationRow.status,
                                   func.count())
                    .where(NotificationRow.status.in_(WAITING))  # type: ignore[attr-defined]
                    .group_by(NotificationRow.agency_id, NotificationRow.status),
                    "agency", "status")
