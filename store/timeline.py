"""A case's timeline for auditors: the engine's history, decoded, merged in time order with the
audit log's commands and reads. Each entry says who did what, when, why, and how it ended."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent as Event
from temporalio.converter import DataConverter

from infra.proof import OPENING
from infra.temporal import failure_message
from store.audit import reason_of
from store.keys import CaseKeys
from store.step_audit import CARRIED, step_of
from store.tables import AuditEntry
from store.views import Page
from workflows.model.vocabulary import Action

# Plumbing, not case events: projections into the read model.
QUIET_ACTIVITIES = {"project_case"}


class TimelineEntry(BaseModel):
    at: datetime
    source: Literal["engine", "audit"]
    kind: str  # engine: step, activity, timer, run; audit: command, read
    action: str
    actor_id: str | None = None
    role: str | None = None
    agency: str | None = None
    reason: str | None = None
    outcome: str | None = None
    detail: str | None = None
    run: int | None = None  # which run of the workflow (1, 2, … across continue-as-new)
    event_id: int | None = None
    audit_seq: int | None = None


class TimelineList(Page[TimelineEntry]):
    """A case's timeline (or its access log), whole (one page)."""


async def engine_entries(runs: list[list[Event]], converter: DataConverter) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for number, events in enumerate(runs, start=1):
        scheduled: dict[int, tuple[str, str]] = {}  # event id -> (activity type, activity id)
        for event in events:
            entry = await _entry(event, converter, scheduled)
            if entry is not None:
                entries.append(entry.model_copy(update={"run": number, "event_id": event.event_id}))
    return entries


async def _entry(event: Event, converter: DataConverter,
                 scheduled: dict[int, tuple[str, str]]) -> TimelineEntry | None:
    at = event.event_time.ToDatetime(tzinfo=UTC)
    kind = event.event_type
    step = await step_of(event, converter)
    if step is CARRIED:
        return TimelineEntry(at=at, source="engine", kind="run", action="run continued",
                             detail="state carried over from the previous run")
    if step is not None:
        name, meta, body = step
        return _step(at, Action.REFERRED.value if name == OPENING else name, meta, body)
    if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        attrs = event.activity_task_scheduled_event_attributes
        scheduled[event.event_id] = (attrs.activity_type.name, attrs.activity_id)
        if attrs.activity_type.name in QUIET_ACTIVITIES:
            return None
        return TimelineEntry(at=at, source="engine", kind="activity",
                             action=attrs.activity_type.name, outcome="scheduled",
                             detail=attrs.activity_id)
    ended = await _activity_end(event, converter)
    if ended is not None:
        scheduled_id, outcome, detail = ended
        activity, activity_id = scheduled.get(scheduled_id, ("activity", ""))
        if activity in QUIET_ACTIVITIES:
            return None
        return TimelineEntry(at=at, source="engine", kind="activity", action=activity,
                             outcome=outcome, detail=" ".join(filter(None, [activity_id, detail])))
    if kind == EventType.EVENT_TYPE_TIMER_FIRED:
        return TimelineEntry(at=at, source="engine", kind="timer", action="timer fired",
                             detail=event.timer_fired_event_attributes.timer_id)
    if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        attrs = event.workflow_execution_signaled_event_attributes
        return TimelineEntry(at=at, source="engine", kind="signal", action=attrs.signal_name,
                             actor_id=attrs.identity or None)
    closing = {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: "case workflow closed",
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: "continued as new",
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: "case workflow failed",
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: "case workflow timed out",
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: "case workflow cancelled",
    }
    if kind in closing:
        return TimelineEntry(at=at, source="engine", kind="run", action=closing[kind])
    if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
        attrs = event.workflow_execution_terminated_event_attributes
        return TimelineEntry(at=at, source="engine", kind="run", action="terminated",
                             actor_id=attrs.identity or None, reason=attrs.reason or None)
    return None  # workflow tasks, search attribute upserts, markers: the engine's own work


async def _activity_end(event: Event, converter: DataConverter
                        ) -> tuple[int, str, str | None] | None:
    kind = event.event_type
    if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        return event.activity_task_completed_event_attributes.scheduled_event_id, "completed", None
    if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
        attrs = event.activity_task_failed_event_attributes
        return (attrs.scheduled_event_id, "failed",
                await failure_message(converter, attrs.failure) or None)
    if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
        return event.activity_task_timed_out_event_attributes.scheduled_event_id, "timed out", None
    return None


def _step(at: datetime, action: str, meta: dict[str, Any], body: dict[str, Any]) -> TimelineEntry:
    actor = (meta or {}).get("actor") or {}
    return TimelineEntry(at=at, source="engine", kind="step", action=action,
                         actor_id=actor.get("user_id"), role=actor.get("role"),
                         agency=actor.get("agency"), reason=(body or {}).get("reason"))


def audit_entries(rows: list[AuditEntry], keys: CaseKeys) -> list[TimelineEntry]:
    return [TimelineEntry(at=r.at, source="audit", kind=r.kind, action=r.action,
                          actor_id=r.actor_id, role=r.role, agency=r.agency,
                          reason=reason_of(keys, r),
                          outcome=r.outcome, detail=r.request_id, audit_seq=r.seq)
            for r in rows]


def merged(*parts: list[TimelineEntry]) -> list[TimelineEntry]:
    return sorted((e for part in parts for e in part), key=lambda e: e.at)


def to_csv(entries: list[TimelineEntry]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(TimelineEntry.model_fields))
    writer.writeheader()
    for entry in entries:
        writer.writerow({k: _cell(v) for k, v in entry.model_dump(mode="json").items()})
    return out.getvalue()


def _cell(value: Any) -> Any:
    """A text a spreadsheet would run as a formula is quoted: reasons are free text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
