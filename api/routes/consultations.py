"""Anonymous consultations, under `/v1/consultations`: a professional unsure whether someone is
a victim, or a private person, asks the assistance system for advice; what is recorded is who
asked, about what and what was advised, never anything of the person. A later referral may
cite the consultation's number."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from api.audit_trail import AuditedRoute
from api.deps import EngineDep, Permitted, permitted
from api.reads import read
from store import consultations
from store.views import ConsultationList, ConsultationRecord
from workflows.model.consultations import Consultation
from workflows.model.vocabulary import Office

router = APIRouter(prefix="/v1/consultations", tags=["consultations"],
                   route_class=AuditedRoute, dependencies=[Depends(permitted)])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ConsultationRecord,
             summary="Record an anonymous consultation (no personal data): its number")
async def record_consultation(consultation: Consultation, actor: Permitted,
                              engine: EngineDep) -> ConsultationRecord:
    at = datetime.now(UTC)
    number = await read(consultations.record, engine, consultation, at, actor.user_id)
    return ConsultationRecord(number=number, at=at, **consultation.model_dump())


@router.get("", response_model=ConsultationList,
            summary="The newest anonymous consultations (of an office)")
async def list_consultations(engine: EngineDep, office: Office | None = None,
                             limit: Annotated[int, Query(ge=1, le=500)] = 100,
                             ) -> ConsultationList:
    found = await read(consultations.listed, engine, office, limit)
    return ConsultationList(items=[ConsultationRecord(number=number, at=at, **c.model_dump())
                                   for number, at, c in found])
