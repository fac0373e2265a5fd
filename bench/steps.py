"""Step latency and throughput, four ways on one server in one run: the engine's floor (a
trivial workflow and update, `bench.floor`), that floor with a step's shape (each change
projected by a trivial activity), a case step through the bare Temporal client, and the same
step through the HTTP API.

Starts `casework run` on fresh ports and a fresh data folder (dev server on its SQLite file,
worker, API), and a worker for the floor in this process. Takes N cases (and N floor workflows)
through every lifecycle step: start + query to open, one update per step. Prints p50/p95 step
latency, steps per second, and the ratios: bare/floor and API/bare (the issue's goals), and
where bare/floor comes from, the step's shape (shaped/floor) and what a case step does within
it (bare/shaped).

    .venv/bin/python -m bench.steps --cases 300 --concurrency 16
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.worker import Worker

from api.gateway import fingerprint, new_case_id, update_id
from bench.floor import FLOOR_QUEUE, FLOORS, ProjectedFloorWorkflow, project, via_floor
from bench.lifecycle import STEPS, Step, api_body
from bench.procs import CpuMeter, processes
from bench.stack import running
from infra.proof import OPENING, StepProofs
from tests.support import factories as f
from tests.support.identities import bearer
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.requests import StepMeta
from workflows.model.state import (
    CaseInput,
    Opening,
)

# The Stack verifies with the tests' signing key.
HEADERS = bearer("cw-bench", "caseworker", office="helsinki")


async def timed(latencies: list[float], call: Awaitable[Any]) -> Any:
    start = time.perf_counter()
    result = await call
    latencies.append(time.perf_counter() - start)
    return result


async def via_api(http: httpx.AsyncClient, latencies: list[float]) -> None:
    r = await timed(latencies, http.post("/v1/cases", json=f.referral().model_dump(mode="json"),
                                         headers=HEADERS))
    r.raise_for_status()
    case_id, version = r.json()["case_id"], r.json()["version"]
    for path, _, step_body in STEPS:
        r = await timed(latencies, http.post(
            f"/v1/cases/{case_id}/{path}", json=api_body(step_body),
            headers={**HEADERS, "If-Match": f'"{version}"', "Idempotency-Key": str(uuid.uuid4())}))
        r.raise_for_status()
        version = r.json()["version"]


async def via_client(client: Any, task_queue: str, latencies: list[float],
                     steps: list[Step] = STEPS) -> str:
    """A case through `steps` with the bare client, as the API calls it; its id."""
    actor = f.CASEWORKER
    case_id = new_case_id(actor, None)

    async def open_() -> Any:
        referral = f.referral()
        meta = sealed(client, case_id, OPENING, referral, StepMeta(
            actor=actor, expected_version=0, idempotency_key=str(uuid.uuid4()),
            fingerprint=fingerprint(case_id, OPENING, referral, actor)))
        handle = await client.start_workflow(
            CaseWorkflow.run, CaseInput(opening=Opening(referral=referral, meta=meta)),
            id=case_id, task_queue=task_queue)
        return handle, await handle.query(CaseWorkflow.state)

    handle, state = await timed(latencies, open_())
    for _, update, step_body in steps:
        state = await timed(latencies, step_as_the_api(handle, update, step_body, state.version))
    return case_id


async def step_as_the_api(handle: Any, update: Any, body: Any, version: int) -> Any:
    """A step with the key, fingerprint and update id the API gives it (the run keeps the
    first two); the state after it."""
    actor = f.CASEWORKER
    meta = sealed(handle._client, str(handle.id), update.__name__, body, StepMeta(  # noqa: SLF001
        actor=actor, expected_version=version, idempotency_key=str(uuid.uuid4()),
        fingerprint=fingerprint(str(handle.id), update.__name__, body, actor)))
    return await handle.execute_update(update, args=[meta, body], id=update_id(meta))


def sealed(client: Client, case_id: str, step: str, body: Any, meta: StepMeta) -> StepMeta:
    """As the API seals a step, with the client's own master keys."""
    proofs = StepProofs(client.data_converter.payload_codec.masters)  # type: ignore[union-attr]
    return proofs.sealed(case_id, step, meta, body)


async def drive(cases: int, concurrency: int, one_case: Callable[[list[float]], Awaitable[Any]]
                ) -> tuple[list[float], float]:
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def guarded() -> None:
        async with gate:
            await one_case(latencies)

    start = time.perf_counter()
    await asyncio.gather(*(guarded() for _ in range(cases)))
    return latencies, time.perf_counter() - start


def summary(name: str, latencies: list[float], elapsed: float) -> dict[str, float]:
    q = statistics.quantiles(latencies, n=100)
    row = {"p50_ms": q[49] * 1000, "p95_ms": q[94] * 1000, "steps_per_s": len(latencies) / elapsed}
    print(f"{name:<12} steps={len(latencies):>6}  p50={row['p50_ms']:7.1f} ms  "
          f"p95={row['p95_ms']:7.1f} ms  {row['steps_per_s']:7.1f} steps/s")
    return row


def ratio(name: str, slower: dict[str, float], faster: dict[str, float]) -> None:
    print(f"{name:<12} p50 x{slower['p50_ms'] / faster['p50_ms']:.2f}  "
          f"p95 x{slower['p95_ms'] / faster['p95_ms']:.2f}  "
          f"throughput x{faster['steps_per_s'] / slower['steps_per_s']:.2f}")


# The UK's National Referral Mechanism: about 17,000 referrals a year, about 20 steps each.
UK_REFERRALS, UK_STEPS_PER_CASE = 17_000, 20
OFFICE_HOURS_A_YEAR = 2_000


def uk_year(api_steps_per_s: float, api_cpu_ms: float) -> None:
    """A year of the UK's steps on this machine, from this run's API figures."""
    steps = UK_REFERRALS * UK_STEPS_PER_CASE
    print(f"the UK's year ({UK_REFERRALS:,} referrals x {UK_STEPS_PER_CASE} steps = {steps:,} "
          f"steps): {steps / api_steps_per_s / 3600:.1f} h at this run's API throughput, "
          f"{steps * api_cpu_ms / 1000 / 3600:.1f} CPU-hours in all; spread over "
          f"{OFFICE_HOURS_A_YEAR:,} office hours, {steps / OFFICE_HOURS_A_YEAR / 3600:.3f} "
          "steps/s on average")


async def main(cases: int, concurrency: int, warmup: int) -> None:
    async with running() as (stack, settings, client):
        plain = await Client.connect(settings.temporal_address or "")
        limits = httpx.Limits(max_connections=concurrency)
        async with (httpx.AsyncClient(base_url=stack.url, timeout=60, limits=limits) as http,
                    Worker(plain, task_queue=FLOOR_QUEUE, workflows=FLOORS, activities=[project])):
            paths = {
                "floor": lambda lat: via_floor(plain, len(STEPS), lat, timed),
                "shaped floor": lambda lat: via_floor(plain, len(STEPS), lat, timed,
                                                      ProjectedFloorWorkflow),
                "bare client": lambda lat: via_client(client, settings.temporal_task_queue,
                                                      lat),
                "http api": lambda lat: via_api(http, lat)}
            for path in paths.values():
                await drive(warmup, concurrency, path)
            print(f"{cases} cases x {len(STEPS) + 1} steps, concurrency {concurrency}, "
                  f"dev server on SQLite (WAL)")
            # Alternate halves so no path gets the server's warmer half of the run.
            rows: dict[str, list[tuple[list[float], float]]] = {name: [] for name in paths}
            cpu: dict[str, Counter[str]] = {name: Counter() for name in paths}
            meter = CpuMeter({**processes(stack.proc.pid), "bench": os.getpid()})
            for _ in range(2):
                for name, path in paths.items():
                    meter.start()
                    rows[name].append(await drive(cases // 2, concurrency, path))
                    cpu[name].update(meter.stop())
        result = {name: summary(name, [x for lat, _ in runs for x in lat],
                                sum(t for _, t in runs)) for name, runs in rows.items()}
        ratio("bare/floor", result["bare client"], result["floor"])
        ratio("api/bare", result["http api"], result["bare client"])
        ratio("shaped/floor", result["shaped floor"], result["floor"])
        ratio("bare/shaped", result["bare client"], result["shaped floor"])
        per_step = {name: {proc: seconds * 1000 / sum(len(lat) for lat, _ in rows[name])
                           for proc, seconds in used.items()} for name, used in cpu.items()}
        print("CPU ms per step, by process (the floors' worker runs in bench):")
        for name, used_ms in per_step.items():
            print(f"  {name:<12} total {sum(used_ms.values()):5.1f}  " + "  ".join(
                f"{proc} {ms:.1f}" for proc, ms in sorted(used_ms.items()) if ms >= 0.05))
        uk_year(result["http api"]["steps_per_s"], sum(per_step["http api"].values()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.concurrency, args.warmup))
