"""For auditors: a case's complete timeline (JSON, CSV, SVG), who has read the case, and the
audit chain's verification. Each of these reads is itself audited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.access import Permitted
from api.audit_trail import AuditedRoute
from api.cases import Gateway
from api.deps import AuditEngineDep, EngineDep, KeysDep, TemporalDep
from api.problems import Problem
from api.timeline_picture import render
from store import audit, history, timeline
from store.timeline import TimelineEntry

router = APIRouter(prefix="/v1", tags=["audit"], route_class=AuditedRoute)

Format = Annotated[Literal["json", "csv"], Query(alias="format")]


class Verification(BaseModel):
    intact: bool
    entries: int
    head_seq: int
    first_bad_seq: int | None
    problem: str | None


async def case_timeline(case_id: str, gateway: Gateway, client: TemporalDep,
                        engine: EngineDep, audit_engine: AuditEngineDep,
                        keys: KeysDep) -> list[TimelineEntry]:
    gateway.check_id(case_id)
    runs = await history.case_runs(client, engine, case_id)
    audited = await run_in_threadpool(audit.entries_for, audit_engine, case_id)
    if not runs and not audited:
        raise Problem("CaseNotFound", "no case with this id")
    return timeline.merged(await timeline.engine_entries(runs, client.data_converter),
                           timeline.audit_entries(audited, keys))


Timeline = Annotated[list[TimelineEntry], Depends(case_timeline)]


@router.get("/cases/{case_id}/timeline", response_model=list[TimelineEntry],
            summary="The case's complete timeline: engine history and audit log, in order")
async def get_timeline(case_id: str, actor: Permitted, entries: Timeline,
                       fmt: Format = "json") -> list[TimelineEntry] | Response:
    if fmt == "csv":
        return csv_response(timeline.to_csv(entries), f"{case_id}-timeline.csv")
    return entries


@router.get("/cases/{case_id}/timeline.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}},
            summary="The case's life as a picture: phases, deadlines, notifications, "
                    "criminal process")
async def get_timeline_picture(case_id: str, actor: Permitted, gateway: Gateway) -> Response:
    state = await gateway.get(case_id)
    return Response(render(state, datetime.now(UTC)), media_type="image/svg+xml")


@router.get("/cases/{case_id}/access-log", response_model=list[TimelineEntry],
            summary="Who has read this case's data, when, in which role (for data-subject "
                    "access requests)")
async def get_access_log(case_id: str, actor: Permitted, gateway: Gateway,
                         audit_engine: AuditEngineDep, keys: KeysDep,
                         fmt: Format = "json") -> list[TimelineEntry] | Response:
    gateway.check_id(case_id)
    reads = timeline.audit_entries(
        await run_in_threadpool(audit.entries_for, audit_engine, case_id, kind="read"), keys)
    if fmt == "csv":
        return csv_response(timeline.to_csv(reads), f"{case_id}-access-log.csv")
    return reads


@router.get("/audit/verify", response_model=Verification,
            summary="Walk the audit chain; name the first entry that does not match")
async def verify_audit_log(actor: Permitted, audit_engine: AuditEngineDep) -> Verification:
    verdict = await run_in_threadpool(audit.verify, audit_engine)
    return Verification(intact=verdict.intact, entries=verdict.entries,
                        head_seq=verdict.head_seq, first_bad_seq=verdict.first_bad_seq,
                        problem=verdict.problem)


def csv_response(text: str, filename: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
