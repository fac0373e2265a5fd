"""The operator's commands: what stands open (cases, overdue deadlines, failed deliveries, from
the read model, no personal data), and repairs and checks (rebuild the read model from the
workflows, verify the audit chain, rewrap and shred keys). Long ones show progress on stderr
and can be stopped and started again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from infra.process import exit_skipping_teardown
from infra.settings import Settings, get_settings
from workflows.model.vocabulary import Office, Phase

# A check from the checkpoint does not see entries altered before it: walk it all this often.
FULL_WALK_EVERY = timedelta(days=7)


def _read_model() -> Any:
    """The configured read model's database."""
    from infra.database import engine_for

    return engine_for(get_settings().database)


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("–" if v is None else str(v) for v in row))
    Console(width=160).print(table)


def cases(phase: Annotated[Phase | None, typer.Option()] = None,
          office: Annotated[Office | None, typer.Option()] = None,
          overdue: bool = typer.Option(False, help="Only cases with an overdue deadline."),
          limit: int = typer.Option(50, min=1, max=500)) -> None:
    """The cases, newest first (from the read model)."""
    from store import queries

    page = queries.list_cases(_read_model(), phase=phase, office=office,
                              caseworker_id=None, page_size=limit, page_token=None,
                              overdue=overdue)
    _table("cases", ["case", "phase", "office", "caseworker", "referred"],
           [[c.case_id, c.phase, c.office, c.caseworker_id, f"{c.referred_at:%Y-%m-%d}"]
            for c in page.items])


def deadlines(office: Annotated[Office | None, typer.Option()] = None,
              limit: int = typer.Option(50, min=1, max=500)) -> None:
    """Cases with overdue deadlines, the most overdue first."""
    from store import queries

    page = queries.list_due(_read_model(), office=office, overdue=True,
                            due_before=None, page_size=limit, page_token=None)
    _table("overdue deadlines", ["case", "office", "caseworker", "deadline", "due", "overdue"],
           [[d.case_id, d.office, d.caseworker_id, d.next_deadline_kind,
             f"{d.next_due_at:%Y-%m-%d %H:%M}" if d.next_due_at else None, d.overdue]
            for d in page.items])


def deliveries(office: Annotated[Office | None, typer.Option()] = None) -> None:
    """Failed notifications (re-send them from the operations desk or the API once fixed)."""
    from store import queries

    failed = queries.failed_notices(_read_model(), office=office)
    _table("failed deliveries", ["case", "notification", "purpose", "agency", "last error"],
           [[n.case_id, n.notification_id, n.purpose, n.agency_id, n.last_error]
            for n in failed])


def resend(case_id: str, notification_id: str,
           reason: str = typer.Option(..., help="Why, for the audit log."),
           api: str = typer.Option("http://127.0.0.1:8000", help="The API to ask.")) -> None:
    """Send a failed notification again once its cause is fixed: through the API, as the
    operator whose bearer token CASEWORK_TOKEN holds (the API checks and audits it)."""
    import os
    import uuid

    import httpx

    from store import queries

    token = os.environ.get("CASEWORK_TOKEN")
    if not token:
        typer.echo("casework: set CASEWORK_TOKEN to your bearer token", err=True)
        exit_skipping_teardown(2)
    failed = {(n.case_id, n.notification_id): n.version for n in queries.failed_notices(
        _read_model(), office=None, limit=10_000)}
    version = failed.get((case_id, notification_id))
    if version is None:
        typer.echo(f"casework: no failed notification {notification_id} in {case_id}", err=True)
        exit_skipping_teardown(1)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    url = f"{api.rstrip('/')}/v1/cases/{case_id}/notifications/{notification_id}/resend"
    for _ in range(2):  # the read model's version may be a step behind: once more with the case's
        try:
            r = httpx.post(url, json={"reason": reason}, timeout=30,
                           headers={**headers, "If-Match": f'"{version}"'})
        except httpx.HTTPError as err:
            typer.echo(f"casework: the API at {api} did not answer: {err}", err=True)
            exit_skipping_teardown(1)
        problem = r.json() if r.headers.get("content-type", "").endswith("json") else {}
        if r.status_code != 409 or problem.get("code") != "StaleVersion":
            break
        version = problem["current_version"]
    if r.status_code == 200:
        typer.echo(f"{notification_id} of {case_id} sent again")
        exit_skipping_teardown()
    typer.echo(f"casework: {r.status_code} {problem.get('code', '')}: "
               f"{problem.get('detail', r.text[:200])}", err=True)
    exit_skipping_teardown(1)


def rebuild_read_model(after: str = typer.Option("", help="Go on after this case (a stopped "
                                                  "run printed it)."),
                       closed: bool = typer.Option(False, help="Closed cases too, as far as "
                                                   "Temporal still holds them.")) -> None:
    """Write every case's read-model rows from its workflow's state, in case id order: rows
    lost or behind are written, a copy as new as the workflow's is kept (idempotent), and a
    stopped run goes on with --after."""
    asyncio.run(_rebuild(get_settings(), after, closed))
    exit_skipping_teardown()


async def _rebuild(settings: Settings, after: str, closed: bool) -> None:
    from rich.console import Console
    from rich.progress import Progress
    from temporalio.client import WorkflowQueryFailedError
    from temporalio.service import RPCError

    from infra.codec import KeyShredded
    from infra.database import engine_for
    from infra.temporal import connect
    from store.keys import case_keys
    from store.projection import project
    from workflows.engine.case_workflow import CaseWorkflow

    keys = case_keys(settings)
    client, engine = await connect(settings, keys), engine_for(settings.database)
    query = "WorkflowType = 'CaseWorkflow'" + ("" if closed else
                                               " AND ExecutionStatus = 'Running'")
    ids = sorted({run.id async for run in client.list_workflows(query) if run.id > after})
    done, skipped = "", 0
    with Progress(console=Console(stderr=True)) as progress:
        task = progress.add_task("rebuilding the read model", total=len(ids))
        try:
            for case_id in ids:
                try:
                    state = await client.get_workflow_handle(case_id).query(CaseWorkflow.state)
                except (RPCError, WorkflowQueryFailedError, KeyShredded):
                    skipped += 1  # past retention, or shredded: its last copy stays
                else:
                    await asyncio.to_thread(project, engine, keys, state)
                done = case_id
                progress.advance(task)
        except (KeyboardInterrupt, asyncio.CancelledError):
            typer.echo(f"stopped: go on with --after {done}", err=True)
            raise
    typer.echo(f"{len(ids) - skipped} cases written again from their workflows "
               f"({skipped} skipped: shredded, or no longer in Temporal)")


def shred(case_id: str = typer.Argument(help="The case whose retention period has ended.")) -> None:
    """Destroy a case's data key: its personal data becomes unreadable everywhere (Temporal's
    history, the copied histories, the read model, its documents' files, which are deleted
    too), while its audit chain stays verifiable."""
    from store.attachments import blobs
    from store.keys import case_keys

    settings = get_settings()
    if asyncio.run(_running(settings, case_id)):
        typer.echo(f"{case_id} is still running: only a closed case can be shredded", err=True)
        exit_skipping_teardown(1)
    if not case_keys(settings).shred(case_id):
        typer.echo(f"{case_id} has no data key (never encrypted, or already shredded)", err=True)
        exit_skipping_teardown(1)
    blobs(settings).delete_case(case_id)  # unreadable already; gone from the store too
    typer.echo(f"{case_id} shredded; running processes forget its key within 5 minutes")
    exit_skipping_teardown()


def rewrap_keys(batch: int = typer.Option(200, min=1, max=10_000,
                                          help="Data keys per round.")) -> None:
    """Wrap every case data key under the newest master key (the first of
    CASEWORK_PAYLOAD_KEYS), so an older master key can leave the configuration. Runs beside the
    API and the worker (give them both keys first); stopped, it starts again where it was."""
    from rich.console import Console
    from rich.progress import Progress

    from infra.codec import KeyUnavailable
    from store.keys import case_keys

    keys = case_keys(get_settings())
    total = keys.to_rewrap()
    with Progress(console=Console(stderr=True)) as progress:
        task = progress.add_task(f"rewrapping under {keys.masters.newest_id}", total=total)
        try:
            while done := keys.rewrap(batch):
                progress.advance(task, done)
        except KeyUnavailable as err:
            typer.echo(f"casework: {err}", err=True)
            exit_skipping_teardown(1)
    left = keys.to_rewrap()
    typer.echo(f"{total - left} data keys rewrapped; {left} left under older master keys")
    exit_skipping_teardown(1 if left else 0)


def verify_audit(full: bool = typer.Option(False, help="Walk the whole chain, not only what "
                                           "came since the last intact walk."),
                 steps_days: int = typer.Option(2, min=0, help="Pair every step in the "
                                                "histories of open cases, and of cases closed "
                                                "in this many days, with its audited intent "
                                                "(0: not at all).")) -> None:
    """Walk the audit log's hash chain and check it against the anchors of its head, from the
    checkpoint the last intact walk left (or the first entry with --full); then pair every step
    in the cases' histories with its intent in the log. Exit 1 naming the first entry that does
    not match, and every step that has no intent."""
    intact = _verify_chain(full)
    unpaired = asyncio.run(_check_steps(get_settings(), steps_days)) if steps_days else 0
    if unpaired or not intact:
        raise typer.Exit(1)


async def _check_steps(settings: Settings, days: int) -> int:
    """Steps without an audited intent, named on stderr; how many."""
    from infra.database import engine_for
    from infra.temporal import connect
    from store.history import case_runs
    from store.keys import case_keys
    from store.step_audit import check_case

    try:
        client = await connect(settings, case_keys(settings))
    except RuntimeError as err:  # the SDK's "failed client connect"
        typer.echo(f"casework: steps not paired with their intents: Temporal cannot be reached "
                   f"({err.__class__.__name__}); --steps-days 0 checks the chain alone", err=True)
        return 1
    engine, audit_engine = engine_for(settings.database), engine_for(settings.audit_database)
    since = (datetime.now(UTC) - timedelta(days=days)).isoformat().replace("+00:00", "Z")
    query = (f"WorkflowType = 'CaseWorkflow' AND (ExecutionStatus = 'Running' "
             f"OR CloseTime > '{since}')")
    seen: set[str] = set()
    steps = earlier = unpaired = 0
    async for run in client.list_workflows(query):
        if run.id in seen:
            continue
        seen.add(run.id)
        check = await check_case(run.id, await case_runs(client, engine, run.id),
                                 client.data_converter, audit_engine)
        steps, earlier = steps + check.steps, earlier + check.before_pairing
        for step in check.unpaired:
            unpaired += 1
            typer.echo(f"step without an audited intent: {run.id} run {step.run} event "
                       f"{step.event_id} {step.name} at {step.at:%Y-%m-%d %H:%M:%S}Z", err=True)
    typer.echo(f"{steps - earlier - unpaired} steps of {len(seen)} cases paired with their "
               f"audited intents; {unpaired} without one; {earlier} recorded before steps "
               "carried their intent")
    return unpaired


def _verify_chain(full: bool) -> bool:
    from rich.console import Console
    from rich.progress import Progress
    from sqlalchemy import func, select
    from sqlmodel import Session

    from infra.database import engine_for
    from store.audit import checkpoint, verify
    from store.tables import AuditHead

    settings = get_settings()
    audit_engine, anchors = engine_for(settings.audit_database), engine_for(settings.database)
    with Session(audit_engine) as session:
        head = session.execute(select(func.max(AuditHead.seq))).scalar_one() or 0
    start = None if full else checkpoint(anchors)
    with Progress(console=Console(stderr=True)) as progress:
        task = progress.add_task("verifying the audit chain",
                                 total=head - (start.seq if start else 0))
        verdict = verify(audit_engine, anchors, full=full,
                         seen=lambda n: progress.advance(task, n))
    if verdict.intact:
        typer.echo(f"audit log intact: {verdict.entries} entries walked from entry "
                   f"{verdict.checked_from} to the head, {verdict.head_seq}")
        last = verdict.last_full_walk
        if last is None or datetime.now(UTC) - last > FULL_WALK_EVERY:
            typer.echo("casework: the whole chain was last walked "
                       f"{f'on {last:%Y-%m-%d}' if last else 'never'}; entries before the "
                       "checkpoint are seen only by a full walk: run verify-audit --full",
                       err=True)
        return True
    typer.echo(f"audit log broken at entry {verdict.first_bad_seq}: {verdict.problem}", err=True)
    return False



def promote(grace: float | None = typer.Option(
        None, min=0, help="Seconds the runs of other builds have to move on themselves before "
        "they are moved (default: CASEWORK_WORKER_MOVE_ON_GRACE_SECONDS).")) -> None:
    """Make the worker build CASEWORK_WORKER_BUILD_ID (or this code's) the current one and move
    the case runs of other builds onto it: for a deploy whose workers start with
    CASEWORK_WORKER_PROMOTE=off, once the new build has been watched, or for a rollback (a
    starting worker does not make an older build current by itself)."""
    from worker.versioning import build_id, move_on
    from worker.versioning import promote as make_current

    settings = get_settings()
    if not settings.worker_versioning:
        typer.echo("casework: worker versioning is off (CASEWORK_WORKER_VERSIONING)", err=True)
        exit_skipping_teardown(1)

    async def promoted() -> tuple[int, int]:
        from infra.temporal import connect
        from store.keys import case_keys

        client = await connect(settings, case_keys(settings))
        await make_current(client, settings)
        moved = await move_on(client, settings, grace)
        return moved.woken, moved.overridden

    from temporalio.service import RPCError

    try:
        woken, overridden = asyncio.run(promoted())
    except (RPCError, TimeoutError) as err:  # e.g. no worker of that build has polled
        typer.echo(f"casework: {build_id(settings)} could not be made current: {err}", err=True)
        exit_skipping_teardown(1)
    typer.echo(f"{build_id(settings)} is current; {woken} runs told to move on, "
               f"{overridden} moved after the grace")
    exit_skipping_teardown()


async def _running(settings: Settings, case_id: str) -> bool:
    from temporalio.client import WorkflowExecutionStatus
    from temporalio.service import RPCError, RPCStatusCode

    from infra.temporal import connect
    from store.keys import case_keys

    client = await connect(settings, case_keys(settings))
    try:
        described = await client.get_workflow_handle(case_id).describe()
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    return described.status is WorkflowExecutionStatus.RUNNING


COMMANDS: dict[str, Callable[..., None]] = {
    "cases": cases, "deadlines": deadlines, "deliveries": deliveries, "resend": resend,
    "rebuild-read-model": rebuild_read_model, "verify-audit": verify_audit,
    "rewrap-keys": rewrap_keys, "shred": shred, "promote": promote}
