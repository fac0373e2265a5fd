"""A timeline stays whole across continue-as-new, and the copies of closed runs in the database
are the engine's histories event for event."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from temporalio.client import Client, ScheduleOverlapPolicy

from infra.database import engine_for
from infra.settings import Settings
from store.history import archive_closed_runs, archived_runs
from tests.support import factories as f
from tests.support.http import open_case, step
from tests.support.identities import AUDITOR
from tests.support.waiting import eventually
from tests.support.workflow import settled
from worker.schedules import ARCHIVE, ensure_archive_schedule
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.vocabulary import MeasureType


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"case_history_limit": 40})  # a run every few steps


async def a_case_of_several_runs(http: httpx.AsyncClient, temporal: Client) -> dict:
    """Ten steps: with a history limit of 40 the case continues as new a few times."""
    case = await open_case(http)
    case = await step(http, case, "/admission", f.admission())
    for kind in list(MeasureType)[:8]:
        case = await step(http, case, "/measures", f.measure(kind))
    await settled(temporal.get_workflow_handle_for(CaseWorkflow.run, case["case_id"]))
    return case


async def test_a_timeline_spans_every_run(http: httpx.AsyncClient, temporal: Client,
                                          settings: Settings) -> None:
    case = await a_case_of_several_runs(http, temporal)
    engine = engine_for(settings.database)

    async def archived() -> dict:
        await archive_closed_runs(temporal, engine)
        runs = archived_runs(engine, case["case_id"])
        return runs if len(runs) >= 2 else {}

    runs = await eventually(archived, pause=0.2)  # visibility lags a little
    for run_id, (_, events) in runs.items():
        original = await temporal.get_workflow_handle(
            case["case_id"], run_id=run_id).fetch_history()
        assert events == list(original.events)
    await archive_closed_runs(temporal, engine)  # a second pass copies nothing twice
    assert archived_runs(engine, case["case_id"]) == runs

    r = await http.get(f"/v1/cases/{case['case_id']}/timeline", headers=AUDITOR)
    assert r.status_code == 200, r.text
    entries = r.json()["items"]
    steps = [e for e in entries if e["source"] == "engine" and e["kind"] == "step"]
    assert [e["action"] for e in steps] == ["referred", "decide_admission", *["add_measure"] * 8]
    assert [e["reason"] for e in steps][-1] == f.measure().reason
    runs_seen = {e["run"] for e in entries if e["source"] == "engine"}
    assert len(runs_seen) > len(runs) >= 2  # the open run from Temporal, the others copied
    assert sum(e["action"] == "continued as new" for e in entries) == len(runs_seen) - 1


async def test_one_schedule_archives_for_the_whole_cluster(
        http: httpx.AsyncClient, temporal: Client, settings: Settings) -> None:
    """Archiving runs as rounds of the cluster's schedule, one at a time however many workers
    there are; every worker ensures the schedule at start (again: it updates it), and two
    archivers racing store each run once."""
    case = await a_case_of_several_runs(http, temporal)
    engine = engine_for(settings.database)

    await ensure_archive_schedule(temporal, settings)
    await ensure_archive_schedule(temporal, settings.model_copy(
        update={"archive_interval_seconds": 600}))
    schedule = temporal.get_schedule_handle(ARCHIVE)
    described = await schedule.describe()
    assert described.schedule.spec.intervals[0].every == timedelta(seconds=600)
    assert described.schedule.policy.overlap is ScheduleOverlapPolicy.SKIP

    async def archived() -> dict:
        await schedule.trigger()  # a round now (visibility may not list the runs yet)
        await asyncio.sleep(0.5)
        runs = archived_runs(engine, case["case_id"])
        return runs if len(runs) >= 2 else {}

    runs = await eventually(archived, pause=0.2)
    rounds = [r async for r in temporal.list_workflows("WorkflowType = 'ArchiveWorkflow'")]
    assert rounds and all(r.id.startswith("casework-archive-round") for r in rounds)
    await asyncio.gather(*(archive_closed_runs(temporal, engine) for _ in range(3)))
    assert archived_runs(engine, case["case_id"]) == runs  # racing archivers: each run once
