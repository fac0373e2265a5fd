"""For auditors: a case's complete timeline (JSON, CSV, SVG), who has read the case, the
accesses that broke the glass, and the audit chain's verification. Each of these reads is
itself audited. An office lead sees the timelines of the office's cases and the accesses that
broke the glass to them, but not who else read them: that is the access log's, for auditors
(`api.need_to_know` decides what a timeline shows its reader)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client

from api import budget
from api.audit_trail import AuditedRoute
from api.deps import (
    AuditEngineDep,
    EngineDep,
    Gateway,
    KeysDep,
    PageToken,
    Permitted,
    ReaderDep,
    TemporalDep,
    permitted,
)
from api.gateway import translate_errors
from api.need_to_know import Reader, break_glass_office
from api.problems import Code, Problem, store_unavailable
from api.reads import read
from api.timeline_picture import render
from store import audit, history, queries, timeline
from store.keys import CaseKeys
from store.timeline import TimelineEntry, TimelineList
from store.views import Page
from workflows.model.vocabulary import Office, Role

router = APIRouter(prefix="/v1", tags=["audit"], route_class=AuditedRoute,
                   dependencies=[Depends(permitted)])

Format = Annotated[Literal["json", "csv"], Query(alias="format")]
# JSON by default, CSV with ?format=csv.
OR_CSV: dict[int | str, dict] = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}


class BreakGlass(BaseModel):
    """Staff reaching a case outside their office and assignment, and why they said they did."""

    at: datetime
    actor_id: str
    role: str | None
    case_id: str | None
    office: str | None = Field(description="The case's office (as last projected).")
    action: str = Field(description="What they did or read there (the route).")
    reason: str | None = Field(description="The reason they gave; [shredded] with the case.")
    request_id: str | None
    audit_seq: int


class BreakGlassPage(Page[BreakGlass]):
    """Accesses that broke the glass, newest first."""


class Verification(BaseModel):
    intact: bool
    entries: int = Field(description="Entries this check walked.")
    head_seq: int
    first_bad_seq: int | None
    problem: str | None
    checked_from: int = Field(description="The first entry walked: 1 for a full walk, else the "
                              "one after the checkpoint the last intact walk left.")
    last_full_walk: datetime | None = Field(
        description="When the whole chain was last walked intact: a check from the checkpoint "
        "does not see an entry altered before it, so walk the whole chain now and then.")


async def case_timeline(case_id: str, reader: ReaderDep, gateway: Gateway,
                        client: TemporalDep, engine: EngineDep, audit_engine: AuditEngineDep,
                        keys: KeysDep) -> list[TimelineEntry]:
    gateway.check_id(case_id)
    if reader.actor.role is not Role.AUDITOR:  # an office lead: the office's cases
        await reader.whole(await gateway.get(case_id))
    return await timeline_of(case_id, reader, client, engine, audit_engine, keys)


async def timeline_of(case_id: str, reader: Reader, client: Client, engine: Engine,
                      audit_engine: Engine, keys: CaseKeys) -> list[TimelineEntry]:
    """The engine's history of every run and the audit log, merged, as the reader may see them
    (`Reader.trail`); 404 if neither knows the case."""
    async with translate_errors():
        runs = await budget.within(history.case_runs(client, engine, case_id))
    audited = await read(audit.entries_for, audit_engine, case_id)
    if not runs and not audited:
        raise Problem(Code.CASE_NOT_FOUND, "no case with this id")
    return timeline.merged(await timeline.engine_entries(runs, client.data_converter),
                           timeline.audit_entries(reader.trail(audited), keys))


Timeline = Annotated[list[TimelineEntry], Depends(case_timeline)]


@router.get("/cases/{case_id}/timeline", response_model=TimelineList, responses=OR_CSV,
            summary="The case's complete timeline: engine history and audit log, in order")
async def get_timeline(case_id: str, entries: Timeline,
                       fmt: Format = "json") -> TimelineList | Response:
    if fmt == "csv":
        return csv_response(timeline.to_csv(entries), f"{case_id}-timeline.csv")
    return TimelineList(items=entries)


@router.get("/cases/{case_id}/timeline.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}}},
            summary="The case's life as a picture: phases, deadlines, notifications, "
                    "criminal process")
async def get_timeline_picture(case_id: str, reader: ReaderDep, gateway: Gateway,
                               engine: EngineDep, keys: KeysDep) -> Response:
    state = await reader.whole(await gateway.get(case_id))
    whole = await read(queries.whole_case, engine, keys, state)  # its settled records too
    return Response(render(whole, datetime.now(UTC)), media_type="image/svg+xml")


@router.get("/cases/{case_id}/access-log", response_model=TimelineList, responses=OR_CSV,
            summary="Who has read this case's data, when, in which role (for data-subject "
                    "access requests)")
async def get_access_log(case_id: str, gateway: Gateway,
                         audit_engine: AuditEngineDep, keys: KeysDep,
                         fmt: Format = "json") -> TimelineList | Response:
    gateway.check_id(case_id)
    reads = timeline.audit_entries(await read(
        audit.entries_for, audit_engine, case_id, kinds=("read", "access")), keys)
    if fmt == "csv":
        return csv_response(timeline.to_csv(reads), f"{case_id}-access-log.csv")
    return TimelineList(items=reads)


@router.get("/audit/break-glass", response_model=BreakGlassPage,
            summary="Staff who reached cases outside their office and assignment, with the "
                    "reason they gave: all of them for auditors, the office's for its lead")
async def list_break_glass(actor: Permitted, audit_engine: AuditEngineDep, keys: KeysDep,
                           office: Office | None = None,
                           page_size: Annotated[int, Query(ge=1, le=500)] = 100,
                           page_token: PageToken = None) -> BreakGlassPage:
    entries, token = await read(audit.break_glass, audit_engine,
                                office=break_glass_office(actor, office),
                                page_size=page_size, page_token=page_token)
    return BreakGlassPage(items=[BreakGlass(
        at=e.at, actor_id=e.actor_id, role=e.role, case_id=e.case_id, office=e.office,
        action=e.action, reason=audit.reason_of(keys, e), request_id=e.request_id,
        audit_seq=e.seq) for e in entries], next_page_token=token)


@router.get("/audit/verify", response_model=Verification,
            summary="Walk the audit chain; name the first entry that does not match, or the "
                    "anchor of its head that it no longer matches")
async def verify_audit_log(audit_engine: AuditEngineDep, engine: EngineDep,
                           full: Annotated[bool, Query(description="Walk the whole chain (the "
                                                       "default), or with false only what came "
                                                       "since the last intact walk.")] = True,
                           ) -> Verification:
    try:  # the chain (or what came since the checkpoint): the request's whole budget
        verdict = await budget.within(run_in_threadpool(audit.verify, audit_engine, engine,
                                                        full=full))
    except TimeoutError:
        raise store_unavailable() from None
    return Verification(intact=verdict.intact, entries=verdict.entries,
                        head_seq=verdict.head_seq, first_bad_seq=verdict.first_bad_seq,
                        problem=verdict.problem, checked_from=verdict.checked_from,
                        last_full_walk=verdict.last_full_walk)


def csv_response(text: str, filename: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
