"""The engine's floors for a case step, on the same server as the cases, opened and stepped the
same way (start and query, then an update per step): a trivial workflow with a trivial update,
what `bench.steps` compares a case step through the bare client against; and the same with the
shape the design gives a step (the design makes the projection into the read model an activity),
each change then handed to a trivial activity as `workflows.engine.projector` does, which costs a
second workflow task when it completes."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
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


@activity.defn
async def project(state: dict[str, Any]) -> None:
    """Writes nothing: what an activity costs the engine, and nothing else."""


@workflow.defn(sandboxed=False)
class ProjectedFloorWorkflow(FloorWorkflow):
    """The counter, each new version then projected by an activity, one at a time, changes made
    while one runs going together into the next (as `workflows.engine.projector`)."""

    def __init__(self) -> None:
        super().__init__()
        self._projected = -1  # as the projector: the opened case is projected too

    @workflow.run
    async def run(self) -> int:
        while not (self._done and self._projected == self._version):
            await workflow.wait_condition(lambda: self._version > self._projected)
            version = self._version
            await workflow.execute_activity(project, {"version": version},
                                            start_to_close_timeout=timedelta(seconds=30))
            self._projected = version
        return self._version


FLOORS = [FloorWorkflow, ProjectedFloorWorkflow]


async def via_floor(client: Client, steps: int, latencies: list[float], timed: Any,
                    floor: type[FloorWorkflow] = FloorWorkflow) -> None:
    async def open_() -> Any:
        handle = await client.start_workflow(floor.run, id=f"floor-{uuid.uuid4().hex}",
                                             task_queue=FLOOR_QUEUE)
        await handle.query(floor.state)
        return handle

    handle = await timed(latencies, open_())
    for n in range(steps):
        await timed(latencies, handle.execute_update(floor.step, {"last": n == steps - 1}))
