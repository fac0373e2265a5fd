"""Operations views across cases, from the read model (no personal data): `/v1/deadlines`
(due and overdue) and `/v1/notifications` (failed and retrying deliveries)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AfterValidator, AwareDatetime

from api.audit_trail import AuditedRoute
from api.deps import EngineDep, PageToken, permitted
from api.reads import read
from store import queries
from store.views import (
    DeliveryPage,
    DuePage,
)
from workflows.vocabulary import Office

# An instant far outside any case's life cannot be compared (or even converted to UTC).
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


def _instant(value: datetime) -> datetime:
    try:
        at = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("not a representable instant") from None
    if not EARLIEST <= at < LATEST:
        raise ValueError(f"must lie between {EARLIEST:%Y} and {LATEST:%Y}")
    return at


Instant = Annotated[AwareDatetime, AfterValidator(_instant)]

router = APIRouter(prefix="/v1", tags=["operations"], route_class=AuditedRoute,
                   dependencies=[Depends(permitted)])


@router.get("/deadlines", response_model=DuePage,
            summary="Cases with deadlines overdue or due soon, most overdue first")
async def list_due(
    engine: EngineDep, office: Office | None = None,
    overdue: Annotated[bool, Query(description="Cases with an overdue deadline.")] = False,
    due_before: Annotated[Instant | None, Query(
        description="Cases whose next deadline is due before this instant (with its offset).")
    ] = None,
    page_size: Annotated[int, Query(ge=1, le=500)] = 100, page_token: PageToken = None,
) -> DuePage:
    return await read(queries.list_due, engine, office=office, overdue=overdue,
                      due_before=due_before, page_size=page_size, page_token=page_token)


@router.get("/notifications", response_model=DeliveryPage,
            summary="Cases with failed or retrying notifications, most failures first")
async def list_deliveries(
    engine: EngineDep, office: Office | None = None,
    failed: Annotated[bool, Query(description="Only cases with failed notifications.")] = False,
    page_size: Annotated[int, Query(ge=1, le=500)] = 100, page_token: PageToken = None,
) -> DeliveryPage:
    return await read(queries.list_deliveries, engine, office=office, failed_only=failed,
                      page_size=page_size, page_token=page_token)
