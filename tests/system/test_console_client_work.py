"""A day's work between the steps, in Debian's Chromium against the real `casework run`: a
client plan made from the assessment, an appointment planned and then recorded (the client
told of an acute threat), the police notified at once on that basis, a support person joining
the network with the client's consent to share the plan with them, a measure ending with its
outcome, and a handover to another caseworker, who finds the note and the first contact due.
Every page passes axe-core; screenshots land in the test's output folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support import factories as f
from tests.support.browser import chromium
from tests.support.console import Visit, admission, assessment, decide, measure, step, today
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return tmp_path


def test_a_day_of_work_between_the_steps(running_stack: Stack, shots: Path) -> None:
    with chromium() as browser:
        me = Visit(browser, running_stack, shots)
        me.sign_in("cw-anna", "caseworker", office="helsinki")
        page = me.page
        me.refer("Referred by the police after a labour inspection.", "police", "Forced labour")
        case_id = page.url.split("?")[0].rsplit("/", 1)[-1]
        me.take("Admission decision", admission)
        me.take("Assessment of assistance needs", assessment)
        me.take("New assistance measure", lambda p: measure(p, "ngo", "Victim Support Finland"))

        # The plan, from the assessment: two goals, one served by the housing measure.
        me.open_step("Client plan")
        plan = step(page)
        plan.get_by_label("Reason").fill("Agreed at the plan meeting.")
        plan.locator("[name='goals.1.goal']").fill("A safe place to live.")
        plan.locator("[name='goals.1.measure_ids'][value='M1']").check()  # the case's own
        plan.locator("[name='goals.1.responsible']").fill("cw-anna")
        plan.locator("[name='goals.2.goal']").fill("Finnish lessons twice a week.")
        plan.get_by_label("Client view").fill("Wants to start work soon.")
        decide(plan, "client_agrees", True)
        plan.locator("[name='review_on.1']").fill(f.today().replace(day=28).isoformat()
                                                  if f.today().day < 28 else today())
        page.locator("details[open] form button[type=submit]").click()
        # The second goal has no one responsible: the form says so at that row, keeping all.
        expect(step(page).locator("#revise_plan-f-goals-2-responsible-error")).to_be_visible()
        expect(step(page).locator("[name='goals.1.goal']")).to_have_value("A safe place to live.")
        me.check("plan-refused")
        step(page).locator("[name='goals.2.responsible']").fill("Helsinki adult education")
        me.save("plan")
        plan_card = page.locator("section", has=page.locator("#plan-h"))
        expect(plan_card).to_contain_text("In force")
        expect(plan_card.get_by_role("cell", name="M1")).to_be_visible()

        # An appointment today, later; then how it went, with an acute threat told of.
        me.open_step("Contact or appointment")
        contact = step(page)
        contact.get_by_label("Reason").fill("Weekly meeting.")
        contact.locator("[name='kind']").select_option("meeting")
        contact.locator("[name='status']").select_option("planned")
        contact.locator("[name='at']").fill(f"{today()}T23:30")
        contact.get_by_label("Interpreter language").select_option(label="Tagalog")
        me.save("appointment")
        contacts = page.locator("section", has=page.locator("#contacts-h"))
        expect(contacts).to_contain_text("23:30")
        me.check("case-appointment")
        contacts.locator("summary", has_text="Record how it went").click()
        outcome = contacts.locator("details[open] form")
        outcome.get_by_label("Reason").fill("Met at the office.")
        outcome.get_by_label("Note").fill("She saw the recruiter outside the shelter.")
        outcome.locator("[name='safety_threat']").select_option("acute")
        outcome.get_by_role("button", name="Save").click()
        expect(page.locator(".ok")).to_be_visible()
        danger = page.locator("section.danger")
        expect(danger).to_contain_text("Acute danger")
        expect(contacts).to_contain_text("She saw the recruiter outside the shelter.")
        me.check("case-acute-danger")
        page.get_by_role("link", name="My work").click()
        expect(page.locator("section.danger")).to_contain_text(case_id)
        me.check("my-work-acute-danger")
        page.goto(f"{running_stack.url}/cases/{case_id}")
        danger.get_by_label("Reason").fill("The recruiter was seen at the shelter.")
        danger.get_by_role("button", name="Notify the police").click()
        expect(page.locator(".ok")).to_be_visible()
        expect(page.locator("section.danger")).to_have_count(0)
        expect(page.locator("#steps-h + ol")).to_contain_text("Agency notified")

        # A support person joins; the client consents to sharing the plan with them only.
        me.open_step("Someone joins the support network")
        member = step(page)
        member.get_by_label("Reason").fill("Her support person from now on.")
        member.locator("[name='role']").select_option("crime_support_person")
        member.get_by_label("Organisation").fill("Victim Support Finland")
        member.get_by_label("Agency").select_option("victim-support-finland")
        me.save("network")
        network = page.locator("section", has=page.locator("#network-h"))
        expect(network).to_contain_text("nothing without a consent")
        me.open_step("Consent")
        consent = step(page)
        consent.get_by_label("Reason").fill("She wants her support person to know the plan.")
        consent.locator("[name='scope']").select_option("share_with_agencies")
        consent.locator("[name='given_by']").select_option("client")
        decide(consent, "given", True)
        consent.get_by_label("Agency").select_option("victim-support-finland")
        consent.locator("[name='purpose']").select_option("plan")
        me.save("consent")
        expect(network.get_by_role("cell", name="The client plan")).to_be_visible()
        expect(page.locator("#consent-h + ul")).to_contain_text("only Victim Support Finland")

        # The support person's organisation sees the plan's goals, and nothing else of her.
        ngo = Visit(browser, running_stack, shots)
        ngo.sign_in("ngo-1", "ngo", agency="victim-support-finland")
        ngo.page.goto(f"{running_stack.url}/agency/cases/{case_id}")
        main = ngo.page.locator("main")
        expect(main.locator("#p-h")).to_contain_text("Client plan 1")
        expect(main).to_contain_text("A safe place to live.")
        for secret in ("recruiter", "Testinen", "Wants to start work soon."):
            expect(main).not_to_contain_text(secret)
        ngo.check("agency-plan")

        # The housing measure starts, then ends with its outcome.
        page.get_by_placeholder("Reason").first.fill("Keys handed over.")
        page.get_by_role("button", name="Start").click()
        measures = page.locator("section", has=page.locator("#measures-h"))
        measures.locator("summary", has_text="Outcome").click()
        ended = measures.locator("details[open] form")
        ended.locator("[name='outcome']").select_option("implemented")
        ended.get_by_label("Reason").fill("She has her own lease.")
        ended.get_by_role("button", name="Record the outcome").click()
        expect(measures).to_contain_text("Implemented")
        me.check("case-work")

        # A handover: the note and the first contact travel with the case.
        me.open_step("Reassign")
        handover = step(page)
        handover.get_by_label("Reason").fill("Anna moves to another team.")
        handover.get_by_label("Caseworker").select_option(label="Pekka Korhonen")
        handover.get_by_label("Handover note").fill("Prefers afternoon calls; Tagalog.")
        me.save("reassign")
        pekka = Visit(browser, running_stack, shots)
        pekka.sign_in("cw-pekka", "caseworker", office="helsinki")
        expect(pekka.page.locator(f"a[href='/cases/{case_id}']").first).to_be_visible()
        pekka.page.locator(f"a[href='/cases/{case_id}']").first.click()
        expect(pekka.page.locator("section.note")).to_contain_text("Prefers afternoon calls")
        expect(pekka.page.locator(".case-head")).to_contain_text("Worker changes: 1")
        deadlines = pekka.page.locator("section", has=pekka.page.locator("#deadlines-h"))
        expect(deadlines).to_contain_text("First contact by the new worker")
        pekka.check("case-handover")
        pekka.language("fi")
        expect(pekka.page.locator("#plan-h")).to_have_text("Asiakassuunnitelma")
        pekka.check("case-handover-fi")
