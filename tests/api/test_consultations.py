"""Anonymous consultations over HTTP: recorded with a number of their own series, listed,
nothing but choices accepted; the wrong role refused; a referral cites one by its number and
keeps only the number."""

from __future__ import annotations

import re

import httpx

from api.examples import EXAMPLES
from tests.support import factories as f
from tests.support.http import assert_problem, body, open_case
from tests.support.identities import AUDITOR, CASEWORKER, OPERATOR

CONSULTATION = EXAMPLES["Consultation"]


async def test_a_consultation_is_recorded_listed_and_cited(http: httpx.AsyncClient) -> None:
    r = await http.post("/v1/consultations", json=CONSULTATION, headers=CASEWORKER)
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    assert re.fullmatch(r"K-HEL-\d{4}-\d{4}", number)
    listed = (await http.get("/v1/consultations?office=helsinki", headers=AUDITOR)).json()
    assert {**CONSULTATION, "number": number}.items() <= next(
        c for c in listed["items"] if c["number"] == number).items()

    # Choices only: a word of the caller's, or no advice, is refused and nothing is kept.
    for bad in ({**CONSULTATION, "note": "She is called Maria."}, {**CONSULTATION, "advice": []},
                {**CONSULTATION, "minutes": 0}):
        assert_problem(await http.post("/v1/consultations", json=bad, headers=CASEWORKER),
                       422, "InvalidRequest")
    assert_problem(await http.post("/v1/consultations", json=CONSULTATION, headers=OPERATOR),
                   403, "Forbidden")
    after = (await http.get("/v1/consultations", headers=AUDITOR)).json()["items"]
    assert len(after) == len(listed["items"])

    case = await open_case(http, consultation=number)
    assert case["consultation"] == number
    referral = {**body(f.referral()), "consultation": "Maria, last Tuesday"}
    assert_problem(await http.post("/v1/cases", json=referral, headers=CASEWORKER),
                   422, "InvalidRequest")  # a number, never words
