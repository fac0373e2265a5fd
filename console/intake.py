"""Intake in the console: a referral, by the assistance system's staff (the case is theirs at
once) or by an agency (it waits in the office's intake and the agency sees only its number and,
later, admitted or not); and the intake desk, the office's waiting referrals, oldest first, each
to take over. The API's routes, in the reader's words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import EngineDep, KeysDep
from api.problems import known
from api.reads import read
from api.routes.cases import refer
from api.routes.intake import as_referral
from console.forms import key_in, parse, values_of
from console.labels import REFERRAL_REFUSALS
from console.steps import REFERRAL, StepForm
from console.web import Console, ConsoleDep, ConsoleRoute
from store import intake
from workflows.model.requests import AgencyReferral, Referral, Referred
from workflows.model.state import CaseState
from workflows.model.vocabulary import Refusal
from workflows.steps import BY_NAME

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
AGENCY_REFERRAL = StepForm("refer_from_agency", "New referral", AgencyReferral)
TAKE_OVER = BY_NAME["take_over"]


async def submit(console: Console, step: StepForm, as_case: Callable[[Any], Referral],
                 after: Callable[[CaseState], str]) -> Response:
    """A referral from its form: the form again as it was typed if it is not valid or a rule
    refuses it (no consent, a birth date that makes no sense, a child not marked a minor), the
    refusal at its field; else on to the page `after` names."""
    form = await console.form()
    values = values_of(step.fields, form)
    referral, errors = parse(step.model, step.fields, values)
    if not isinstance(referral, Referred):
        return console.page("referral.html", 422, step=step, values=values, errors=errors)
    try:
        state, _ = await refer(console.gateway, console.reader.audit, as_case(referral),
                               console.actor, key_in(form))
    except Exception as err:
        refused = refused_at(err)
        if refused is None:
            raise
        return console.page("referral.html", 422, step=step, values=values, errors=refused)
    return RedirectResponse(after(state), status_code=303)


def refused_at(err: Exception) -> dict[str, str] | None:
    """A referral's refusal by a rule, at the field it concerns, in the person's words; None
    for anything else."""
    problem = known(err)
    if problem is None or problem.code not in (Refusal.CONSENT_MISSING, Refusal.INVALID_STEP):
        return None
    where = str(problem.extensions.get("field", "reason"))
    return {where: REFERRAL_REFUSALS.get((str(problem.code), where), problem.detail)}


@router.get("/cases/new", name="console_new_case")
async def new_case(console: ConsoleDep) -> HTMLResponse:
    agency = console.may(AGENCY_REFERRAL.name)
    if not agency:
        console.require(REFERRAL.name)
    return console.page("referral.html", step=AGENCY_REFERRAL if agency else REFERRAL,
                        values={"office": console.actor.office}, errors={})


@router.post("/cases/new", name="console_open_case")
async def open_case(console: ConsoleDep) -> Response:
    if console.may(AGENCY_REFERRAL.name):
        settings = console.request.app.state.settings
        return await submit(console, AGENCY_REFERRAL,
                            lambda referral: as_referral(settings, console.actor, referral),
                            lambda state: f"/agency/cases/{state.case_id}?done=referred")
    console.require(REFERRAL.name)
    return await submit(console, REFERRAL, lambda referral: referral,
                        lambda state: f"/cases/{state.case_id}?done=open_case")


@router.get("/intake", name="console_intake")
async def intake_desk(console: ConsoleDep, engine: EngineDep, keys: KeysDep) -> HTMLResponse:
    console.require("list_intake")
    rows = await read(intake.waiting, engine, str(console.actor.office))
    return console.page("intake.html", rows=rows, names=await console.reader.names(keys, rows),
                        taking=TAKE_OVER)
