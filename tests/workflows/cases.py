"""Helpers of the workflow tests: send steps, check refusals, read search attributes."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from tests import factories as f
from tests.receivers import eventually
from workflows.case_model import CaseState, NotificationStatus
from workflows.case_workflow import CaseWorkflow

Handle = WorkflowHandle[CaseWorkflow, CaseState]
Opener = Callable[..., Awaitable[Handle]]
WORKFLOW_TASK_EVENTS = {"EVENT_TYPE_WORKFLOW_TASK_SCHEDULED", "EVENT_TYPE_WORKFLOW_TASK_STARTED",
                        "EVENT_TYPE_WORKFLOW_TASK_COMPLETED"}


async def keywords(env: WorkflowEnvironment, handle: Handle) -> tuple[str, dict[str, str]]:
    """The current run id and Keyword search attributes.

    Read raw: the test server keeps an unset Datetime attribute as `[]`, which the SDK's typed
    decoding in `describe()` cannot read (the real server removes the attribute).
    """
    info = (await env.client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(namespace=env.client.namespace,
                                         execution=WorkflowExecution(workflow_id=handle.id))
    )).workflow_execution_info
    return info.execution.run_id, {k: json.loads(v.data) for k, v in
                                   info.search_attributes.indexed_fields.items()
                                   if v.metadata.get("type") == b"Keyword" and v.data}


async def settled(handle: Handle) -> CaseState:
    """The state once no notification is on its way (deliveries add history events)."""
    return await eventually(lambda: _quiet(handle))


async def _quiet(handle: Handle) -> CaseState | None:
    state = await handle.query(CaseWorkflow.state)
    busy = any(n.status is NotificationStatus.PENDING for n in state.notifications)
    return None if busy else state


async def step(handle: Handle, update: Any, body: Any, version: int, **meta: Any) -> CaseState:
    return await handle.execute_update(update, args=[f.meta(version, **meta), body])


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
