"""The embedded dev server hands an activity to the worker whose workflow task scheduled it
(eager activity execution; bench/README.md)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker


@activity.defn(name="which")
async def scheduling_worker() -> str:
    return "scheduling worker"


@activity.defn(name="which")
async def other_worker() -> str:
    return "other worker"


@workflow.defn(sandboxed=False)
class OneActivity:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(
            "which", result_type=str, start_to_close_timeout=timedelta(seconds=30))


async def who_ran(env: WorkflowEnvironment, runs: int = 20) -> Counter[str]:
    queue = f"eager-{uuid.uuid4()}"
    # A second worker on the same queue needs a connection of its own (the SDK refuses two
    # workers of one queue on one connection).
    other = await Client.connect(env.client.service_client.config.target_host)
    ran: Counter[str] = Counter()
    async with (Worker(other, task_queue=queue, activities=[other_worker]),
                Worker(env.client, task_queue=queue, workflows=[OneActivity],
                       activities=[scheduling_worker])):
        for _ in range(runs):
            ran[await env.client.execute_workflow(OneActivity.run, id=f"eager-{uuid.uuid4()}",
                                                  task_queue=queue)] += 1
    return ran


async def test_the_dev_server_hands_an_activity_to_the_worker_that_scheduled_it(
        dev_env: WorkflowEnvironment) -> None:
    # Without it the queue's two pollers share the activities (the other worker ran 7 to 15 of
    # 20 in three tries with it switched off, when this was written).
    assert await who_ran(dev_env) == {"scheduling worker": 20}
