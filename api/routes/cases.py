"""`/v1/cases`: open a case, take each step, read its state, list cases for operations."""

from __future__ import annotations

from typing import Annotated

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
from api.need_to_know import CaseAnswer
from api.reads import read
from api.stepper import StepDep
from store import queries
from store.views import (
    CasePage,
    DeadlineList,
    NotificationList,
    StepPage,
)
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.requests import (
    Actor,
    AdmissionDecision,
    Assessment,
    AssessmentStart,
    ConsentChange,
    CriminalEvent,
    DeadlineChange,
    DeadlineExtension,
    ExitDecision,
    Extension,
    ManualNotification,
    MeasureAnswer,
    MeasureEnd,
    MeasureEnding,
    MeasureProviderChange,
    MeasureResponse,
    MeasureUpdate,
    MunicipalityTransition,
    NewMeasure,
    NotificationRef,
    OfficeTransfer,
    ProviderChange,
    Reassignment,
    Referral,
    ReflectionPeriodGrant,
    Step,
)
from workflows.model.state import CaseState
from workflows.model.vocabulary import (
    DeadlineAction,
    Ident,
    MeasureAction,
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
        return await gateway.open(case_id, referral, actor, key, intent)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CaseState,
             summary="Referral: open a case",
             responses={200: {"model": CaseState, "description": "The case this "
                              "`Idempotency-Key` opened before (a retried referral)."}})
async def open_case(referral: Referral, actor: Permitted, gateway: Gateway, audit: AuditDep,
                    request: Request, response: Response,
                    idempotency_key: IdempotencyKey = None) -> CaseState:
    state, created = await refer(gateway, audit, referral, actor, idempotency_key)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = str(request.url_for("get_case", case_id=state.case_id))
    response.headers["ETag"] = etag(state.version)
    return state


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


@router.get("/{case_id}", response_model=CaseState, summary="The live state of a case")
async def get_case(case_id: str, reader: ReaderDep, gateway: Gateway,
                   response: Response) -> CaseState:
    state = await reader.whole(await gateway.get(case_id))
    response.headers["ETag"] = etag(state.version)
    return state


@router.get("/{case_id}/steps", response_model=StepPage,
            summary="Every step of the case, oldest first (the case itself keeps the recent ones)")
async def get_steps(case_id: str, reader: ReaderDep, gateway: Gateway, engine: EngineDep,
                    keys: KeysDep, page_size: Annotated[int, Query(ge=1, le=500)] = 100,
                    page_token: PageToken = None) -> StepPage:
    state = await reader.whole(await gateway.get(case_id))
    return await read(queries.case_steps, engine, keys, state, page_size=page_size,
                      page_token=page_token)


@router.post("/{case_id}/admission", summary="Admission decision (identification)")
async def decide_admission(case_id: str, body: AdmissionDecision, step: StepDep) -> CaseAnswer:
    return await step(case_id, CaseWorkflow.decide_admission, body)


@router.post("/{case_id}/assessment/start", summary="The assessment of needs has started")
async def begin_assessment(case_id: str, body: AssessmentStart, step: StepDep) -> CaseAnswer:
    return await step(case_id, CaseWorkflow.begin_assessment, body)


@router.post("/{case_id}/assessment", summary="Assessment of assistance needs")
async def assess_needs(case_id: str, body: Assessment, step: StepDep) -> CaseAnswer:
    return await step(case_id, CaseWorkflow.assess_needs, body)


@router.post("/{case_id}/measures", summary="Add an assistance measure")
async def add_measure(case_id: str, body: NewMeasure, step: StepDep) -> CaseAnswer:
    return await step(case_id, CaseWorkflow.add_measure, body)


@router.post("/{case_id}/measures/{measure_id}/response",
             summary="The providing agency accepts or declines the measure")
async def respond_to_measure(case_id: str, measure_id: Ident, body: MeasureResponse,
                             step: StepDep) -> CaseAnswer:
    answer = MeasureAnswer(measure_id=measure_id, **body.model_dump())
    return await step(case_id, CaseWorkflow.respond_to_measure, answer)


@router.post("/{case_id}/measures/{measure_id}/provider",
             summary="Refer a planned measure to another provider (e.g. after a decline)")
async def change_provider(case_id: str, measure_id: Ident, body: ProviderChange,
                          step: StepDep) -> CaseAnswer:
    change = MeasureProviderChange(measure_id=measure_id, **body.model_dump())
    return await step(case_id, CaseWorkflow.change_provider, change)


@router.post("/{case_id}/measures/{measure_id}/outcome",
             summary="A started measure ends: implemented, or not successful (and why)")
async def end_measure(case_id: str, measure_id: Ident, body: MeasureEnd,
                      step: StepDep) -> CaseAnswer:
    ending = MeasureEnding(measure_id=measure_id, **body.model_dump())
    return await step(case_id, CaseWorkflow.end_measure, ending)


@router.post("/{case_id}/measures/{measure_id}/{action}",
             summary="Start, complete or cancel a measure")
async def change_measure(case_id: str, measure_id: Ident, action: MeasureAction, body: Step,
                         step: StepDep) -> CaseAnswer:
    change = MeasureUpdate(measure_id=measure_id, action=action, reason=body.reason)
    return await step(case_id, CaseWorkflow.change_measure, change)


@router.post("/{case_id}/criminal-process", summary="Record a stage of the criminal process")
async def record_criminal_stage(case_id: str, body: CriminalEvent, step: StepDep) -> CaseAnswer:
    return await step(case_id, CaseWorkflow.record_criminal_stage, body)


@router.post("/{case_id}/consents", summary="Record a consent given or withdrawn")
async def record_consent(case_id: str, body: ConsentChange, step: StepDep) -> CaseAnswer:
    return await step(case_id, CaseWorkflow.record_consent, body)


@router.post("/{case_id}/transition", summary="Transition to the home municipality")
async def transition_to_municipality(case_id: str, body: MunicipalityTransition,
                                     step: StepDep) -> CaseAnswer:
    return await step(case_id, CaseWorkflow.transition_to_municipality, body)


@router.post("/{case_id}/exit", summary="Exit decision")
async def exit_case(case_id: str, body: ExitDecision, step: StepDep) -> CaseAnswer:
    return await step(case_id, CaseWorkflow.exit_case, body)


@router.post("/{case_id}/assignment", summary="Reassign to another caseworker")
async def reassign(case_id: str, body: Reassignment, step: StepDep) -> CaseAnswer:
    return await step(case_id, CaseWorkflow.reassign, body)


@router.post("/{case_id}/transfer", summary="Transfer to another office")
async def transfer_office(case_id: str, body: OfficeTransfer, step: StepDep) -> CaseAnswer:
    return await step(case_id, CaseWorkflow.transfer_office, body)


@router.post("/{case_id}/reflection-period", summary="Reflection period granted")
async def grant_reflection_period(case_id: str, body: ReflectionPeriodGrant,
                                  step: StepDep) -> CaseAnswer:
    return await step(case_id, CaseWorkflow.grant_reflection_period, body)


@router.get("/{case_id}/deadlines", response_model=DeadlineList,
            summary="The case's deadlines with their rules, due times and history")
async def get_deadlines(case_id: str, reader: ReaderDep, gateway: Gateway,
                        response: Response) -> DeadlineList:
    state = await reader.whole(await gateway.get(case_id))
    response.headers["ETag"] = etag(state.version)
    return DeadlineList(items=state.deadlines)


@router.post("/{case_id}/deadlines/{deadline_id}/extension",
             summary="Extend a deadline, as far as its rule allows")
async def extend_deadline(case_id: str, deadline_id: Ident, body: Extension,
                          step: StepDep) -> CaseAnswer:
    change = DeadlineExtension(deadline_id=deadline_id, **body.model_dump())
    return await step(case_id, CaseWorkflow.extend_deadline, change)


@router.post("/{case_id}/deadlines/{deadline_id}/{action}", summary="Meet or cancel a deadline")
async def change_deadline(case_id: str, deadline_id: Ident, action: DeadlineAction, body: Step,
                          step: StepDep) -> CaseAnswer:
    change = DeadlineChange(deadline_id=deadline_id, action=action, reason=body.reason)
    return await step(case_id, CaseWorkflow.change_deadline, change)


@router.get("/{case_id}/notifications", response_model=NotificationList,
            summary="The case's notifications, with live attempts and errors of those retrying")
async def get_notifications(case_id: str, reader: ReaderDep, gateway: Gateway,
                            response: Response) -> NotificationList:
    state, retrying = await gateway.notifications(case_id)
    await reader.whole(state)
    response.headers["ETag"] = etag(state.version)
    return NotificationList(items=[n.model_copy(update=retrying.get(n.id, {}))
                                   for n in state.notifications])


@router.post("/{case_id}/notifications",
             summary="Notify an agency: with consent, or on a legal basis recorded here")
async def notify_by_hand(case_id: str, body: ManualNotification, step: StepDep) -> CaseAnswer:
    return await step(case_id, CaseWorkflow.notify_by_hand, body)


@router.post("/{case_id}/notifications/{notification_id}/ack",
             summary="The agency acknowledges receipt")
async def acknowledge_notification(case_id: str, notification_id: Ident, body: Step,
                                   step: StepDep) -> CaseAnswer:
    ref = NotificationRef(notification_id=notification_id, reason=body.reason)
    return await step(case_id, CaseWorkflow.acknowledge_notification, ref)


@router.post("/{case_id}/notifications/{notification_id}/resend",
             summary="Send a failed (or withheld, now consented) notification again")
async def resend_notification(case_id: str, notification_id: Ident, body: Step,
                              step: StepDep) -> CaseAnswer:
    ref = NotificationRef(notification_id=notification_id, reason=body.reason)
    return await step(case_id, CaseWorkflow.resend_notification, ref)
