"""Every step in a case's history has its audited intent: the check that would find a step that
reached a case some other way than through the API (a leaked key, a bug, a by-hand repair).

Each step the API sends carries, sealed, the request id of the intent it wrote first
(`StepMeta.request_id`); a step in a history whose request id has no intent entry of that case
is named. Steps recorded before steps carried their intent (no seal) cannot be paired and are
counted apart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent as Event
from temporalio.converter import DataConverter

from infra.proof import OPENING, PROOF
from store.tables import AuditEntry

INTENT = "intent"


@dataclass(frozen=True)
class Step:
    run: int
    event_id: int
    name: str
    at: datetime
    request_id: str | None


@dataclass
class StepCheck:
    """A case's steps: those without an intent, and how many predate the pairing."""

    case_id: str
    steps: int = 0
    unpaired: list[Step] = field(default_factory=list)
    before_pairing: int = 0


async def steps_in(runs: list[list[Event]], converter: DataConverter
                   ) -> AsyncIterator[tuple[Step, bool]]:
    """Each step of the runs (the opening, then every accepted update), and whether it carries
    the API's seal."""
    for number, events in enumerate(runs, start=1):
        for event in events:
            found = await step_of(event, converter)
            if found is not None and found is not CARRIED:
                name, meta, _ = found
                yield (Step(run=number, event_id=event.event_id, name=name,
                            at=event.event_time.ToDatetime(tzinfo=UTC),
                            request_id=meta.get("request_id")), bool(meta.get(PROOF)))


# A run's start that carries the state over from the previous run: no step.
CARRIED = ("", {}, {})


async def step_of(event: Event, converter: DataConverter
                  ) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
    """The step an event records, decoded: its name (`OPENING` for a referral), metadata and
    body; `CARRIED` for a run that continued a case; None for any other event."""
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        payloads = event.workflow_execution_started_event_attributes.input.payloads
        (inp,) = await converter.decode(payloads) or [{}]
        opening = (inp or {}).get("opening")
        if not opening:
            return CARRIED
        return OPENING, opening.get("meta") or {}, opening.get("referral") or {}
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        request = event.workflow_execution_update_accepted_event_attributes.accepted_request
        args = await converter.decode(request.input.args.payloads)
        meta, body = (args + [{}, {}])[:2]
        return request.input.name, meta or {}, body or {}
    return None


def intents(audit_engine: Engine, case_id: str) -> set[str]:
    """The request ids of the case's audited intents."""
    with Session(audit_engine) as session:
        return set(session.execute(select(AuditEntry.request_id).where(
            AuditEntry.case_id == case_id, AuditEntry.outcome == INTENT,
            AuditEntry.request_id.is_not(None))).scalars())  # type: ignore[union-attr]


async def check_case(case_id: str, runs: list[list[Event]], converter: DataConverter,
                     audit_engine: Engine) -> StepCheck:
    audited, check = intents(audit_engine, case_id), StepCheck(case_id)
    async for step, sealed in steps_in(runs, converter):
        check.steps += 1
        if not sealed:
            check.before_pairing += 1
        elif step.request_id not in audited:
            check.unpaired.append(step)
    return check
