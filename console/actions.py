"""Actions on one item of a case, from the case page: a measure started, completed or
cancelled, referred to another provider, or ended with its outcome; a deadline met, cancelled or
extended; a notification sent again; a plan approved; an appointment's outcome; a member leaving
the support network. Each is the API's step of the same name, with the version the page was
drawn from and the form's own idempotency key."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from api.problems import known
from console.case_page import LENGTH_FIELDS, OUTCOME_FIELDS, PROVIDER_FIELDS, run, take_on
from console.forms import reason_in
from console.steps import CONTACT, StepForm
from console.web import ConsoleDep, ConsoleRoute
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.requests import (
    DeadlineChange,
    DeadlineExtension,
    MeasureEnding,
    MeasureProviderChange,
    MeasureUpdate,
    NetworkLeave,
    NotificationRef,
    PlanApproval,
)
from workflows.model.vocabulary import DeadlineAction, Ident, MeasureAction, Refusal, Role

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

CHANGE_MEASURE = StepForm("change_measure", "Measure", MeasureUpdate, CaseWorkflow.change_measure)
CHANGE_PROVIDER = StepForm("change_provider", "Another provider", MeasureProviderChange,
                           CaseWorkflow.change_provider)
CHANGE_DEADLINE = StepForm("change_deadline", "Deadline", DeadlineChange,
                           CaseWorkflow.change_deadline)
EXTEND_DEADLINE = StepForm("extend_deadline", "Extend", DeadlineExtension,
                           CaseWorkflow.extend_deadline)
RESEND = StepForm("resend_notification", "Send again", NotificationRef,
                  CaseWorkflow.resend_notification)
APPROVE_PLAN = StepForm("approve_plan", "Approve", PlanApproval, CaseWorkflow.approve_plan)
END_MEASURE = StepForm("end_measure", "Outcome", MeasureEnding, CaseWorkflow.end_measure)
LEAVE_NETWORK = StepForm("leave_network", "Leaves the network", NetworkLeave,
                         CaseWorkflow.leave_network)


@router.post("/cases/{case_id}/plans/{number}/approval", name="console_approve_plan")
async def approve_plan(case_id: str, number: int, console: ConsoleDep) -> Response:
    return await take_on(console, case_id, APPROVE_PLAN, [], plan=number)


@router.post("/cases/{case_id}/contacts/{contact_id}", name="console_appointment")
async def record_appointment(case_id: str, contact_id: Ident, console: ConsoleDep) -> Response:
    """How an appointment went: the contact form, filled in from the appointment."""
    return await take_on(console, case_id, CONTACT, CONTACT.fields, appointment_id=contact_id)


@router.post("/cases/{case_id}/network/{member_id}/leave", name="console_leave_network")
async def leave_network(case_id: str, member_id: Ident, console: ConsoleDep) -> Response:
    return await take_on(console, case_id, LEAVE_NETWORK, [], member_id=member_id)


@router.post("/cases/{case_id}/measures/{measure_id}/outcome", name="console_end_measure")
async def end_measure(case_id: str, measure_id: Ident, console: ConsoleDep) -> Response:
    return await take_on(console, case_id, END_MEASURE, OUTCOME_FIELDS, measure_id=measure_id)


@router.post("/cases/{case_id}/measures/{measure_id}/provider", name="console_provider")
async def change_provider(case_id: str, measure_id: Ident, console: ConsoleDep) -> Response:
    return await take_on(console, case_id, CHANGE_PROVIDER, PROVIDER_FIELDS, measure_id=measure_id)


@router.post("/cases/{case_id}/measures/{measure_id}/{action}", name="console_measure")
async def change_measure(case_id: str, measure_id: Ident, action: MeasureAction,
                         console: ConsoleDep) -> Response:
    return await take_on(console, case_id, CHANGE_MEASURE, [], measure_id=measure_id,
                       action=action)


@router.post("/cases/{case_id}/deadlines/{deadline_id}/extension", name="console_extend")
async def extend_deadline(case_id: str, deadline_id: Ident, console: ConsoleDep) -> Response:
    return await take_on(console, case_id, EXTEND_DEADLINE, LENGTH_FIELDS, deadline_id=deadline_id)


@router.post("/cases/{case_id}/deadlines/{deadline_id}/{action}", name="console_deadline")
async def change_deadline(case_id: str, deadline_id: Ident, action: DeadlineAction,
                          console: ConsoleDep) -> Response:
    return await take_on(console, case_id, CHANGE_DEADLINE, [], deadline_id=deadline_id,
                       action=action)


@router.post("/cases/{case_id}/notifications/{notification_id}/resend", name="console_resend")
async def resend(case_id: str, notification_id: Ident, console: ConsoleDep) -> Response:
    console.require(RESEND.name)
    form = await console.form()
    body = NotificationRef(notification_id=notification_id, reason=reason_in(form))
    if console.actor.role is not Role.OPERATOR:
        return await run(console, case_id, RESEND, body, form, {})
    # Operations see no case page: the answer goes back to their list.
    try:
        await console.step(RESEND.name, RESEND.update, case_id, body, form)
    except Exception as err:
        problem = known(err)
        if problem is None or problem.code is not Refusal.STALE_VERSION:
            raise
        return RedirectResponse("/operations?done=stale", status_code=303)
    return RedirectResponse("/operations?done=resend_notification", status_code=303)
