"""Helpers of the workflow tests: send steps, check refusals, read search attributes."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import (
    DescribeWorkflowExecutionRequest,
    DescribeWorkflowExecutionResponse,
)
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from tests.support import factories as f
from tests.support.waiting import eventually
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.state import CaseState
from workflows.model.vocabulary import NotificationStatus

Handle = WorkflowHandle[CaseWorkflow, CaseState]
Opener = Callable[..., Awaitable[Handle]]
# A history ending in one of these has no workflow task to come: the worker has answered
# everything the server told it (the test server does not report a pending workflow task).
AFTER_A_WORKFLOW_TASK = {EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
                         EventType.EVENT_TYPE_TIMER_STARTED, EventType.EVENT_TYPE_TIMER_CANCELED,
                         EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
                         EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
                         EventType.EVENT_TYPE_MARKER_RECORDED}
WORKFLOW_TASK_EVENTS = {"EVENT_TYPE_WORKFLOW_TASK_SCHEDULED", "EVENT_TYPE_WORKFLOW_TASK_STARTED",
                        "EVENT_TYPE_WORKFLOW_TASK_COMPLETED"}


async def keywords(handle: Handle) -> tuple[str, dict[str, str]]:
    """The current run id and Keyword search attributes."""
    info = (await describe_raw(handle)).workflow_execution_info
    return info.execution.run_id, {k: json.loads(v.data) for k, v in
                                   info.search_attributes.indexed_fields.items()
                                   if v.metadata.get("type") == b"Keyword" and v.data}


# The SDK's private fields the tests lean on, here alone; `tests/workflows/engine/test_sandbox.py`
# fails loudly should an upgrade change them.
def client_of(handle: WorkflowHandle[Any, Any]) -> Client:
    """The client a handle speaks through (the SDK has no public accessor)."""
    return handle._client  # noqa: SLF001


def unbound(handle: Handle) -> Handle:
    """The handle addressed by the case id alone, as the API addresses a case: one bound to
    the first run sends every later step to that run once it continued as new. (The handle
    `start_workflow` gives skips time while awaiting the result, which it follows from the
    first run; the SDK has no public way to unbind it.)"""
    handle._run_id = None  # noqa: SLF001
    return handle


async def describe_raw(handle: Handle) -> DescribeWorkflowExecutionResponse:
    """Read raw: the test server keeps an unset Datetime attribute as `[]`, which the SDK's
    typed decoding in `describe()` cannot read (the real server removes the attribute)."""
    client = client_of(handle)
    return await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(namespace=client.namespace,
                                         execution=WorkflowExecution(workflow_id=handle.id)))


async def settled(handle: Handle) -> CaseState:
    """The state once nothing is on its way: no notification pending, no activity (delivery or
    projection) running and no workflow task to follow one; each would add history events."""
    return await eventually(lambda: _quiet(handle))


async def _quiet(handle: Handle) -> CaseState | None:
    # The state is read between the two reads of history: read before them, it could be one a
    # task (a projection's trim, say) changed just before the history was looked at.
    before = (await handle.fetch_history()).events
    running = (await describe_raw(handle)).pending_activities
    state = await handle.query(CaseWorkflow.state)
    after = (await handle.fetch_history()).events  # nothing happened while we looked
    busy = (any(n.status is NotificationStatus.PENDING for n in state.notifications)
            or running or len(after) != len(before)
            or after[-1].event_type not in AFTER_A_WORKFLOW_TASK)
    return None if busy else state


async def step(handle: Handle, update: Any, body: Any, version: int, *, seal: bool = True,
               **meta: Any) -> CaseState:
    """A step sent to the case's workflow as the API sends it (sealed), or `seal=False` as
    anyone else who reaches Temporal would."""
    sent = f.meta(version, **meta)
    if seal:
        sent = f.sealed(handle.id, update.__name__, sent, body)
    return await handle.execute_update(update, args=[sent, body])


async def rejected(handle: Handle, update: Any, body: Any, version: int,
                   **meta: Any) -> ApplicationError:
    """Send a step that must be refused; assert it left no trace in history."""
    await settled(handle)
    before = (await handle.fetch_history()).events
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await step(handle, update, body, version, **meta)
    after = (await handle.fetch_history()).events
    # The time-skipping server writes an empty workflow task for a refused update (the real
    # server drops it); nothing else may appear: no update accepted, no state change.
    added = {EventType.Name(e.event_type) for e in after[len(before):]}
    assert added <= WORKFLOW_TASK_EVENTS, f"a refused step reached history: {added}"
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError)
    return cause
