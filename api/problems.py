"""Errors as RFC 9457 problem details: a status, a stable machine-readable `code`, a plain
message. Nothing here carries personal data, and no stack trace ever reaches a client."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.exceptions import ApplicationError

from infra.codec import KeyShredded, KeyUnavailable
from workflows.model.vocabulary import Refusal

log = structlog.get_logger(__name__)

MEDIA_TYPE = "application/problem+json"


class Code(StrEnum):
    """The API's own problem codes, beside the refusals of a step's rules (`Refusal`)."""

    CASE_NOT_FOUND = "CaseNotFound"
    CASE_SHREDDED = "CaseShredded"
    INVALID_REQUEST = "InvalidRequest"
    PRECONDITION_REQUIRED = "PreconditionRequired"
    UNAUTHENTICATED = "Unauthenticated"
    TEMPORAL_UNAVAILABLE = "TemporalUnavailable"
    AUDIT_UNAVAILABLE = "AuditUnavailable"
    STORE_UNAVAILABLE = "StoreUnavailable"
    NOT_FOUND = "NotFound"
    METHOD_NOT_ALLOWED = "MethodNotAllowed"
    PAYLOAD_TOO_LARGE = "PayloadTooLarge"
    UNSUPPORTED_MEDIA_TYPE = "UnsupportedMediaType"
    HEADER_TOO_LARGE = "HeaderTooLarge"
    TOO_MANY_REQUESTS = "TooManyRequests"
    UNKNOWN_HOST = "UnknownHost"
    KEY_UNAVAILABLE = "KeyUnavailable"
    IDENTITY_UNAVAILABLE = "IdentityProviderUnavailable"
    INTERNAL_ERROR = "InternalError"


# Every code the API answers with: its status and title.
CODES: dict[Refusal | Code, tuple[int, str]] = {
    Refusal.INVALID_TRANSITION: (409, "Step not allowed in the case's current state"),
    Refusal.STALE_VERSION: (409, "The case changed since you read it"),
    Refusal.KEY_REUSED: (422, "Idempotency-Key reused for a different request"),
    Refusal.CONSENT_MISSING: (422, "Consent missing"),
    Refusal.INVALID_STEP: (422, "Invalid step"),
    Refusal.UNKNOWN_MEASURE: (404, "No such measure"),
    Refusal.UNKNOWN_DEADLINE: (404, "No such deadline"),
    Refusal.UNKNOWN_NOTIFICATION: (404, "No such notification"),
    Refusal.UNKNOWN_ITEM: (404, "No such plan, contact or network member"),
    Refusal.RULE_REFUSED: (422, "The deadline rule does not allow this"),
    Refusal.CASE_CLOSED: (409, "The case is closed"),
    Refusal.CASE_LIMIT: (409, "The case cannot hold more open work"),
    Refusal.OUTSIDE_OFFICE: (403, "The case belongs to another office"),
    Refusal.FORBIDDEN: (403, "Not allowed"),
    Code.CASE_NOT_FOUND: (404, "No such case"),
    Code.CASE_SHREDDED: (410, "The case's data has been erased"),
    Code.INVALID_REQUEST: (422, "Invalid request"),
    Code.PRECONDITION_REQUIRED: (428, "If-Match required"),
    Code.UNAUTHENTICATED: (401, "Authentication required"),
    Code.TEMPORAL_UNAVAILABLE: (503, "The workflow service is unavailable"),
    Code.AUDIT_UNAVAILABLE: (503, "The audit log is unavailable"),
    Code.STORE_UNAVAILABLE: (503, "The database is unavailable"),
    Code.NOT_FOUND: (404, "Not found"),
    Code.METHOD_NOT_ALLOWED: (405, "Method not allowed"),
    Code.PAYLOAD_TOO_LARGE: (413, "Request body too large"),
    Code.UNSUPPORTED_MEDIA_TYPE: (415, "Not a kind of document a case keeps"),
    Code.HEADER_TOO_LARGE: (431, "Request headers too large"),
    Code.TOO_MANY_REQUESTS: (429, "Too many requests"),
    Code.UNKNOWN_HOST: (400, "Unknown host"),
    Code.KEY_UNAVAILABLE: (500, "The case's key cannot be opened"),
    Code.IDENTITY_UNAVAILABLE: (503, "The identity provider is unavailable"),
    Code.INTERNAL_ERROR: (500, "Internal error"),
}
RETRY_AFTER = {"Retry-After": "5"}


class FieldError(BaseModel):
    field: str = Field(description="Where: `body.person.surname`, `query.page_size`, "
                       "`header.If-Match`; `body` for a body that is not JSON at all.")
    message: str
    type: str | None = Field(default=None, description="The rule it broke, e.g. `string_too_long`.")


class ProblemDetails(BaseModel):
    """Every error the API answers: RFC 9457 problem details (`application/problem+json`) with a
    stable `code`. Some codes carry more members (e.g. `current_version` with `StaleVersion`,
    `allowed_roles` with `Forbidden`); input is never echoed back."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "type": "urn:casework:problem:StaleVersion", "title": CODES[Refusal.STALE_VERSION][1],
        "status": 409, "detail": "the case is at version 4, not 3", "instance":
        "/v1/cases/case-01hx2v9k3m4n5p6q7r8s/admission", "code": "StaleVersion",
        "current_version": 4}]})

    type: str = Field(description="`urn:casework:problem:<code>`.")
    title: str
    status: int
    detail: str = Field(description="What went wrong and what to do, in plain words.")
    instance: str = Field(description="The request's path.")
    code: str = Field(json_schema_extra={"enum": sorted(c.value for c in CODES)})
    errors: list[FieldError] | None = Field(
        default=None, description="With `InvalidRequest`: each field that is not valid.")


class Problem(Exception):
    def __init__(self, code: Refusal | Code, detail: str, *,
                 headers: dict[str, str] | None = None,
                 **extensions: Any) -> None:
        super().__init__(detail)
        self.code, self.detail, self.headers, self.extensions = code, detail, headers, extensions


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    status, title = CODES[problem.code]
    # Extensions first: they never override a standard member.
    body = {**problem.extensions, "type": f"urn:casework:problem:{problem.code}", "title": title,
            "status": status, "detail": problem.detail, "instance": request.url.path,
            "code": problem.code}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=problem.headers)


def from_application_error(err: ApplicationError) -> Problem:
    """A step the case's rules refused, raised here or carried back from the workflow."""
    code = Refusal(err.type) if err.type in set(Refusal) else Refusal.INVALID_STEP
    details = err.details[0] if err.details and isinstance(err.details[0], dict) else {}
    return Problem(code, err.message, **details)


def known(err: Exception) -> Problem | None:
    """The problem an error of ours (or of a dependency we know) stands for; None if unknown."""
    if isinstance(err, Problem):
        return err
    if isinstance(err, ApplicationError):
        return from_application_error(err)
    if isinstance(err, RequestValidationError):
        errors = [_field_error(e) for e in err.errors()]
        # Name the field and the rule, never echo the input: it may be personal data.
        fields = ", ".join(e["field"] for e in errors)
        return Problem(Code.INVALID_REQUEST, f"invalid fields: {fields}", errors=errors)
    if isinstance(err, HTTPException):
        code = {404: Code.NOT_FOUND, 405: Code.METHOD_NOT_ALLOWED,
                413: Code.PAYLOAD_TOO_LARGE}.get(err.status_code, Code.INVALID_REQUEST)
        return Problem(code, str(err.detail))
    if isinstance(err, SQLAlchemyError):
        # The database down or locked: the driver's message (with its SQL) stays here.
        log.warning("database unavailable", error=type(err).__name__)
        return store_unavailable()
    if isinstance(err, KeyShredded):
        return Problem(Code.CASE_SHREDDED, "the case's data key was destroyed at the end of its "
                       "retention: its data can no longer be read by anyone")
    if isinstance(err, KeyUnavailable):
        log.error("case key cannot be opened", master_key_id=err.master_key_id)
        return Problem(Code.KEY_UNAVAILABLE, f"the case's data key is wrapped by master key "
                       f"'{err.master_key_id}', which the service does not hold: an operator "
                       "must restore it; retrying will not help")
    return None


def _field_error(error: dict[str, Any]) -> dict[str, Any]:
    if error["type"] == "json_invalid":  # its location is ("body", <character offset>)
        where = error["loc"][-1]
        return {"field": "body", "type": "json_invalid", "message": f"not valid JSON at "
                f"character {where}: {error.get('ctx', {}).get('error', 'malformed')}"}
    return {"field": ".".join(str(p) for p in error["loc"]), "message": error["msg"],
            "type": error["type"]}


def install(app: FastAPI) -> None:
    async def answer(request: Request, exc: Exception) -> JSONResponse:
        problem = known(exc)
        assert problem is not None  # registered below for known errors only
        return problem_response(request, problem)

    for error in (Problem, ApplicationError, RequestValidationError, HTTPException,
                  SQLAlchemyError, KeyShredded, KeyUnavailable):
        app.add_exception_handler(error, answer)


def store_unavailable() -> Problem:
    return Problem(Code.STORE_UNAVAILABLE, "the database cannot be reached just now; retry with "
                   "the same Idempotency-Key", headers=RETRY_AFTER)


class CatchAll:
    """The last word on an error nothing else answered: a 500 problem, logged, and the
    connection kept (Starlette's own handler re-raises, and the server then drops it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            log.exception("unhandled error", path=scope["path"])
            if started:
                raise
            response = problem_response(Request(scope), Problem(
                Code.INTERNAL_ERROR, "an unexpected error occurred"))
            await response(scope, receive, send)
