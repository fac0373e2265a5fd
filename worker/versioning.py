"""Worker Versioning: a case's run is served by the build it started on, and moves on by plan.

Every worker belongs to a Worker Deployment (`worker_deployment`) under a build id (by default
a digest of the code it runs). A case's run is pinned to the build its first task ran on, so
an older worker never replays a newer run (a rollback cannot trap one) and a newer one never
replays an older run mid-way. A run continues as new onto the deployment's current build:
on its history or age as before, and when it sees the current build changed (`move_on`).

Promotion (`promote`, at a worker's start as `worker_promote` says) makes this build the
current one, then wakes every run pinned to another build: its own workers continue it as new
here as soon as its deliveries are settled. A run whose build no worker serves any more (the
old pods are gone, or `casework run` restarted with new code) would never wake: after the grace
(`worker_move_on_grace_seconds`) it is moved onto the current build as it stands, replayed by
the current code, which the recorded histories guarantee can replay it (docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from google.protobuf.field_mask_pb2 import FieldMask
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import RoutingConfigUpdateState
from temporalio.api.workflow.v1 import VersioningOverride, WorkflowExecutionOptions
from temporalio.api.workflowservice.v1 import (
    DescribeWorkerDeploymentRequest,
    SetWorkerDeploymentCurrentVersionRequest,
    UpdateWorkflowExecutionOptionsRequest,
)
from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import WorkerDeploymentConfig

from infra.settings import Settings

log = structlog.get_logger(__name__)

# What a worker runs: a change to any of these is a new build.
PACKAGES = ("workflows", "activities", "worker", "infra", "store")
ROOT = Path(__file__).resolve().parent.parent
# How long a new build waits for its workers to have polled before it can be made current.
PROMOTE_TIMEOUT = 60.0
# Workflow type whose runs promotion moves on (the archive rounds are minutes long and left).
CASE_TYPE = "CaseWorkflow"
MOVE_ON = "move_on"  # the signal that wakes a run to see the current build changed
SWEEP_SECONDS = 300.0  # how often a current build's worker looks for runs left elsewhere


def build_id(settings: Settings) -> str:
    """The configured build id, or a digest of the source of what a worker runs: the same code
    is the same build on every pod, and any change is a new one."""
    return settings.worker_build_id or _source_digest()


@functools.cache
def _source_digest() -> str:
    digest = hashlib.sha256()
    sources = [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]
    locked = [ROOT / "uv.lock"] if (ROOT / "uv.lock").exists() else []  # the SDK's version too
    for path in [*locked, *sources]:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return f"src-{digest.hexdigest()[:16]}"


def version(settings: Settings) -> WorkerDeploymentVersion:
    return WorkerDeploymentVersion(settings.worker_deployment, build_id(settings))


def deployment(settings: Settings) -> WorkerDeploymentConfig | None:
    """The worker's deployment, or None where versioning is off (the time-skipping test
    server has no Worker Deployments)."""
    if not settings.worker_versioning:
        return None
    # Every workflow here is pinned (the archive rounds too: they last minutes).
    return WorkerDeploymentConfig(version=version(settings), use_worker_versioning=True,
                                  default_versioning_behavior=VersioningBehavior.PINNED)


@dataclass(frozen=True)
class Moved:
    woken: int  # runs on another build that were told to move on
    overridden: int  # runs still there after the grace, moved onto the current build


async def promote(client: Client, settings: Settings) -> None:
    """Make this worker's build the deployment's current one. The server knows a build once one
    of its workers has polled, so this is retried until then (or PROMOTE_TIMEOUT)."""
    current = version(settings)
    request = SetWorkerDeploymentCurrentVersionRequest(
        namespace=client.namespace, deployment_name=current.deployment_name,
        build_id=current.build_id, identity=client.identity)
    deadline = asyncio.get_running_loop().time() + PROMOTE_TIMEOUT
    while True:
        try:
            await client.workflow_service.set_worker_deployment_current_version(request)
        except RPCError as err:
            if asyncio.get_running_loop().time() > deadline or err.status not in (
                    RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
                raise
            await asyncio.sleep(0.5)
        else:
            break
    # Until every task queue knows it, a run's next task is not told that the build changed.
    while await _propagating(client, settings):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the current build did not reach every task queue in time")
        await asyncio.sleep(0.2)
    log.info("build made current", deployment=current.deployment_name, build_id=current.build_id)


async def move_on(client: Client, settings: Settings, grace: float | None = None) -> Moved:
    """Wake the case runs pinned to another build of this deployment, then move those still
    there after the grace onto the current build (their own workers are gone). Visibility lags:
    a run it lists only later in the grace is woken then."""
    grace = settings.worker_move_on_grace_seconds if grace is None else grace
    loop = asyncio.get_running_loop()
    deadline, woken = loop.time() + grace, set[str]()
    left = await _elsewhere(client, settings)
    while True:
        for case_id in set(left) - woken:
            await _wake(client, case_id, left[case_id])
            woken.add(case_id)
        if not left or loop.time() >= deadline:
            break
        await asyncio.sleep(min(1.0, grace))
        left = await _elsewhere(client, settings)
    if woken:
        log.info("runs on another build told to move on", runs=len(woken), grace_seconds=grace)
    overridden = [run for run in left.items() if await _auto_upgrade(client, *run)]
    if overridden:
        log.warning("runs whose build no worker serves moved onto the current build",
                    runs=len(overridden))
    return Moved(len(woken), len(overridden))


async def promote_and_move_on(client: Client, settings: Settings) -> None:
    """At a worker's start: its build becomes current, unless it is older than the current one
    (a rollback, or an old pod restarting mid-rollout: `casework promote` makes it current on
    purpose), and the runs of other builds follow; then, as long as it runs, it sweeps again
    every `SWEEP_SECONDS` while its build is current (runs that visibility listed late, or
    whose build's workers left after the last sweep). A failure is logged, not fatal: the
    worker serves its own runs meanwhile."""
    try:
        await promote_unless_older(client, settings)
    except Exception:
        log.exception("the build could not be made current")
    while True:
        try:
            if await current_build(client, settings) == build_id(settings):
                await move_on(client, settings)
        except Exception:
            log.exception("the runs of other builds could not be moved on")
        await asyncio.sleep(SWEEP_SECONDS)


async def promote_unless_older(client: Client, settings: Settings) -> bool:
    """Make this build current (`promote`), unless `worker_promote` is "newer" and another
    build, first seen after this one, is current; whether it was made current."""
    if settings.worker_promote == "newer" and await _older_than_current(client, settings):
        log.info("an older build than the current one: not made current",
                 build_id=build_id(settings))
        return False
    await promote(client, settings)
    return True


async def _deployment(client: Client, settings: Settings) -> Any:
    described = await client.workflow_service.describe_worker_deployment(
        DescribeWorkerDeploymentRequest(namespace=client.namespace,
                                        deployment_name=settings.worker_deployment))
    return described.worker_deployment_info


async def current_build(client: Client, settings: Settings) -> str:
    """The build the deployment routes new runs to ("" before any is current)."""
    info = await _deployment(client, settings)
    return str(info.routing_config.current_deployment_version.build_id)


def listed_as(settings: Settings) -> str:
    """This build as visibility writes it in `TemporalWorkerDeploymentVersion` (a colon, where
    the SDK's canonical string has a dot)."""
    return f"{settings.worker_deployment}:{build_id(settings)}"


async def _older_than_current(client: Client, settings: Settings) -> bool:
    """Whether another build is current and was first seen after this one (the server records
    when it first saw each build's workers)."""
    ours = build_id(settings)
    try:
        info = await _deployment(client, settings)
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:  # the deployment's first build
            return False
        raise
    current = info.routing_config.current_deployment_version.build_id
    seen = {v.deployment_version.build_id: v.create_time.ToDatetime()
            for v in info.version_summaries}
    return bool(current) and current != ours and ours in seen and current in seen \
        and seen[ours] < seen[current]


async def _propagating(client: Client, settings: Settings) -> bool:
    return bool((await _deployment(client, settings)).routing_config_update_state
                == RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS)


async def _elsewhere(client: Client, settings: Settings) -> dict[str, str]:
    """Open case runs of this deployment and task queue pinned to another build: the run id
    of each case's."""
    query = (f"WorkflowType = '{CASE_TYPE}' AND ExecutionStatus = 'Running' "
             f"AND TaskQueue = '{settings.temporal_task_queue}' "
             f"AND TemporalWorkerDeployment = '{settings.worker_deployment}' "
             f"AND TemporalWorkflowVersioningBehavior = 'Pinned' "
             f"AND TemporalWorkerDeploymentVersion != '{listed_as(settings)}'")
    return {run.id: run.run_id async for run in client.list_workflows(query)}


async def _wake(client: Client, case_id: str, run_id: str) -> None:
    try:
        await client.get_workflow_handle(case_id, run_id=run_id).signal(MOVE_ON)
    except RPCError as err:  # one run's trouble stops no other's; the next sweep tries again
        if err.status is not RPCStatusCode.NOT_FOUND:  # not closed meanwhile
            log.warning("a run could not be told to move on", case_id=case_id,
                        status=err.status.name)


async def _auto_upgrade(client: Client, case_id: str, run_id: str) -> bool:
    """Let the run follow the current build from its next task on (it is replayed there);
    False if it closed meanwhile (it continued as new: visibility had not caught up)."""
    try:
        await client.workflow_service.update_workflow_execution_options(
            UpdateWorkflowExecutionOptionsRequest(
                namespace=client.namespace, identity=client.identity,
                workflow_execution=WorkflowExecution(workflow_id=case_id, run_id=run_id),
                workflow_execution_options=WorkflowExecutionOptions(
                    versioning_override=VersioningOverride(auto_upgrade=True)),
                update_mask=FieldMask(paths=["versioning_override"])))
    except RPCError as err:
        if err.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            log.warning("a run could not be moved", case_id=case_id, status=err.status.name)
        return False
    return True
