"""Scale: many open cases on one machine, on the embedded defaults or with the read model on
PostgreSQL.

Starts `casework run` on fresh ports and a fresh data folder, opens N cases with the bare client
(each referred and admitted, as most open cases are; or only referred), and prints as it goes
the opening rate and each process's memory at every tenth. Then, with all N open: the
operations lists, the overdue query and a case's page through the HTTP API (p50/p95 of 50
each), the files' sizes; then it stops `casework run` and starts it again, and prints how long
the start took, the first step of cases the restarted worker does not hold (replayed from their
histories) and the memory after.

    .venv/bin/python -m bench.scale --cases 10000
    .venv/bin/python -m bench.scale --cases 10000 --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m bench.scale --cases 100000 --referred-only
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.lifecycle import STEPS, Step
from bench.procs import CpuMeter, processes, rss_mb
from bench.stack import running
from bench.steps import step_as_the_api, timed, via_client
from infra.temporal import connect
from store.keys import case_keys
from tests.support.databases import fresh_postgres
from tests.support.identities import bearer
from tests.support.stack import Stack
from workflows.engine.case_workflow import CaseWorkflow

CASEWORKER = bearer("cw-bench", "caseworker", office="helsinki")
OPERATOR = bearer("op-bench", "operator")
RUNS = 50


@contextmanager
def fresh_database(server: str | None) -> Iterator[str | None]:
    """A database of its own on the PostgreSQL server, dropped afterwards; None: SQLite."""
    if server is None:
        yield None
        return
    with fresh_postgres(server, "casework_scale") as url:
        yield url


def memory(stack: Stack) -> str:
    assert stack.proc is not None
    return "  ".join(f"{name} {rss_mb(pid):.0f} MB" for name, pid in
                     sorted(processes(stack.proc.pid).items()) if name != "run")


def quantiles(latencies: list[float]) -> str:
    q = statistics.quantiles(latencies, n=100)
    return f"p50 {q[49] * 1000:6.1f} ms  p95 {q[94] * 1000:6.1f} ms"


async def open_cases(client: Any, queue: str, stack: Stack, cases: int,
                     concurrency: int, steps: list[Step]) -> list[str]:
    ids: list[str] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(latencies: list[float]) -> None:
        async with gate:
            ids.append(await via_client(client, queue, latencies, steps))

    tenth = max(cases // 10, 1)
    start = time.perf_counter()
    while len(ids) < cases:
        latencies: list[float] = []
        await asyncio.gather(*(one(latencies) for _ in range(min(tenth, cases - len(ids)))))
        elapsed = time.perf_counter() - start
        print(f"{len(ids):>7} open  {len(ids) / elapsed:6.1f} cases/s  steps {quantiles(latencies)}"
              f"  {memory(stack)}", flush=True)
    return ids


async def settled(stack: Stack, limit: float = 300) -> str:
    """Waits until `casework run` is idle: its processes together under a twentieth of a core
    for a whole second (the last projections and the server's own work after a burst)."""
    assert stack.proc is not None
    meter, start = CpuMeter(processes(stack.proc.pid)), time.perf_counter()
    while time.perf_counter() - start < limit:
        meter.start()
        await asyncio.sleep(1)
        if sum(meter.stop().values()) < 0.05:
            return f"idle {time.perf_counter() - start:.0f} s after the last case opened"
    return f"NOT idle {limit:.0f} s after the last case opened: the reads below compete"


async def pages(http: httpx.AsyncClient, stack: Stack, ids: list[str]) -> None:
    reads = {
        "cases, first page of the office": ("/v1/cases?office=helsinki", CASEWORKER),
        "cases overdue, the office": ("/v1/cases?office=helsinki&overdue=true", CASEWORKER),
        "deadlines overdue (operations)": ("/v1/deadlines?overdue=true", OPERATOR),
        "deliveries failed or retrying": ("/v1/notifications", OPERATOR),
        "a case (its live state)": (None, CASEWORKER),
    }
    assert stack.proc is not None
    meter = CpuMeter(processes(stack.proc.pid))
    for name, (path, headers) in reads.items():
        latencies: list[float] = []
        meter.start()
        for _ in range(RUNS):
            url = path or f"/v1/cases/{random.choice(ids)}"
            r = await timed(latencies, http.get(url, headers=headers))
            r.raise_for_status()
        cpu = "  ".join(f"{role} {seconds / RUNS * 1000:.1f}" for role, seconds
                        in sorted(meter.stop().items()) if seconds)
        print(f"  {name:<34} {quantiles(latencies)}  CPU-ms a read: {cpu}")


async def first_steps(client: Any, ids: list[str], step: Step) -> None:
    """The next step of cases the worker does not hold: each replays its history first."""
    latencies: list[float] = []

    async def next_step(handle: Any) -> None:
        # As the API takes it: the case is read (which replays it), then stepped.
        state = await handle.query(CaseWorkflow.state)
        _, update, body = step
        await step_as_the_api(handle, update, body, state.version)

    for case_id in random.sample(ids, min(RUNS, len(ids))):
        await timed(latencies, next_step(client.get_workflow_handle(case_id)))
    print(f"  read and step a case not in memory  {quantiles(latencies)}")


def sizes(data: Path) -> str:
    files = sorted(p for p in data.glob("*.db*") if p.is_file())
    return "  ".join(f"{p.name} {p.stat().st_size / 2**20:.0f} MB" for p in files)


async def main(cases: int, concurrency: int, postgres: str | None, referred_only: bool) -> None:
    steps = [] if referred_only else STEPS[:1]
    with fresh_database(postgres) as database:
        async with running(database) as (stack, settings, client):
            print(f"{cases} cases, each referred{'' if referred_only else ' and admitted'}, "
                  f"concurrency {concurrency}, "
                  f"read model on {'PostgreSQL' if database else 'SQLite'}")
            ids = await open_cases(client, settings.temporal_task_queue, stack, cases,
                                   concurrency, steps)
            print(await settled(stack))
            async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
                print(f"with {cases} open cases:")
                await pages(http, stack, ids)
            print(f"  files: {sizes(settings.data_dir)}")
            stack.stop()
            start = time.perf_counter()
            stack.start()
            print(f"restart of `casework run` until ready: {time.perf_counter() - start:.1f} s"
                  f"  {memory(stack)}")
            await first_steps(await connect(settings, case_keys(settings)), ids,
                              STEPS[len(steps)])
            print(f"  after them: {memory(stack)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--postgres", help="a PostgreSQL server URL: the read model on a fresh "
                        "database there")
    parser.add_argument("--referred-only", action="store_true", help="open each case with its "
                        "referral alone (awaiting admission, its deadline's timer set): half "
                        "the steps, for the 100,000-case run")
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.concurrency, args.postgres, args.referred_only))
