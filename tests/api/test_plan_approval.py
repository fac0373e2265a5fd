"""Where the deployment requires it (`CASEWORK_PLAN_APPROVAL_REQUIRED`), a client plan comes
into force only when the lead of the case's office approves it."""

from __future__ import annotations

import httpx
import pytest

from infra.settings import Settings
from tests.support import factories as f
from tests.support.http import assert_problem, open_case, post, step
from tests.support.identities import CASEWORKER, bearer

LEAD = bearer("lead-heli", "office_lead", office="helsinki")
OULU_LEAD = bearer("lead-oona", "office_lead", office="oulu")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"plan_approval_required": True})


async def test_a_plan_waits_for_the_lead_of_the_case_s_office(http: httpx.AsyncClient) -> None:
    case = await open_case(http)
    case = await step(http, case, "/admission", f.admission())
    case = await step(http, case, "/assessment", f.assessment())
    case = await step(http, case, "/plans", f.plan())
    assert case["plans"][0]["status"] == "awaiting_approval"
    assert "plan_review" not in {d["kind"] for d in case["deadlines"]}
    approval = f"/v1/cases/{case['case_id']}/plans/1/approval"
    assert_problem(await post(http, approval, {"reason": "Ok."}, case["version"]), 403,
                   "Forbidden")  # a caseworker
    assert_problem(await post(http, approval, {"reason": "Ok."}, case["version"],
                              headers=OULU_LEAD), 403, "OutsideOffice")
    r = await post(http, approval, {"reason": "Realistic, and the client agrees."},
                   case["version"], headers=LEAD)
    assert r.status_code == 200, r.text
    plan = r.json()["plans"][0]
    assert (plan["status"], plan["approved_by"]["user_id"]) == ("in_force", "lead-heli")
    assert "plan_review" in {d["kind"] for d in r.json()["deadlines"]}
    assert r.json()["steps"][-1]["action"] == "plan_adopted"
    assert_problem(await post(http, approval, {"reason": "Again."}, r.json()["version"],
                              headers=LEAD), 409, "InvalidTransition")
    r = await http.get(f"/v1/cases/{case['case_id']}", headers=CASEWORKER)
    assert r.json()["plans"][0]["status"] == "in_force"
