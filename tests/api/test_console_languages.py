"""Every word in the reader's language: each page of the console, read by each kind of reader
of a case rich in what a page can show (refusals, withheld notifications, deadlines, a break of
the glass, an agency's desk, an auditor's timeline), in Finnish and in Swedish, holds no English
sentence of the catalogue left untranslated, and in those and in English no code of the
vocabulary where a person reads.
Codes shown as codes (`<code>`, ids) are for machines and are not read here."""

from __future__ import annotations

from enum import Enum
from html.parser import HTMLParser

import httpx
import pytest

from activities.mail_words import PURPOSES
from api.examples import EXAMPLES
from console.catalogue import TRANSLATED
from console.i18n import LANGUAGE_COOKIE, catalogue
from tests.support import factories as f
from tests.support.console_http import READERS, form_token, signed_in
from tests.support.http import open_case, step
from tests.support.identities import CASEWORKER, bearer
from tests.support.waiting import eventually
from workflows.model import vocabulary
from workflows.model.requests import Provider
from workflows.model.vocabulary import AgencyType, ConsentScope, ContactStatus, Purpose
from workflows.steps import BY_NAME, STEPS

# The codes a person must never read: every value of the vocabulary that is a code (two words
# joined), every notification's purpose and every step's name.
CODES = {str(value) for enum in vars(vocabulary).values()
         if isinstance(enum, type) and issubclass(enum, Enum) and enum.__module__ ==
         vocabulary.__name__ for value in enum if "_" in str(value)} | {
    c for c in (*PURPOSES, *(s.name for s in STEPS)) if "_" in c}  # one word is a word too
PAGES = {
    "caseworker of the office": ("/work", "/cases", "/cases/new", "/cases/{id}",
                                 "/cases/{id}/steps", "/cases/case-aaaaaaaaaaaaaaaaaaaa",
                                 "/intake", "/cases/{waiting}"),
    "office lead": ("/work", "/cases/{id}", "/intake"),
    "caseworker elsewhere": ("/cases/{id}",),
    "an NGO": ("/agency", "/agency/cases/{id}"),
    "police": ("/agency", "/agency/cases/{id}", "/cases/new", "/agency/cases/{waiting}"),
    "operations": ("/operations", "/cases/{id}"),
    "auditor": ("/cases", "/audit/cases/{id}", "/audit/verify"),
}


class Readable(HTMLParser):
    """The text a person reads on a page: not scripts or styles, not codes or ids."""

    SKIPPED = {"script", "style", "code"}

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self._open: list[bool] = []  # for each open element: whether it is skipped

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"input", "br", "meta", "link", "img", "hr"}:
            return
        classes = (dict(attrs).get("class") or "").split()
        self._open.append(tag in self.SKIPPED or "id" in classes)

    def handle_endtag(self, _tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if not any(self._open) and data.strip():
            self.text.append(data.strip())


def readable(html: str) -> list[str]:
    """Each piece of text a person reads, as the page splits it (an English sentence left
    untranslated is one piece; the client's own words in English are data, within a piece)."""
    parser = Readable()
    parser.feed(html)
    return parser.text


def english(language: str) -> set[str]:
    """The catalogue's sentences whose translation differs from the English (none for English,
    whose pages are read for codes alone)."""
    if language not in TRANSLATED:
        return set()
    messages = catalogue(language)._catalog  # type: ignore[attr-defined]
    return {m for m, t in messages.items() if isinstance(m, str) and " " in m.strip()
            and "{" not in m and "%(" not in m and t != m and len(m) > 8}


async def waiting_referral(console: httpx.AsyncClient) -> str:
    """A referral from the police, waiting in the office's intake, its question asked."""
    r = await console.post("/v1/referrals", json=EXAMPLES["AgencyReferral"],
                           headers=bearer("officer-1", "police", "police-nbi-trafficking"))
    assert r.status_code == 201, r.text
    case = (await console.get(f"/v1/cases/{r.json()['case_id']}", headers=CASEWORKER)).json()
    case = await step(console, case, "/referrer-questions", BY_NAME["ask_referrer"].example)

    async def projected() -> bool:  # the desk reads the read model: wait for it to follow
        rows = (await console.get("/v1/intake", headers=CASEWORKER)).json()["items"]
        return any(r["case_id"] == case["case_id"] and r["version"] == case["version"]
                   for r in rows)
    await eventually(projected)
    return str(case["case_id"])


async def rich_case(console: httpx.AsyncClient) -> str:
    case = await open_case(console, referrer=f.Referrer(
        agency_type=AgencyType.POLICE, agency_id="police-nbi-trafficking", reference="POL-1"))
    case = await step(console, case, "/admission", f.admission())
    case = await step(console, case, "/consents", f.consent(ConsentScope.CONTACT_POLICE))
    case = await step(console, case, "/assessment", f.assessment())  # joint one withheld
    case = await step(console, case, "/consents", f.consent(
        ConsentScope.SHARE_WITH_AGENCIES, agency_id="victim-support-finland",
        purpose=Purpose.MEASURES))
    case = await step(console, case, "/measures", f.measure().model_copy(update={
        "provider": Provider(agency_type=AgencyType.NGO, organisation="Victim Support Finland",
                             agency_id="victim-support-finland")}))
    case = await step(console, case, "/contacts", f.contact(ContactStatus.PLANNED))

    async def projected() -> bool:  # the lists read the read model: wait for it to follow
        r = await console.get("/v1/cases?office=helsinki&page_size=500", headers=CASEWORKER)
        return case["case_id"] in r.text
    await eventually(projected)
    return str(case["case_id"])


@pytest.mark.parametrize("language", [*TRANSLATED, "en"])
async def test_every_page_in_the_reader_s_language(console: httpx.AsyncClient,
                                                   language: str) -> None:
    case_id, waiting = await rich_case(console), await waiting_referral(console)
    async with signed_in(console, "cw-olli", "caseworker", office="oulu") as olli:
        asked = await olli.get(f"/cases/{case_id}")
        r = await olli.post(f"/cases/{case_id}/reach", data={
            "csrf": form_token(asked), "why": "covering",
            "reason": "Covering for Helsinki tonight on the phone."})
        assert r.status_code == 303, r.text
    untranslated = english(language)
    found: dict[str, set[str]] = {}
    statuses: dict[str, int] = {}
    for reader, (user, role, office, agency) in READERS.items():
        async with signed_in(console, user, role, office=office, agency=agency,
                             language=language) as browser:
            for page in PAGES[reader]:
                path = page.format(id=case_id, waiting=waiting)

                async def shown(browser: httpx.AsyncClient = browser,
                                path: str = path) -> httpx.Response | None:
                    r = await browser.get(path)
                    # the agency's view once its notification is delivered (403 until then)
                    return r if "/agency/cases" not in path or 'name="version"' in r.text \
                        else None

                r = await eventually(shown)
                assert r.headers["content-type"].startswith("text/html"), (reader, path)
                statuses[f"{reader} {page}"] = r.status_code
                pieces = readable(r.text)
                left = {p for p in pieces if p.rstrip(":.") in untranslated or p in untranslated}
                left |= {c for c in CODES if any(c in p for p in pieces)}
                if left:
                    found[f"{reader} {path}"] = left
    async with httpx.AsyncClient(transport=console._transport, base_url=str(console.base_url),
                                 cookies={LANGUAGE_COOKIE: language}) as anyone:
        r = await anyone.get("/refer")  # the public form, without an account
        statuses["anyone /refer"] = r.status_code
        pieces = readable(r.text)
        left = {p for p in pieces if p.rstrip(":.") in untranslated or p in untranslated}
        left |= {c for c in CODES if any(c in p for p in pieces)}
        if left:
            found["anyone /refer"] = left
    assert found == {}
    assert list(statuses.values()).count(200) == len(statuses) - 3  # the 404 and two 403
