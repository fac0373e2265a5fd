"""Deadline alerts with many open cases: how late they reach the office when all fall due at once.

Cases referred on the same day share their deadlines' instants (a reminder of the admission
decision at the same hour), so a day's referrals raise their alerts together: the worst case
for the worker, and what a busy office sees. Runs the real `casework run` (worker and API, its
read model on SQLite) against the Temporal test server, whose clock can be moved; opens N cases
(referral only), then moves the clock to their first instant and times, on the wall clock,
each reminder's mail reaching a real SMTP receiver. Prints the lag's p50/p95/max, the rate the
burst drains at and the CPU each process spent per alert; and, from the cases themselves, how
late each alert was raised on the server's clock.

    .venv/bin/python -m bench.timers --cases 1000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import datetime, timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from bench.procs import CpuMeter, processes
from bench.stack import running
from bench.steps import drive, via_client
from infra.binaries import temporal_test_server
from infra.temporal import DATA_CONVERTER
from tests.support.receivers import Mailbox, free_port
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.state import CaseState
from workflows.model.vocabulary import DeadlineKind
from workflows.rules import deadlines as case_deadlines

PURPOSE = "deadline_reminder"
SAMPLE = 50


class Clocked(Mailbox):
    """The SMTP receiver, noting when each reminder arrived (wall clock)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, float] = {}

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        subject = envelope.content.split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0].decode()
        _, purpose, case_id = subject.split()
        if purpose == PURPOSE:
            self.arrived.setdefault(case_id, time.perf_counter())
        return "250 OK"


def quantiles(seconds: list[float]) -> str:
    q = statistics.quantiles(seconds, n=100) if len(seconds) > 1 else seconds * 99  # one: all
    return f"p50 {q[49]:6.2f} s  p95 {q[94]:6.2f} s  max {max(seconds):6.2f} s"


async def open_cases(client: Any, queue: str, cases: int, concurrency: int) -> list[str]:
    ids: list[str] = []

    async def one(latencies: list[float]) -> None:
        ids.append(await via_client(client, queue, latencies, []))

    _, elapsed = await drive(cases, concurrency, one)
    print(f"{cases} cases opened (referral) in {elapsed:.0f} s")
    return ids


def first_reminder(states: list[CaseState]) -> datetime:
    """The instant the sampled cases' first alerts fall due: the same for all, and the
    admission decision's reminder (what the mails counted are)."""
    assert all([d.kind for d in s.deadlines] == [DeadlineKind.ADMISSION_DECISION] for s in states)
    reminders = {s.deadlines[0].reminders_at[0] for s in states}
    assert len(reminders) == 1, "cases opened over two days"
    assert {case_deadlines.next_instant(s) for s in states} == reminders
    return reminders.pop()


async def main(cases: int, concurrency: int, wait: float) -> None:
    port = free_port()
    server = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server()), data_converter=DATA_CONVERTER,
        port=port, test_server_startup_timeout=timedelta(seconds=60))
    mailbox = Clocked().start()
    try:
        async with running(temporal=f"127.0.0.1:{port}",
                           CASEWORK_SMTP_PORT=str(mailbox.port)) as (stack, settings, client):
            ids = await open_cases(client, settings.temporal_task_queue, cases, concurrency)
            instant = first_reminder(
                [await client.get_workflow_handle(case_id).query(CaseWorkflow.state)
                 for case_id in random.sample(ids, min(SAMPLE, cases))])
            assert stack.proc is not None
            meter = CpuMeter(processes(stack.proc.pid))
            meter.start()
            began = time.perf_counter()
            await server.sleep(instant - await server.get_current_time())
            while len(mailbox.arrived) < cases and time.perf_counter() - began < wait:
                await asyncio.sleep(0.2)
            drained = max(mailbox.arrived.values(), default=began) - began
            cpu = meter.stop()
            await report(client, ids, mailbox.arrived, began, drained, cpu)
    finally:
        mailbox.stop()
        await server.shutdown()


async def report(client: Any, ids: list[str], arrived: dict[str, float], began: float,
                 drained: float, cpu: dict[str, float]) -> None:
    lags = [at - began for at in arrived.values()]
    print(f"{len(ids)} reminders due at one instant: {len(arrived)} reached the office "
          f"in {drained:.1f} s ({len(arrived) / max(drained, 1e-9):.1f} alerts/s)")
    if lags:
        print(f"  mail after the instant (wall clock)  {quantiles(lags)}")
    print("  CPU ms per alert, by process: " + "  ".join(
        f"{role} {seconds * 1000 / max(len(arrived), 1):.1f}"
        for role, seconds in sorted(cpu.items()) if seconds >= 0.01))
    raised = []
    for case_id in random.sample(ids, min(SAMPLE, len(ids))):
        state = await client.get_workflow_handle(case_id).query(CaseWorkflow.state)
        raised += [(a.raised_at - a.at).total_seconds() for a in state.alerts]
    if raised:
        print(f"  raised after the instant (server clock, {min(SAMPLE, len(ids))} cases)  "
              f"{quantiles(raised)}")
    missing = len(ids) - len(arrived)
    if missing:
        print(f"  NOT DELIVERED within the wait: {missing}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--wait", type=float, default=600, help="seconds to wait for the mails")
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.concurrency, args.wait))
