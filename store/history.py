"""Copies of the cases' Temporal histories, so a timeline never depends on the namespace's
retention: each closed run (completed, or continued as new) is copied whole, event by event,
with its payloads as the engine stored them (encoded: whatever the codec encrypted stays so)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from google.protobuf import json_format
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from temporalio.api.history.v1 import HistoryEvent as Event
from temporalio.client import Client, WorkflowExecution
from temporalio.service import RPCError, RPCStatusCode

from infra.database import writer
from store.tables import ArchivedRun, HistoryEvent

# Visibility shows a closed run a moment after it closes: look back this far past the newest
# run already copied, so none slips through.
LOOK_BACK = timedelta(minutes=10)


async def archive_closed_runs(client: Client, engine: Engine) -> list[datetime]:
    """Copy every closed case run not copied yet; return when each copied one closed.
    Idempotent."""
    newest = await asyncio.to_thread(_newest, engine)
    query = "WorkflowType = 'CaseWorkflow' AND ExecutionStatus != 'Running'"
    if newest is not None:
        since = (newest - LOOK_BACK).astimezone(UTC).isoformat().replace("+00:00", "Z")
        query += f" AND CloseTime > '{since}'"
    copied: list[datetime] = []
    async for run in client.list_workflows(query):
        if run.close_time is None or await asyncio.to_thread(_archived, engine, run.run_id):
            continue
        try:
            history = await client.get_workflow_handle(run.id, run_id=run.run_id).fetch_history()
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                continue  # already past retention: nothing left to copy
            raise
        await asyncio.to_thread(store_run, engine, run, list(history.events))
        copied.append(run.close_time)
    return copied


def _newest(engine: Engine) -> datetime | None:
    with Session(engine) as session:
        return session.execute(select(func.max(ArchivedRun.closed_at))).scalar_one_or_none()


def _archived(engine: Engine, run_id: str) -> bool:
    with Session(engine) as session:
        return session.get(ArchivedRun, run_id) is not None


def store_run(engine: Engine, run: WorkflowExecution, events: list[Event]) -> None:
    """The run's events and its record, in one transaction; a copy that another archiver
    committed first (a unique key conflict) is left as it is."""
    with Session(writer(engine)) as session:
        if session.get(ArchivedRun, run.run_id) is not None:
            return  # already copied
        session.add_all(HistoryEvent(case_id=run.id, run_id=run.run_id, event_id=e.event_id,
                                     at=e.event_time.ToDatetime(tzinfo=UTC),
                                     event=json_format.MessageToDict(e)) for e in events)
        session.add(ArchivedRun(run_id=run.run_id, case_id=run.id, started_at=run.start_time,
                                closed_at=run.close_time or datetime.now(UTC),
                                status=run.status.name if run.status else "UNKNOWN",
                                events=len(events)))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            if session.get(ArchivedRun, run.run_id) is None:
                raise  # not the other archiver's copy: something else is wrong


async def case_runs(client: Client, engine: Engine, case_id: str) -> list[list[Event]]:
    """Every run of a case, oldest first, each as its events: copied runs from the database,
    the others (the open run, and any closed too recently to be copied) from Temporal."""
    runs = await asyncio.to_thread(archived_runs, engine, case_id)
    async for run in client.list_workflows(f"WorkflowId = '{case_id}'"):
        if run.run_id in runs:
            continue
        try:
            history = await client.get_workflow_handle(case_id, run_id=run.run_id).fetch_history()
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                continue
            raise
        runs[run.run_id] = (run.start_time, list(history.events))
    return [events for _, events in sorted(runs.values(), key=lambda r: r[0])]


def archived_runs(engine: Engine, case_id: str) -> dict[str, tuple[datetime, list[Event]]]:
    with Session(engine) as session:
        archived = session.execute(select(ArchivedRun).where(ArchivedRun.case_id == case_id)
                                   ).scalars().all()
        return {r.run_id: (r.started_at, _events(session, case_id, r.run_id)) for r in archived}


def _events(session: Session, case_id: str, run_id: str) -> list[Event]:
    rows = session.execute(select(HistoryEvent.event).where(
        HistoryEvent.case_id == case_id, HistoryEvent.run_id == run_id
    ).order_by(HistoryEvent.event_id)).scalars().all()
    return [json_format.ParseDict(row, Event()) for row in rows]
