"""Actions on one item of a case, from the case page: one route per step declared as an item's
action (`workflows.steps`), at the API's path under `/cases`: a measure started, completed or
cancelled, referred to another provider, or ended with its outcome; a deadline met, cancelled or
extended; a notification sent again; a plan approved; a member leaving the support network.
Each is the API's step of the same name, with the version the page was drawn from and the form's
own idempotency key. And an appointment's outcome: the contact form, filled in from it."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from api.routes.steps import by_path, item_parameters
from console.case_page import take_on
from console.forms import fields_of
from console.steps import CONTACT, ITEM_ACTIONS, form_of
from console.web import ConsoleDep, ConsoleRoute
from workflows.model.vocabulary import Ident
from workflows.steps import Declared

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.post("/cases/{case_id}/contacts/{contact_id}", name="console_appointment")
async def record_appointment(case_id: str, contact_id: Ident, console: ConsoleDep) -> Response:
    """How an appointment went: the contact form, filled in from the appointment."""
    return await take_on(console, case_id, CONTACT, CONTACT.fields, appointment_id=contact_id)


def _action(declared: Declared[Any]) -> Any:
    form, fields = form_of(declared), fields_of(declared.http_body, skip=frozenset({"reason"}))

    async def act(case_id: str, console: ConsoleDep, **item: Any) -> Response:
        return await take_on(console, case_id, form, fields, **item)

    act.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("case_id", inspect.Parameter.KEYWORD_ONLY, annotation=str),
         *item_parameters(declared),
         inspect.Parameter("console", inspect.Parameter.KEYWORD_ONLY, annotation=ConsoleDep)],
        return_annotation=Response)
    act.__name__ = f"console_{declared.name}"
    return act


for _declared in by_path(ITEM_ACTIONS):
    router.add_api_route(f"/cases{_declared.path}", _action(_declared), methods=["POST"],
                         name=f"console_{_declared.name}")
