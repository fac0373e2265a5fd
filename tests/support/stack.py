"""The real system in processes: `casework run` (dev server, worker, API) on fresh ports and a
data folder of its own, or its parts one by one for the fault suite."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client

from infra.settings import Settings
from infra.temporal import DATA_CONVERTER, data_converter
from store.keys import case_keys
from tests.support.identities import SIGNING_KEY
from tests.support.receivers import free_port
from tests.support.unhurried import UNHURRIED_ENV
from tests.support.waiting import eventually_blocking


class Stack:
    """One `casework run` process with its own data folder and ports."""

    def __init__(self, data_dir: Path) -> None:
        self.log = data_dir / "run.log"
        ports = {"API_PORT": free_port(), "DEV_SERVER_PORT": free_port(),
                 "DEV_SERVER_UI_PORT": free_port(), "SMTP_PORT": free_port(),
                 "API_METRICS_PORT": free_port(), "WORKER_METRICS_PORT": free_port()}
        # Limits the tests and benchmarks never reach (bench/flood.py measures the defaults).
        self.env = {**os.environ, "CASEWORK_DATA_DIR": str(data_dir), "CASEWORK_LOG_FORMAT": "json",
                    "CASEWORK_AUTH_SIGNING_KEY": str(SIGNING_KEY), **UNHURRIED_ENV,
                    **{f"CASEWORK_{k}": str(v) for k, v in ports.items()}}
        self.url = f"http://127.0.0.1:{ports['API_PORT']}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "cli", "run"], env=self.env,
                                         stdout=out, stderr=subprocess.STDOUT)
        wait_ready(self.url, 120, lambda: self.proc.poll() is None, self.log)

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        return self.proc.wait(timeout=90)

def wait_ready(url: str, seconds: float, alive: Callable[[], bool], log: Path) -> None:
    """Until the API answers /readyz (Temporal and both databases reachable)."""
    def ready() -> bool:
        assert alive(), log.read_text()[-3000:]
        try:
            return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        eventually_blocking(ready, seconds, pause=0.3)
    except AssertionError as err:
        raise AssertionError(f"{err}: {log.read_text()[-3000:]}") from None

def history_of(stack: Stack, case_id: str) -> tuple[str, Any]:
    """A case's history as the Temporal server holds it (JSON), and its first payload as the
    stack's own keys decode it."""
    async def read() -> tuple[str, Any]:
        raw = await Client.connect(f"127.0.0.1:{stack.env['CASEWORK_DEV_SERVER_PORT']}",
                                   data_converter=DATA_CONVERTER)  # no codec: what is stored
        history = await raw.get_workflow_handle(case_id).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        keys = Settings(data_dir=Path(stack.env["CASEWORK_DATA_DIR"]), _env_file=None)
        (decoded,) = await data_converter(case_keys(keys)).decode(started.input.payloads)
        return history.to_json(), decoded
    return asyncio.run(read())

async def terminate(stack: Stack, case_id: str) -> None:
    client = await Client.connect(f"127.0.0.1:{stack.env['CASEWORK_DEV_SERVER_PORT']}")
    await client.get_workflow_handle(case_id).terminate("closed for the shredding test")

def casework(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli", *args], env=stack.env,
                          capture_output=True, text=True, check=False)


class Process:
    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.cmd, self.env, self.log = name, cmd, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
