"""Faults on the real stack: the Temporal dev server, the worker and the API as processes of
their own, an agency's webhook and the mailbox on loopback. The worker killed in a burst of
steps, an agency down for a while, Temporal restarted, the read model and the audit log locked.
Each time: nothing is lost, nothing is applied twice, and every answer in between is a clear
503 with Retry-After, which a retry with the same Idempotency-Key turns into the one result."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from infra.binaries import temporal_cli
from infra.temporal import dev_server_args
from tests.support import factories as f
from tests.support.databases import locked
from tests.support.http import body
from tests.support.identities import CASEWORKER, OPERATOR, SIGNING_KEY, bearer
from tests.support.receivers import Mailbox, WebhookReceiver, free_port
from tests.support.stack import Process, wait_ready
from tests.support.waiting import eventually, eventually_blocking
from workflows.model.vocabulary import ConsentScope

pytestmark = pytest.mark.faults
SECRET = "whsec_" + base64.b64encode(b"fault-suite-secret-of-32-bytes!!").decode()
POLICE = bearer("pol-1", "police", "police-nbi-trafficking")
UNAVAILABLE = {"TemporalUnavailable", "AuditUnavailable", "StoreUnavailable"}


class Stack:
    def __init__(self, folder: Path, mailbox: Mailbox, receiver: WebhookReceiver) -> None:
        self.folder, self.receiver = folder, receiver
        self.temporal_port, self.api_port = free_port(), free_port()
        directory = folder / "agencies.yaml"
        agencies = yaml.safe_load(Path("config/agencies.yaml").read_text())
        for agency in agencies["agencies"]:
            if agency["id"] == "police-nbi-trafficking":
                agency["channels"] = [{"kind": "webhook", "url": receiver.url,
                                       "secret_env": "CASEWORK_SECRET_POLICE"}]
        directory.write_text(yaml.safe_dump(agencies))
        self.env = {**os.environ, "CASEWORK_DATA_DIR": str(folder),
                    # The embedded defaults' dev server, started here rather than by
                    # `casework run`: the API signs in as they allow (no identity provider).
                    "CASEWORK_DEV_SERVER_PORT": str(self.temporal_port),
                    "CASEWORK_API_PORT": str(self.api_port),
                    "CASEWORK_AGENCY_DIRECTORY": str(directory),
                    "CASEWORK_SMTP_PORT": str(mailbox.port),
                    "CASEWORK_SECRET_POLICE": SECRET, "CASEWORK_LOG_FORMAT": "json",
                    "CASEWORK_AUTH_SIGNING_KEY": str(SIGNING_KEY),
                    # One token polls for six cases a few times a second here, over the
                    # person's 900 a minute; floods have tests of their own (test_floods).
                    "CASEWORK_RATE_LIMIT_PER_PERSON": "100000/minute",
                    "CASEWORK_RATE_LIMIT_PER_CLIENT": "100000/minute"}
        self.url = f"http://127.0.0.1:{self.api_port}"
        py = [sys.executable, "-m", "cli"]
        self.temporal = Process("temporal", [
            str(temporal_cli()), "server", "start-dev", "--headless",
            "--db-filename", str(folder / "temporal.db"), "--ip", "127.0.0.1",
            "--port", str(self.temporal_port), "--log-level", "error",
            "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
            *dev_server_args()],
            self.env, folder / "temporal.log")
        self.worker = Process("worker", [*py, "worker"], self.env, folder / "worker.log")
        self.api = Process("api", [*py, "api"], self.env, folder / "api.log")

    @property
    def database(self) -> str:
        return f"sqlite:///{self.folder / 'casework.db'}"

    @property
    def audit_database(self) -> str:
        return f"sqlite:///{self.folder / 'audit.db'}"

    def start(self) -> None:
        self.temporal.start()
        self.wait_for_temporal()
        setup = subprocess.run([sys.executable, "-m", "cli", "setup"], env=self.env,
                               capture_output=True, text=True, timeout=120, check=False)
        assert setup.returncode == 0, setup.stderr
        self.worker.start()
        self.api.start()
        wait_ready(self.url, 60, lambda: self.api.proc is not None and self.api.proc.poll() is None,
                   self.folder / "api.log")

    def wait_for_temporal(self) -> None:
        import socket

        def listening() -> bool:
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", self.temporal_port)) == 0

        eventually_blocking(listening, pause=0.2)

    def stop(self) -> None:
        for process in (self.api, self.worker, self.temporal):
            process.stop()


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver(secret=SECRET).start()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox,
          receiver: WebhookReceiver) -> Iterator[Stack]:
    s = Stack(tmp_path_factory.mktemp("faults"), mailbox, receiver)
    s.start()
    yield s
    s.stop()


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as client:
        yield client


class Client:
    """A careful client: every 503 must say when to retry; it retries with the same key."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.unavailable: list[str] = []  # the problem codes met on the way

    async def until_done(self, send: Callable[[], Awaitable[httpx.Response]],
                         seconds: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while True:
            try:
                r = await send()
            except httpx.TransportError:  # the API itself is fine; this is the test's clock
                r = None
            if r is not None and r.status_code < 300:
                return r.json()
            if r is not None:
                assert r.status_code == 503, r.text
                assert r.headers["Retry-After"] == "5" and r.json()["code"] in UNAVAILABLE
                self.unavailable.append(r.json()["code"])
            assert time.monotonic() < deadline, "never done"
            await asyncio.sleep(0.3)

    async def open(self, **changes: Any) -> dict[str, Any]:
        key = str(uuid.uuid4())
        return await self.until_done(lambda: self.http.post(
            "/v1/cases", json=body(f.referral(**changes)),
            headers={**CASEWORKER, "Idempotency-Key": key}))

    async def step(self, case: dict[str, Any], path: str, payload: Any,
                   headers: dict[str, str] = CASEWORKER) -> dict[str, Any]:
        key, data = str(uuid.uuid4()), payload if isinstance(payload, dict) else body(payload)
        return await self.until_done(lambda: self.http.post(
            f"/v1/cases/{case['case_id']}{path}", json=data,
            headers={**headers, "Idempotency-Key": key, "If-Match": f'"{case["version"]}"'}))


async def police_told(http: httpx.AsyncClient, case_id: str) -> list[dict[str, Any]]:
    r = await http.get(f"/v1/cases/{case_id}/notifications", headers=CASEWORKER)
    if r.status_code != 200:
        return []
    return [n for n in r.json()["items"] if n["purpose"] == "police_contact"]


async def a_case_told_to_the_police(client: Client) -> dict[str, Any]:
    case = await client.open()
    case = await client.step(case, "/admission", f.admission())
    case = await client.step(case, "/consents", f.consent(ConsentScope.CONTACT_POLICE))
    return await client.step(case, "/assessment", f.assessment())


async def test_the_worker_killed_in_a_burst_loses_nothing_and_sends_nothing_twice(
        stack: Stack, http: httpx.AsyncClient, receiver: WebhookReceiver) -> None:
    client = Client(http)
    receiver.mode = "slow"  # deliveries are in flight when the worker dies
    burst = [asyncio.create_task(a_case_told_to_the_police(client)) for _ in range(6)]
    await eventually(lambda: len(receiver.seen) >= 2)
    stack.worker.kill()
    receiver.release.set()
    receiver.mode = "ok"
    await asyncio.sleep(1)
    stack.worker.start()
    cases = await asyncio.gather(*burst)

    async def all_delivered() -> bool:
        told = [await police_told(http, c["case_id"]) for c in cases]
        return all(n and n[0]["status"] == "delivered" for n in told)

    await eventually(all_delivered, pause=0.2)
    keys = [(await police_told(http, c["case_id"]))[0]["key"] for c in cases]
    # Each notification applied once by the agency, however often it was sent. A body cut off
    # when the worker died is told from a whole one by its digest, and never applied.
    assert sorted(receiver.applied) == sorted(keys)
    assert receiver.bad_signatures == 0
    for case in cases:  # every step taken once: four steps, version four
        r = await http.get(f"/v1/cases/{case['case_id']}", headers=CASEWORKER)
        assert r.status_code == 200, r.text
        assert r.json()["version"] == 4 and r.json()["phase"] == "assistance"


async def test_an_agency_down_for_a_while_is_told_once_it_is_back(
        http: httpx.AsyncClient, receiver: WebhookReceiver) -> None:
    client = Client(http)
    receiver.mode = "down"
    case = await a_case_told_to_the_police(client)

    async def retrying() -> bool:
        told = await police_told(http, case["case_id"])
        return bool(told) and told[0]["status"] == "pending" and told[0]["attempts"] >= 2

    await eventually(retrying, pause=0.2)
    r = await http.get("/v1/notifications", headers=OPERATOR)
    (row,) = [row for row in r.json()["items"] if row["case_id"] == case["case_id"]]
    (live,) = row["retrying"]  # operations see it retrying, not just queued
    assert live["attempts"] >= 2 and "503" in (live["last_error"] or ""), live
    if live["next_attempt_at"] is not None:  # between attempts (none while one runs)
        next_at = datetime.fromisoformat(live["next_attempt_at"])
        assert next_at > datetime.now(UTC) - timedelta(seconds=5), next_at
    receiver.mode = "ok"

    async def delivered() -> bool:
        told = await police_told(http, case["case_id"])
        return told[0]["status"] == "delivered"

    await eventually(delivered, pause=0.2)
    key = (await police_told(http, case["case_id"]))[0]["key"]
    assert receiver.seen.count(key) >= 2 and list(receiver.applied).count(key) == 1


async def test_temporal_restarted_in_the_middle_of_steps(stack: Stack,
                                                         http: httpx.AsyncClient) -> None:
    client = Client(http)
    case = await client.open()
    stack.temporal.stop()
    r = await http.post(f"/v1/cases/{case['case_id']}/admission", json=body(f.admission()),
                        headers={**CASEWORKER, "If-Match": '"1"', "Idempotency-Key": "adm-x"})
    assert r.status_code == 503 and r.json()["code"] == "TemporalUnavailable"
    assert r.headers["Retry-After"] == "5"
    assert (await http.get("/readyz")).status_code == 503
    restart = asyncio.get_running_loop().run_in_executor(None, _restart, stack)
    done = await client.until_done(lambda: http.post(
        f"/v1/cases/{case['case_id']}/admission", json=body(f.admission()),
        headers={**CASEWORKER, "If-Match": '"1"', "Idempotency-Key": "adm-x"}))
    await restart
    assert done["version"] == 2 and done["phase"] == "admitted"
    case = await client.step(done, "/assessment", f.assessment())
    assert case["version"] == 3
    r = await http.get(f"/v1/cases/{case['case_id']}/steps", headers=CASEWORKER)
    assert [s["action"] for s in r.json()["items"]] == ["referred", "admitted", "needs_assessed"]


def _restart(stack: Stack) -> None:
    time.sleep(2)
    stack.temporal.start()
    stack.wait_for_temporal()


async def test_the_read_model_locked(stack: Stack, http: httpx.AsyncClient) -> None:
    client = Client(http)
    case = await client.open()
    with locked(stack.database):
        r = await http.post("/v1/cases", json=body(f.referral()), headers=CASEWORKER)
        assert r.status_code == 503 and r.json()["code"] == "StoreUnavailable"
        assert r.headers["Retry-After"] == "5"
        # Steps on a case go on: the read model follows once it can.
        case = await client.step(case, "/admission", f.admission())
    async def listed() -> bool:
        r = await http.get("/v1/cases", params={"phase": "admitted"}, headers=OPERATOR)
        return case["case_id"] in {row["case_id"] for row in r.json()["items"]}
    await eventually(listed, pause=0.2)


async def test_the_audit_log_locked(stack: Stack, http: httpx.AsyncClient) -> None:
    client = Client(http)
    case = await client.open()
    path = f"/v1/cases/{case['case_id']}/admission"
    headers = {**CASEWORKER, "If-Match": '"1"', "Idempotency-Key": "adm-locked"}
    with locked(stack.audit_database):
        r = await http.post(path, json=body(f.admission()), headers=headers)
        assert r.status_code == 503 and r.json()["code"] == "AuditUnavailable"
        assert r.headers["Retry-After"] == "5"
        r = await http.get(f"/v1/cases/{case['case_id']}", headers=CASEWORKER)
        assert r.status_code == 503  # nothing is read without its entry either
    r = await http.get(f"/v1/cases/{case['case_id']}", headers=CASEWORKER)
    assert r.json()["version"] == 1  # the step was never taken
    done = await client.until_done(lambda: http.post(path, json=body(f.admission()),
                                                     headers=headers))
    assert done["version"] == 2
    verified = subprocess.run([sys.executable, "-m", "cli", "verify-audit"],
                              env=stack.env, capture_output=True, text=True, check=False)
    assert verified.returncode == 0, verified.stderr
