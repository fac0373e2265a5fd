"""Actions on one item of a case, from the case page: a measure started, completed or
cancelled, or referred to another provider; a deadline met, cancelled or extended; a
notification sent again. Each is the API's step of the same name, with the version the page
was drawn from and the form's own idempotency key."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from api.problems import Problem, known
from console.forms import Field, parse, reason_in, values_of
from console.pages import LENGTH_FIELDS, PROVIDER_FIELDS, case_view, run
from console.steps import StepForm
from console.web import Console, ConsoleDep, ConsoleRoute
from workflows.case_workflow import CaseWorkflow
from workflows.steps import (
    DeadlineChange,
    DeadlineExtension,
    MeasureProviderChange,
    MeasureUpdate,
    NotificationRef,
)
from workflows.vocabulary import DeadlineAction, Ident, MeasureAction, Refusal, Role

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


@router.post("/cases/{case_id}/measures/{measure_id}/provider", name="console_provider")
async def change_provider(case_id: str, measure_id: Ident, console: ConsoleDep) -> Response:
    return await _take(console, case_id, CHANGE_PROVIDER, PROVIDER_FIELDS, measure_id=measure_id)


@router.post("/cases/{case_id}/measures/{measure_id}/{action}", name="console_measure")
async def change_measure(case_id: str, measure_id: Ident, action: MeasureAction,
                         console: ConsoleDep) -> Response:
    return await _take(console, case_id, CHANGE_MEASURE, [], measure_id=measure_id,
                       action=action)


@router.post("/cases/{case_id}/deadlines/{deadline_id}/extension", name="console_extend")
async def extend_deadline(case_id: str, deadline_id: Ident, console: ConsoleDep) -> Response:
    return await _take(console, case_id, EXTEND_DEADLINE, LENGTH_FIELDS, deadline_id=deadline_id)


@router.post("/cases/{case_id}/deadlines/{deadline_id}/{action}", name="console_deadline")
async def change_deadline(case_id: str, deadline_id: Ident, action: DeadlineAction,
                          console: ConsoleDep) -> Response:
    return await _take(console, case_id, CHANGE_DEADLINE, [], deadline_id=deadline_id,
                       action=action)


async def _take(console: Console, case_id: str, step: StepForm, fields: list[Field],
                **fixed: object) -> Response:
    """The step on the item the path names, with the form's reason and fields."""
    console.require(step.name)
    form = await console.form()
    body, errors = parse(step.model, fields, values_of(fields, form), reason=reason_in(form),
                         **fixed)
    if body is None:
        return await _refused(console, case_id, errors)
    return await run(console, case_id, step, body, form, {})


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


async def _refused(console: Console, case_id: str, errors: dict[str, str]) -> Response:
    state = await console.reader.whole(await console.gateway.get(case_id))
    detail = "; ".join(f"{name}: {message}" for name, message in errors.items())
    return case_view(console, state, 422, refused=Problem(Refusal.INVALID_STEP, detail))
