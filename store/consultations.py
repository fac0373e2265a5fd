"""Anonymous consultations: recorded with a number of their own series (`K-HEL-2026-0007`),
listed newest first. Nothing in them names or points to a person (choices only), so they are
kept as rows, not as a case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, insert, select
from sqlmodel import Session

from infra.database import writer
from store import references
from store.tables import ConsultationRow
from workflows.model.consultations import Consultation
from workflows.model.vocabulary import Advice, AgencyType, Exploitation, Office, Situation


def record(engine: Engine, consultation: Consultation, at: datetime, by: str) -> str:
    """Keep the consultation under the next number of its office's series; its number."""
    number = references.allocate(engine, consultation.office, at.year, references.CONSULTATIONS)
    with writer(engine).begin() as db:
        db.execute(insert(ConsultationRow).values(
            number=number, office=str(consultation.office), at=at,
            asked_by=str(consultation.asked_by), situation=str(consultation.situation),
            exploitation=",".join(map(str, consultation.exploitation_forms)),
            advice=",".join(map(str, consultation.advice)),
            referral_recommended=consultation.referral_recommended,
            minutes=consultation.minutes, recorded_by=by))
    return number


def listed(engine: Engine, office: Office | None, limit: int = 100,
           ) -> list[tuple[str, datetime, Consultation]]:
    """The newest consultations (of an office), with their numbers and times."""
    query = select(ConsultationRow).order_by(ConsultationRow.at.desc()).limit(limit)  # type: ignore[attr-defined]
    if office is not None:
        query = query.where(ConsultationRow.office == str(office))
    with Session(engine) as session:
        rows = session.execute(query).scalars().all()
    return [(r.number, r.at, Consultation(
        office=Office(r.office), asked_by=AgencyType(r.asked_by), situation=Situation(r.situation),
        exploitation_forms=[Exploitation(e) for e in r.exploitation.split(",") if e],
        advice=[Advice(a) for a in r.advice.split(",") if a],
        referral_recommended=r.referral_recommended, minutes=r.minutes)) for r in rows]
