"""The console keeps what the API keeps: a break-glass reason is sealed under the case's key in
the session's row (shredding the case erases it there too), and an agency whose consent was
withdrawn is told, in its own language, that it has no access, and nothing else."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from console import session as sessions
from infra.database import engine_for
from infra.settings import Settings
from store.keys import case_keys
from store.tables import ConsoleSession
from tests.support import factories as f
from tests.support.console_http import form_token, signed_in
from tests.support.http import open_case, step
from tests.support.identities import AUDITOR, CASEWORKER
from tests.support.waiting import eventually
from workflows.model.requests import Provider
from workflows.model.vocabulary import AgencyType, ConsentScope

SAID = "Covering for Helsinki tonight: the client called Kowalski's number."
# As recorded: the kind of reason chosen (in the reader's language), then their words.
REASON = f"Covering for a colleague or the other office: {SAID}"


async def test_a_break_glass_reason_is_sealed_in_the_session(
        console: httpx.AsyncClient, settings: Settings) -> None:
    case_id = (await open_case(console))["case_id"]
    async with signed_in(console, "cw-olli", "caseworker", office="oulu") as olli:
        asked = await olli.get(f"/cases/{case_id}")
        assert asked.status_code == 403, asked.text  # say why first
        # No kind of reason, or too few words: asked again, nothing recorded.
        for thin in ({"reason": SAID}, {"why": "covering", "reason": "Phoned."}):
            r = await olli.post(f"/cases/{case_id}/reach",
                                data={"csrf": form_token(asked), **thin})
            assert r.status_code == 422, r.text
        r = await olli.post(f"/cases/{case_id}/reach",
                            data={"csrf": form_token(asked), "why": "covering", "reason": SAID})
        assert r.status_code == 303, r.text
        page = await olli.get(f"/cases/{case_id}")
        assert page.status_code == 200 and f.PERSON.surname in page.text  # let in

    engine = engine_for(settings.database)
    with engine.connect() as db:  # the row as the database holds it
        (stored,) = [raw for (raw,) in db.execute(text("SELECT reasons FROM console_session"))
                     if case_id in raw]
    assert "Kowalski" not in stored and "Covering" not in stored
    with Session(engine) as db:
        (row,) = [s for s in db.exec(select(ConsoleSession)).all() if case_id in s.reasons]
    assert row.reasons[case_id].startswith(sessions.SEALED)
    # The audit log keeps the reason, for auditors and the office's lead.
    r = await console.get("/v1/audit/break-glass", headers=AUDITOR)
    assert REASON in [e["reason"] for e in r.json()["items"] if e["case_id"] == case_id]

    # Shredding the case erases the session's copy too: it no longer opens.
    keys = case_keys(settings)
    assert sessions.reason_for(keys, row, case_id) == REASON
    assert keys.shred(case_id)
    assert sessions.reason_for(case_keys(settings), row, case_id) is None


NO_ACCESS = {"fi": "Toimijallanne ei ole pääsyä tähän asiaan.",
             "sv": "Er aktör har inte tillgång till det här ärendet.",
             "en": "Your agency has no access to this case."}


@pytest.mark.parametrize("language", NO_ACCESS)
async def test_after_withdrawal_an_agency_is_told_it_has_no_access(
        console: httpx.AsyncClient, language: str) -> None:
    case = await open_case(console)
    case = await step(console, case, "/admission", f.admission())
    case = await step(console, case, "/consents", f.consent(ConsentScope.SHARE_WITH_AGENCIES))
    case = await step(console, case, "/measures", f.measure().model_copy(update={
        "provider": Provider(agency_type=AgencyType.NGO, organisation="Victim Support Finland",
                             agency_id="victim-support-finland")}))
    page = f"/agency/cases/{case['case_id']}"
    async with signed_in(console, "ngo-1", "ngo", agency="victim-support-finland",
                         language=language) as ngo:
        async def shown() -> httpx.Response | None:
            r = await ngo.get(page)
            return r if r.status_code == 200 and 'name="version"' in r.text else None

        await eventually(shown)  # delivered: its view, with the version its forms send
        await step(console, case, "/consents",
                   f.consent(ConsentScope.SHARE_WITH_AGENCIES, given=False))
        r = await ngo.get(page)
        assert r.status_code == 403 and NO_ACCESS[language] in r.text
        assert 'name="version"' not in r.text and "<form" not in r.text.split("<main")[-1]
        assert case["case_id"] not in r.text.split("<main")[-1]


async def test_a_form_too_large_is_a_page_in_the_reader_s_language(
        console: httpx.AsyncClient) -> None:
    """Over the body limit, the console answers with a page in the reader's words (what was
    typed is still in the browser's form), never the API's raw problem document; nothing
    happens to the case."""
    case = await open_case(console)
    async with signed_in(console, "cw-anna", "caseworker", office="helsinki",
                         language="fi") as anna:
        page = await anna.get(f"/cases/{case['case_id']}")
        huge = {"csrf": form_token(page), "reason": "x" * (3 * 1024 * 1024)}
        r = await anna.post(f"/cases/{case['case_id']}/steps/assess_needs", data=huge)
        assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
        assert "liian pitkä" in r.text and "urn:casework" not in r.text
    r = await console.get(f"/v1/cases/{case['case_id']}", headers=CASEWORKER)
    assert r.json()["version"] == case["version"]


async def test_a_list_that_names_a_person_is_a_read_of_that_case(
        console: httpx.AsyncClient) -> None:
    """The lists name the client to the office's staff: each case so named has the read in its
    access log; a search is a read too, posted, with nothing of what was searched for."""
    case = await open_case(console)
    async with signed_in(console, "cw-anna", "caseworker", office="helsinki") as anna:
        async def named() -> bool:
            r = await anna.get("/work")
            return f.PERSON.surname in r.text
        await eventually(named)
        page = await anna.get("/cases")
        r = await anna.post("/cases", data={"csrf": form_token(page), "q": "vasquez maria"})
        assert r.status_code == 200 and case["case_id"] in r.text
    log = (await console.get(f"/v1/cases/{case['case_id']}/access-log",
                             headers=AUDITOR)).json()["items"]
    reads = {(e["actor_id"], e["action"], e["kind"]) for e in log}
    assert {("cw-anna", "console_work", "read"), ("cw-anna", "console_find_cases", "read")} <= reads
    assert not [e for e in log if "vasquez" in str(e).casefold()]


async def test_a_case_is_found_by_the_number_a_person_reads_out(
        console: httpx.AsyncClient) -> None:
    case = await open_case(console)
    number = case["reference_number"]
    assert re.fullmatch(r"HEL-\d{4}-\d{4}", number), number
    async with signed_in(console, "aud-1", "auditor") as auditor:
        async def listed() -> bool:
            return number in (await auditor.get("/cases")).text
        await eventually(listed)
        page = await auditor.get("/cases")
        r = await auditor.post("/cases", data={"csrf": form_token(page),
                                               "q": f" {number.lower()} "})
        assert r.status_code == 303 and r.headers["location"] == f"/audit/cases/{case['case_id']}"


async def test_the_api_says_which_cases_may_be_about_the_same_person(
        console: httpx.AsyncClient) -> None:
    first = await open_case(console)
    second = await open_case(console)  # the same person, referred again
    r = await console.get(f"/v1/cases/{second['case_id']}/likeness", headers=CASEWORKER)
    assert r.status_code == 200, r.text

    async def seen() -> list[dict] | None:
        r = await console.get(f"/v1/cases/{second['case_id']}/likeness", headers=CASEWORKER)
        return [i for i in r.json()["items"] if i["case_id"] == first["case_id"]] or None

    (match,) = await eventually(seen)
    assert match == {"case_id": first["case_id"], "reference_number": first["reference_number"],
                     "strength": "strong"}
    assert (await console.get(f"/v1/cases/{second['case_id']}/likeness",
                              headers=AUDITOR)).status_code == 403
