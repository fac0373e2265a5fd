"""Staff work on their office's cases and those assigned to them; any other case only by
stating why ("break the glass"), which auditors and the case's office lead review."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from infra.database import engine_for
from infra.settings import Settings
from store.audit import entries_for
from tests.support import factories as f
from tests.support.http import assert_problem, body, open_case, post
from tests.support.identities import AUDITOR, CASEWORKER, bearer
from workflows.model.vocabulary import Office

OULU = bearer("cw-olli", "caseworker", office="oulu")
OULU_LEAD = bearer("lead-oona", "office_lead", office="oulu")
HELSINKI_LEAD = bearer("lead-heli", "office_lead", office="helsinki")
WHY = "Client phoned the Oulu office in crisis; Helsinki is closed tonight."


async def test_a_case_of_another_office_is_reached_only_by_breaking_the_glass(
        http: httpx.AsyncClient) -> None:
    case = await open_case(http)  # Helsinki's, assigned to cw-anna
    path = f"/v1/cases/{case['case_id']}"
    for route in ("", "/deadlines", "/notifications", "/steps"):
        problem = assert_problem(await http.get(path + route, headers=OULU), 403,
                                 "OutsideOffice")
        assert "X-Access-Reason" in problem["detail"]
    assert_problem(await post(http, f"{path}/admission", f.admission(), 1, headers=OULU), 403,
                   "OutsideOffice")
    assert_problem(await http.get(f"{path}/timeline", headers=OULU_LEAD), 403, "OutsideOffice")
    assert (await http.get(path, headers=HELSINKI_LEAD)).status_code == 200  # the office's

    glass = {"X-Access-Reason": WHY}
    r = await http.get(path, headers={**OULU, **glass})
    assert r.status_code == 200 and r.json()["person"]["surname"] == f.PERSON.surname
    r = await post(http, f"{path}/admission", f.admission(), 1, headers={**OULU, **glass})
    assert r.status_code == 200 and r.json()["version"] == 2
    # A reason outside Latin-1 travels percent-encoded.
    r = await http.get(f"{path}/timeline", headers={
        **OULU_LEAD, "X-Access-Reason": quote("Päivystys: asiakas soitti yöllä")})
    assert r.status_code == 200
    assert_problem(await http.get(path, headers={**OULU, "X-Access-Reason": "x" * 501}), 422,
                   "InvalidRequest")
    for thin in (" ", "x", "Need to see it."):  # a sentence of some substance, not a keystroke
        assert_problem(await http.get(path, headers={**OULU, "X-Access-Reason": thin}), 422,
                       "InvalidRequest")

    # Auditors see every access that broke the glass, with the reason given; Helsinki's lead
    # sees those to Helsinki's cases, and no other office's.
    r = await http.get("/v1/audit/break-glass", headers=AUDITOR)
    mine = [e for e in r.json()["items"] if e["actor_id"] in ("cw-olli", "lead-oona")]
    assert [(e["actor_id"], e["action"], e["reason"], e["case_id"], e["office"])
            for e in mine] == [
        ("lead-oona", "get_timeline", "Päivystys: asiakas soitti yöllä", case["case_id"],
         "helsinki"),
        ("cw-olli", "decide_admission", WHY, case["case_id"], "helsinki"),
        ("cw-olli", "get_case", WHY, case["case_id"], "helsinki")]
    r = await http.get("/v1/audit/break-glass", headers=HELSINKI_LEAD)
    assert {e["actor_id"] for e in r.json()["items"]} >= {"cw-olli", "lead-oona"}
    r = await http.get("/v1/audit/break-glass", params={"office": "helsinki"}, headers=OULU_LEAD)
    assert_problem(r, 403, "Forbidden")
    r = await http.get("/v1/audit/break-glass", headers=OULU_LEAD)
    assert all(e["actor_id"] not in ("cw-olli", "lead-oona") for e in r.json()["items"])

    # The case's access log flags the break beside the read it allowed.
    log = (await http.get(f"{path}/access-log", headers=AUDITOR)).json()["items"]
    olli = [(e["kind"], e["outcome"]) for e in log if e["actor_id"] == "cw-olli"]
    assert olli[:6] == [("read", "403 OutsideOffice")] * 4 + [
        ("access", "break the glass"), ("read", "200")]


async def test_a_case_assigned_to_someone_is_theirs_wherever_they_sit(
        http: httpx.AsyncClient) -> None:
    case = await open_case(http, caseworker_id="cw-olli")  # Helsinki's, assigned to Oulu's
    r = await http.get(f"/v1/cases/{case['case_id']}", headers=OULU)
    assert r.status_code == 200
    r = await post(http, f"/v1/cases/{case['case_id']}/admission", f.admission(), 1,
                   headers=OULU)
    assert r.status_code == 200
    # Reaching one's own case needs no reason and leaves no flag, even when one is given.
    r = await http.get(f"/v1/cases/{case['case_id']}", headers={**OULU, "X-Access-Reason": WHY})
    assert r.status_code == 200
    r = await http.get("/v1/audit/break-glass", headers=AUDITOR)
    assert case["case_id"] not in {e["case_id"] for e in r.json()["items"]}
    # And the office's own staff reach it as ever.
    assert (await http.get(f"/v1/cases/{case['case_id']}", headers=CASEWORKER)).status_code == 200


async def test_a_step_with_a_reason_is_flagged_even_before_the_read_model_caught_up(
        http: httpx.AsyncClient, settings: Settings) -> None:
    """A case just transferred from Helsinki to Oulu: Helsinki's caseworker, stating a reason,
    still acts on it at once. The read model may not know of the transfer yet; the access is
    flagged all the same, since a reason was stated."""
    case = await open_case(http)
    r = await post(http, f"/v1/cases/{case['case_id']}/transfer",
                   body(f.transfer(Office.OULU), caseworker_id="cw-olli"), 1)
    assert r.status_code == 200
    r = await post(http, f"/v1/cases/{case['case_id']}/admission", f.admission(), 2,
                   headers={**CASEWORKER, "X-Access-Reason": WHY})
    assert r.status_code == 200, r.text
    entries = entries_for(engine_for(settings.audit_database), case["case_id"],
                          kinds=("access",))
    assert [(e.actor_id, e.action) for e in entries] == [("cw-anna", "decide_admission")]
