"""Every call the API makes to Temporal, and the translation of its failures into problems."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.problems import Problem, from_application_error
from infra.settings import Settings
from workflows import case_rules as rules
from workflows.case_model import (
    Actor,
    CaseInput,
    CasePage,
    CaseState,
    CaseSummary,
    DeliveryPage,
    DeliveryRow,
    DuePage,
    DueRow,
    Office,
    Opening,
    Phase,
    Referral,
    Step,
    StepMeta,
)
from workflows.case_workflow import CaseWorkflow
from workflows.deadline_rules import DeadlineKind
from workflows.search_attributes import (
    CASE_CASEWORKER,
    CASE_FAILED_NOTIFICATIONS,
    CASE_NEXT_DEADLINE_AT,
    CASE_NEXT_DEADLINE_KIND,
    CASE_OFFICE,
    CASE_OVERDUE,
    CASE_PENDING_NOTIFICATIONS,
    CASE_PHASE,
    CASE_REFERRED_AT,
)

CASE_ID = re.compile(r"^case-[a-z2-7]{20}$")
UNAVAILABLE = {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED,
               RPCStatusCode.CANCELLED, RPCStatusCode.RESOURCE_EXHAUSTED}


def new_case_id(actor: Actor, idempotency_key: str | None) -> str:
    """Random, or derived from the caller's key so a retried referral finds its case.

    Carries no personal data either way: the key is hashed, never the referral.
    """
    raw = (hashlib.sha256(f"{actor.user_id}\n{idempotency_key}".encode()).digest()
           if idempotency_key else secrets.token_bytes(13))
    return "case-" + base64.b32encode(raw).decode().lower()[:20]


def fingerprint(case_id: str, step_name: str, body: Step) -> str:
    canonical = json.dumps({"case": case_id, "step": step_name,
                            "body": body.model_dump(mode="json")}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class CaseGateway:
    def __init__(self, client: Client, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self._timeout = timedelta(seconds=settings.api_temporal_timeout_seconds)

    def _handle(self, case_id: str) -> WorkflowHandle[CaseWorkflow, CaseState]:
        if not CASE_ID.match(case_id):
            raise Problem("CaseNotFound", "no case with this id")
        return self._client.get_workflow_handle_for(CaseWorkflow.run, case_id)

    async def open(self, referral: Referral, actor: Actor,
                   idempotency_key: str | None) -> tuple[CaseState, bool]:
        """Open a case; return its state and whether this call created it."""
        rules.check_referral(referral)  # refuse before anything durable exists
        case_id = new_case_id(actor, idempotency_key)
        meta = StepMeta(actor=actor, expected_version=0,
                        idempotency_key=idempotency_key or str(uuid.uuid4()),
                        fingerprint=fingerprint(case_id, "open_case", referral))
        async with translate_errors(case_id):
            try:
                handle = await self._client.start_workflow(
                    CaseWorkflow.run,
                    CaseInput(opening=Opening(referral=referral, meta=meta),
                              history_limit=self._settings.case_history_limit,
                              delivery_give_up_days=self._settings.delivery_give_up_days),
                    id=case_id, task_queue=self._settings.temporal_task_queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    rpc_timeout=self._timeout)
                created = True
            except WorkflowAlreadyStartedError:
                # Only a repeated Idempotency-Key gets here: a retry, or a key reused.
                handle = self._handle(case_id)
                seen = await handle.query(CaseWorkflow.fingerprint, meta.idempotency_key,
                                          rpc_timeout=self._timeout)
                if seen != meta.fingerprint:
                    raise Problem(rules.KEY_REUSED,
                                  "this Idempotency-Key was used for a different referral"
                                  ) from None
                created = False
            return await handle.query(CaseWorkflow.state, rpc_timeout=self._timeout), created

    async def step(self, case_id: str, update: Callable[..., CaseState], body: Step, actor: Actor,
                   expected_version: int, idempotency_key: str | None) -> CaseState:
        handle = self._handle(case_id)
        fp = fingerprint(case_id, update.__name__, body)
        meta = StepMeta(actor=actor, expected_version=expected_version,
                        idempotency_key=idempotency_key or str(uuid.uuid4()), fingerprint=fp)
        async with translate_errors(case_id, handle):
            return await handle.execute_update(
                update, args=[meta, body], id=f"{meta.idempotency_key}:{fp[:16]}",
                rpc_timeout=self._timeout)

    async def notifications(self, case_id: str) -> tuple[CaseState, dict[str, dict[str, Any]]]:
        """The case state, and for each notification still retrying its attempts so far and
        last error, read from the workflow's pending activities."""
        handle = self._handle(case_id)
        async with translate_errors(case_id):
            state = await handle.query(CaseWorkflow.state, rpc_timeout=self._timeout)
            described = await handle.describe(rpc_timeout=self._timeout)
        retrying = {}
        for pending in described.raw_description.pending_activities:
            notification_id = pending.activity_id.split(".")[0]
            retrying[notification_id] = {
                "attempts": pending.attempt,
                "last_error": pending.last_failure.message or None}
        return state, retrying

    async def get(self, case_id: str) -> CaseState:
        handle = self._handle(case_id)
        async with translate_errors(case_id):
            return await handle.query(CaseWorkflow.state, rpc_timeout=self._timeout)

    async def _page(self, clauses: list[str], page_size: int,
                    page_token: str | None) -> tuple[list[WorkflowExecution], str | None]:
        """One page of case workflows from visibility. Clause values must be enums, pattern-
        checked ids or datetimes: nothing a caller types reaches the query unchecked."""
        query = " AND ".join(["WorkflowType = 'CaseWorkflow'",
                              "ExecutionStatus != 'ContinuedAsNew'", *clauses])
        try:
            token = bytes.fromhex(page_token) if page_token else None
        except ValueError:
            raise Problem("InvalidRequest", "page_token is not valid",
                          errors=[{"field": "query.page_token", "message": "not a token"}]) from None
        async with translate_errors(None):
            pages = self._client.list_workflows(query, page_size=page_size,
                                                next_page_token=token, rpc_timeout=self._timeout)
            await pages.fetch_next_page()
        return list(pages.current_page or []), (pages.next_page_token.hex()
                                                if pages.next_page_token else None)

    async def list(self, *, phase: Phase | None, office: Office | None,
                   caseworker_id: str | None, page_size: int,
                   page_token: str | None) -> CasePage:
        clauses = [f"{key.name} = '{value}'" for key, value in (
            (CASE_PHASE, phase), (CASE_OFFICE, office), (CASE_CASEWORKER, caseworker_id))
            if value is not None]
        page, token = await self._page(clauses, page_size, page_token)
        cases = []
        for wf in page:
            sa = wf.typed_search_attributes
            if sa.get(CASE_PHASE) is None:
                continue  # started but its first task not yet run: nothing to show yet
            cases.append(CaseSummary(
                case_id=wf.id, phase=Phase(sa[CASE_PHASE]), office=Office(sa[CASE_OFFICE]),
                caseworker_id=sa.get(CASE_CASEWORKER),
                referred_at=sa.get(CASE_REFERRED_AT) or wf.start_time,
                closed=wf.status is not WorkflowExecutionStatus.RUNNING))
        return CasePage(cases=cases, next_page_token=token)

    async def due(self, *, office: Office | None, overdue: bool, due_before: datetime | None,
                  page_size: int, page_token: str | None) -> DuePage:
        """Open cases with an overdue deadline, or one due before a time: either, if both."""
        wanted = []
        if overdue:
            wanted.append(f"{CASE_OVERDUE.name} > 0")
        if due_before is not None:
            wanted.append(f"{CASE_NEXT_DEADLINE_AT.name} < '{_rfc3339(due_before)}'")
        if not wanted:  # every case with a deadline pending or overdue
            wanted = [f"{CASE_OVERDUE.name} > 0",
                      f"{CASE_NEXT_DEADLINE_AT.name} > '{_rfc3339(datetime(1970, 1, 1, tzinfo=UTC))}'"]
        clauses = ["ExecutionStatus = 'Running'", f"({' OR '.join(wanted)})"]
        if office is not None:
            clauses.append(f"{CASE_OFFICE.name} = '{office}'")
        page, token = await self._page(clauses, page_size, page_token)
        rows = []
        for wf in page:
            sa = wf.typed_search_attributes
            kind = sa.get(CASE_NEXT_DEADLINE_KIND)
            rows.append(DueRow(case_id=wf.id, office=Office(sa[CASE_OFFICE]),
                               caseworker_id=sa.get(CASE_CASEWORKER),
                               next_deadline_kind=DeadlineKind(kind) if kind else None,
                               next_due_at=sa.get(CASE_NEXT_DEADLINE_AT),
                               overdue=sa.get(CASE_OVERDUE) or 0))
        far = datetime.max.replace(tzinfo=UTC)
        rows.sort(key=lambda r: (-r.overdue, r.next_due_at or far))
        return DuePage(rows=rows, next_page_token=token)


    async def deliveries(self, *, office: Office | None, failed_only: bool, page_size: int,
                         page_token: str | None) -> DeliveryPage:
        """Cases with notifications failed (or, unless `failed_only`, still retrying)."""
        wanted = [f"{CASE_FAILED_NOTIFICATIONS.name} > 0"]
        if not failed_only:
            wanted.append(f"{CASE_PENDING_NOTIFICATIONS.name} > 0")
        clauses = [f"({' OR '.join(wanted)})"]
        if office is not None:
            clauses.append(f"{CASE_OFFICE.name} = '{office}'")
        page, token = await self._page(clauses, page_size, page_token)
        rows = [DeliveryRow(case_id=wf.id, office=Office(wf.typed_search_attributes[CASE_OFFICE]),
                            caseworker_id=wf.typed_search_attributes.get(CASE_CASEWORKER),
                            failed=wf.typed_search_attributes.get(CASE_FAILED_NOTIFICATIONS) or 0,
                            pending=wf.typed_search_attributes.get(CASE_PENDING_NOTIFICATIONS) or 0)
                for wf in page]
        rows.sort(key=lambda r: (-r.failed, -r.pending))
        return DeliveryPage(rows=rows, next_page_token=token)


def _rfc3339(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


@asynccontextmanager
async def translate_errors(case_id: str | None,
                           handle: WorkflowHandle[Any, Any] | None = None) -> AsyncIterator[None]:
    """Temporal's failures as the API's problems; anything else propagates unchanged."""
    retry = "retry with the same Idempotency-Key"
    try:
        yield
    except WorkflowUpdateFailedError as err:
        if isinstance(err.cause, ApplicationError):
            raise from_application_error(err.cause) from None
        raise
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise Problem("TemporalUnavailable", f"the step was not confirmed in time; {retry}",
                      headers={"Retry-After": "5"}) from None
    except WorkflowQueryFailedError:
        raise Problem("TemporalUnavailable", "the case could not be read just now",
                      headers={"Retry-After": "5"}) from None
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            # An update to a completed run is NOT_FOUND too: tell a closed case from none.
            if handle is not None and await _is_closed(handle):
                raise Problem(rules.CASE_CLOSED, "the case is closed and takes no more steps") from None
            raise Problem("CaseNotFound", "no case with this id") from None
        if err.status in UNAVAILABLE:
            raise Problem("TemporalUnavailable", f"Temporal did not answer in time; {retry}",
                          headers={"Retry-After": "5"}) from None
        raise
    except RuntimeError as err:
        if "connect" not in str(err).lower():
            raise
        raise Problem("TemporalUnavailable", "Temporal cannot be reached",
                      headers={"Retry-After": "5"}) from None


async def _is_closed(handle: WorkflowHandle[Any, Any]) -> bool:
    try:
        description = await handle.describe()
    except RPCError:
        return False
    return description.status is not WorkflowExecutionStatus.RUNNING
