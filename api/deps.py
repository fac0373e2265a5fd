"""What routes declare by type: the Temporal client, the databases, the case keys, settings,
the acting person.

Dependencies are `async def` on purpose: FastAPI runs a plain `def` in a thread pool, a hop
per dependency per request that measurably slowed every step.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from temporalio.client import Client

from api.problems import Code, Problem
from infra.settings import Settings
from store.keys import CaseKeys
from workflows.steps import Actor


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


# In the OpenAPI contract as a security scheme, so /docs offers "Authorize".
BEARER = HTTPBearer(auto_error=False, bearerFormat="JWT",
                    description="A JWT from the identity provider (locally: `casework token`).")


async def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Actor:
    """The person making the request, from their bearer token."""
    if credentials is None or not credentials.credentials.strip():
        raise Problem(Code.UNAUTHENTICATED, "send Authorization: Bearer <token>",
                      headers={"WWW-Authenticate": "Bearer"})
    actor = await request.app.state.verifier.actor(credentials.credentials.strip())
    request.state.actor = actor  # for the audit log
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
