"""Deadlines over HTTP against the dev server: per case, and across cases for operations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.support import factories as f
from tests.support.http import assert_problem, body, open_case, post
from tests.support.identities import CASEWORKER, OPERATOR
from tests.support.waiting import eventually
from workflows.model.calendar import helsinki_date


async def test_a_case_shows_its_deadlines_and_operations_see_what_is_due(
        http: httpx.AsyncClient) -> None:
    office = "joutseno"
    fresh = await open_case(http, office=office)
    r = await http.get(f"/v1/cases/{fresh['case_id']}/deadlines", headers=CASEWORKER)
    assert r.status_code == 200
    (admission,) = r.json()["items"]
    assert (admission["kind"], admission["status"], admission["rule_version"]) == (
        "admission_decision", "open", "2023-01-01")
    assert admission["reminders_at"] and "target" in admission["rule_source"]

    # Received by phone two months ago and decided then: the assessment should have started
    # long since.
    today = helsinki_date(datetime.now(UTC))
    late = await open_case(http, office=office, received_on=today - timedelta(days=62))
    old = (today - timedelta(days=60)).isoformat()
    r = await post(http, f"/v1/cases/{late['case_id']}/admission",
                   body(f.admission(), decided_on=old), 1)
    assert r.status_code == 200
    other_office = await open_case(http, office="oulu")

    async def rows(**params: str) -> dict[str, dict]:
        r = await http.get("/v1/deadlines", params={"office": office, **params},
                           headers=OPERATOR)
        assert r.status_code == 200, r.text
        return {row["case_id"]: row for row in r.json()["items"]}

    soon = (datetime.now(UTC) + timedelta(days=30)).isoformat()

    async def settled() -> tuple[dict, dict] | None:  # timers and visibility settle
        overdue, due = await rows(overdue="true"), await rows(due_before=soon)
        return (overdue, due) if late["case_id"] in overdue and fresh["case_id"] in due else None

    overdue, due = await eventually(settled)
    assert overdue[late["case_id"]]["overdue"] >= 2  # assessment start, recovery period
    assert fresh["case_id"] not in overdue and other_office["case_id"] not in due
    row = due[fresh["case_id"]]
    assert set(row) == {"case_id", "office", "caseworker_id", "next_deadline_kind",
                        "next_due_at", "overdue"}  # no personal data
    assert row["next_deadline_kind"] == "admission_decision"
    assert datetime.fromisoformat(row["next_due_at"]) == datetime.fromisoformat(
        admission["due_at"])

    r = await http.get(f"/v1/cases/{late['case_id']}", headers=CASEWORKER)
    case = r.json()
    escalations = [a for a in case["alerts"] if a["kind"] == "escalation"]
    assert escalations and {a["office"] for a in escalations} == {office}


async def test_deadline_steps_and_their_refusals(http: httpx.AsyncClient) -> None:
    case = await open_case(http)
    path = f"/v1/cases/{case['case_id']}/deadlines"
    r = await post(http, f"{path}/D1/extension", {"reason": "More time.",
                                                  "extension": {"days": 3}}, 1)
    assert assert_problem(r, 422, "RuleRefused")["deadline_id"] == "D1"
    assert_problem(await post(http, f"{path}/D9/meet", {"reason": "x"}, 1), 404,
                   "UnknownDeadline")
    assert_problem(await post(http, f"{path}/D1/postpone", {"reason": "x"}, 1), 422,
                   "InvalidRequest")
    r = await post(http, f"{path}/D1/meet", {"reason": "Decided by phone."}, 1)
    assert r.status_code == 200 and r.json()["deadlines"][0]["status"] == "met"
    assert_problem(await post(http, f"{path}/D1/cancel", {"reason": "x"}, 2), 409,
                   "InvalidTransition")
    r = await post(http, f"/v1/cases/{case['case_id']}/reflection-period",
                   {"reason": "Granted by the police.", "granted_on": "2026-12-01",
                    "length": {"months": 7}, "granted_by": "police"}, 2)
    assert_problem(r, 422, "RuleRefused")
    assert_problem(await http.get("/v1/deadlines", params={"due_before": "2026-12-01T00:00"},
                                  headers=OPERATOR), 422, "InvalidRequest")  # needs a zone
