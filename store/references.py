"""Reference numbers a person can read out over the phone: the office, the year and a running
number (`HEL-2026-0042`), beside the case id. They carry no personal data, and a number once
given is never given again (a referral that fails after taking one leaves a gap)."""

from __future__ import annotations

import re

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from infra.database import writer
from store.tables import CaseRow, ReferenceCounter
from workflows.model.vocabulary import Office

PREFIX = {Office.HELSINKI: "HEL", Office.TAMPERE: "TRE", Office.OULU: "OUL",
          Office.JOUTSENO: "JOU"}
REFERENCE = re.compile(r"^(?:HEL|TRE|OUL|JOU)-\d{4}-\d{4,6}$", re.IGNORECASE)
CONSULTATIONS = "K-"  # the series of anonymous consultations' numbers


def allocate(engine: Engine, office: Office, year: int, series: str = "") -> str:
    """The next number of the office and year (in a series of its own: `K-` for anonymous
    consultations), taken at once (one statement, atomic on both databases: concurrent
    referrals never share a number)."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    table = ReferenceCounter.__table__  # type: ignore[attr-defined]
    statement = dialect.insert(table).values(office=f"{series}{office}", year=year, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=["office", "year"], set_={"last": table.c.last + 1},
    ).returning(table.c.last)
    with writer(engine).begin() as db:
        number = db.execute(statement).scalar_one()
    return f"{series}{PREFIX[office]}-{year}-{number:04d}"


def case_with(engine: Engine, reference: str) -> str | None:
    """The case a reference names, as the read model knows it."""
    with Session(engine) as session:
        return session.execute(select(CaseRow.case_id).where(
            CaseRow.reference_number == reference.strip().upper())).scalar_one_or_none()


def numbers(engine: Engine, case_ids: list[str]) -> dict[str, str]:
    """The reference numbers of cases (those that have one)."""
    with Session(engine) as session:
        return dict(session.execute(select(CaseRow.case_id, CaseRow.reference_number).where(
            CaseRow.case_id.in_(case_ids), CaseRow.reference_number.is_not(None))).all())
