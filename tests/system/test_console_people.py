"""People, not ids, in Debian's Chromium against the real `casework run`: the lists name the
client to the staff who may open the case, and a search finds the person by name (in any order,
without the accents), by birth date or by the referrer's reference, never among another
office's cases; what was searched for stays out of the address. Nationality, languages and
agencies chosen by their names, never typed as codes. In Finnish."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.browser import chromium
from tests.support.console import Visit, decide
from tests.support.identities import CASEWORKER
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def test_a_caseworker_finds_a_client_by_name(running_stack: Stack, tmp_path: Path) -> None:
    # A surname of this test's own: the stack is shared with other tests' cases.
    surname = f"Müller-Öberg{secrets.choice('ÄÖÅ')}{secrets.token_hex(2)}"
    typed = surname.lower().replace("ü", "ue").replace("ö", "o")  # as typed on any keyboard
    with chromium() as browser:
        anna = Visit(browser, running_stack, tmp_path)
        anna.sign_in("cw-anna", "caseworker", office="helsinki")
        anna.refer("Referred by the police.", "police", "Forced labour", given="Åsa",
                   surname=surname, born="1990-05-12")
        case_id = anna.page.url.rsplit("/", 1)[-1].split("?")[0]
        anna.language("fi")
        page = anna.page

        page.get_by_role("link", name="Omat työt").click()
        named = page.get_by_role("link", name=f"{surname}, Åsa")
        expect(named).to_be_visible()
        anna.check("work-names-finnish")

        page.get_by_role("link", name="Asiat", exact=True).click()
        search = page.get_by_label("Nimi, syntymäaika, viite tai asian tunnus")
        for query in (f"åsa {typed}", "12.5.1990"):
            search.fill(query)
            page.get_by_role("button", name="Hae").click()
            expect(page.get_by_role("link", name=f"{surname}, Åsa")).to_have_attribute(
                "href", f"/cases/{case_id}")
            assert typed not in page.url and "1990" not in page.url
        anna.check("search-finnish")
        search = page.get_by_label("Nimi, syntymäaika, viite tai asian tunnus")
        search.fill(f"Virtanen {typed}")  # every word must match
        page.get_by_role("button", name="Hae").click()
        expect(page.locator(".empty")).to_have_text("Ei hakua vastaavia asioita.")

        # Another office's caseworker: the person is not found, the case not named.
        olli = Visit(browser, running_stack, tmp_path)
        olli.sign_in("cw-olli", "caseworker", office="oulu")
        olli.language("fi")
        olli.page.goto(f"{running_stack.url}/cases")
        olli.page.get_by_label("Nimi, syntymäaika, viite tai asian tunnus").fill(typed)
        olli.page.get_by_role("button", name="Hae").click()
        expect(olli.page.locator(".empty")).to_have_text("Ei hakua vastaavia asioita.")
        olli.page.goto(f"{running_stack.url}/cases")
        expect(olli.page.locator(f"a[href='/cases/{case_id}']")).to_have_text(
            re.compile(r"HEL-\d{4}-\d{4}"))  # by its number, no name
        expect(olli.page.locator("main")).not_to_contain_text(surname)


def test_nationality_and_languages_are_chosen_by_name(running_stack: Stack,
                                                      tmp_path: Path) -> None:
    with chromium() as browser:
        anna = Visit(browser, running_stack, tmp_path)
        anna.sign_in("cw-anna", "caseworker", office="helsinki")
        anna.language("fi")
        page = anna.page
        page.get_by_role("link", name="Uusi ohjaus").click()
        form = page.locator("form.step")
        form.locator("[name='reason']").fill("Poliisin ohjaama.")
        form.locator("#f-referrer-agency_type").select_option("police")
        form.locator("#f-referrer-agency_id").select_option(
            label="National Bureau of Investigation, trafficking unit (Poliisi)")
        form.locator("[name='exploitation'][value='forced_labour']").check()
        decide(form, "client_consent", True)
        decide(form, "minor", False)
        form.locator("[name='person.given_names']").fill("Ioana")
        form.locator("[name='person.surname']").fill("Popescu")
        form.get_by_label("Kansalaisuus").select_option(label="Romania")
        form.locator("#f-person-languages-0").select_option(label="romania")
        form.locator("#f-person-languages-1").select_option(label="englanti")
        anna.check("referral-chosen-finnish")
        form.get_by_role("button", name="Avaa asia").click()
        person = page.locator("dl", has_text="Kansalaisuus")
        expect(person).to_contain_text("Romania")
        expect(person).to_contain_text("romania, englanti")
        case_id = page.url.rsplit("/", 1)[-1].split("?")[0]
    with httpx.Client(base_url=running_stack.url, timeout=30) as http:
        case = http.get(f"/v1/cases/{case_id}", headers=CASEWORKER).json()
    assert case["person"]["nationality"] == "ROU" and case["person"]["languages"] == ["ro", "en"]
    assert case["referrer"]["agency_id"] == "police-nbi-trafficking"


def test_a_second_referral_of_the_same_person_is_recognised(running_stack: Stack,
                                                          tmp_path: Path) -> None:
    """The police refer a woman by her Ukrainian name; an NGO later refers her as her passport
    writes it: the second case says another case may be about her, by its number, and shows
    nothing of it."""
    surname = f"Коваленко{secrets.choice('абв')}{secrets.randbelow(10)}"
    with chromium() as browser:
        anna = Visit(browser, running_stack, tmp_path)
        anna.sign_in("cw-anna", "caseworker", office="helsinki")
        anna.refer("Referred by the police.", "police", "Forced labour", given="Марія",
                   surname=surname, born="1988-03-04")
        first = anna.page.url.rsplit("/", 1)[-1].split("?")[0]
        number = anna.page.locator("h1 .number").inner_text()
        latin = "Kovalenko" + surname[9:].translate(str.maketrans("абв", "abv"))
        anna.refer("Referred by an NGO.", "ngo", "Forced labour", given="Mariia",
                   surname=latin, born="1988-03-04")
        anna.language("fi")
        similar = anna.page.locator("section", has=anna.page.locator("#similar-h"))
        expect(similar).to_contain_text("Mahdollisesti sama henkilö")
        expect(similar.get_by_role("link", name=number)).to_have_attribute(
            "href", f"/cases/{first}")
        expect(similar).not_to_contain_text("Марія")
        anna.check("likeness-finnish")


def test_an_anonymous_consultation_in_finnish(running_stack: Stack, tmp_path: Path) -> None:
    """A nurse phones: someone she met may be a victim. Anna records the consultation as choices
    only; it gets a number of its own; forgetting the advice is refused, with what was chosen
    kept."""
    with chromium() as browser:
        anna = Visit(browser, running_stack, tmp_path)
        anna.sign_in("cw-anna", "caseworker", office="helsinki")
        anna.language("fi")
        page = anna.page
        page.get_by_role("link", name="Konsultaatiot").click()
        form = page.locator("form.step")
        expect(form.locator("[name='situation']")).to_have_value("")  # chosen, never by default
        form.locator("[name='asked_by']").select_option("health_care")
        form.locator("[name='situation']").select_option("possible_victim")
        form.locator("[name='exploitation_forms'][value='sexual']").check()
        decide(form, "referral_recommended", True)
        form.locator("[name='minutes']").fill("20")
        form.get_by_role("button", name="Kirjaa").click()
        expect(page.get_by_role("alert")).to_contain_text("Tarkista")
        expect(page.locator("[name='exploitation_forms'][value='sexual']")).to_be_checked()
        page.locator("form.step [name='advice'][value='police']").check()
        page.locator("form.step").get_by_role("button", name="Kirjaa").click()
        done = page.locator(".ok .number")
        expect(done).to_have_text(re.compile(r"K-HEL-\d{4}-\d{4}"))
        row = page.locator("tr", has_text=done.inner_text())
        expect(row).to_contain_text("Terveydenhuolto")
        expect(row).to_contain_text("Yhteys poliisiin")
        anna.check("consultation-finnish")
