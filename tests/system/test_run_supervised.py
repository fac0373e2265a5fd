"""The real `casework run` supervising its processes: the worker, the API and the dev server killed
with SIGKILL are started again (the dev server on its database file) and the system takes its
steps after; Ctrl-C stops all in reverse order. Giving up on a process that keeps failing is
tested on the supervisor itself (test_supervisor.py), without a real backoff's minute."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import httpx
import pytest

from tests.support import factories as f
from tests.support.http import body
from tests.support.identities import CASEWORKER
from tests.support.stack import Stack, wait_ready
from tests.support.waiting import eventually_blocking

pytestmark = pytest.mark.e2e

NAMES = {"worker", "api", "outbox"}


def children(pid: int) -> dict[str, int]:
    """The live processes `casework run` (pid) started, by name."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
            args = (stat.parent / "cmdline").read_bytes().decode().split("\0")
        except (OSError, UnicodeDecodeError):
            continue  # gone meanwhile
        if int(fields[1]) != pid or fields[0] == "Z":
            continue
        name = "temporal" if "start-dev" in args else next((a for a in args if a in NAMES), "?")
        found[name] = int(stat.parent.name)
    return found


def replaced(stack: Stack, name: str, old: int, seconds: float = 30) -> int:
    assert stack.proc is not None
    proc = stack.proc

    def restarted() -> int | None:
        assert proc.poll() is None, stack.log.read_text()[-3000:]
        new = children(proc.pid).get(name)
        return new if new is not None and new != old else None

    try:
        return eventually_blocking(restarted, seconds, pause=0.1)
    except AssertionError as err:
        log = stack.log.read_text()[-3000:]
        raise AssertionError(f"{name} not restarted ({err}): {log}") from None


def said(stack: Stack) -> list[str]:
    return [line for line in stack.log.read_text().splitlines() if line.startswith("casework: ")]


def kill(stack: Stack, name: str) -> int:
    """SIGKILL the process, until it is started again; its new pid."""
    assert stack.proc is not None
    old = children(stack.proc.pid)[name]
    os.kill(old, signal.SIGKILL)
    new = replaced(stack, name, old)
    assert f"casework: {name} was killed by SIGKILL; restarting in 1 s (restart 1)" in said(stack)
    wait_ready(stack.url, 60, lambda: stack.proc.poll() is None, stack.log)
    return new


def step(http: httpx.Client, case: dict, path: str, payload: object) -> dict:
    r = http.post(f"/v1/cases/{case['case_id']}/{path}", json=body(payload),
                  headers={**CASEWORKER, "If-Match": f'"{case["version"]}"'})
    assert r.status_code == 200, r.text
    return r.json()


def test_killed_processes_come_back_and_ctrl_c_stops_all_in_order(tmp_path: Path) -> None:
    stack = Stack(tmp_path)
    stack.start()
    assert stack.proc is not None
    try:
        started = children(stack.proc.pid)
        assert set(started) == {"temporal", "outbox", "worker", "api"}
        with httpx.Client(base_url=stack.url, timeout=30) as http:
            kill(stack, "worker")
            r = http.post("/v1/cases", json=body(f.referral()), headers=CASEWORKER)
            assert r.status_code in (200, 201), r.text
            case = step(http, r.json(), "admission", f.admission())
            assert case["version"] == 2 and case["phase"] == "admitted"

            kill(stack, "api")
            assert http.get(f"/v1/cases/{case['case_id']}", headers=CASEWORKER).json() == case

            kill(stack, "temporal")  # on the same SQLite file: the case is there
            assert http.get(f"/v1/cases/{case['case_id']}", headers=CASEWORKER).json() == case
            case = step(http, case, "assessment", f.assessment())
            assert case["version"] == 3
        last = children(stack.proc.pid)
        assert set(last) == set(started)
        assert all(last[n] != started[n] for n in ("worker", "api", "temporal"))
        assert last["outbox"] == started["outbox"]
    finally:
        assert stack.stop() == 0
    assert said(stack)[-5:] == ["casework: stopping api", "casework: stopping worker",
                                "casework: stopping outbox", "casework: stopping temporal",
                                "casework: stopped"]
    assert not any(Path(f"/proc/{pid}").exists() for pid in last.values())
    for port in (int(stack.env["CASEWORK_API_PORT"]), int(stack.env["CASEWORK_DEV_SERVER_PORT"])):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still served"
