"""What routes declare by type: the Temporal client and its gateway, the databases, the case
keys, settings, the acting person and the role table's check, the reader (who sees what of a
case), the request's audit context, and the headers and queries several routes share.

Dependencies are `async def` on purpose: FastAPI runs a plain `def` in a thread pool, a hop
per dependency per request that measurably slowed every step.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from temporalio.client import Client

from api.access import ALLOWED
from api.audit_trail import AuditDep
from api.gateway import CaseGateway
from api.need_to_know import Reader, access_reason
from api.problems import Code, Problem
from infra.settings import Settings
from store.keys import CaseKeys
from store.queries import TOKEN_CHARS
from workflows.model.requests import Actor
from workflows.model.vocabulary import Refusal


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_temporal(request: Request) -> Client:
    return request.app.state.temporal


async def get_engine(request: Request) -> Engine:
    return request.app.state.engine


async def get_audit_engine(request: Request) -> Engine:
    return request.app.state.audit_engine


async def get_keys(request: Request) -> CaseKeys:
    return request.app.state.keys


SettingsDep = Annotated[Settings, Depends(get_settings)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
EngineDep = Annotated[Engine, Depends(get_engine)]
AuditEngineDep = Annotated[Engine, Depends(get_audit_engine)]
KeysDep = Annotated[CaseKeys, Depends(get_keys)]


async def get_gateway(client: TemporalDep, settings: SettingsDep, engine: EngineDep,
                      keys: KeysDep) -> CaseGateway:
    return CaseGateway(client, settings, engine, keys)


Gateway = Annotated[CaseGateway, Depends(get_gateway)]


# In the OpenAPI contract as a security scheme, so /docs offers "Authorize".
BEARER = HTTPBearer(auto_error=False, bearerFormat="JWT",
                    description="A JWT from the identity provider (locally: `casework token`).")


async def current_actor(
    request: Request, audit: AuditDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Actor:
    """The person making the request, from their bearer token (and so in its audit entries),
    within their rate limit (else 429)."""
    if credentials is None or not credentials.credentials.strip():
        raise Problem(Code.UNAUTHENTICATED, "send Authorization: Bearer <token>",
                      headers={"WWW-Authenticate": "Bearer"})
    audit.actor = await request.app.state.verifier.actor(credentials.credentials.strip())
    await request.app.state.floods.person(audit.actor.user_id)
    return audit.actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


async def permitted(request: Request, actor: CurrentActor) -> Actor:
    """The role table's word on this route (`api.access`): every router asks it."""
    allowed = ALLOWED.get(request.scope["route"].name, frozenset())
    if actor.role not in allowed:
        raise Problem(Refusal.FORBIDDEN, f"role '{actor.role}' may not do this",
                      allowed_roles=sorted(str(r) for r in allowed))
    return actor


Permitted = Annotated[Actor, Depends(permitted)]
AccessReason = Annotated[str | None, Depends(access_reason)]


async def get_reader(audit: AuditDep, actor: Permitted, reason: AccessReason,
                     engine: EngineDep) -> Reader:
    return Reader(audit, actor, reason, engine)


ReaderDep = Annotated[Reader, Depends(get_reader)]
PageToken = Annotated[str | None, Query(max_length=TOKEN_CHARS)]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=200,
           description="Makes a retried POST have one effect."),
]


async def known_query(request: Request) -> None:
    """A query parameter the operation does not take is refused, not ignored: a misspelt filter
    (`?ofice=oulu`) would otherwise answer with the whole unfiltered list."""
    route = request.scope["route"]
    names = _QUERY_NAMES.get(route.unique_id)
    if names is None:
        names = _QUERY_NAMES[route.unique_id] = frozenset(_query_names(route.dependant))
    unknown = set(request.query_params) - names
    if unknown:
        errors = [{"field": f"query.{n}" if PLAIN_NAME.match(n) else "query",
                   "message": "not a parameter of this operation", "type": "unknown_parameter"}
                  for n in sorted(unknown)]
        raise Problem(Code.INVALID_REQUEST, f"{len(unknown)} unknown query parameter(s)",
                      errors=errors)


_QUERY_NAMES: dict[str, frozenset[str]] = {}


def _query_names(dependant: Dependant) -> Iterator[str]:
    yield from (field.alias for field in dependant.query_params)
    for sub in dependant.dependencies:
        yield from _query_names(sub)


# A name repeated in an error only if it cannot be anything but a name.
PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,39}$")


def etag(version: int) -> str:
    """A case's version as its ETag (and as the If-Match of the next step)."""
    return f'"{version}"'
