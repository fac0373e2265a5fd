"""The engine is not a back door, on the real stack: the API, the worker and the Temporal dev
server, attacked through Temporal's own port with its own CLI, as the review did."""

from __future__ import annotations

import asyncio
import json

import httpx
from temporalio.client import Client

from infra.binaries import temporal_cli
from infra.database import engine_for
from infra.proof import StepProofs
from infra.settings import Settings
from store.audit import entries_for
from store.history import case_runs
from store.keys import case_keys
from store.step_audit import check_case
from tests.support import factories as f
from tests.support.http import open_case, step
from tests.support.identities import CASEWORKER
from tests.support.workflow import settled
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.vocabulary import CriminalStage

LEAD = {"user_id": "lead-hel", "role": "office_lead", "office": "helsinki"}


async def temporal_cli_run(client: Client, *args: str) -> int:
    """Temporal's CLI against the stack's server; its exit code. Not blocking the loop: the
    worker runs on it."""
    process = await asyncio.create_subprocess_exec(
        str(temporal_cli()), *args, "--address", client.service_client.config.target_host,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    return await asyncio.wait_for(process.wait(), 60)


async def test_a_step_forged_over_grpc_is_refused_unaudited_and_changes_nothing(
        http: httpx.AsyncClient, temporal: Client, settings: Settings) -> None:
    case = await open_case(http)
    case = await step(http, case, "/admission", f.admission())
    audit = engine_for(settings.audit_database)
    logged = len(entries_for(audit, case["case_id"]))
    meta = {"actor": LEAD, "expected_version": case["version"], "idempotency_key": "forged",
            "fingerprint": "x"}
    body = f.criminal(CriminalStage.REPORTED).model_dump(mode="json")
    forged = await temporal_cli_run(temporal, "workflow", "update", "execute", "--workflow-id",
                      case["case_id"], "--name", "record_criminal_stage",
                      "--input", json.dumps(meta), "--input", json.dumps(body))
    assert forged != 0
    r = await http.get(f"/v1/cases/{case['case_id']}", headers=CASEWORKER)
    assert r.json()["version"] == case["version"]
    history = await temporal.get_workflow_handle(case["case_id"]).fetch_history()
    assert all("forged" not in str(e) for e in history.events)
    # Nothing in the audit log but the caseworker's read just now.
    assert len(entries_for(audit, case["case_id"])) == logged + 1


async def test_the_audit_check_names_a_step_without_its_intent(
        http: httpx.AsyncClient, temporal: Client, settings: Settings) -> None:
    """A step that reached the case with a valid seal but not through the API (a leaked key,
    say) is named by the check; the API's own steps pair with their intents."""
    case = await open_case(http)
    case = await step(http, case, "/admission", f.admission())
    handle = temporal.get_workflow_handle_for(CaseWorkflow.run, case["case_id"])
    await settled(handle)
    engine, audit = engine_for(settings.database), engine_for(settings.audit_database)
    check = await check_case(case["case_id"], await case_runs(temporal, engine, case["case_id"]),
                             temporal.data_converter, audit)
    assert (check.steps, check.unpaired, check.before_pairing) == (2, [], 0)

    body = f.criminal(CriminalStage.REPORTED)
    meta = f.meta(case["version"]).model_copy(update={"request_id": "never-audited"})
    proofs = StepProofs(case_keys(settings).masters)
    meta = proofs.sealed(case["case_id"], "record_criminal_stage", meta, body)
    await handle.execute_update(CaseWorkflow.record_criminal_stage, args=[meta, body])
    check = await check_case(case["case_id"], await case_runs(temporal, engine, case["case_id"]),
                             temporal.data_converter, audit)
    assert [(s.name, s.request_id) for s in check.unpaired] == [
        ("record_criminal_stage", "never-audited")]
