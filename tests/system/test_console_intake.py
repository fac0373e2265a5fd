"""Intake as it happens, in Debian's Chromium against the real `casework run`, in Finnish: a
person refers themself through the public form and gets a number, nothing else; the police
refer through their own console; both wait in Helsinki's intake, where Anna takes the police's
over, asks them for more (they read the question on their desk), and closes the person's own
referral as a duplicate of the case that goes on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import chromium
from tests.support.console import Visit, decide
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e
NUMBER = re.compile(r"HEL-\d{4}-\d{4}")
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def person_of(page: Page, surname: str) -> None:
    """The referral's common part, as a Finnish reader fills it in."""
    form = page.locator("form.step")
    form.locator("[name='office']").select_option("helsinki")
    form.get_by_label("Pakkotyö").check()
    decide(form, "minor", False)
    decide(form, "client_consent", True)
    form.locator("[name='person.given_names']").fill("Ioana")
    form.locator("[name='person.surname']").fill(surname)
    form.locator("[name='person.date_of_birth']").fill("1991-04-02")


def test_referrals_wait_in_intake_until_taken_over(running_stack: Stack, tmp_path: Path) -> None:
    surname = "Popescu-Intake"
    with chromium() as browser:
        # A person without an account refers themself.
        person = Visit(browser, running_stack, tmp_path, language="fi")
        page = person.page
        page.goto(f"{running_stack.url}/refer")
        expect(page.get_by_role("heading", level=1)).to_have_text("Ohjaa auttamisjärjestelmään")
        person.check("public-referral-finnish")
        page.locator("[name='who_refers']").select_option("self")
        page.locator("[name='reason']").fill("Tein töitä marjatilalla ilman palkkaa.")
        person_of(page, surname)
        page.get_by_role("button", name="Lähetä ohjaus").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Ohjaus on vastaanotettu")
        own_number = page.locator("strong.number").inner_text()
        assert NUMBER.fullmatch(own_number) and surname not in page.content()
        person.check("public-received-finnish")

        # The police refer through their own console.
        police = Visit(browser, running_stack, tmp_path)
        police.sign_in("officer-1", "police", agency="police-nbi-trafficking")
        police.language("fi")
        police.page.get_by_role("link", name="Uusi ohjaus").click()
        police.page.locator("[name='reason']").fill("Tavattu työsuojelutarkastuksessa.")
        police.page.locator("[name='own_reference']").fill("8200/R/77/26")
        person_of(police.page, surname)
        police.check("agency-referral-finnish")
        police.page.get_by_role("button", name="Lähetä ohjaus").click()
        police_number = police.page.locator("h1 .number").inner_text()
        assert NUMBER.fullmatch(police_number)
        police_case = police.page.url.split("?")[0]

        # Anna finds both waiting, named, the oldest first, and takes the police's over.
        anna = Visit(browser, running_stack, tmp_path)
        anna.sign_in("cw-anna", "caseworker", office="helsinki")
        anna.language("fi")
        anna.page.get_by_role("link", name="Vastaanotto").click()
        rows = anna.page.locator("tbody tr")
        expect(rows.filter(has_text=police_number)).to_contain_text(f"{surname}, Ioana")
        expect(rows.filter(has_text=own_number)).to_contain_text("Henkilö itse")
        anna.check("intake-finnish")
        rows.filter(has_text=police_number).get_by_role("button", name="Ota vastaan").click()
        expect(anna.page.locator(".case-head")).to_contain_text("Anna Virtanen")
        anna.take("Pyydä ohjaajalta lisätietoja", lambda p: (
            p.locator("details[open] [name='reason']").fill("Yhteystieto puuttuu."),
            p.locator("details[open] [name='question']").fill("Miten hänet tavoittaa?")))
        anna.check("case-taken-over-finnish")
        # The contract the police found, kept with the case (told by its content).
        anna.page.locator("summary", has_text="Lisää asiakirja").click()
        anna.page.locator("#doc-file").set_input_files(files=[{
            "name": "sopimus.pdf", "mimeType": "application/pdf", "buffer": PDF}])
        anna.page.locator("#doc-caption").fill("Työsopimus")
        anna.page.locator("#doc-reason").fill("Poliisi löysi sen tarkastuksessa.")
        anna.page.get_by_role("button", name="Tallenna asiakirja").click()
        expect(anna.page.locator("#documents")).to_contain_text("Työsopimus")
        expect(anna.page.locator("#documents")).to_contain_text("PDF-asiakirja")
        anna.check("documents-finnish")

        # The person's own referral is the same person's: closed into the police's case.
        anna.page.get_by_role("link", name="Vastaanotto").click()
        anna.page.locator("tbody tr", has_text=own_number).get_by_role("link").click()
        anna.take("Kaksoisohjaus", lambda p: (
            p.locator("details[open] [name='reason']").fill("Sama henkilö kuin poliisin ohjaus."),
            p.locator("details[open] [name='duplicate_of']").fill(police_number)))
        expect(anna.page.locator("main")).to_contain_text("Henkilön asia jatkuu asiassa:")
        anna.check("duplicate-finnish")
        anna.page.get_by_role("link", name=police_number).first.click()
        expect(anna.page.locator("main")).to_contain_text(own_number)
        anna.page.get_by_role("link", name="Vastaanotto").click()
        expect(anna.page.locator("main")).not_to_contain_text(own_number)

        # The police read the question when they sign in; of the person, nothing new.
        police.page.goto(police_case)
        expect(police.page.locator("main")).to_contain_text("Miten hänet tavoittaa?",
                                                            timeout=30_000)
        police.check("agency-question-finnish")
