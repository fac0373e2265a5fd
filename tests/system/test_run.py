"""The real `casework run`: dev server, worker and API as processes, stopped and started again."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.codec import KeyShredded
from tests.support import factories as f
from tests.support.http import body
from tests.support.identities import CASEWORKER, OPERATOR
from tests.support.stack import Stack, casework, history_of, terminate
from tests.support.waiting import eventually_blocking

pytestmark = pytest.mark.e2e


def post(http: httpx.Client, path: str, payload: Any, version: int) -> dict:
    data = payload if isinstance(payload, dict) else body(payload)
    r = http.post(path, json=data, headers={**CASEWORKER, "If-Match": f'"{version}"'})
    assert r.status_code == 200, r.text
    return r.json()


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

            def mailed() -> list[str]:
                mails = [p.read_text() for p in outbox.glob("*.eml")] if outbox.exists() else []
                return [m for m in mails if minor["case_id"] in m]

            (mail,) = eventually_blocking(mailed)
            assert "To: lastensuojelu@hel.example" in mail and "minor_referred" in mail
            # Plain e-mail carries no one's data: what is asked, the case, a link to sign in.
            assert f.PERSON.surname not in mail and f"/agency/cases/{minor['case_id']}" in mail
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

            def listed() -> list[dict[str, Any]] | None:
                rows = http.get("/v1/cases", params={"office": "helsinki"},
                                headers=OPERATOR).json()["items"]
                return rows if {c, o} <= {r["case_id"] for r in rows} else None

            rows = eventually_blocking(listed)
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
    verified = casework(stack, "verify-audit", "--steps-days", "0")  # the chain: Temporal is down
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
