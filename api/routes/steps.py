"""`POST /v1/cases/{case_id}/…`: every step of a case, one route per step declaration
(`workflows.steps`). A route's path names the case and, for a step on one of its items, the
item (whose values fill the step's body); its body is the rest. Each runs through `Stepper`."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from api.audit_trail import AuditedRoute
from api.deps import permitted
from api.need_to_know import CaseAnswer
from api.stepper import StepDep
from workflows.model.requests import Step
from workflows.steps import STEPS, Declared, Offered

router = APIRouter(prefix="/v1/cases", route_class=AuditedRoute,
                   dependencies=[Depends(permitted)])


def _parameter(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)


def item_parameters(declared: Declared[Any]) -> list[inspect.Parameter]:
    """The path's values besides the case, typed as the step's body types them."""
    fields = declared.body.model_fields
    return [_parameter(name, Annotated[fields[name].annotation, *fields[name].metadata]
                       if fields[name].metadata else fields[name].annotation)
            for name in declared.path_fields]


def by_path(steps: Iterable[Declared[Any]]) -> list[Declared[Any]]:
    """Routes in the order they must match: `…/outcome` before `…/{action}` in its place."""
    return sorted(steps, key=lambda s: s.path.endswith("}") and len(s.path_fields) > 1)


def _endpoint(declared: Declared[Any]) -> Any:
    async def take(case_id: str, body: Step, step: StepDep, **item: Any) -> CaseAnswer:
        if item:
            body = declared.body(**item, **body.model_dump())
        return await step(case_id, declared, body)

    # FastAPI reads the signature.
    take.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [_parameter("case_id", str), *item_parameters(declared),
         _parameter("body", declared.http_body), _parameter("step", StepDep)],
        return_annotation=CaseAnswer)
    take.__name__ = declared.name
    return take


for _declared in by_path(s for s in STEPS if s.offered is not Offered.UPLOAD):  # theirs: own
    router.add_api_route(_declared.path, _endpoint(_declared), methods=["POST"],
                         name=_declared.name, summary=_declared.summary, tags=[_declared.tag])
