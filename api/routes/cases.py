"""`/v1/cases`: open a case, take each step, read its state, list cases for operations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from api.audit_trail import AuditContext, AuditDep, AuditedRoute
from api.deps import (
    EngineDep,
    Gateway,
    IdempotencyKey,
    KeysDep,
    PageToken,
    Permitted,
    ReaderDep,
    etag,
    permitted,
)
from api.gateway import CaseGateway
from api.metrics import counted
from api.reads import read
from store import likeness, queries
from store.views import (
    CasePage,
    CaseView,
    DeadlineList,
    LikenessList,
    LikenessRow,
    NotificationList,
    StepPage,
    whole_case,
)
from workflows.model.requests import (
    Actor,
    Referral,
)
from workflows.model.state import CaseState
from workflows.model.vocabulary import (
    Ident,
    Office,
    Phase,
)

router = APIRouter(prefix="/v1/cases", tags=["cases"], route_class=AuditedRoute,
                   dependencies=[Depends(permitted)])



async def refer(gateway: CaseGateway, audit: AuditContext, referral: Referral, actor: Actor,
                key: str | None) -> tuple[CaseState, bool]:
    """Open a case (its intent audited first); False if this key opened it before."""
    with counted("open_case"):
        case_id = await gateway.new_case(referral, actor, key)
        intent = await audit.intent(case_id, referral.reason)
        number = await gateway.new_number(referral)
        return await gateway.open(case_id, referral, actor, key, intent, number)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CaseView,
             summary="Referral: open a case",
             responses={200: {"model": CaseView, "description": "The case this "
                              "`Idempotency-Key` opened before (a retried referral)."}})
async def open_case(referral: Referral, actor: Permitted, gateway: Gateway, audit: AuditDep,
                    request: Request, response: Response,
                    idempotency_key: IdempotencyKey = None) -> Any:
    state, created = await refer(gateway, audit, referral, actor, idempotency_key)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = str(request.url_for("get_case", case_id=state.case_id))
    response.headers["ETag"] = etag(state.version)
    return whole_case(state)


@router.get("", response_model=CasePage,
            summary="List cases from the read model, newest first (no personal data)")
async def list_cases(
    engine: EngineDep, phase: Phase | None = None,
    office: Office | None = None, caseworker_id: Ident | None = None,
    overdue: Annotated[bool, Query(description="Only cases with an overdue deadline.")] = False,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50, page_token: PageToken = None,
) -> CasePage:
    return await read(queries.list_cases, engine, phase=phase, office=office,
                      caseworker_id=caseworker_id, page_size=page_size, page_token=page_token,
                      overdue=overdue)


@router.get("/{case_id}", response_model=CaseView, summary="The live state of a case")
async def get_case(case_id: str, reader: ReaderDep, gateway: Gateway,
                   response: Response) -> Any:
    state = await reader.whole(await gateway.get(case_id))
    response.headers["ETag"] = etag(state.version)
    return whole_case(state)


@router.get("/{case_id}/steps", response_model=StepPage,
            summary="Every step of the case, oldest first (the case itself keeps the recent ones)")
async def get_steps(case_id: str, reader: ReaderDep, gateway: Gateway, engine: EngineDep,
                    keys: KeysDep, page_size: Annotated[int, Query(ge=1, le=500)] = 100,
                    page_token: PageToken = None) -> StepPage:
    state = await reader.whole(await gateway.get(case_id))
    return await read(queries.case_steps, engine, keys, state, page_size=page_size,
                      page_token=page_token)


@router.get("/{case_id}/likeness", response_model=LikenessList,
            summary="Other cases possibly about the same person: which, and how strong the "
                    "likeness is (by names and birth date), nothing else of them")
async def get_likeness(case_id: str, reader: ReaderDep, gateway: Gateway, engine: EngineDep,
                       keys: KeysDep) -> LikenessList:
    state = await reader.whole(await gateway.get(case_id))
    found = await read(likeness.of_case, engine, keys, state)
    return LikenessList(items=[LikenessRow(case_id=f.case_id, reference_number=number,
                                           strength=f.strength) for f, number in found])


@router.get("/{case_id}/deadlines", response_model=DeadlineList,
            summary="The case's deadlines with their rules, due times and history")
async def get_deadlines(case_id: str, reader: ReaderDep, gateway: Gateway,
                        response: Response) -> DeadlineList:
    state = await reader.whole(await gateway.get(case_id))
    response.headers["ETag"] = etag(state.version)
    return DeadlineList(items=state.deadlines)


@router.get("/{case_id}/notifications", response_model=NotificationList,
            summary="The case's notifications, with live attempts and errors of those retrying")
async def get_notifications(case_id: str, reader: ReaderDep, gateway: Gateway,
                            response: Response) -> NotificationList:
    state, retrying = await gateway.notifications(case_id)
    await reader.whole(state)
    response.headers["ETag"] = etag(state.version)
    return NotificationList(items=[n.model_copy(update=retrying.get(n.id, {}))
                                   for n in state.notifications])

