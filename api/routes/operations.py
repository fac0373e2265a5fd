"""Operations views across cases, from the read model (no personal data): `/v1/deadlines`
(due and overdue) and `/v1/notifications` (failed and retrying deliveries)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AfterValidator, AwareDatetime

from api.audit_trail import AuditedRoute
from api.deps import EngineDep, Gateway, PageToken, permitted
from api.gateway import CaseGateway
from api.problems import known
from api.reads import read
from store import queries
from store.views import (
    DeliveryPage,
    DeliveryRow,
    DuePage,
)
from workflows.model.vocabulary import Office

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
    engine: EngineDep, gateway: Gateway, office: Office | None = None,
    failed: Annotated[bool, Query(description="Only cases with failed notifications.")] = False,
    page_size: Annotated[int, Query(ge=1, le=500)] = 100, page_token: PageToken = None,
) -> DeliveryPage:
    page = await read(queries.list_deliveries, engine, office=office, failed_only=failed,
                      page_size=page_size, page_token=page_token)
    return page.model_copy(update={"items": await with_retrying(gateway, page.items)})


# Live retry details for at most this many cases per answer, this many asked at a time.
RETRYING_CASES, AT_A_TIME = 50, 8


async def with_retrying(gateway: CaseGateway, rows: list[DeliveryRow]) -> list[DeliveryRow]:
    """Rows with deliveries in flight, with each one's attempts and last error as Temporal has
    them now: a delivery failing against an agency's 503s for an hour no longer looks like one
    just queued. A case that cannot be asked (closed meanwhile, Temporal slow) keeps its
    counts only."""
    asking = asyncio.Semaphore(AT_A_TIME)

    async def ask(row: DeliveryRow) -> DeliveryRow:
        async with asking:
            try:
                retrying = await gateway.retrying(row.case_id)
            except Exception as err:
                if known(err) is None:
                    raise
                return row
        return row.model_copy(update={"retrying": retrying})

    pending = [row for row in rows if row.pending][:RETRYING_CASES]
    asked = dict(zip((r.case_id for r in pending),
                     await asyncio.gather(*(ask(r) for r in pending)), strict=True))
    return [asked.get(row.case_id, row) for row in rows]
