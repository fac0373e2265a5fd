"""A person at the console in Debian's Chromium: signed in through the development sign-in in
a tab of their own, taking steps through the forms; each page checked with axe-core and kept as
a screenshot. And the forms of the first steps of a case, filled in as a caseworker would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect

from tests.support import factories as f
from tests.support.browser import accessibility_problems, local_only
from tests.support.stack import Stack


class Visit:
    """A person in a browser tab of their own, signed in through the development sign-in."""

    def __init__(self, browser: Browser, stack: Stack, shots: Path, language: str = "en") -> None:
        self.page: Page = browser.new_page(viewport={"width": 1360, "height": 1000})
        self.tried = local_only(self.page)
        self.stack, self.shots = stack, shots
        self.page.goto(f"{stack.url}/sign-in")
        self.language(language)

    def sign_in(self, user_id: str, role: str, office: str = "", agency: str = "") -> None:
        page = self.page
        page.goto(f"{self.stack.url}/sign-in")
        page.get_by_label("Person").fill(user_id)
        page.locator("#role").select_option(role)
        page.locator("#office").select_option(office)
        page.locator("#agency").fill(agency)
        page.locator("main button[type=submit]").click()

    def language(self, code: str) -> None:
        self.page.locator("#language").select_option(code)
        self.page.locator("form[action='/language'] button").click()

    def check(self, name: str) -> None:
        """The page passes axe-core, and a screenshot is kept."""
        self.page.screenshot(path=self.shots / f"{name}.png", full_page=True)
        assert accessibility_problems(self.page) == [], name
        assert self.tried == [], name

    def refer(self, reason: str, referrer: str, exploitation: str, check: str = "",
              given: str = "Aino", surname: str = "Testinen", born: str = "") -> None:
        """A referral through the form, the client consenting."""
        page = self.page
        page.get_by_role("link", name="New referral").click()
        if check:
            self.check(check)
        page.get_by_label("Reason").fill(reason)
        page.locator("#f-referrer-agency_type").select_option(referrer)
        page.get_by_label(exploitation).check()
        decide(page.locator("form.step"), "client_consent", True)
        decide(page.locator("form.step"), "minor", False)
        page.get_by_label("Given names").fill(given)
        page.get_by_label("Surname").fill(surname)
        if born:
            page.locator("[name='person.date_of_birth']").fill(born)
        page.get_by_role("button", name="Open the case").click()

    def open_step(self, title: str) -> None:
        self.page.locator("summary", has_text=title).click()

    def save(self, title: str) -> None:
        self.page.locator("details[open] form button[type=submit]").click()
        expect(self.page.locator(".ok")).to_be_visible(), title

    def take(self, title: str, fill: Callable[[Page], object]) -> None:
        """Open a step's form, fill it in, save it."""
        self.open_step(title)
        fill(self.page)
        self.save(title)


def decide(form: Locator, name: str, answer: bool) -> None:
    """A decision's yes or no, by the field's name (never left to a default)."""
    form.locator(f"input[name='{name}'][value='{'yes' if answer else 'no'}']").check()


def step(page: Page) -> Locator:
    """The form of the step that is open (one at a time)."""
    return page.locator("details[open] form")


def today() -> str:
    return f.today().isoformat()


def admission(page: Page) -> None:
    step(page).get_by_label("Reason").fill("Indications of forced labour.")
    decide(step(page), "admitted", True)
    step(page).get_by_label("Decision maker").select_option("lead-jussi")
    step(page).get_by_label("Decided on").fill(today())


def assessment(page: Page) -> None:
    step(page).get_by_label("Reason").fill("Joint meeting.")
    step(page).locator("[name='safety_threat']").select_option("high")
    step(page).get_by_label("Client view").fill("Wants safe housing.")
    step(page).get_by_label("Assessed on").fill(today())
    decide(step(page), "criminal_matter", False)
    decide(step(page), "needs_support_person", False)


def measure(page: Page, provider_type: str, organisation: str) -> None:
    step(page).get_by_label("Reason").fill("Safe housing at once.")
    step(page).locator("[name='type']").select_option("housing")
    step(page).locator("[name='provider.agency_type']").select_option(provider_type)
    step(page).get_by_label("Organisation").fill(organisation)
