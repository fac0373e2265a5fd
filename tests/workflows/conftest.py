from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from infra.settings import Settings
from tests.support import factories as f
from tests.support.workflow import Handle, Opener, unbound
from worker.main import build_worker
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.state import CaseInput


@pytest.fixture
async def worker(env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Worker]:
    """The production worker on this test's task queue, for the tests that need one throughout
    (`@pytest.mark.usefixtures("worker")`); it stops after the test's cases are terminated."""
    async with build_worker(env.client, settings) as running:
        yield running


@pytest.fixture
async def open_case(env: WorkflowEnvironment,
                    settings: Settings) -> AsyncIterator[Opener]:
    """Opens cases on this test's task queue, and terminates those still running afterwards:
    a case left waiting on a timer with no worker would stop the test server skipping time."""
    handles: list[Handle] = []

    async def open_(history_limit: int = 2000, **changes: Any) -> Handle:
        case_id = f"case-{uuid.uuid4().hex[:20]}"
        handle = await env.client.start_workflow(
            CaseWorkflow.run,
            CaseInput(opening=f.opening(case_id, f.referral(**changes)),
                      history_limit=history_limit),
            id=case_id, task_queue=settings.temporal_task_queue)
        handle = unbound(handle)  # steps and queries by the case id alone, as the API's
        handles.append(handle)
        return handle

    yield open_
    for handle in handles:
        with contextlib.suppress(RPCError):  # already completed
            await handle.terminate("test over")
