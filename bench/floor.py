"""The engine's floor for a case step: a trivial workflow with a trivial update, on the same
server as the cases, opened and stepped the same way (start and query, then an update per
step). What `bench.steps` compares a case step through the bare client against."""

from __future__ import annotations

import uuid
from typing import Any

from temporalio import workflow
from temporalio.client import Client

FLOOR_QUEUE = "bench-floor"


@workflow.defn(sandboxed=False)
class FloorWorkflow:
    """A counter that runs until it is told to stop: no timers, no activities, no encryption."""

    def __init__(self) -> None:
        self._version, self._done = 0, False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self._done)
        return self._version

    @workflow.query
    def state(self) -> dict[str, Any]:
        return {"version": self._version}

    @workflow.update
    def step(self, body: dict[str, Any]) -> dict[str, Any]:
        self._version += 1
        self._done = body.get("last", False)
        return {"version": self._version}


async def via_floor(client: Client, steps: int, latencies: list[float],
                    timed: Any) -> None:
    async def open_() -> Any:
        handle = await client.start_workflow(FloorWorkflow.run, id=f"floor-{uuid.uuid4().hex}",
                                             task_queue=FLOOR_QUEUE)
        await handle.query(FloorWorkflow.state)
        return handle

    handle = await timed(latencies, open_())
    for n in range(steps):
        await timed(latencies, handle.execute_update(FloorWorkflow.step,
                                                     {"last": n == steps - 1}))
