"""Every call the API makes to Temporal, and the translation of its failures into problems.
Each call waits at most what is left of the request's time budget (`api.budget`)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api import budget
from api.problems import Code, Problem, from_application_error, store_unavailable
from api.reads import read
from infra.proof import OPENING, StepProofs
from infra.settings import Settings
from infra.temporal import failure_message
from store import references
from store.keys import CaseKeys
from store.queries import case_document
from store.views import Retrying
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.calendar import helsinki_date
from workflows.model.requests import (
    Actor,
    Referral,
    Step,
    StepMeta,
)
from workflows.model.state import (
    CaseInput,
    CaseState,
    Opening,
)
from workflows.model.vocabulary import Refusal
from workflows.rules import guards
from workflows.steps import Declared

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


def fingerprint(case_id: str, step_name: str, body: Step, actor: Actor) -> str:
    """The request a key stands for: the same key from someone else is another request."""
    canonical = json.dumps({"case": case_id, "step": step_name, "by": actor.user_id,
                            "body": body.model_dump(mode="json")}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def update_id(meta: StepMeta) -> str:
    """The Temporal update id of a step: its key and request, so a retry finds its update."""
    return f"{meta.idempotency_key}:{meta.fingerprint[:16]}"


class CaseGateway:
    def __init__(self, client: Client, settings: Settings, engine: Engine,
                 keys: CaseKeys) -> None:
        self._client = client
        self._settings = settings
        self._engine, self._keys = engine, keys
        self._proofs = StepProofs(keys.masters)

    @staticmethod
    def check_id(case_id: str) -> None:
        """Only a well-formed id goes further (into a visibility query, for one)."""
        if not CASE_ID.match(case_id):
            raise Problem(Code.CASE_NOT_FOUND, "no case with this id")

    def _handle(self, case_id: str) -> WorkflowHandle[CaseWorkflow, CaseState]:
        self.check_id(case_id)
        return self._client.get_workflow_handle_for(CaseWorkflow.run, case_id)

    async def new_case(self, referral: Referral, actor: Actor,
                       idempotency_key: str | None) -> str:
        """The id a referral opens (the same for a retry with the same key), once the referral
        is found acceptable, and the case's data key, made before anything is sealed under it.
        Nothing durable exists yet if the referral is refused."""
        guards.check_referral(referral, helsinki_date(datetime.now(UTC)))
        case_id = new_case_id(actor, idempotency_key)
        try:
            await budget.within(run_in_threadpool(self._keys.load, case_id, create=True),
                                budget.STORE_SECONDS)
        except TimeoutError:
            raise store_unavailable() from None
        return case_id

    async def new_number(self, referral: Referral) -> str:
        """The next reference number of the referral's office, in the year it was received."""
        year = (referral.received_on or helsinki_date(datetime.now(UTC))).year
        try:
            return await budget.within(run_in_threadpool(
                references.allocate, self._engine, referral.office, year), budget.STORE_SECONDS)
        except TimeoutError:
            raise store_unavailable() from None

    async def open(self, case_id: str, referral: Referral, actor: Actor,
                   idempotency_key: str | None, intent: str | None,
                   number: str | None = None) -> tuple[CaseState, bool]:
        """Open the case; return its state and whether this call created it. `intent`: the
        request id of the audited intent."""
        meta = self._proofs.sealed(case_id, OPENING, StepMeta(
            actor=actor, expected_version=0, idempotency_key=idempotency_key or str(uuid.uuid4()),
            fingerprint=fingerprint(case_id, OPENING, referral, actor), request_id=intent),
            referral)
        async with translate_errors():
            try:
                handle = await budget.within(self._client.start_workflow(
                    CaseWorkflow.run,
                    CaseInput(opening=Opening(referral=referral, meta=meta,
                                              reference_number=number),
                              history_limit=self._settings.case_history_limit,
                              delivery_give_up_days=self._settings.delivery_give_up_days),
                    id=case_id, task_queue=self._settings.temporal_task_queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    rpc_timeout=budget.rpc_timeout()))
                created = True
            except WorkflowAlreadyStartedError:
                # Only a repeated Idempotency-Key gets here: a retry, or a key reused.
                handle = self._handle(case_id)
                seen = await budget.within(handle.query(
                    CaseWorkflow.fingerprint, meta.idempotency_key,
                    rpc_timeout=budget.rpc_timeout()))
                if seen != meta.fingerprint:
                    raise Problem(Refusal.KEY_REUSED,
                                  "this Idempotency-Key was used for a different referral"
                                  ) from None
                created = False
            state = await budget.within(handle.query(CaseWorkflow.state,
                                                     rpc_timeout=budget.rpc_timeout()))
            return state, created

    async def step(self, case_id: str, declared: Declared[Any], body: Step, actor: Actor,
                   expected_version: int, idempotency_key: str | None,
                   access_reason: str | None = None, intent: str | None = None) -> CaseState:
        """Take a step; `intent` is the request id of its audited intent."""
        handle = self._handle(case_id)
        fp = fingerprint(case_id, declared.name, body, actor)
        meta = self._proofs.sealed(case_id, declared.name, StepMeta(
            actor=actor, expected_version=expected_version,
            idempotency_key=idempotency_key or str(uuid.uuid4()), fingerprint=fp,
            access_reason=access_reason, approval_required=self._settings.plan_approval_required,
            request_id=intent), body)
        async with translate_errors(handle):
            return await budget.within(handle.execute_update(
                declared.name, args=[meta, body], id=update_id(meta), result_type=CaseState,
                rpc_timeout=budget.rpc_timeout()))

    async def notifications(self, case_id: str) -> tuple[CaseState, dict[str, dict[str, Any]]]:
        """The case state, and for each notification still retrying its attempts so far and
        last error, read from the workflow's pending activities."""
        async with translate_errors():
            state = await budget.within(self._handle(case_id).query(
                CaseWorkflow.state, rpc_timeout=budget.rpc_timeout()))
        return state, {r.notification_id: {"attempts": r.attempts, "last_error": r.last_error}
                       for r in await self.retrying(case_id)}

    async def retrying(self, case_id: str) -> list[Retrying]:
        """The case's deliveries in flight, from the workflow's pending activities: attempts so
        far, the last one's error, and when the next is due (none while one is running)."""
        async with translate_errors(self._handle(case_id)):
            described = await budget.within(self._handle(case_id).describe(
                rpc_timeout=budget.rpc_timeout()))
        converter = self._client.data_converter
        return [Retrying(notification_id=p.activity_id.split(".")[0], attempts=p.attempt,
                         last_error=(await failure_message(converter, p.last_failure) or None)
                         if p.attempt > 1 else None,
                         next_attempt_at=p.next_attempt_schedule_time.ToDatetime(tzinfo=UTC)
                         if p.HasField("next_attempt_schedule_time") else None)
                for p in described.raw_description.pending_activities
                if p.activity_type.name == "deliver"]

    async def get(self, case_id: str) -> CaseState:
        """The live state; for a case Temporal no longer holds (closed, past the namespace's
        retention), the read model's last copy of it."""
        handle = self._handle(case_id)
        try:
            async with translate_errors():
                return await budget.within(handle.query(CaseWorkflow.state,
                                                        rpc_timeout=budget.rpc_timeout()))
        except Problem as problem:
            if problem.code is not Code.CASE_NOT_FOUND:
                raise
            state = await read(case_document, self._engine, self._keys, case_id)
            if state is None:
                raise
            return state


@asynccontextmanager
async def translate_errors(handle: WorkflowHandle[Any, Any] | None = None,
                           ) -> AsyncIterator[None]:
    """Temporal's failures as the API's problems; anything else propagates unchanged."""
    retry = "retry with the same Idempotency-Key"
    try:
        yield
    except WorkflowUpdateFailedError as err:
        if isinstance(err.cause, ApplicationError):
            raise from_application_error(err.cause) from None
        raise
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise Problem(Code.TEMPORAL_UNAVAILABLE, f"the step was not confirmed in time; {retry}",
                      headers={"Retry-After": "5"}) from None
    except WorkflowQueryFailedError:
        raise Problem(Code.TEMPORAL_UNAVAILABLE, "the case could not be read just now",
                      headers={"Retry-After": "5"}) from None
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            # An update to a completed run is NOT_FOUND too: tell a closed case from none.
            if handle is not None and await _is_closed(handle):
                raise Problem(Refusal.CASE_CLOSED,
                              "the case is closed and takes no more steps") from None
            raise Problem(Code.CASE_NOT_FOUND, "no case with this id") from None
        if err.status in UNAVAILABLE:
            raise Problem(Code.TEMPORAL_UNAVAILABLE, f"Temporal did not answer in time; {retry}",
                          headers={"Retry-After": "5"}) from None
        raise
    except TimeoutError:
        raise Problem(Code.TEMPORAL_UNAVAILABLE, f"Temporal did not answer in time; {retry}",
                      headers={"Retry-After": "5"}) from None
    except RuntimeError as err:
        if "connect" not in str(err).lower():
            raise
        raise Problem(Code.TEMPORAL_UNAVAILABLE, "Temporal cannot be reached",
                      headers={"Retry-After": "5"}) from None


async def _is_closed(handle: WorkflowHandle[Any, Any]) -> bool:
    try:
        description = await budget.within(handle.describe(rpc_timeout=budget.rpc_timeout()))
    except (RPCError, TimeoutError):
        return False
    return description.status is not WorkflowExecutionStatus.RUNNING
