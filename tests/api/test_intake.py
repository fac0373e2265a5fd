"""Intake over HTTP: an agency refers with its own token and learns only that it arrived, its
number and, later, admitted yes or no; the referral waits in the office's intake, oldest first,
until a caseworker takes it over; the office asks the referrer for more, or closes a second
referral of the same person as a duplicate of the case that goes on, with a right to both."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import factories as f
from tests.support.http import assert_problem, body, open_case, post, step
from tests.support.identities import CASEWORKER, TAMPERE_CASEWORKER, bearer
from tests.support.waiting import eventually
from workflows.steps import BY_NAME

POLICE = bearer("o-1", "police", "police-nbi-trafficking")
NGO = bearer("n-1", "ngo", "victim-support-finland")


def agency_referral(**changes: Any) -> dict[str, Any]:
    referral = body(f.referral(**changes))
    del referral["referrer"], referral["caseworker_id"]
    return {**referral, "own_reference": "8200/R/123/26"}


async def refer(http: httpx.AsyncClient, headers: dict[str, str] = POLICE,
                **changes: Any) -> dict[str, Any]:
    r = await http.post("/v1/referrals", json=agency_referral(**changes), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def waiting(http: httpx.AsyncClient, headers: dict[str, str] = CASEWORKER) -> list[str]:
    r = await http.get("/v1/intake", headers=headers)
    assert r.status_code == 200, r.text
    return [row["case_id"] for row in r.json()["items"]]


async def until_listed(http: httpx.AsyncClient, *cases: dict[str, Any],
                       headers: dict[str, str] = CASEWORKER) -> bool:
    """Every one of these cases is in the read model (the lists follow the cases)."""
    r = await http.get("/v1/cases?page_size=500", headers=headers)
    listed = {row["case_id"] for row in r.json()["items"]}
    return all(c["case_id"] in listed for c in cases)


async def gone(http: httpx.AsyncClient, case: dict[str, Any]) -> bool:
    return case["case_id"] not in await waiting(http)


async def test_an_agency_refers_and_learns_only_what_is_its_own(http: httpx.AsyncClient) -> None:
    receipt = await refer(http)
    # That it arrived and its number: nothing of what it sent comes back.
    assert set(receipt) == {"case_id", "reference_number", "received_on", "status"}
    assert receipt["status"] == "received" and receipt["reference_number"].startswith("HEL-")
    view = (await http.get(f"/v1/agency/cases/{receipt['case_id']}", headers=POLICE)).json()
    assert view["involvement"] == ["referrer"] and "admitted" not in view
    async def listed() -> list[dict[str, Any]]:  # once the read model has it
        items = (await http.get("/v1/agency/cases", headers=POLICE)).json()["items"]
        return [c for c in items if c["case_id"] == receipt["case_id"]]

    assert await eventually(listed) == [{"case_id": receipt["case_id"], "involvement": [
        "referrer"], "reference_number": receipt["reference_number"]}]
    # Another agency, and the agency through the staff's routes, learn nothing of it.
    assert_problem(await http.get(f"/v1/agency/cases/{receipt['case_id']}", headers=NGO),
                   403, "Forbidden")
    assert_problem(await http.get(f"/v1/cases/{receipt['case_id']}", headers=POLICE),
                   403, "Forbidden")

    # The office decides; the referrer learns yes or no.
    case = (await http.get(f"/v1/cases/{receipt['case_id']}", headers=CASEWORKER)).json()
    assert case["referrer"] == {"agency_type": "police", "agency_id": "police-nbi-trafficking",
                                "organisation": "National Bureau of Investigation, trafficking "
                                "unit", "reference": "8200/R/123/26"}
    await step(http, case, "/admission", f.admission())

    async def told() -> bool:
        r = await http.get(f"/v1/agency/cases/{receipt['case_id']}", headers=POLICE)
        return r.json().get("admitted") is True

    await eventually(told)


async def test_an_agency_refers_only_as_itself(http: httpx.AsyncClient) -> None:
    for bad in ({**agency_referral(), "referrer": body(f.referral())["referrer"]},
                {**agency_referral(), "caseworker_id": "cw-anna"}):
        assert_problem(await http.post("/v1/referrals", json=bad, headers=POLICE),
                       422, "InvalidRequest")
    assert_problem(await http.post("/v1/referrals", json=agency_referral(),
                                   headers=bearer("x-1", "police", "no-such-agency")),
                   403, "Forbidden")
    assert_problem(await http.post("/v1/referrals", json=agency_referral(), headers=CASEWORKER),
                   403, "Forbidden")
    # The rules of a referral hold for an agency's too: no consent, no personal record.
    assert_problem(await http.post("/v1/referrals", json=agency_referral(client_consent=False),
                                   headers=POLICE), 422, "ConsentMissing")


async def test_the_intake_desk_oldest_first_until_taken_over(http: httpx.AsyncClient) -> None:
    older = await refer(http, received_on=f.today().replace(day=1) if f.today().day > 1
                        else f.today())
    newer = await refer(http, headers=NGO)
    mine = await open_case(http)  # a caseworker's own referral is hers at once
    projected = await eventually(lambda: until_listed(http, older, newer, mine))
    ids = await waiting(http)
    assert projected and ids.index(older["case_id"]) <= ids.index(newer["case_id"])
    assert mine["case_id"] not in ids
    assert older["case_id"] not in await waiting(http, TAMPERE_CASEWORKER)  # another office's
    assert_problem(await http.get("/v1/intake", headers=POLICE), 403, "Forbidden")

    case = (await http.get(f"/v1/cases/{newer['case_id']}", headers=CASEWORKER)).json()
    assert case["assignment"]["caseworker_id"] is None
    taken = await step(http, case, "/take-over", BY_NAME["take_over"].example)
    assert taken["assignment"]["caseworker_id"] == "cw-anna" and taken["worker_changes"] == 0
    await eventually(lambda: gone(http, newer))
    again = await post(http, f"/v1/cases/{newer['case_id']}/take-over",
                       BY_NAME["take_over"].example, taken["version"])
    assert_problem(again, 409, "InvalidTransition")


async def test_the_referrer_is_asked_for_more(http: httpx.AsyncClient) -> None:
    receipt = await refer(http)
    case = (await http.get(f"/v1/cases/{receipt['case_id']}", headers=CASEWORKER)).json()
    asked = await step(http, case, "/referrer-questions", BY_NAME["ask_referrer"].example)
    [notice] = [n for n in asked["notifications"] if n["purpose"] == "more_information"]
    assert notice["agency_id"] == "police-nbi-trafficking" and notice["legal_basis"] == "referral"

    async def question() -> list[dict[str, Any]]:
        view = (await http.get(f"/v1/agency/cases/{receipt['case_id']}", headers=POLICE)).json()
        return [n for n in view["notifications"] if n["purpose"] == "more_information"]

    [seen] = await eventually(question)
    assert seen["message"]["question"] == BY_NAME["ask_referrer"].example["question"]
    assert seen["message"]["reference_number"] == receipt["reference_number"]
    # A referral made by staff for a referrer outside the directory has no one to ask.
    own = await open_case(http)
    r = await post(http, f"/v1/cases/{own['case_id']}/referrer-questions",
                   BY_NAME["ask_referrer"].example, own["version"])
    assert_problem(r, 422, "InvalidStep")


async def test_a_duplicate_closes_into_the_case_that_goes_on(http: httpx.AsyncClient) -> None:
    first = await open_case(http)
    second = await refer(http)
    case = (await http.get(f"/v1/cases/{second['case_id']}", headers=CASEWORKER)).json()
    duplicate = {**BY_NAME["mark_duplicate"].example, "duplicate_of": first["reference_number"]}
    await eventually(lambda: until_listed(http, first))

    # A number no case has, or its own, is refused and changes nothing.
    for bad, status, code in (({**duplicate, "duplicate_of": "HEL-1999-9999"}, 422, "InvalidStep"),
                              ({**duplicate, "duplicate_of": "Maria"}, 422, "InvalidRequest"),
                              ({**duplicate, "duplicate_of": second["reference_number"]}, 422,
                               "InvalidStep")):
        r = await post(http, f"/v1/cases/{second['case_id']}/duplicate", bad, case["version"])
        assert_problem(r, status, code)
    # The case that goes on must be the reader's too: another office's needs a reason.
    elsewhere = await open_case(http, headers=TAMPERE_CASEWORKER, office="tampere")
    await eventually(lambda: until_listed(http, elsewhere, headers=TAMPERE_CASEWORKER))
    r = await post(http, f"/v1/cases/{second['case_id']}/duplicate",
                   {**duplicate, "duplicate_of": elsewhere["reference_number"]}, case["version"])
    assert_problem(r, 403, "OutsideOffice")

    merged = await step(http, case, "/duplicate", duplicate)
    assert merged["phase"] == "merged" and merged["duplicate_of"] == first["reference_number"]
    assert all(d["status"] == "cancelled" for d in merged["deadlines"])
    await eventually(lambda: gone(http, second))
    view = (await http.get(f"/v1/agency/cases/{second['case_id']}", headers=POLICE)).json()
    assert view["closed"] is True and "admitted" not in view  # nothing of the other case
