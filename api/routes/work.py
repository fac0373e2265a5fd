"""The work between the steps, under `/v1/cases/{case_id}`: the client plan (its revisions,
paged) and its approval, the assessments, contacts and appointments (their log, paged), and
the client's support network."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Engine

from api.audit_trail import AuditedRoute
from api.deps import EngineDep, Gateway, KeysDep, PageToken, ReaderDep, permitted
from api.gateway import CaseGateway
from api.need_to_know import Reader
from api.reads import read
from store import queries
from store.keys import CaseKeys
from store.views import AssessmentPage, ContactPage, PlanPage

T = TypeVar("T")

router = APIRouter(prefix="/v1/cases", tags=["client work"], route_class=AuditedRoute,
                   dependencies=[Depends(permitted)])
PageSize = Annotated[int, Query(ge=1, le=200)]


async def _records(query: Callable[..., T], case_id: str, reader: Reader, gateway: CaseGateway,
                   engine: Engine, keys: CaseKeys, page_size: int, page_token: str | None) -> T:
    """A page of the case's records of one kind, for the readers who see the whole case."""
    state = await reader.whole(await gateway.get(case_id))
    return await read(query, engine, keys, state, page_size=page_size, page_token=page_token)


@router.get("/{case_id}/plans", response_model=PlanPage,
            summary="Every revision of the client plan, oldest first")
async def get_plans(case_id: str, reader: ReaderDep, gateway: Gateway, engine: EngineDep,
                    keys: KeysDep, page_size: PageSize = 50,
                    page_token: PageToken = None) -> PlanPage:
    return await _records(queries.case_plans, case_id, reader, gateway, engine, keys,
                          page_size, page_token)


@router.get("/{case_id}/assessments", response_model=AssessmentPage,
            summary="Every assessment of needs, oldest first (the one in force last)")
async def get_assessments(case_id: str, reader: ReaderDep, gateway: Gateway, engine: EngineDep,
                          keys: KeysDep, page_size: PageSize = 50,
                          page_token: PageToken = None) -> AssessmentPage:
    return await _records(queries.case_assessments, case_id, reader, gateway, engine, keys,
                          page_size, page_token)


@router.get("/{case_id}/contacts", response_model=ContactPage,
            summary="The contact log, oldest first (its notes are personal: each read is logged)")
async def get_contacts(case_id: str, reader: ReaderDep, gateway: Gateway, engine: EngineDep,
                       keys: KeysDep, page_size: PageSize = 50,
                       page_token: PageToken = None) -> ContactPage:
    return await _records(queries.case_contacts, case_id, reader, gateway, engine, keys,
                          page_size, page_token)

