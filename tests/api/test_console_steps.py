"""The whole story on the page: a case's every step is listed in the console, the ones the
case's state has let go of (archived in the read model) too, oldest first, in the reader's
language."""

from __future__ import annotations

import re

import httpx

from tests.support import factories as f
from tests.support.console_http import signed_in
from tests.support.http import open_case, step
from tests.support.identities import CASEWORKER
from tests.support.waiting import eventually
from workflows.model.vocabulary import ConsentScope
from workflows.rules import size

CONSENTS = size.KEEP["steps"] + 3  # more steps than the case keeps


async def test_every_step_is_on_the_page(console: httpx.AsyncClient) -> None:
    case = await open_case(console)
    for n in range(CONSENTS):
        case = await step(console, case, "/consents",
                          f.consent(ConsentScope.CONTACT_POLICE, given=n % 2 == 0))
    total = case["steps"][-1]["seq"]

    async def archived() -> bool:
        r = await console.get(f"/v1/cases/{case['case_id']}", headers=CASEWORKER)
        return r.json()["archived"]["steps"] > 0

    await eventually(archived)
    async with signed_in(console, "cw-anna", "caseworker", office="helsinki",
                         language="fi") as anna:
        page = await anna.get(f"/cases/{case['case_id']}")
        assert "Kaikki vaiheet vanhimmasta alkaen" in page.text
        r = await anna.get(f"/cases/{case['case_id']}/steps")
        assert r.status_code == 200, r.text
        numbers = [int(n) for n in re.findall(r"<tr><td>(\d+)</td>", r.text)]
        assert numbers == list(range(1, total + 1))  # each once, oldest first
        assert "Suostumus annettu" in r.text and "Ohjattu" in r.text
    async with signed_in(console, "ops-1", "operator") as ops:
        r = await ops.get(f"/cases/{case['case_id']}/steps")
        assert r.status_code == 403 and "Suostumus" not in r.text


async def test_the_client_s_interpreter_is_on_the_case_and_offered_at_each_appointment(
        console: httpx.AsyncClient) -> None:
    person = f.PERSON.model_copy(update={"languages": ["tl", "en"],
                                         "interpreter_language": "tl"})
    case = await open_case(console, person=person)
    async with signed_in(console, "cw-anna", "caseworker", office="helsinki",
                         language="fi") as anna:
        page = (await anna.get(f"/cases/{case['case_id']}")).text
        assert re.search(r"<dt>Tulkki</dt><dd>tagalog</dd>", page)
        # The contact form offers it chosen; another case's form chooses none.
        chosen = re.compile(r'name="interpreter_language"[^>]*>.*?<option value="tl" selected',
                            re.S)
        assert chosen.search(page)
        other = await open_case(console)
        page = (await anna.get(f"/cases/{other['case_id']}")).text
        assert "<dt>Tulkki</dt><dd>ei tarvita</dd>" in page and not chosen.search(page)
