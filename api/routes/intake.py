"""Intake: an agency refers a person with its own token (`/v1/referrals`), and the office's
staff see the referrals waiting for them (`/v1/intake`), the oldest first. A referral waits
until a caseworker takes it over (a step of its own); meanwhile the office may ask the
referrer for more, or close it as a duplicate (`workflows.rules.intake`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response, status

from activities.directory import load
from api.audit_trail import AuditDep, AuditedRoute
from api.deps import EngineDep, Gateway, IdempotencyKey, Permitted, SettingsDep, etag, permitted
from api.problems import Problem
from api.reads import read
from api.routes.cases import refer
from infra.settings import Settings
from store import intake
from store.views import IntakeList, ReferralReceipt
from workflows.model.requests import Actor, AgencyReferral, Referral, Referrer
from workflows.model.vocabulary import Refusal

router = APIRouter(tags=["intake"], route_class=AuditedRoute, dependencies=[Depends(permitted)])


def as_referral(settings: Settings, actor: Actor, referral: AgencyReferral) -> Referral:
    """An agency's referral as the case keeps it: the referrer is the agency, as the directory
    names it (an agency the directory does not know refers by other channels)."""
    agency = load(settings.agency_directory, settings.environment).get(actor.agency or "")
    if agency is None:
        raise Problem(Refusal.FORBIDDEN, "your agency is not in the agency directory: ask the "
                      "assistance system to add it")
    return Referral(**referral.model_dump(exclude={"own_reference"}), referrer=Referrer(
        agency_type=agency.type, organisation=agency.name, agency_id=agency.id,
        reference=referral.own_reference))


@router.post("/v1/referrals", status_code=status.HTTP_201_CREATED,
             response_model=ReferralReceipt, summary="An agency refers a person",
             responses={200: {"model": ReferralReceipt, "description": "The referral this "
                              "`Idempotency-Key` made before (a retried referral)."}})
async def refer_from_agency(referral: AgencyReferral, actor: Permitted, gateway: Gateway,
                            audit: AuditDep, settings: SettingsDep, request: Request,
                            response: Response, idempotency_key: IdempotencyKey = None) -> Any:
    state, created = await refer(gateway, audit, as_referral(settings, actor, referral), actor,
                                 idempotency_key)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = str(request.url_for("get_agency_case",
                                                       case_id=state.case_id))
    response.headers["ETag"] = etag(state.version)
    return ReferralReceipt(case_id=state.case_id, reference_number=state.reference_number,
                           received_on=state.began_on)


@router.get("/v1/intake", response_model=IntakeList,
            summary="The referrals waiting in the caller's office's intake, the oldest first")
async def list_intake(actor: Permitted, engine: EngineDep) -> IntakeList:
    assert actor.office is not None  # a staff token names its office (`api.auth`)
    return IntakeList(items=await read(intake.waiting, engine, str(actor.office)))
