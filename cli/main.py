"""`casework`: run the whole system, or one of its processes.

`casework run` on the embedded defaults starts the Temporal dev server (SQLite file under the data
folder, Web UI), registers the case search attributes, then the worker and the API, each in a
process of its own. With CASEWORK_TEMPORAL_ADDRESS set it starts only the worker and the API,
against that cluster. A process that exits is started again, with backoff (`cli.supervisor`); one
that keeps exiting stops them all. Ctrl-C (or SIGTERM) stops the processes in reverse order and
waits for them.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import make_url

from cli import operations
from cli.supervisor import Supervisor, ended
from infra.binaries import temporal_cli
from infra.keyfiles import UMASK, private_folder
from infra.process import exit_skipping_teardown
from infra.settings import Settings, get_settings

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)

# Measured: WAL and synchronous=normal triple the dev server's start and update throughput.
SQLITE_PRAGMAS = ("journal_mode=wal", "synchronous=normal")
# The commands that read or write the data folder: it is made private before they start.
DATA_COMMANDS = frozenset({"run", "api", "worker", "outbox", "setup", "token"})


@app.callback()
def _private_data(ctx: typer.Context) -> None:
    # What every command and the processes it starts (the dev server, the outbox) write is the
    # owner's only; a data folder made readable by others before is tightened, or refused.
    os.umask(UMASK)
    if ctx.invoked_subcommand not in DATA_COMMANDS:
        return
    try:
        private_folder(get_settings().data_dir, create=ctx.invoked_subcommand == "run")
    except PermissionError as err:
        typer.echo(f"casework: {err}", err=True)
        raise typer.Exit(1) from None


def _check_sign_in(settings: Settings) -> None:
    """No API without an identity provider, except on the development sign-in's terms."""
    try:
        settings.check_sign_in()
    except ValueError as err:
        typer.echo(f"casework: {err}", err=True)
        raise typer.Exit(2) from None


@app.command()
def worker() -> None:
    """Run the worker (workflows and activities) against the configured Temporal."""
    from worker.main import main

    main()


@app.command()
def api() -> None:
    """Run the HTTP API and the console against the configured Temporal."""
    import uvicorn

    from infra.logs import Mask, configure_logging
    from infra.telemetry import configure_telemetry
    from workflows.model.state import LOGGED

    settings = get_settings()
    _check_sign_in(settings)
    configure_logging(settings, Mask(LOGGED))
    configure_telemetry(settings, "api", Mask(LOGGED))
    uvicorn.run("console.app:create_app", factory=True, host=settings.api_host,
                port=settings.api_port, log_config=None, proxy_headers=True,
                http="api.limits:BoundedHead")  # headers bounded as they arrive
    exit_skipping_teardown()


@app.command()
def openapi(out: Annotated[Path | None, typer.Option(help="Write here, not to stdout.")] = None,
            ) -> None:
    """Print the API's contract (the committed `openapi.json` is its output)."""
    from api.contract import render
    from api.main import create_app

    text = render(create_app())
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


@app.command("webhook-secret")
def webhook_secret() -> None:
    """Print a new webhook secret (Standard Webhooks' `whsec_<base64>`): set it as the
    CASEWORK_SECRET_* variable the directory names, and give it to the agency."""
    import base64
    import secrets

    typer.echo("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode())


@app.command()
def outbox() -> None:
    """Run the local SMTP outbox of the embedded defaults: every mail lands in data/outbox/."""
    from aiosmtpd.controller import Controller

    settings = get_settings()
    folder = settings.data_dir / "outbox"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    class Keep:
        async def handle_DATA(self, _server: object, _session: object, envelope: object) -> str:
            name = f"{time.time_ns()}.eml"
            fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as mail:
                mail.write(envelope.content)  # type: ignore[attr-defined]
            return "250 kept"

    controller = Controller(Keep(), hostname=settings.smtp_host, port=settings.smtp_port)
    controller.start()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    controller.stop()


@app.command()
def setup() -> None:
    """Prepare the database (migrations) and the Temporal namespace (search attributes)."""
    settings = get_settings()
    _migrate(settings)
    _check_keys(settings)
    added = asyncio.run(_register_search_attributes(settings))
    typer.echo(f"search attributes added: {', '.join(added) or 'none (all present)'}")
    exit_skipping_teardown()


@app.command()
def token(
    user_id: str = typer.Argument(help="The person's pseudonymous staff id, e.g. cw-anna."),
    role: str = typer.Option(..., help="caseworker, office_lead, police, border_guard, "
                             "reception_centre, social_services, ngo, auditor or operator."),
    agency: str | None = typer.Option(None, help="The agency's id in the directory (agency "
                                      "roles)."),
    office: str | None = typer.Option(None, help="joutseno, helsinki, tampere or oulu "
                                      "(caseworkers and office leads)."),
    hours: float = typer.Option(8.0, help="How long the token is valid."),
) -> None:
    """Mint a bearer token signed by the local key (development only)."""
    from pydantic import ValidationError

    from infra.tokens import mint
    from workflows.model.requests import Actor
    from workflows.rules.guards import AGENCIES, STAFF

    settings = get_settings()
    if settings.auth_jwks_url:
        typer.echo("tokens come from the identity provider here (CASEWORK_AUTH_JWKS_URL is set)",
                   err=True)
        raise typer.Exit(2)
    _check_sign_in(settings)  # the API would refuse to start
    try:
        actor = Actor(user_id=user_id, role=role, agency=agency, office=office)
    except ValidationError as err:
        typer.echo(f"not a valid identity: {err.errors()[0]['loc'][0]}", err=True)
        raise typer.Exit(2) from None
    if actor.role in AGENCIES and actor.agency is None:
        typer.echo("an agency role needs --agency", err=True)
        raise typer.Exit(2)
    if actor.role in STAFF and actor.office is None:
        typer.echo("a caseworker or office lead needs --office", err=True)
        raise typer.Exit(2)
    if hours * 3600 > settings.auth_max_token_hours * 3600:
        typer.echo(f"at most {settings.auth_max_token_hours:g} hours", err=True)
        raise typer.Exit(2)
    typer.echo(mint(settings, user_id, role, agency, int(hours * 3600), office))


@app.command()
def run() -> None:
    """Run the whole system: Temporal (embedded unless configured), worker and API, each started
    again when it exits."""
    settings = get_settings()
    _check_sign_in(settings)  # before anything starts (the data folder: `_private_data`)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    processes = Supervisor(stop)
    gave_up: str | None = None
    try:
        if _start_in_order(settings, stop, processes):
            _announce(settings)
            gave_up = processes.watch()
    finally:
        failed = processes.stop_all()
    typer.echo("casework: stopped" + (f" ({', '.join(failed)} failed)" if failed else ""),
               err=True)
    exit_skipping_teardown(1 if failed or gave_up else 0)


def _start_in_order(settings: Settings, stop: threading.Event, processes: Supervisor) -> bool:
    """The dev server and the outbox (embedded), then, once Temporal answers, the worker and the
    API; False when stopped before the API is up."""
    if settings.embedded:
        processes.start("temporal", lambda: _start_dev_server(settings))
        processes.start("outbox", lambda: _spawn([sys.executable, "-m", "cli", "outbox"]))
        if not _wait_for_port(settings.dev_server_port, stop, processes):
            return False
    _migrate(settings)
    _check_keys(settings)
    asyncio.run(_register_search_attributes(settings))
    # The only worker: its build is current whatever code ran before, and runs of another
    # build have no worker of their own left to move them on, so they move at once.
    worker_env = {"CASEWORK_WORKER_MOVE_ON_GRACE_SECONDS": "0", "CASEWORK_WORKER_PROMOTE": "always",
                  **os.environ,
                  "CASEWORK_METRICS_PORT": str(settings.worker_metrics_port)}
    processes.start("worker", lambda: _spawn([sys.executable, "-m", "cli", "worker"],
                                             env=worker_env))
    processes.start("api", lambda: _spawn([sys.executable, "-m", "cli", "api"],
                                          env=_api_env(settings)))
    return _wait_for_port(settings.api_port, stop, processes)


def _api_env(settings: Settings) -> dict[str, str]:
    """The API's metrics on its port; the embedded Web UI may call the API's codec endpoint
    from its own origin."""
    env = {**os.environ, "CASEWORK_METRICS_PORT": str(settings.api_metrics_port)}
    if settings.embedded and not settings.codec_cors_origins:
        ui = settings.dev_server_ui_port
        env["CASEWORK_CODEC_CORS_ORIGINS"] = json.dumps(
            [f"http://127.0.0.1:{ui}", f"http://localhost:{ui}"])
    return env


def _spawn(cmd: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
    # Own session: a terminal's Ctrl-C reaches only us, and we stop the children in order.
    return subprocess.Popen(cmd, start_new_session=True, **kwargs)  # type: ignore[call-overload]


def _start_dev_server(settings: Settings) -> subprocess.Popen[bytes]:
    from infra.temporal import dev_server_args

    cmd = [str(temporal_cli()), "server", "start-dev",
           "--db-filename", str(settings.data_dir / "temporal.db"),
           "--ip", "127.0.0.1", "--port", str(settings.dev_server_port),
           "--ui-port", str(settings.dev_server_ui_port),
           "--ui-codec-endpoint", f"http://{settings.api_host}:{settings.api_port}/codec",
           "--namespace",
           settings.temporal_namespace, "--ui-disable-news-fetch", "--log-level", "warn",
           *dev_server_args()]
    for pragma in SQLITE_PRAGMAS:
        cmd += ["--sqlite-pragma", pragma]
    # Started again, it opens the same database file and appends to the same log.
    with open(settings.data_dir / "temporal.log", "ab") as log:  # the child has its own copy
        return _spawn(cmd, stdout=log, stderr=subprocess.STDOUT)


def _wait_for_port(port: int, stop: threading.Event, processes: Supervisor,
                   timeout: float = 60) -> bool:
    """True once something listens on the port, False when stopped; a process that exits before
    then (nothing is restarted before all are up) or a port still closed at the timeout ends
    `run` with 1."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.is_set():
        if (gone := processes.exited()) is not None:
            typer.echo(f"casework: {gone.name} {ended(gone.proc.returncode)} before casework was "
                       "up; stopping", err=True)
            raise typer.Exit(1)
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.2)
    if not stop.is_set():
        typer.echo(f"casework: nothing listening on port {port} after {timeout:.0f}s", err=True)
        raise typer.Exit(1)
    return False


def _check_keys(settings: Settings) -> None:
    """Refuse to run when the stored case keys cannot be opened with the master keys at hand."""
    from infra.codec import KeyUnavailable
    from store.keys import case_keys

    try:
        case_keys(settings).check()
    except KeyUnavailable as err:
        typer.echo(f"casework: {err}", err=True)
        raise typer.Exit(1) from None


def _migrate(settings: Settings) -> None:
    from infra.database import migrate

    for url in dict.fromkeys((settings.database, settings.audit_database)):
        migrate(url)


async def _register_search_attributes(settings: Settings) -> list[str]:
    from infra.temporal import connect, register_search_attributes
    from store.keys import case_keys
    from workflows.model import search_attributes

    client = await connect(settings, case_keys(settings))
    return await register_search_attributes(client, settings.temporal_namespace,
                                            search_attributes.ALL)


def _announce(settings: Settings) -> None:
    api = f"http://{settings.api_host}:{settings.api_port}"
    lines = [f"Console        {api}/  (sign in as anyone on the embedded defaults)",
             f"API            {api}", f"OpenAPI docs   {api}/docs",
             "A token        .venv/bin/casework token cw-1 --role caseworker --office helsinki",
             f"Metrics        http://{settings.metrics_host}:{settings.api_metrics_port}/metrics "
             f"(API), :{settings.worker_metrics_port}/metrics (worker)"]
    if settings.embedded:
        lines.append(f"Temporal UI    http://127.0.0.1:{settings.dev_server_ui_port}")
        lines.append(f"Temporal data  {Path(settings.data_dir).resolve() / 'temporal.db'}")
        lines.append(f"Mail outbox    {Path(settings.data_dir).resolve() / 'outbox'} "
                     f"(SMTP {settings.smtp_host}:{settings.smtp_port})")
    else:
        lines.append(f"Temporal       {settings.temporal_target} ({settings.temporal_namespace})")
    for name, url in (("Database", settings.database), ("Audit log", settings.audit_database)):
        lines.append(f"{name:<15}{make_url(url).render_as_string(hide_password=True)}")
    typer.echo("\n".join(["", "casework is running (Ctrl-C stops it):", *lines, ""]), err=True)


# The operator's commands (`cli.operations`): what stands open, repairs and checks.
for name, command in operations.COMMANDS.items():
    app.command(name)(command)


if __name__ == "__main__":
    app()
