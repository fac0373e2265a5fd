"""Need to know in the console: every page, read by every kind of reader, shows the person's
name only to those the API's reader lets see the whole case (staff of the case's office, with
no reason needed, and auditors), and to no one else, whatever page they open; the lists name
the person to the staff of the case's office alone."""

from __future__ import annotations

import httpx
import pytest

from tests.support import factories as f
from tests.support.console_http import READERS
from tests.support.http import body
from tests.support.identities import CASEWORKER
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

# The API's rule: staff of the case's office see the whole case, and auditors (who trace);
# the lists (`need_to_know.Reader.names`) name the person to that office's staff.
SEES_THE_PERSON = {(reader, page) for reader in ("caseworker of the office", "office lead")
                   for page in ("/work", "/cases", "/cases/{id}")} | {("auditor", "/cases/{id}")}
PAGES = ("/work", "/cases", "/cases/new", "/cases/{id}", "/agency", "/agency/cases/{id}",
         "/operations", "/audit/cases/{id}", "/audit/verify")


def test_every_page_for_every_reader(running_stack: Stack) -> None:
    with httpx.Client(base_url=running_stack.url, headers=CASEWORKER, timeout=30) as api:
        case_id = api.post("/v1/cases", json=body(f.referral())).json()["case_id"]
    seen = set()
    for reader, (user, role, office, agency) in READERS.items():
        with httpx.Client(base_url=running_stack.url, timeout=30) as browser:
            r = browser.post("/sign-in", data={"user_id": user, "role": role, "office": office,
                                               "agency": agency})
            assert r.status_code == 303, (reader, r.text)
            for page in PAGES:
                r = browser.get(page.format(id=case_id))
                assert r.status_code in (200, 403, 404), (reader, page, r.status_code)
                assert r.headers["content-type"].startswith("text/html"), (reader, page)
                if f.PERSON.surname in r.text:
                    seen.add((reader, page))
    assert seen == SEES_THE_PERSON
