"""The operator's commands against the real `casework run`: what stands open, from the read
model; the read model written again from the workflows after losing a row; the audit chain
checked from its checkpoint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select
from sqlmodel import Session

from infra.database import engine_for
from store.tables import CaseRow
from tests.support import factories as f
from tests.support.http import body
from tests.support.identities import CASEWORKER
from tests.support.stack import Stack, casework
from tests.support.waiting import eventually_blocking as until

pytestmark = pytest.mark.e2e


def test_the_operator_s_commands(running_stack: Stack) -> None:
    with httpx.Client(base_url=running_stack.url, headers=CASEWORKER, timeout=30) as http:
        case = http.post("/v1/cases", json=body(f.referral())).json()
        r = http.post(f"/v1/cases/{case['case_id']}/notifications",
                      json=body(f.manual_notification("agency-not-in-the-directory")),
                      headers={"If-Match": f'"{case["version"]}"'})
        assert r.status_code == 200, r.text
    case_id = case["case_id"]
    until(lambda: case_id in casework(running_stack, "deliveries").stdout)
    listed = casework(running_stack, "cases", "--office", "helsinki", "--limit", "500")
    assert listed.returncode == 0 and case_id in listed.stdout
    assert f.PERSON.surname not in listed.stdout + casework(running_stack, "deliveries").stdout
    assert casework(running_stack, "cases", "--office", "nowhere").returncode == 2  # refused

    # The read model loses the case's row; written again from its workflow.
    engine = engine_for(f"sqlite:///{Path(running_stack.env['CASEWORK_DATA_DIR'])}/casework.db")
    with Session(engine) as db:
        db.execute(delete(CaseRow).where(CaseRow.case_id == case_id))
        db.commit()
    rebuilt = casework(running_stack, "rebuild-read-model")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "cases written again from their workflows" in rebuilt.stdout
    with Session(engine) as db:
        assert db.execute(select(CaseRow.phase).where(CaseRow.case_id == case_id)
                          ).scalar_one() == "referred"
    nothing = casework(running_stack, "rebuild-read-model", "--after", "case-zzzz")
    assert nothing.stdout.startswith("0 cases")

    # Sent again through the API, as the operator the token names (audited there).
    token = casework(running_stack, "token", "ops-1", "--role", "operator").stdout.strip()
    notice = [n for n in casework(running_stack, "deliveries").stdout.splitlines()
              if case_id in n][0].split("│")[2].strip()
    resent = subprocess.run(
        [sys.executable, "-m", "cli", "resend", case_id, notice, "--reason",
         "The directory lists the agency now.", "--api", running_stack.url],
        env={**running_stack.env, "CASEWORK_TOKEN": token}, capture_output=True, text=True,
        timeout=60, check=False)
    assert resent.returncode == 0 and "sent again" in resent.stdout, resent.stderr
    without = casework(running_stack, "resend", case_id, notice, "--reason", "x")
    assert without.returncode == 2 and "CASEWORK_TOKEN" in without.stderr

    first = casework(running_stack, "verify-audit", "--full")
    again = casework(running_stack, "verify-audit")
    assert first.returncode == again.returncode == 0, first.stderr + again.stderr
    # Every step of the case's history is paired with the intent the API audited first.
    assert "paired with their audited intents; 0 without one" in first.stdout, first.stdout
    walked = [int(out.stdout.split()[3]) for out in (first, again)]
    assert walked[1] < walked[0], walked  # from the checkpoint the full walk left
