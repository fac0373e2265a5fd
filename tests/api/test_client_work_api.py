"""The work between the steps over HTTP: the client plan, contacts and their log, the support
network and a measure's outcome, with a real worker and dev server; bad input refused with a
precise problem and nothing changed."""

from __future__ import annotations

from typing import Any

import httpx
from temporalio.client import Client

from tests.support import factories as f
from tests.support.http import assert_problem, body, open_case, post, step
from tests.support.identities import AUDITOR, CASEWORKER, bearer
from tests.support.workflow import settled
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.vocabulary import ContactStatus

LEAD = bearer("lead-heli", "office_lead", office="helsinki")


async def assisted(http: httpx.AsyncClient) -> dict[str, Any]:
    case = await open_case(http)
    case = await step(http, case, "/admission", f.admission())
    return await step(http, case, "/assessment", f.assessment())


async def test_a_plan_and_a_day_of_contacts(http: httpx.AsyncClient) -> None:
    case = await assisted(http)
    case = await step(http, case, "/measures", f.measure())
    case = await step(http, case, "/plans", f.plan("M1"))
    (plan,) = case["plans"]
    assert (plan["status"], plan["rests_on"], plan["goals"][0]["measure_ids"]) == (
        "in_force", 1, ["M1"])
    assert [d["kind"] for d in case["deadlines"] if d["status"] == "open"].count(
        "plan_review") == 1
    case = await step(http, case, "/contacts", f.contact(ContactStatus.PLANNED))
    case = await step(http, case, "/contacts", f.contact(appointment_id="K1"))
    case = await step(http, case, "/network", f.network_member())
    assert [(c["id"], c["status"]) for c in case["contacts"]] == [("K1", "held")]
    assert case["network"][0]["role"] == "crime_support_person"

    path = f"/v1/cases/{case['case_id']}"
    r = await http.get(f"{path}/contacts", headers=CASEWORKER)
    assert r.status_code == 200 and r.json()["items"][0]["note"] == f.contact().note
    # Reading the notes is in the case's access log, by whom and through which route.
    log = (await http.get(f"{path}/access-log", headers=AUDITOR)).json()["items"]
    assert ("cw-anna", "get_contacts", "200") in [(e["actor_id"], e["action"], e["outcome"])
                                                   for e in log]


async def test_the_contact_log_pages_through_what_left_the_case(
        http: httpx.AsyncClient, temporal: Client) -> None:
    """Past the newest 20, settled contacts leave the case's state for the read model; the log
    reads both, oldest first, page by page."""
    case = await open_case(http)
    for i in range(26):
        case = await step(http, case, "/contacts", f.contact(note=f"Meeting {i + 1}."))
    state = await settled(temporal.get_workflow_handle_for(CaseWorkflow.run, case["case_id"]))
    assert state.archived.contacts > 0 and len(state.contacts) < 26
    notes, token = [], None
    while True:
        r = await http.get(f"/v1/cases/{case['case_id']}/contacts", headers=CASEWORKER,
                           params={"page_size": 10, **({"page_token": token} if token else {})})
        assert r.status_code == 200, r.text
        notes += [c["note"] for c in r.json()["items"]]
        if not (token := r.json()["next_page_token"]):
            break
    assert notes == [f"Meeting {i + 1}." for i in range(26)]


async def test_every_plan_revision_and_assessment_stays_readable(
        http: httpx.AsyncClient, temporal: Client) -> None:
    """Superseded revisions beyond the newest three, and earlier assessments beyond three, leave
    the case's state; the API reads them all back, oldest first."""
    case = await assisted(http)
    for _ in range(5):
        case = await step(http, case, "/plans", f.plan())
        case = await step(http, case, "/assessment", f.assessment())
    state = await settled(temporal.get_workflow_handle_for(CaseWorkflow.run, case["case_id"]))
    assert state.archived.plans > 0 and state.archived.assessments > 0
    path = f"/v1/cases/{case['case_id']}"
    plans = (await http.get(f"{path}/plans", headers=CASEWORKER)).json()["items"]
    assert [(p["number"], p["status"], p["rests_on"]) for p in plans] == [
        (1, "superseded", 1), (2, "superseded", 2), (3, "superseded", 3), (4, "superseded", 4),
        (5, "in_force", 5)]
    r = await http.get(f"{path}/assessments", headers=AUDITOR, params={"page_size": 4})
    assert [a["number"] for a in r.json()["items"]] == [1, 2, 3, 4]
    r = await http.get(f"{path}/assessments", headers=AUDITOR,
                       params={"page_size": 4, "page_token": r.json()["next_page_token"]})
    assert [a["number"] for a in r.json()["items"]] == [5, 6]
    assert r.json()["next_page_token"] is None


async def test_without_approval_required_a_plan_is_in_force_at_once(
        http: httpx.AsyncClient) -> None:
    case = await assisted(http)
    case = await step(http, case, "/plans", f.plan())
    assert case["plans"][0]["status"] == "in_force"
    r = await post(http, f"/v1/cases/{case['case_id']}/plans/1/approval", {"reason": "Ok."},
                   case["version"], headers=LEAD)
    assert_problem(r, 409, "InvalidTransition")  # nothing awaits approval


async def test_bad_input_is_refused_and_changes_nothing(http: httpx.AsyncClient) -> None:
    case = await assisted(http)
    cid, version = case["case_id"], case["version"]
    naive = {**body(f.contact()), "at": "2026-12-01T10:00:00"}
    cases: list[tuple[str, Any, int, str, str | None]] = [
        ("/contacts", naive, 422, "InvalidRequest", "body.at"),
        ("/contacts", body(f.contact(appointment_id="K9")), 404, "UnknownItem", None),
        ("/plans", body(f.plan("M9")), 404, "UnknownMeasure", None),
        ("/plans", {**body(f.plan()), "review_on": ["2020-01-01"]}, 422, "InvalidStep", None),
        ("/plans", {**body(f.plan()), "goals": []}, 422, "InvalidRequest", "body.goals"),
        ("/plans/0/approval", {"reason": "x"}, 422, "InvalidRequest", "path.plan"),
        ("/plans/3/approval", {"reason": "x"}, 404, "UnknownItem", None),
        ("/network/P9/leave", {"reason": "x"}, 404, "UnknownItem", None),
        ("/measures/M1/outcome", {"reason": "x", "outcome": "implemented"}, 404,
         "UnknownMeasure", None),
        ("/measures/M1/outcome", {"reason": "x", "outcome": "great"}, 422, "InvalidRequest",
         "body.outcome"),
        ("/consents", body(f.consent(agency_id="police-1")), 422, "InvalidStep", None),
    ]
    for path, payload, status, code, field in cases:
        headers = LEAD if "approval" in path else CASEWORKER
        r = await post(http, f"/v1/cases/{cid}{path}", payload, version, headers=headers)
        problem = assert_problem(r, status, code)
        if field:
            assert field in {e["field"] for e in problem["errors"]}, problem
    r = await http.get(f"/v1/cases/{cid}", headers=CASEWORKER)
    assert r.json()["version"] == version and r.json()["contacts"] == []


async def test_a_started_measure_ends_with_its_outcome(http: httpx.AsyncClient) -> None:
    case = await assisted(http)
    case = await step(http, case, "/measures", f.measure())
    ended = body(f.measure_end(), measure_id=None)
    del ended["measure_id"]  # the path names it
    r = await post(http, f"/v1/cases/{case['case_id']}/measures/M1/outcome", ended,
                   case["version"])
    assert_problem(r, 409, "InvalidTransition")  # not started yet
    case = await step(http, case, "/measures/M1/start", {"reason": "Keys handed over."})
    case = await step(http, case, "/measures/M1/outcome", ended)
    m = case["measures"][0]
    assert (m["status"], m["outcome"], m["outcome_reason"]) == (
        "completed", "implemented", f.measure_end().reason)
