"""The worker process: hosts the case workflows and their activities, and the archiving rounds
the cluster's schedule starts (`worker.schedules`)."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta

import structlog
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.worker import Worker

from activities.archive import ArchiveActivities
from activities.notifications import MayDeliver, NotificationActivities
from activities.read_model import ReadModelActivities
from infra.codec import KeyUnavailable
from infra.database import engine_for
from infra.logs import Mask, configure_logging
from infra.process import exit_skipping_teardown
from infra.proof import StepProofs
from infra.settings import Settings, get_settings
from infra.telemetry import configure_telemetry
from infra.temporal import connect
from store.keys import CaseKeys, case_keys
from worker.proof import StepProofInterceptor
from worker.sandbox import WORKFLOW_RUNNER
from worker.schedules import ensure_archive_schedule
from worker.versioning import deployment, promote_and_move_on
from workflows.engine.archiving import ArchiveWorkflow
from workflows.engine.case_workflow import RUNS_PAST_LIMIT, CaseWorkflow
from workflows.model.contracts import Delivery
from workflows.model.state import LOGGED

log = structlog.get_logger(__name__)


WORKFLOWS = [CaseWorkflow, ArchiveWorkflow]
HEARTBEAT_THROTTLE = timedelta(seconds=5)
STICKY_WAIT = timedelta(seconds=3)


def build_worker(client: Client, settings: Settings, keys: CaseKeys | None = None,
                 **options: object) -> Worker:
    """The one place that says what a worker hosts; tests build theirs here too."""
    notifications = NotificationActivities(settings, may_deliver=asking(client))
    engine = engine_for(settings.database)
    keys = keys or case_keys(settings)
    read_model = ReadModelActivities(engine, keys)
    archive = ArchiveActivities(client, engine)
    return Worker(client, task_queue=settings.temporal_task_queue, workflows=WORKFLOWS,
                  activities=[notifications.resolve_agencies, notifications.deliver,
                              read_model.project_case, archive.archive_histories],
                  workflow_runner=WORKFLOW_RUNNER, deployment_config=deployment(settings),
                  interceptors=[StepProofInterceptor(StepProofs(keys.masters))],
                  # A beat at least every 5 s, against a heartbeat timeout of 30 s: a busy worker
                  # is not taken for dead (its delivery would be sent twice).
                  max_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
                  # A case whose worker died waits this long on that worker's own queue before
                  # another takes it: under the API's 10 s budget (the SDK's 10 s made the first
                  # read of such a case a 503 after a crash; tests/system/test_faults.py).
                  sticky_queue_schedule_to_start_timeout=STICKY_WAIT,
                  # On shutdown (a deploy), the activities under way finish before it stops,
                  # rather than being cancelled mid-send and sent again elsewhere.
                  **{"max_cached_workflows": settings.worker_cached_cases,
                     "graceful_shutdown_timeout": timedelta(
                         seconds=settings.worker_shutdown_seconds), **options})  # type: ignore[arg-type]


def asking(client: Client) -> MayDeliver:
    """Each delivery attempt asks its case whether consent still covers it."""
    async def may_deliver(delivery: Delivery) -> bool:
        handle = client.get_workflow_handle_for(CaseWorkflow.run, delivery.case_id)
        return await handle.query(CaseWorkflow.may_deliver, delivery.notification_id)
    return may_deliver


async def serve(settings: Settings) -> None:
    keys = case_keys(settings)
    keys.check()  # refuse to start when stored case keys cannot be opened
    # Served from the start (at 0), so its alert watches a series that exists.
    Runtime.default().metric_meter.create_counter(*RUNS_PAST_LIMIT).add(0)
    client = await connect(settings, keys)
    worker = build_worker(client, settings, keys)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker started", task_queue=settings.temporal_task_queue,
             namespace=settings.temporal_namespace)
    try:
        await ensure_archive_schedule(client, settings)
    except Exception:  # the cases come first: archiving waits for the next worker's start
        log.exception("the archive schedule could not be ensured")
    async with worker:
        # Beside the cases it serves: a run moving on needs this worker polling already.
        promoting = (asyncio.create_task(promote_and_move_on(client, settings))
                     if settings.worker_versioning and settings.worker_promote != "off"
                     else None)
        await stop.wait()
        if promoting is not None:
            promoting.cancel()
        log.info("worker stopping")
    log.info("worker stopped")


def main() -> None:
    settings = get_settings()
    configure_logging(settings, Mask(LOGGED))
    configure_telemetry(settings, "worker", Mask(LOGGED))
    try:
        asyncio.run(serve(settings))
    except KeyUnavailable as err:
        log.error("worker refuses to start", problem=str(err))
        exit_skipping_teardown(1)
    exit_skipping_teardown()


if __name__ == "__main__":
    main()
