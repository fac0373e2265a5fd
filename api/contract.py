"""The API's contract as OpenAPI: what FastAPI derives from the routes' signatures, and what it
cannot see — the problems each operation can answer (RFC 9457, with their codes), the headers
it reads and sends, `If-Match` required where a step needs it, an example for every body.

`openapi.json` at the top of the repository is this document, committed: `casework openapi`
writes it, and tests/api/test_contract.py fails when it and the code disagree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from api.deps import current_actor, get_reader
from api.examples import EXAMPLES
from api.floods import HEALTH
from api.gateway import CASE_ID
from api.problems import CODES, MEDIA_TYPE, Code, ProblemDetails
from api.stepper import ETAG_PATTERN, get_stepper
from workflows.model.vocabulary import Refusal
from workflows.steps import STEPS, Offered

HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {"description": "The request's id in the logs: the client's own "
                     "`X-Request-ID` if it is a plain token of at most 64 characters, else a "
                     "new one.", "schema": {"type": "string", "maxLength": 64}},
    "ETag": {"description": "The case's version; send it back as `If-Match` with the next "
             "step.", "schema": {"type": "string", "pattern": ETAG_PATTERN}},
    "Location": {"description": "The new case.", "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait before retrying (with the same "
                    "`Idempotency-Key`).", "schema": {"type": "integer"}},
    "WWW-Authenticate": {"description": "`Bearer`.", "schema": {"type": "string"}},
}

# Where each problem can arise: on every operation, with a token, on a case, on a step.
ANYWHERE = (Code.INVALID_REQUEST, Code.PAYLOAD_TOO_LARGE, Code.HEADER_TOO_LARGE,
            Code.TOO_MANY_REQUESTS, Code.UNKNOWN_HOST, Code.INTERNAL_ERROR,
            Code.TEMPORAL_UNAVAILABLE, Code.STORE_UNAVAILABLE, Code.AUDIT_UNAVAILABLE)
WITH_TOKEN = (Code.UNAUTHENTICATED, Refusal.FORBIDDEN)
ON_A_CASE = (Code.CASE_NOT_FOUND, Code.CASE_SHREDDED, Refusal.OUTSIDE_OFFICE,
             Code.KEY_UNAVAILABLE)
ON_A_STEP = (Code.PRECONDITION_REQUIRED, Refusal.INVALID_TRANSITION, Refusal.STALE_VERSION,
             Refusal.CASE_CLOSED, Refusal.CASE_LIMIT, Refusal.INVALID_STEP,
             Refusal.CONSENT_MISSING, Refusal.KEY_REUSED, Refusal.RULE_REFUSED,
             Refusal.UNKNOWN_MEASURE, Refusal.UNKNOWN_DEADLINE, Refusal.UNKNOWN_NOTIFICATION)
OPENING = (Refusal.INVALID_STEP, Refusal.CONSENT_MISSING, Refusal.KEY_REUSED)
# A step that sends a file: a file that is no document a case keeps.
UPLOADS = {s.name for s in STEPS if s.offered is Offered.UPLOAD}
UPLOADING = (Code.UNSUPPORTED_MEDIA_TYPE, Code.PAYLOAD_TOO_LARGE)
# Reads that answer with the case's version as their ETag, beside every step.
ETAG_READS = {"get_case", "get_deadlines", "get_notifications", "get_agency_case"}


def render(app: FastAPI) -> str:
    """The contract as the committed file holds it."""
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


def operation_id(route: APIRoute) -> str:
    """The route's name (a step's is the step's), not FastAPI's name with the path in it."""
    return route.name


def install(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    app.openapi = lambda: app.openapi_schema or _cache(app, document(app, routes))  # type: ignore


def _cache(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    app.openapi_schema = schema
    return schema


def document(app: FastAPI, routes: list[APIRoute]) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, summary=app.summary,
                         description=app.description, routes=app.routes, tags=app.openapi_tags)
    components = schema.setdefault("components", {})
    problem = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    components.setdefault("schemas", {}).update(problem.pop("$defs", {}), ProblemDetails=problem)
    components["headers"] = HEADERS
    for name, example in EXAMPLES.items():
        components["schemas"][name]["examples"] = [example]
    by_id = {route.name: route for route in routes}
    for methods in schema["paths"].values():
        for operation in methods.values():
            _document(by_id[operation["operationId"]], operation, components["schemas"])
    return schema


def _document(route: APIRoute, operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    calls = set(_calls(route.dependant))
    step = get_stepper in calls
    codes = [*ANYWHERE, *(WITH_TOKEN if current_actor in calls else ()),
             *(ON_A_CASE if "case_id" in route.param_convertors else ()),
             *(ON_A_STEP if step else ()), *(OPENING if route.name == "open_case" else ()),
             *(UPLOADING if route.name in UPLOADS else ())]
    if route.path in HEALTH:  # neither rate-limited nor refused for its host
        codes = [c for c in codes if c not in (Code.TOO_MANY_REQUESTS, Code.UNKNOWN_HOST)]
    responses = operation["responses"]
    responses.pop("422", None)  # FastAPI's HTTPValidationError: ours is a problem
    for status, listed in sorted(_by_status(codes).items()):
        responses[str(status)] = _problem(status, listed)
    for status, response in responses.items():
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = {"$ref": "#/components/headers/X-Request-ID"}
        if status.startswith("2") and (step or route.name in ETAG_READS | {"open_case"}):
            headers["ETag"] = {"$ref": "#/components/headers/ETag"}
        if status == "201":
            headers["Location"] = {"$ref": "#/components/headers/Location"}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path" and parameter["name"] == "case_id":
            parameter["schema"] = {"type": "string", "pattern": CASE_ID.pattern,
                                   "description": "A case's id, as `POST /v1/cases` gave it."}
        if parameter["in"] == "header" and parameter["name"] == "If-Match":
            parameter["required"] = True
            parameter["schema"] = {"type": "string", "pattern": ETAG_PATTERN, "maxLength": 40}
    body = operation.get("requestBody")
    if body is not None:
        (content,) = body["content"].values()  # JSON; a form with a file for a document
        ref = content["schema"].get("$ref", "")
        body.setdefault("description", schemas.get(ref.rsplit("/", 1)[-1], {}).get(
            "description", operation["summary"]))
    if get_reader in calls:
        operation.setdefault("description", "Staff outside the case's office and assignment "
                             "send `X-Access-Reason` (break the glass); it is audited.")


def _calls(dependant: Dependant) -> Iterator[object]:
    """Every dependency a route runs, however deep."""
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _by_status(codes: list[Refusal | Code]) -> dict[int, list[Refusal | Code]]:
    grouped: dict[int, list[Refusal | Code]] = {}
    for code in dict.fromkeys(codes):
        grouped.setdefault(CODES[code][0], []).append(code)
    return grouped


def _problem(status: int, codes: list[Refusal | Code]) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": "; ".join(f"`{c}`: {CODES[c][1]}" for c in codes),
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
    }
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"$ref": "#/components/headers/"
                                                            "WWW-Authenticate"}}
    if status in (429, 503):
        response["headers"] = {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}
    return response

