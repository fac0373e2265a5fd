"""The real `casework run`: dev server, worker and API as processes, stopped and started again."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from infra.codec import KeyShredded
from infra.settings import Settings
from infra.temporal import DATA_CONVERTER, data_converter
from store.keys import case_keys
from tests import factories as f
from tests.api.test_cases_api import body
from tests.identities import CASEWORKER, OPERATOR, SIGNING_KEY
from tests.receivers import free_port

pytestmark = pytest.mark.e2e


class Stack:
    """One `casework run` process with its own data folder and ports."""

    def __init__(self, data_dir: Path) -> None:
        self.log = data_dir / "run.log"
        ports = {"API_PORT": free_port(), "DEV_SERVER_PORT": free_port(),
                 "DEV_SERVER_UI_PORT": free_port(), "SMTP_PORT": free_port()}
        self.env = {**os.environ, "CASEWORK_DATA_DIR": str(data_dir), "CASEWORK_LOG_FORMAT": "json",
                    "CASEWORK_AUTH_SIGNING_KEY": str(SIGNING_KEY),
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
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert alive(), log.read_text()[-3000:]
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"not ready: {log.read_text()[-3000:]}")


def post(http: httpx.Client, path: str, payload: Any, version: int) -> dict:
    data = payload if isinstance(payload, dict) else body(payload)
    r = http.post(path, json=data, headers={**CASEWORKER, "If-Match": f'"{version}"'})
    assert r.status_code == 200, r.text
    return r.json()


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


def test_run_stop_and_resume(tmp_path: Path) -> None:
    stack = Stack(tmp_path)
    stack.start()
    try:
        with httpx.Client(base_url=stack.url, timeout=30) as http:
            assert http.get("/docs").status_code == 200
            assert http.get("/openapi.json").json()["info"]["title"] == "Casework API"
            done = http.post("/v1/cases", json=body(f.referral()), headers=CASEWORKER).json()
            c = done["case_id"]
            for path, payload in (("admission", f.admission()), ("assessment", f.assessment()),
                                  ("measures", f.measure()),
                                  ("measures/M1/start", {"reason": "Housing found."}),
                                  ("criminal-process", f.criminal(f.CriminalStage.REPORTED)),
                                  ("transition", f.transition()), ("exit", f.exit_decision())):
                done = post(http, f"/v1/cases/{c}/{path}", payload, done["version"])
            assert done["phase"] == "exited"
            # A minor: child protection is told at once, by mail to the local outbox.
            minor = http.post("/v1/cases", json=body(f.referral(minor=True,
                                                                guardian_consent=True)),
                              headers=CASEWORKER).json()
            outbox = tmp_path / "outbox"
            for _ in range(100):
                mails = [p.read_text() for p in outbox.glob("*.eml")] if outbox.exists() else []
                if any(minor["case_id"] in m for m in mails):
                    break
                time.sleep(0.1)
            (mail,) = [m for m in mails if minor["case_id"] in m]
            assert "To: lastensuojelu@hel.example" in mail and "minor_referred" in mail
            # The server holds ciphertext only; the stack's keys decode it.
            stored, decoded = history_of(stack, c)
            assert '"encryption-key-id"' in stored
            for personal in (f.PERSON.surname, f.PERSON.given_names, str(f.PERSON.date_of_birth),
                             "Maria", "Vasquez", "1994-03-17"):
                assert personal not in stored
            assert decoded["opening"]["referral"]["person"]["surname"] == f.PERSON.surname
            open_ = http.post("/v1/cases", json=body(f.referral()), headers=CASEWORKER).json()
            o = open_["case_id"]
            open_ = post(http, f"/v1/cases/{o}/admission", f.admission(), 1)
            open_ = post(http, f"/v1/cases/{o}/assessment", f.assessment(), 2)
    finally:
        assert stack.stop() == 0

    for port in (int(stack.env["CASEWORK_API_PORT"]), int(stack.env["CASEWORK_DEV_SERVER_PORT"])):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still served"

    stack.start()
    try:
        with httpx.Client(base_url=stack.url, timeout=30) as http:
            assert http.get(f"/v1/cases/{c}", headers=CASEWORKER).json() == done
            assert http.get(f"/v1/cases/{o}", headers=CASEWORKER).json() == open_
            resumed = post(http, f"/v1/cases/{o}/measures", f.measure(), 3)
            assert resumed["version"] == 4 and resumed["phase"] == "assistance"
            for _ in range(100):
                rows = http.get("/v1/cases", params={"office": "helsinki"},
                                headers=OPERATOR).json()["cases"]
                if {c, o} <= {r["case_id"] for r in rows}:
                    break
                time.sleep(0.1)
            assert {(r["case_id"], r["phase"]) for r in rows} >= {(c, "exited"),
                                                                  (o, "assistance")}
            # Crypto-shredding: refused while the case runs; once it is closed, its key goes
            # and its history can no longer be read by anyone.
            gone = http.post("/v1/cases", json=body(f.referral()), headers=CASEWORKER).json()
            assert casework(stack, "shred", gone["case_id"]).returncode == 1
            asyncio.run(terminate(stack, gone["case_id"]))
            shredded = casework(stack, "shred", gone["case_id"])
            assert shredded.returncode == 0, shredded.stderr
            with pytest.raises(KeyShredded):
                history_of(stack, gone["case_id"])
            assert history_of(stack, o)[1]["opening"]["referral"]["minor"] is False
    finally:
        assert stack.stop() == 0

    # The audit log of both runs is one intact chain, in the data folder's database.
    verified = casework(stack, "verify-audit")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("audit log intact")
    assert int(verified.stdout.split()[3]) >= 16  # every request to a case route above

    # JSON logs: the case id and trace ids are there, the person is not.
    text = stack.log.read_text()
    assert f.PERSON.surname not in text and f.PERSON.given_names not in text
    assert str(f.PERSON.date_of_birth) not in text
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    steps = [r for r in records if r.get("event") == "case step"]
    assert {r["case_id"] for r in steps} >= {c, o}
    assert any("trace_id" in r for r in records)
