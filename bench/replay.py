"""What a worker pays to bring a case back into memory: replaying its history, as it does for
every case not in its cache (a read of the live state, a step, a timer of a case that waited).

Replays the recorded histories (`tests/histories`) with the worker's own sandbox and
workflows, N times each, and prints milliseconds per replay: first only the history's first
workflow task (opening the run: the sandbox loads the definitions and the case's first
activation runs), then the whole history. A lower bound: the histories were recorded
unencrypted, so no payload is decrypted or encrypted here, and none is fetched from a server.

    .venv/bin/python -m bench.replay --times 20
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import AsyncIterator

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from infra.temporal import DATA_CONVERTER
from tests.histories import RECORDED
from worker.main import WORKFLOWS
from worker.sandbox import WORKFLOW_RUNNER

# What a workflow task's commands record right after it completes.
COMMAND_EVENTS = {EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, EventType.EVENT_TYPE_TIMER_STARTED,
                  EventType.EVENT_TYPE_MARKER_RECORDED,
                  EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES}


def first_task(history: WorkflowHistory) -> WorkflowHistory:
    """The history up to its first completed workflow task and the events of its commands."""
    events = list(history.events)
    done = next((i for i, e in enumerate(events)
                 if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED), None)
    if done is None:
        raise ValueError(f"{history.workflow_id}: no workflow task completed")
    end = done + 1
    while end < len(events) and events[end].event_type in COMMAND_EVENTS:
        end += 1
    return WorkflowHistory(history.workflow_id, events[:end])


async def ms_per_replay(replayer: Replayer, history: WorkflowHistory, times: int) -> float:
    async def repeated() -> AsyncIterator[WorkflowHistory]:
        for _ in range(times):
            yield history

    start = time.perf_counter()
    async with replayer.workflow_replay_iterator(repeated()) as results:
        async for result in results:
            if result.replay_failure is not None:
                raise result.replay_failure
    return (time.perf_counter() - start) / times * 1000


async def main(times: int) -> None:
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER,
                        workflow_runner=WORKFLOW_RUNNER)
    for path in RECORDED:
        history = WorkflowHistory.from_json(f"case-{path.stem}", path.read_text())
        await ms_per_replay(replayer, history, 1)  # imports and caches warm
        opening = await ms_per_replay(replayer, first_task(history), times)
        whole = await ms_per_replay(replayer, history, times)
        print(f"{path.stem:<32} first task {opening:6.1f} ms   whole history "
              f"({len(history.events)} events) {whole:6.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=30)
    asyncio.run(main(parser.parse_args().times))
