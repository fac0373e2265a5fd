"""A schema-driven fuzzing run (Schemathesis) against the real system: every operation of the
committed contract, with valid and invalid input, with the tokens of several roles and none,
against real cases as well as made-up ids. It may find no 5xx, no status, content type, header
or body the contract does not document, no invalid input accepted, and no harm to a case."""

from __future__ import annotations

import asyncio
import os
import zlib
from collections import Counter, defaultdict
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from tests.support import factories as f
from tests.support.http import body
from tests.support.identities import AUDITOR, CASEWORKER, OPERATOR, bearer
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

CONTRACT = Path(__file__).resolve().parents[2] / "openapi.json"
SCHEMA = schemathesis.openapi.from_path(CONTRACT)
# Invalid input may also be refused for its size before anything reads it: a body over the API's
# 64 KiB (several over-long strings), headers over their limit.
REJECTION = SCHEMA.config.checks.negative_data_rejection
REJECTION.expected_statuses = [*REJECTION.expected_statuses, "413", "431"]
# Bounded: a hundred-odd requests per operation keep the whole run under a minute on two cores.
# The same input every run, so a failure repeats; CASEWORK_FUZZ_RANDOM=1 explores new input
# (and CASEWORK_FUZZ_EXAMPLES more of it).
EXAMPLES = int(os.environ.get("CASEWORK_FUZZ_EXAMPLES", "25"))
FIXED = "CASEWORK_FUZZ_RANDOM" not in os.environ
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, negative_data_rejection]
ROLES = {
    "caseworker": CASEWORKER,
    "office lead": bearer("lead-jussi", "office_lead", office="helsinki"),
    "police": bearer("officer-1", "police", "police-nbi-trafficking"),
    "operator": OPERATOR,
    "auditor": AUDITOR,
    "no token": {},
}


# What the run sent and got, per operation: printed at its end (`pytest -s`) for the record.
ANSWERS: defaultdict[str, Counter[int]] = defaultdict(Counter)


@pytest.fixture(scope="module")
def cases(running_stack: Stack) -> list[str]:
    """Real cases for the fuzzer to aim at: one just referred, one admitted with a measure."""
    with httpx.Client(base_url=running_stack.url, headers=CASEWORKER, timeout=30) as http:
        referred = http.post("/v1/cases", json=body(f.referral())).json()
        admitted = http.post("/v1/cases", json=body(f.referral())).json()
        for path, payload in (("admission", f.admission()), ("measures", f.measure())):
            r = http.post(f"/v1/cases/{admitted['case_id']}/{path}", json=body(payload),
                          headers={"If-Match": f'"{admitted["version"]}"'})
            assert r.status_code == 200, r.text
            admitted = r.json()
    return [referred["case_id"], admitted["case_id"]]


def draw(case: Case) -> int:
    """Who asks, and whether about a real case, follow from the generated request itself, so
    Hypothesis replays a failure exactly (a strategy of its own would rule out the schema's
    examples)."""
    return zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode())


@SCHEMA.auth(refresh_interval=None)
class Token:
    """Schemathesis sets the token, so a request it means to send without one (to see the 401)
    goes without."""

    def get(self, case: Case, _context: object) -> dict[str, str]:
        return ROLES[sorted(ROLES)[draw(case) % len(ROLES)]]

    def set(self, case: Case, data: dict[str, str], _context: object) -> None:
        case.headers = {**(case.headers or {}), **data}


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=FIXED, database=None)
def test_the_api_answers_only_what_its_contract_says(case: Case, running_stack: Stack,
                                                      cases: list[str]) -> None:
    if "case_id" in (case.path_parameters or {}) and draw(case) & 0x100:
        case.path_parameters["case_id"] = cases[(draw(case) >> 9) % len(cases)]
    response = case.call_and_validate(base_url=running_stack.url, checks=CHECKS, timeout=30)
    ANSWERS[case.operation.label][response.status_code] += 1


def test_the_fuzzed_cases_are_unharmed(running_stack: Stack, cases: list[str]) -> None:
    """After all that, each case still answers, and no workflow task ever failed on it."""
    with httpx.Client(base_url=running_stack.url, headers=CASEWORKER, timeout=30) as http:
        for case_id in cases:
            assert http.get(f"/v1/cases/{case_id}").status_code == 200

    async def failed_tasks() -> list[str]:
        client = await Client.connect(
            f"127.0.0.1:{running_stack.env['CASEWORK_DEV_SERVER_PORT']}")
        bad = {EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
               EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED}
        found = []
        for case_id in cases:
            history = await client.get_workflow_handle(case_id).fetch_history()
            found += [f"{case_id}: {e.event_type}" for e in history.events if e.event_type in bad]
        return found

    assert asyncio.run(failed_tasks()) == []
    statuses = sum(ANSWERS.values(), Counter())
    print(f"\nfuzzing: {statuses.total()} requests to {len(ANSWERS)} operations: "
          + ", ".join(f"{s}×{n}" for s, n in sorted(statuses.items())))
    assert len(ANSWERS) == len(list(SCHEMA.get_all_operations()))
    assert any(s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses)
