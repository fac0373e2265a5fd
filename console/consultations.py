"""Anonymous consultations in the console: the form (choices only: who asked, about what, what
was advised) and the office's newest ones. The API's route and store, in the reader's words."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import EngineDep
from api.reads import read
from console.forms import parse, values_of
from console.steps import StepForm
from console.web import Console, ConsoleDep, ConsoleRoute
from store import consultations
from workflows.model.consultations import Consultation
from workflows.model.vocabulary import AgencyType

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
FORM = StepForm("record_consultation", "Anonymous consultation", Consultation)
# Who may ask: any agency, the person themself, a private person ("other"); not our own desks.
ASKERS = [t for t in AgencyType if t not in (AgencyType.ASSISTANCE_OFFICE,
                                             AgencyType.OFFICE_LEAD)]


@router.get("/consultations", name="console_consultations")
async def consultations_page(console: ConsoleDep, engine: EngineDep,
                             done: Annotated[str | None, Query(max_length=20)] = None,
                             ) -> HTMLResponse:
    console.require("list_consultations")
    return await _page(console, engine, {"office": console.actor.office}, {}, 200, done)


@router.post("/consultations", name="console_record_consultation")
async def record(console: ConsoleDep, engine: EngineDep) -> Response:
    console.require("record_consultation")
    form = await console.form()
    values = values_of(FORM.fields, form)
    consultation, errors = parse(Consultation, FORM.fields, values)
    if not isinstance(consultation, Consultation):
        return await _page(console, engine, values, errors, 422)
    number = await read(consultations.record, engine, consultation, datetime.now(UTC),
                        console.actor.user_id)
    return RedirectResponse(f"/consultations?done={number}", status_code=303)


async def _page(console: Console, engine: EngineDep, values: dict[str, object],
                errors: dict[str, str], status: int, done: str | None = None) -> HTMLResponse:
    office = console.actor.office if console.actor.office else None
    recent = await read(consultations.listed, engine, office, 50)
    return console.page("consultations.html", status, step=FORM, values=values, errors=errors,
                        options={"asked_by": ASKERS}, recent=recent, done=done)
