"""The work between the steps, under `/v1/cases/{case_id}`: the client plan and its approval,
contacts and appointments (their log, paged), and the client's support network."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.audit_trail import AuditedRoute
from api.deps import EngineDep, Gateway, KeysDep, PageToken, ReaderDep, permitted
from api.need_to_know import CaseAnswer
from api.reads import read
from api.stepper import StepDep
from store import queries
from store.views import ContactPage
from workflows.case_workflow import CaseWorkflow
from workflows.steps import (
    ContactRecord,
    NetworkJoin,
    NetworkLeave,
    PlanApproval,
    PlanRevision,
    Step,
)
from workflows.vocabulary import Ident

router = APIRouter(prefix="/v1/cases", tags=["client work"], route_class=AuditedRoute,
                   dependencies=[Depends(permitted)])


@router.post("/{case_id}/plans",
             summary="A revision of the client plan (in force at once, or awaiting approval)")
async def revise_plan(case_id: str, body: PlanRevision, step: StepDep) -> CaseAnswer:
    return await step(case_id, CaseWorkflow.revise_plan, body)


@router.post("/{case_id}/plans/{plan}/approval",
             summary="The lead of the case's office approves a plan revision")
async def approve_plan(case_id: str, plan: Annotated[int, Path(ge=1, le=10_000)],
                       body: Step, step: StepDep) -> CaseAnswer:
    return await step(case_id, CaseWorkflow.approve_plan,
                      PlanApproval(plan=plan, reason=body.reason))


@router.get("/{case_id}/contacts", response_model=ContactPage,
            summary="The contact log, oldest first (its notes are personal: each read is logged)")
async def get_contacts(case_id: str, reader: ReaderDep, gateway: Gateway, engine: EngineDep,
                       keys: KeysDep, page_size: Annotated[int, Query(ge=1, le=200)] = 50,
                       page_token: PageToken = None) -> ContactPage:
    state = await reader.whole(await gateway.get(case_id))
    return await read(queries.case_contacts, engine, keys, state, page_size=page_size,
                      page_token=page_token)


@router.post("/{case_id}/contacts",
             summary="Record a contact (held or missed), plan an appointment, or record how a "
                     "planned one went")
async def record_contact(case_id: str, body: ContactRecord, step: StepDep) -> CaseAnswer:
    return await step(case_id, CaseWorkflow.record_contact, body)


@router.post("/{case_id}/network", summary="Someone joins the client's support network")
async def join_network(case_id: str, body: NetworkJoin, step: StepDep) -> CaseAnswer:
    return await step(case_id, CaseWorkflow.join_network, body)


@router.post("/{case_id}/network/{member_id}/leave",
             summary="Someone leaves the client's support network (stays on record)")
async def leave_network(case_id: str, member_id: Ident, body: Step,
                        step: StepDep) -> CaseAnswer:
    return await step(case_id, CaseWorkflow.leave_network,
                      NetworkLeave(member_id=member_id, reason=body.reason))
