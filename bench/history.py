"""What a case's history holds: events and bytes per step over a full lifecycle, by event type.

Starts `casework run` on fresh ports and a fresh data folder, takes N cases through the ~20
steps of `bench.lifecycle.LIFECYCLE` with the bare client (encrypted, as the API does), waits
until each case's activities are done, then reads each history as the server stores it and
prints events and bytes per step by event type (the goal: at most 5 KB per step, and no
run over 2,000 events).

    .venv/bin/python -m bench.history --cases 5
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle

from bench.lifecycle import LIFECYCLE
from bench.stack import running
from bench.steps import via_client


async def settled(handle: WorkflowHandle[Any, Any]) -> None:
    """Until the case's deliveries and projections are done (a closed case's run stays open
    for its appeal period)."""
    while (await handle.describe()).raw_description.pending_activities:
        await asyncio.sleep(0.2)


async def main(cases: int) -> None:
    async with running() as (_, settings, client):
        ids = [await via_client(client, settings.temporal_task_queue, [], LIFECYCLE)
               for _ in range(cases)]
        # The history as stored: encrypted.
        plain = await Client.connect(settings.temporal_address or "")
        count: Counter[str] = Counter()
        size: Counter[str] = Counter()
        longest = 0
        for case_id in ids:
            handle = plain.get_workflow_handle(case_id)
            await settled(handle)
            history = await handle.fetch_history()
            longest = max(longest, len(history.events))
            for event in history.events:
                name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
                count[name] += 1
                size[name] += event.ByteSize()
    steps = cases * (len(LIFECYCLE) + 1)
    print(f"{cases} cases x {len(LIFECYCLE) + 1} steps, their activities done")
    print(f"per step: {sum(count.values()) / steps:.1f} events, "
          f"{sum(size.values()) / steps / 1024:.2f} KB; longest run {longest} events")
    for name, n in size.most_common():
        print(f"  {name:<48} {count[name] / steps:5.2f} events  {n / steps / 1024:7.2f} KB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5)
    asyncio.run(main(parser.parse_args().cases))
