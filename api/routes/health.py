"""`/healthz` and `/readyz`: for load balancers and orchestrators; neither needs a token nor is
audited (they read no case)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import Engine, text

from api import budget
from api.deps import AuditEngineDep, EngineDep, TemporalDep
from api.gateway import translate_errors
from api.reads import read

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The API process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Temporal, the read model and the audit log are reachable")
async def readyz(temporal: TemporalDep, engine: EngineDep,
                 audit_engine: AuditEngineDep) -> dict[str, str]:
    async with translate_errors():
        await budget.within(temporal.service_client.check_health(timeout=budget.rpc_timeout()))
    for database in dict.fromkeys((engine, audit_engine)):
        await read(_ping, database)
    return {"status": "ok"}


def _ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
