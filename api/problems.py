"""Errors as RFC 9457 problem details: a status, a stable machine-readable `code`, a plain
message. Nothing here carries personal data, and no stack trace ever reaches a client."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from temporalio.exceptions import ApplicationError

from workflows import case_rules as rules

log = structlog.get_logger(__name__)

MEDIA_TYPE = "application/problem+json"

# Every code the API answers with: its status and title.
CODES: dict[str, tuple[int, str]] = {
    rules.INVALID_TRANSITION: (409, "Step not allowed in the case's current state"),
    rules.STALE_VERSION: (409, "The case changed since you read it"),
    rules.KEY_REUSED: (422, "Idempotency-Key reused for a different request"),
    rules.CONSENT_MISSING: (422, "Consent missing"),
    rules.INVALID_STEP: (422, "Invalid step"),
    rules.UNKNOWN_MEASURE: (404, "No such measure"),
    rules.UNKNOWN_DEADLINE: (404, "No such deadline"),
    rules.UNKNOWN_NOTIFICATION: (404, "No such notification"),
    rules.RULE_REFUSED: (422, "The deadline rule does not allow this"),
    rules.CASE_CLOSED: (409, "The case is closed"),
    "CaseNotFound": (404, "No such case"),
    "InvalidRequest": (422, "Invalid request"),
    "PreconditionRequired": (428, "If-Match required"),
    "Unauthenticated": (401, "Authentication required"),
    "Forbidden": (403, "Not allowed for your role"),
    "TemporalUnavailable": (503, "The workflow service is unavailable"),
    "AuditUnavailable": (503, "The audit log is unavailable"),
    "NotFound": (404, "Not found"),
    "MethodNotAllowed": (405, "Method not allowed"),
    "InternalError": (500, "Internal error"),
}


class Problem(Exception):
    def __init__(self, code: str, detail: str, *, headers: dict[str, str] | None = None,
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
    code = err.type if err.type in CODES else rules.INVALID_STEP
    details = err.details[0] if err.details and isinstance(err.details[0], dict) else {}
    return Problem(code, err.message, **details)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(request, exc)

    @app.exception_handler(ApplicationError)
    async def _refused(request: Request, exc: ApplicationError) -> JSONResponse:
        return problem_response(request, from_application_error(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Name the field and the rule, never echo the input: it may be personal data.
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"],
                   "type": e["type"]} for e in exc.errors()]
        fields = ", ".join(e["field"] for e in errors)
        return problem_response(request, Problem("InvalidRequest", f"invalid fields: {fields}",
                                                 errors=errors))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "InvalidRequest")
        return problem_response(request, Problem(code, str(exc.detail)))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", path=request.url.path)
        return problem_response(request, Problem("InternalError", "an unexpected error occurred"))
