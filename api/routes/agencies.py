"""An agency's own view of the cases it is involved in: `/v1/agency/cases`.

Involved means: it referred the person, it was delivered a notification, or it provides a
measure. What it sees of a case is decided by `api.need_to_know`; an agency not involved gets
403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.audit_trail import AuditedRoute
from api.deps import EngineDep, Gateway, PageToken, Permitted, ReaderDep, etag, permitted
from api.reads import read
from store import queries
from store.views import (
    AgencyCasePage,
    AgencyCaseView,
)

router = APIRouter(prefix="/v1/agency", tags=["agencies"], route_class=AuditedRoute,
                   dependencies=[Depends(permitted)])


@router.get("/cases", response_model=AgencyCasePage,
            summary="The cases the caller's agency was notified of or provides a measure for")
async def list_agency_cases(
    actor: Permitted, engine: EngineDep,
    page_size: Annotated[int, Query(ge=1, le=500)] = 100, page_token: PageToken = None,
) -> AgencyCasePage:
    assert actor.agency is not None  # an agency role's token names its agency (`api.auth`)
    return await read(queries.list_agency_cases, engine, agency_id=actor.agency,
                      page_size=page_size, page_token=page_token)


@router.get("/cases/{case_id}", response_model=AgencyCaseView,
            summary="A case as the caller's agency may see it (its version is the ETag)")
async def get_agency_case(case_id: str, reader: ReaderDep, gateway: Gateway,
                          response: Response) -> AgencyCaseView:
    view = await reader.agency(gateway.get(case_id))
    response.headers["ETag"] = etag(view.version)
    return view
