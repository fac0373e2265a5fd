"""The console in Debian's Chromium against the real `casework run`: a caseworker takes a case
from referral to exit through the forms and meets a conflict; an agency acknowledges; an
operator re-sends; the language changes; and axe-core finds no serious or critical WCAG 2.1 AA
violation on any page. Screenshots of each page land in the test's output folder."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.support import factories as f
from tests.support.browser import chromium
from tests.support.console import Visit, admission, assessment, decide, measure, step, today
from tests.support.http import body
from tests.support.identities import AUDITOR, CASEWORKER
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return tmp_path


def test_a_case_from_referral_to_exit_in_the_console(running_stack: Stack,
                                                      shots: Path) -> None:
    with chromium() as browser:
        me = Visit(browser, running_stack, shots)
        me.check("sign-in")
        me.sign_in("cw-anna", "caseworker", office="helsinki")
        expect(me.page.locator("h1")).to_have_text("My work")
        me.check("my-work")

        page = me.page
        me.refer("Referred by the police after a labour inspection.", "police", "Forced labour",
                 check="referral-form")
        expect(page.locator(".tag").first).to_have_text("Referred")
        case_url = page.url.split("?")[0]
        me.check("case-referred")

        # Another caseworker's tab moves the case on while this one has it open.
        other = Visit(browser, running_stack, shots)
        other.sign_in("cw-ville", "caseworker", office="helsinki")
        other.page.goto(case_url)
        other.open_step("Consent")
        step(other.page).get_by_label("Reason").fill("The client agreed to contact the police.")
        step(other.page).locator("[name='scope']").select_option("contact_police")
        step(other.page).locator("[name='given_by']").select_option("client")
        decide(step(other.page), "given", True)
        other.save("consent")

        me.open_step("Admission decision")
        admission(page)
        page.locator("details[open] form button[type=submit]").click()
        expect(page.locator(".alert h2")).to_have_text(
            "The case changed while you were working on it")
        expect(page.locator(".alert li")).to_contain_text("Consent given")
        expect(step(page).get_by_label("Decision maker")).to_have_value("lead-jussi")
        me.check("case-conflict")
        page.get_by_role("button", name="Apply again").click()
        expect(page.locator(".tag").first).to_have_text("Admitted")

        me.take("Assessment of assistance needs", assessment)
        me.take("New assistance measure", lambda p: measure(p, "reception_centre",
                                                           "Joutseno reception centre"))
        expect(page.locator(".tag").first).to_have_text("Assistance")
        page.get_by_placeholder("Reason").first.fill("Housing found.")
        page.get_by_role("button", name="Start").click()
        expect(page.get_by_role("cell", name="Started")).to_be_visible()
        me.check("case-assistance")

        me.open_step("Exit decision")
        step(page).get_by_label("Reason").fill("No longer needs the assistance system's help.")
        step(page).locator("[name='ground']").select_option("no_longer_needs_help")
        step(page).get_by_label("Decision maker").select_option("lead-jussi")
        step(page).get_by_label("Decided on").fill(today())
        # What is still open is listed, and what becomes of it asked: the housing carried out.
        expect(step(page)).to_contain_text("tick those carried out")
        me.check("exit-open-items")
        step(page).get_by_label("M1 · Housing · Joutseno reception centre").check()
        me.save("exit")
        expect(page.locator(".tag").first).to_have_text("Exited")
        expect(page.get_by_role("cell", name="Completed")).to_be_visible()
        expect(page.locator(".side-col .empty")).to_be_visible()  # no step is left to take
        me.check("case-exited")

        # The police were told on the client's consent: they acknowledge in their console.
        police = Visit(browser, running_stack, shots)
        police.sign_in("officer-1", "police", agency="police-nbi-trafficking")
        police.check("agency-list")
        police.page.locator(f"a[href='/agency/cases/{case_url.rsplit('/', 1)[-1]}']").click()
        expect(police.page.get_by_role("status")).to_contain_text("This case is closed")
        police.check("agency-case")
        police.page.get_by_role("button", name="Acknowledge receipt").click()
        expect(police.page.locator(".ok")).to_be_visible()
        expect(police.page.get_by_text("Acknowledged")).to_be_visible()
        police.check("agency-cases")

        # The language changes, and so does every label.
        me.language("sv")
        expect(page.locator("h1 .id")).to_be_visible()
        expect(page.locator(".tag").first).to_have_text("Avslutad")
        me.language("fi")
        expect(page.locator(".tag").first).to_have_text("Poistettu auttamisjärjestelmästä")
        # What was decided, by whom and when, on the page (not in free text alone).
        decisions = page.locator("section", has=page.locator("#decisions-h"))
        expect(decisions).to_contain_text("Otettu auttamisjärjestelmään")
        expect(decisions).to_contain_text("Päätöksentekijä: Jussi Nieminen")  # by name
        # A deadline shows its last day, not the midnight after it.
        ends = page.locator("#deadlines-h ~ table tr td:nth-child(2)").all_inner_texts()
        assert ends and all(re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", e) for e in ends), ends
        me.check("case-finnish")


def test_an_operator_sends_a_failed_notification_again(running_stack: Stack,
                                                        shots: Path) -> None:
    with chromium() as browser:
        me = Visit(browser, running_stack, shots)
        me.sign_in("cw-anna", "caseworker", office="helsinki")
        page = me.page
        me.refer("Referred by an NGO.", "ngo", "Sexual exploitation")
        case_id = page.url.split("?")[0].rsplit("/", 1)[-1]
        # The console names agencies from the directory alone: an agency it lacks (whose
        # delivery fails) comes over the API.
        with httpx.Client(base_url=running_stack.url, timeout=30) as http:
            version = http.get(f"/v1/cases/{case_id}", headers=CASEWORKER).json()["version"]
            r = http.post(f"/v1/cases/{case_id}/notifications",
                          json=body(f.manual_notification("agency-not-in-the-directory")),
                          headers={**CASEWORKER, "If-Match": f'"{version}"'})
            assert r.status_code == 200, r.text

        ops = Visit(browser, running_stack, shots)
        ops.sign_in("ops-1", "operator")
        row = ops.page.locator("tr", has_text=case_id)
        for _ in range(30):  # the delivery fails at once; the read model follows
            if row.count():
                break
            ops.page.wait_for_timeout(500)
            ops.page.reload()
        expect(row.get_by_role("button", name="Send again")).to_be_visible()
        ops.check("operations")
        ops.page.goto(f"{running_stack.url}/cases/{case_id}")  # no case page for operations
        expect(ops.page.locator("h1")).to_have_text("Not allowed")
        ops.check("problem")
        ops.page.goto(f"{running_stack.url}/operations")
        assert "Testinen" not in ops.page.content()  # no personal data on operations' pages
        row.get_by_role("button", name="Send again").click()
        expect(ops.page.locator(".ok")).to_have_text("Sent again.")

        page.goto(page.url.split("?")[0])
        expect(page.locator(".steps")).to_contain_text("Notification sent again")


def test_an_auditor_traces_a_case(running_stack: Stack, shots: Path) -> None:
    with chromium() as browser:
        me = Visit(browser, running_stack, shots)
        me.sign_in("cw-anna", "caseworker", office="helsinki")
        page = me.page
        me.refer("Referred by the border guard.", "border_guard", "Forced criminality")
        case_id = page.url.split("?")[0].rsplit("/", 1)[-1]
        me.check("referral-done")
        page.get_by_role("link", name="Cases").click()
        me.check("cases")

        auditor = Visit(browser, running_stack, shots)
        auditor.sign_in("aud-1", "auditor")
        auditor.page.get_by_label("Case id").fill(case_id.upper())  # as read out over the phone
        auditor.page.get_by_role("button", name="Go to the case").click()
        expect(auditor.page.locator("figure svg")).to_be_visible()
        expect(auditor.page.get_by_role("cell", name="referred").first).to_be_visible()
        expect(auditor.page.locator("section", has_text="Access log")).to_contain_text("cw-anna")
        auditor.check("audit-case")
        auditor.page.get_by_role("link", name="Audit chain").click()
        expect(auditor.page.locator(".ok")).to_contain_text("intact")
        auditor.check("audit-verify")


def test_a_declined_measure_a_deadline_and_another_office(running_stack: Stack,
                                                          shots: Path) -> None:
    """Set up through the API; then the console: the provider declines, the caseworker refers
    the measure elsewhere and meets a deadline, and a caseworker of another office reaches the
    case only by saying why."""
    from tests.support import factories as f
    from tests.support.http import body
    from tests.support.identities import CASEWORKER
    from workflows.model.requests import Provider
    from workflows.model.vocabulary import AgencyType, ConsentScope

    with httpx.Client(base_url=running_stack.url, headers=CASEWORKER, timeout=30) as http:
        case = http.post("/v1/cases", json=body(f.referral())).json()
        measure = f.measure().model_copy(update={"provider": Provider(
            agency_type=AgencyType.RECEPTION_CENTRE, organisation="Joutseno reception centre",
            agency_id="reception-joutseno")})
        for path, payload in (("admission", f.admission()),
                              ("consents", f.consent(ConsentScope.SHARE_WITH_AGENCIES)),
                              ("measures", measure)):
            r = http.post(f"/v1/cases/{case['case_id']}/{path}", json=body(payload),
                          headers={"If-Match": f'"{case["version"]}"'})
            assert r.status_code == 200, r.text
            case = r.json()
    case_id = case["case_id"]

    with chromium() as browser:
        centre = Visit(browser, running_stack, shots)
        centre.sign_in("rc-1", "reception_centre", agency="reception-joutseno")
        centre.page.locator(f"a[href='/agency/cases/{case_id}']").click()
        centre.page.get_by_label("We decline").check()
        centre.page.locator("input[name='reason'][id^='why-']").fill("No room until spring.")
        centre.page.get_by_role("button", name="Send the answer").click()
        expect(centre.page.locator(".ok")).to_be_visible()
        centre.check("agency-answered")

        me = Visit(browser, running_stack, shots)
        me.sign_in("cw-anna", "caseworker", office="helsinki")
        page = me.page
        row = page.locator("tr", has=page.locator(f"a[href='/cases/{case_id}']"))  # my work
        for _ in range(30):
            if row.count() and "measure declined" in row.inner_text():
                break
            page.wait_for_timeout(300)
            page.reload()
        expect(row).to_contain_text("measure declined 1")
        expect(row).to_contain_text("awaiting acknowledgement 1")
        me.check("my-work-attention")
        page.goto(f"{running_stack.url}/cases/{case_id}")
        expect(page.locator(".tag.bad", has_text="declined")).to_be_visible()
        page.locator("details.mini summary", has_text="Another provider").click()
        provider = page.locator("details.mini[open] form")
        provider.locator("input[name='reason']").fill("The first had no room.")
        provider.locator("select[name='provider.agency_type']").select_option("ngo")
        provider.locator("input[name='provider.organisation']").fill("Victim Support Finland")
        provider.get_by_role("button", name="Refer").click()
        expect(page.locator(".steps")).to_contain_text("Provider changed")
        deadline = page.locator("tr", has_text="Start of the assessment")
        deadline.get_by_placeholder("Reason").first.fill("Started by phone.")
        deadline.get_by_role("button", name="Met").click()
        expect(page.locator("tr", has_text="Start of the assessment")).to_contain_text("Met")
        me.check("case-deadline-met")

        tampere = Visit(browser, running_stack, shots)
        tampere.sign_in("cw-tiina", "caseworker", office="tampere")
        tampere.page.goto(f"{running_stack.url}/cases/{case_id}")
        expect(tampere.page.locator("h1")).to_have_text("Another office's case")
        tampere.check("reach")
        # A keystroke is no reason: the page asks again, what was typed kept.
        tampere.page.get_by_label("Kind of reason").select_option("contacted")
        tampere.page.get_by_label("Why, in a sentence").fill("Phoned.")
        tampere.page.get_by_role("button", name="Open the case").click()
        expect(tampere.page.get_by_role("alert")).to_contain_text("at least 20 characters")
        expect(tampere.page.get_by_label("Why, in a sentence")).to_have_value("Phoned.")
        tampere.page.get_by_label("Why, in a sentence").fill("On call tonight: she phoned us.")
        tampere.page.get_by_role("button", name="Open the case").click()
        expect(tampere.page.locator(".case-head h1")).to_contain_text(case_id)
        # Inside, it says so, for as long as one is there.
        expect(tampere.page.locator(".glass")).to_contain_text("On call tonight: she phoned us.")
        tampere.check("case-reached")
        # The case's office lead sees it on the desk.
        lead = Visit(browser, running_stack, shots)
        lead.sign_in("lead-heli", "office_lead", office="helsinki")
        lead.page.goto(f"{running_stack.url}/work")
        expect(lead.page.locator("section", has_text="Opened from outside the office")
               ).to_contain_text("On call tonight: she phoned us.")
        lead.check("work-lead-reached")

    reason = "The client contacted our office: On call tonight: she phoned us."
    with httpx.Client(base_url=running_stack.url, timeout=30) as http:
        log = http.get(f"/v1/cases/{case_id}/access-log", headers=AUDITOR).json()["items"]
    assert ("cw-tiina", "break the glass", reason) in {
        (e["actor_id"], e["outcome"], e["reason"]) for e in log}


def test_a_refused_referral_comes_back_as_typed_in_finnish(running_stack: Stack,
                                                            shots: Path) -> None:
    """A rule refuses the referral (a child not marked a minor): the form comes back with all
    that was typed and the refusal at its field; nothing was opened."""
    with chromium() as browser:
        me = Visit(browser, running_stack, shots)
        me.sign_in("cw-anna", "caseworker", office="helsinki")
        me.language("fi")
        page = me.page
        page.get_by_role("link", name="Uusi ohjaus").click()
        form = page.locator("form.step")
        form.locator("[name='reason']").fill("Poliisin ohjaama tarkastuksen jälkeen.")
        form.locator("#f-referrer-agency_type").select_option("police")
        form.locator("[name='exploitation'][value='forced_labour']").check()
        decide(form, "client_consent", True)
        decide(form, "minor", False)  # but born ten years ago
        form.locator("[name='person.given_names']").fill("Aino")
        form.locator("[name='person.surname']").fill("Testinen")
        born = (f.today() - timedelta(days=3650)).isoformat()
        form.locator("[name='person.date_of_birth']").fill(born)
        form.get_by_role("button", name="Avaa asia").click()

        expect(page.get_by_role("alert")).to_have_text("Tarkista alla merkityt kentät.")
        assert "/cases/new" in page.url
        form = page.locator("form.step")
        expect(form.locator("[name='person.surname']")).to_have_value("Testinen")
        expect(form.locator("[name='person.date_of_birth']")).to_have_value(born)
        expect(form.locator("[name='reason']")).to_have_value(
            "Poliisin ohjaama tarkastuksen jälkeen.")
        expect(form.locator("input[name='minor'][value='no']")).to_be_checked()
        expect(form.locator("#f-minor-error")).to_have_text(
            "Ei vastaa syntymäaikaa: alle 18-vuotias on alaikäinen.")
        me.check("referral-refused-finnish")


def test_a_rule_s_refusal_is_worded_in_finnish(running_stack: Stack, shots: Path) -> None:
    """A decision dated tomorrow is refused by the rules, in the reader's words: the field by
    its label and the dates as a Finnish reader writes them; what was typed stays."""
    with chromium() as browser:
        me = Visit(browser, running_stack, shots)
        me.sign_in("cw-anna", "caseworker", office="helsinki")
        me.refer("Referred by the police.", "police", "Forced labour")
        me.language("fi")
        page = me.page
        me.open_step("Päätös auttamisjärjestelmään ottamisesta")
        form = step(page)
        form.locator("[name='reason']").fill("Merkkejä pakkotyöstä.")
        decide(form, "admitted", True)
        form.locator("[name='decision_maker_id']").select_option("lead-jussi")
        tomorrow = f.today() + timedelta(days=1)
        form.locator("[name='decided_on']").fill(tomorrow.isoformat())
        form.get_by_role("button", name="Tallenna").click()
        said = f"Päätöspäivä {tomorrow.day}.{tomorrow.month}.{tomorrow.year} on myöhemmin kuin"
        expect(page.locator("details[open] .error")).to_contain_text(said)
        expect(step(page).locator("[name='reason']")).to_have_value("Merkkejä pakkotyöstä.")
        me.check("refusal-finnish")
