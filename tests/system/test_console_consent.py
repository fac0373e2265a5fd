"""Nothing withheld in silence, in Debian's Chromium against the real `casework run`, in
Finnish: before a step whose notification needs a consent the client has not given, its form
says so and offers the consent form, filled in with what is needed; once the consent is
recorded, the warning is gone and the notification goes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.support import factories as f
from tests.support.browser import chromium
from tests.support.console import Visit, decide, step
from tests.support.http import body
from tests.support.identities import CASEWORKER
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

WARNING = "Palveluntuottajalle ilmoitetaan toimesta vain, jos asiakas on suostunut"


def test_a_form_offers_the_consent_its_notification_needs(running_stack: Stack,
                                                          tmp_path: Path) -> None:
    with httpx.Client(base_url=running_stack.url, timeout=30) as http:
        case = http.post("/v1/cases", json=body(f.referral()), headers=CASEWORKER).json()
        r = http.post(f"/v1/cases/{case['case_id']}/admission", json=body(f.admission()),
                      headers={**CASEWORKER, "If-Match": f'"{case["version"]}"'})
        assert r.status_code == 200, r.text
    with chromium() as browser:
        anna = Visit(browser, running_stack, tmp_path)
        anna.sign_in("cw-anna", "caseworker", office="helsinki")
        anna.language("fi")
        page = anna.page
        page.goto(f"{running_stack.url}/cases/{case['case_id']}")
        anna.open_step("Uusi auttamistoimi")
        expect(step(page)).to_contain_text(WARNING)
        anna.check("measure-consent-wanted-finnish")
        step(page).get_by_role("link", name="Kirjaa ensin asiakkaan suostumus").click()

        consent = step(page)  # the consent form, open, with what is needed chosen
        expect(consent.locator("[name='scope']")).to_have_value("share_with_agencies")
        expect(consent.locator("[name='purpose']")).to_have_value("measures")
        consent.locator("[name='reason']").fill("Asiakas suostui neuvonnan jälkeen.")
        consent.locator("[name='given_by']").select_option("client")
        decide(consent, "given", True)
        anna.check("consent-asked-finnish")
        consent.get_by_role("button", name="Tallenna").click()
        expect(page.locator(".ok")).to_be_visible()
        anna.open_step("Uusi auttamistoimi")
        expect(step(page)).not_to_contain_text(WARNING)
