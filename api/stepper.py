"""Running one step from an HTTP request: the version it is based on (`If-Match`), its
idempotency key, its intent audited before it reaches the case, and its answer as the person's
role may see it. Every step route, and the console's forms, run their step through `Stepper`."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Header, Response

from api.deps import Gateway, IdempotencyKey, ReaderDep, etag
from api.gateway import CaseGateway
from api.metrics import counted
from api.need_to_know import CaseAnswer, Reader
from api.problems import Code, Problem
from workflows.model.requests import Step
from workflows.steps import Declared

ETAG_PATTERN = r'^(?:W/)?"?(\d{1,12})"?$'
ETAG = re.compile(ETAG_PATTERN)


class Stepper:
    """Runs one step for the acting person with the version they saw and their key: its intent
    is audited first, and its answer is what the person's role may see of the result."""

    def __init__(self, gateway: CaseGateway, reader: Reader, response: Response, version: int,
                 idempotency_key: str | None) -> None:
        self._gateway, self._reader, self._response = gateway, reader, response
        self._version, self.key = version, idempotency_key

    async def __call__(self, case_id: str, declared: Declared[Any], body: Step) -> CaseAnswer:
        with counted(declared.name):
            self._gateway.check_id(case_id)
            await self._reader.before_step(case_id, self._gateway.get)
            if declared.other_case is not None:
                await self._reader.other_case(case_id, declared.other_case(body))
            intent = await self._reader.audit.intent(case_id, body.reason)
            async with self._reader.opaque():
                state = await self._gateway.step(case_id, declared, body, self._reader.actor,
                                                 self._version, self.key, self._reader.reason,
                                                 intent)
        self._response.headers["ETag"] = etag(state.version)
        return self._reader.answer(state)


async def get_stepper(
    gateway: Gateway, reader: ReaderDep, response: Response,
    idempotency_key: IdempotencyKey = None,
    if_match: Annotated[str | None, Header(
        alias="If-Match", max_length=40,
        description="The ETag (case version) the step is based on.")] = None,
) -> Stepper:
    if if_match is None:
        raise Problem(Code.PRECONDITION_REQUIRED,
                      "send If-Match with the case's ETag so no one's work is overwritten")
    match = ETAG.match(if_match.strip())
    if match is None:
        raise Problem(Code.INVALID_REQUEST, "If-Match must be the case's ETag, e.g. \"3\"",
                      errors=[{"field": "header.If-Match", "message": "not a case ETag"}])
    return Stepper(gateway, reader, response, int(match.group(1)), idempotency_key)


StepDep = Annotated[Stepper, Depends(get_stepper)]
