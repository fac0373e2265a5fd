"""`/v1/deadlines`: what is due or overdue across cases, for operations. No personal data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from api.cases import Gateway
from api.deps import CaseLister
from workflows.case_model import DuePage, Office

router = APIRouter(prefix="/v1/deadlines", tags=["deadlines"])


@router.get("", response_model=DuePage,
            summary="Cases with deadlines overdue or due soon, most overdue first")
async def list_due(
    actor: CaseLister, gateway: Gateway, office: Office | None = None,
    overdue: Annotated[bool, Query(description="Cases with an overdue deadline.")] = False,
    due_before: Annotated[AwareDatetime | None, Query(
        description="Cases whose next deadline is due before this instant.")] = None,
    page_size: Annotated[int, Query(ge=1, le=500)] = 100, page_token: str | None = None,
) -> DuePage:
    return await gateway.due(office=office, overdue=overdue, due_before=due_before,
                             page_size=page_size, page_token=page_token)
