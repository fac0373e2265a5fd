"""Notifications to agencies, end to end on the time-skipping server with real receivers: an
SMTP server and a webhook endpoint that checks signatures and deduplicates on the key."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlmodel import Session
from temporalio.api.enums.v1 import EventType
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Replayer

from activities.notifications import NotificationActivities
from infra.database import engine_for
from infra.settings import Settings
from infra.temporal import DATA_CONVERTER
from store.tables import CaseRow
from tests.support import factories as f
from tests.support.receivers import Mailbox, WebhookReceiver
from tests.support.waiting import eventually
from tests.support.workflow import Handle, Opener, rejected, settled, step
from worker import main as worker_main
from worker.main import WORKFLOWS, build_worker
from worker.sandbox import WORKFLOW_RUNNER
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.contracts import WITHHELD, Delivery
from workflows.model.requests import (
    Actor,
    ManualNotification,
    MeasureAnswer,
    MeasureProviderChange,
    NotificationRef,
    Provider,
)
from workflows.model.state import (
    CaseState,
    Notification,
)
from workflows.model.vocabulary import (
    AgencyType,
    AlertKind,
    ConsentScope,
    DeadlineKind,
    DeadlineStatus,
    LegalBasis,
    NotificationStatus,
    Role,
    ThreatLevel,
)
from workflows.rules import deadlines

SECRET = "whsec_" + base64.b64encode(b"test-webhook-secret-of-32-bytes!").decode()
POLICE = Actor(user_id="police-officer-1", role=Role.POLICE, agency="police-test")


def webhook(receiver: WebhookReceiver) -> dict[str, str]:
    return {"kind": "webhook", "url": receiver.url, "secret_env": "CASEWORK_SECRET_TEST"}


def mail(address: str) -> dict[str, str]:
    return {"kind": "email", "address": address}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver(secret=SECRET).start()
    yield r
    r.stop()


@pytest.fixture
def directory(tmp_path: Path, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CASEWORK_SECRET_TEST", SECRET)
    path = tmp_path / "agencies.yaml"
    write_directory(path, receiver)
    return path


def write_directory(path: Path, police: WebhookReceiver | dict[str, str]) -> None:
    police_channel = webhook(police) if isinstance(police, WebhookReceiver) else police
    agencies: list[dict[str, Any]] = [
        {"id": "police-test", "type": "police", "name": "Test police",
         "channels": [police_channel]},
        {"id": "cp-helsinki", "type": "child_protection", "name": "Child protection",
         "offices": ["helsinki"], "channels": [mail("cp@test.example")]},
        {"id": "provider-a", "type": "ngo", "name": "Provider A", "channels": [police_channel]},
        {"id": "provider-b", "type": "ngo", "name": "Provider B",
         "channels": [mail("b@test.example")]},
        {"id": "office-helsinki", "type": "assistance_office", "name": "Helsinki office",
         "offices": ["helsinki"], "channels": [mail("office@test.example")]},
        {"id": "lead-helsinki", "type": "office_lead", "name": "Helsinki lead",
         "offices": ["helsinki"], "channels": [mail("lead@test.example")]},
    ]
    path.write_text(yaml.safe_dump({"agencies": agencies}))


@pytest.fixture
def settings(settings: Settings, directory: Path) -> Settings:
    return settings.model_copy(update={"agency_directory": directory})


def notification(state: CaseState, purpose: str) -> Notification:
    found = [n for n in state.notifications if n.purpose == purpose]
    assert found, f"no {purpose} notification in {[n.purpose for n in state.notifications]}"
    return found[-1]


async def consent(h: Handle, scope: ConsentScope, version: int, given: bool = True) -> CaseState:
    return await step(h, CaseWorkflow.record_consent, f.consent(scope, given=given), version)


def provider(agency_id: str) -> Provider:
    return Provider(agency_type=AgencyType.NGO, organisation=agency_id, agency_id=agency_id)


@pytest.mark.usefixtures("worker")
async def test_a_minor_reaches_child_protection_at_once(
        open_case: Opener,
        mailbox: Mailbox) -> None:
    h = await open_case(minor=True, guardian_consent=True)
    s = await settled(h)
    n = notification(s, "minor_referred")
    assert (n.status, n.agency_id, n.legal_basis) == (
        NotificationStatus.DELIVERED, "cp-helsinki", LegalBasis.CHILD_WELFARE)
    (sent,) = mailbox.for_case(s.case_id)
    assert sent["to"] == "cp@test.example" and sent["idempotency_key"] == n.key
    # They must know whom: the notification says it, read after signing in; the mail never.
    assert n.message["child"]["surname"] == f.PERSON.surname
    assert not [x for x in (f.PERSON.surname, f.PERSON.given_names, "1994") if x in str(sent)]
    assert f"/agency/cases/{s.case_id}" in sent["text"] and "lastensuojelu" in sent["text"]
    ack = deadline_for(s, n)
    assert ack.kind is DeadlineKind.NOTIFICATION_ACK and ack.status is DeadlineStatus.OPEN


def deadline_for(state: CaseState, n: Notification) -> Any:
    (found,) = [d for d in state.deadlines if d.subject == n.id]
    return found


@pytest.mark.usefixtures("worker")
async def test_signed_webhook_acknowledged_and_a_missing_ack_escalated(
        env: WorkflowEnvironment, open_case: Opener,
        receiver: WebhookReceiver, mailbox: Mailbox) -> None:
    h = await open_case()
    s = await consent(h, ConsentScope.CONTACT_POLICE, 1)
    s = await settled(h)
    n = notification(s, "police_contact")
    assert n.status is NotificationStatus.DELIVERED and receiver.bad_signatures == 0
    assert receiver.applied[n.key]["message"]["person"]["surname"] == f.PERSON.surname

    s = await step(h, CaseWorkflow.acknowledge_notification,
                   NotificationRef(reason="Received.", notification_id=n.id), s.version,
                   actor=POLICE)
    n = notification(s, "police_contact")
    assert n.status is NotificationStatus.ACKNOWLEDGED and n.acknowledged_by == POLICE
    assert deadline_for(s, n).status is DeadlineStatus.MET

    # A second notice, never acknowledged: after the target, the office's lead hears.
    s = await step(h, CaseWorkflow.notify_by_hand, ManualNotification(
        reason="Danger to the client.", agency_id="police-test",
        legal_basis=LegalBasis.ACUTE_DANGER), s.version)
    s = await settled(h)
    late = notification(s, "by_hand")
    due = deadline_for(s, late).due_at
    await env.sleep(due - await env.get_current_time()
                    + deadlines.WAKE_SPREAD + timedelta(minutes=1))
    s = await settled(h)
    assert deadline_for(s, late).status is DeadlineStatus.OVERDUE
    escalation = notification(s, "deadline_escalation")
    assert escalation.agency_id == "lead-helsinki"
    sent = [m for m in mailbox.for_case(s.case_id) if m["to"] == "lead@test.example"]
    assert sent and sent[-1]["purpose"] == "deadline_escalation"
    assert f"/cases/{s.case_id}" in sent[-1]["text"]  # the lead's own case page


async def test_a_receiver_down_for_a_day_gets_each_notification_once(
        env: WorkflowEnvironment, settings: Settings, open_case: Opener,
        receiver: WebhookReceiver) -> None:
    receiver.mode = "down"
    async with build_worker(env.client, settings):
        h = await open_case()
        await consent(h, ConsentScope.CONTACT_POLICE, 1)
        await eventually(lambda: receiver.seen)
        await env.sleep(timedelta(days=1))
        s = await h.query(CaseWorkflow.state)
        assert notification(s, "police_contact").status is NotificationStatus.PENDING
        tries = len(receiver.seen)
        assert tries > 10 and not receiver.applied  # retried with backoff all day
        receiver.mode = "ok"
        await env.sleep(timedelta(hours=2))
        s = await settled(h)
        n = notification(s, "police_contact")
        assert n.status is NotificationStatus.DELIVERED and n.attempts > 10
        assert set(receiver.seen) == {n.key} and list(receiver.applied) == [n.key]


async def test_a_permanent_refusal_fails_at_once_and_resends_after_a_fix(
        env: WorkflowEnvironment, settings: Settings, open_case: Opener,
        receiver: WebhookReceiver, directory: Path) -> None:
    receiver.mode = "reject"
    async with build_worker(env.client, settings):
        h = await open_case()
        s = await consent(h, ConsentScope.CONTACT_POLICE, 1)
        s = await settled(h)
        n = notification(s, "police_contact")
        assert (n.status, n.last_error) == (NotificationStatus.FAILED, "webhook answered 400")
        assert receiver.seen == [n.key]  # a 400 is not retried

        fixed = WebhookReceiver(secret=SECRET).start()
        try:
            write_directory(directory, fixed)  # the operator corrects the address
            s = await step(h, CaseWorkflow.resend_notification,
                           NotificationRef(reason="Address corrected.", notification_id=n.id),
                           s.version, actor=Actor(user_id="ops-1", role=Role.OPERATOR))
            s = await settled(h)
            assert notification(s, "police_contact").status is NotificationStatus.DELIVERED
            assert list(fixed.applied) == [n.key]  # the same key: nothing is sent twice
        finally:
            fixed.stop()


@pytest.mark.usefixtures("worker")
async def test_consent_governs_notifications(
        open_case: Opener,
        receiver: WebhookReceiver) -> None:
    h = await open_case()
    s = await step(h, CaseWorkflow.decide_admission, f.admission(), 1)
    measure = f.measure().model_copy(update={"provider": provider("provider-a")})
    s = await step(h, CaseWorkflow.add_measure, measure, s.version)
    assert notification(s, "measure_referral").status is NotificationStatus.WITHHELD
    err = await rejected(h, CaseWorkflow.notify_by_hand, ManualNotification(
        reason="Inform police.", agency_id="police-test"), s.version)
    assert err.type == "ConsentMissing"

    s = await consent(h, ConsentScope.SHARE_WITH_AGENCIES, s.version)
    s = await step(h, CaseWorkflow.add_measure, measure, s.version)
    s = await settled(h)
    sent = notification(s, "measure_referral")
    assert sent.status is NotificationStatus.DELIVERED and sent.key in receiver.applied

    s = await consent(h, ConsentScope.SHARE_WITH_AGENCIES, s.version, given=False)
    s = await step(h, CaseWorkflow.add_measure, measure, s.version)
    s = await settled(h)
    assert notification(s, "measure_referral").status is NotificationStatus.WITHHELD
    assert len(receiver.applied) == 1  # nothing more reached the agency


@pytest.mark.usefixtures("worker")
async def test_a_declined_measure_goes_to_another_provider(
        open_case: Opener,
        mailbox: Mailbox) -> None:
    h = await open_case()
    s = await step(h, CaseWorkflow.decide_admission, f.admission(), 1)
    s = await consent(h, ConsentScope.SHARE_WITH_AGENCIES, s.version)
    measure = f.measure().model_copy(update={"provider": provider("provider-a")})
    s = await step(h, CaseWorkflow.add_measure, measure, s.version)
    s = await step(h, CaseWorkflow.respond_to_measure, MeasureAnswer(
        reason="No places left.", measure_id="M1", accepted=False), s.version,
        actor=Actor(user_id="a-1", role=Role.NGO, agency="provider-a"))
    assert (s.measures[0].provider_accepted, s.measures[0].provider_reason) == (
        False, "No places left.")
    s = await step(h, CaseWorkflow.change_provider, MeasureProviderChange(
        reason="Another provider.", measure_id="M1", provider=provider("provider-b")),
        s.version)
    s = await settled(h)
    referrals = [n for n in s.notifications if n.purpose == "measure_referral"]
    assert [(n.agency_id, n.status) for n in referrals] == [
        ("provider-a", NotificationStatus.DELIVERED),
        ("provider-b", NotificationStatus.DELIVERED)]
    assert [m["to"] for m in mailbox.for_case(s.case_id)] == ["b@test.example"]

    s = await step(h, CaseWorkflow.exit_case, f.exit_decision(), s.version)
    s = await settled(h)  # exit: every agency told before hears of it once
    assert sorted(n.agency_id or "" for n in s.notifications if n.purpose == "exit") == [
        "provider-a", "provider-b"]


@pytest.mark.usefixtures("worker")
async def test_deadline_alerts_reach_the_office_and_its_lead(
        env: WorkflowEnvironment, open_case: Opener,
        mailbox: Mailbox) -> None:
    h = await open_case()
    s = await h.query(CaseWorkflow.state)
    due = s.deadlines[0].due_at
    await env.sleep(due - await env.get_current_time()
                    + deadlines.WAKE_SPREAD + timedelta(minutes=1))
    s = await settled(h)
    assert [a.kind for a in s.alerts] == [AlertKind.REMINDER, AlertKind.ESCALATION]
    sent = {m["to"]: m for m in mailbox.for_case(s.case_id)}
    assert sent["office@test.example"]["purpose"] == "deadline_reminder"
    assert sent["lead@test.example"]["purpose"] == "deadline_escalation"
    for m in sent.values():  # internal alerts carry no personal data at all
        assert f.PERSON.surname not in str(m) and "Maria" not in str(m)


async def test_a_worker_killed_during_delivery(
        env: WorkflowEnvironment, settings: Settings, open_case: Opener,
        receiver: WebhookReceiver) -> None:
    receiver.mode = "slow"  # holds the request until released
    # Killed: it lets nothing finish (a worker that is stopped waits for its activities).
    async with build_worker(env.client, settings, max_cached_workflows=0,
                            graceful_shutdown_timeout=timedelta(0)):
        h = await open_case()
        await consent(h, ConsentScope.CONTACT_POLICE, 1)
        await eventually(lambda: receiver.seen)
    # The worker is gone mid-request; the agency then applies it and answers into the void.
    receiver.release.set()
    receiver.mode = "ok"
    async with build_worker(env.client, settings, max_cached_workflows=0):
        await env.sleep(timedelta(minutes=3))  # past the attempt's timeout: Temporal retries
        s = await settled(h)
    n = notification(s, "police_contact")
    assert n.status is NotificationStatus.DELIVERED
    assert receiver.seen == [n.key, n.key] and list(receiver.applied) == [n.key]


async def test_a_worker_stopped_during_delivery_lets_it_finish(
        env: WorkflowEnvironment, settings: Settings, open_case: Opener,
        receiver: WebhookReceiver) -> None:
    """A deploy stops the worker while an agency is answering slowly: the delivery finishes on
    it (within CASEWORK_WORKER_SHUTDOWN_SECONDS) instead of being cut off and sent again."""
    receiver.mode = "slow"
    settings = settings.model_copy(update={"worker_shutdown_seconds": 30})
    worker = build_worker(env.client, settings, max_cached_workflows=0)
    async with worker:
        h = await open_case()
        await consent(h, ConsentScope.CONTACT_POLICE, 1)
        await eventually(lambda: receiver.seen)
        stopping = asyncio.create_task(worker.shutdown())
        await asyncio.sleep(0.5)
        assert not stopping.done()  # waiting for the delivery under way
        receiver.release.set()
        await stopping
    async with build_worker(env.client, settings):
        s = await settled(h)
    n = notification(s, "police_contact")
    assert n.status is NotificationStatus.DELIVERED
    assert receiver.seen == [n.key] and list(receiver.applied) == [n.key]  # sent once


async def test_a_delivery_heartbeats_while_the_agency_is_slow(
        settings: Settings, receiver: WebhookReceiver) -> None:
    """A dead worker is noticed by its missing heartbeats within seconds, not at the end of the
    attempt's two minutes: the delivery beats while it waits on the agency."""
    receiver.mode = "slow"
    beats: list[Any] = []
    environment = ActivityEnvironment()
    environment.on_heartbeat = lambda *details: beats.append(details)
    delivery = Delivery(notification_id="N1", key="case-x:N1", agency_id="police-test",
                        purpose="police_contact", case_id="case-x", message={"a": 1})
    activities = NotificationActivities(settings, f.consent_holds)
    sending = asyncio.create_task(environment.run(activities.deliver, delivery))
    await eventually(lambda: len(beats) >= 3, pause=0.1)
    assert not sending.done()
    receiver.release.set()
    done = await sending
    assert done.channels == ["0:webhook"] and list(receiver.applied) == ["case-x:N1"]
    assert receiver.truncated == 0 and receiver.bad_signatures == 0


@pytest.mark.usefixtures("worker")
async def test_an_acute_threat_reaches_the_office_lead_at_once(
        open_case: Opener, mailbox: Mailbox) -> None:
    h = await open_case()
    s = await step(h, CaseWorkflow.record_contact, f.contact(threat=ThreatLevel.ACUTE), 1)
    assert s.acute_danger_at is not None  # the console offers the police notification now
    s = await settled(h)
    n = notification(s, "acute_danger")
    assert (n.status, n.agency_id, n.legal_basis) == (
        NotificationStatus.DELIVERED, "lead-helsinki", LegalBasis.INTERNAL)
    (sent,) = [m for m in mailbox.for_case(h.id) if m["to"] == "lead@test.example"]
    assert sent["purpose"] == "acute_danger" and "Akuutti vaara" in sent["subject"]
    s = await step(h, CaseWorkflow.notify_by_hand, f.manual_notification("police-test"),
                   s.version)
    assert s.acute_danger_at is None and s.notifications[-1].legal_basis is (
        LegalBasis.ACUTE_DANGER)


@pytest.mark.usefixtures("worker")
async def test_a_consent_withdrawn_for_one_agency_withholds_only_what_reaches_it(
        open_case: Opener, mailbox: Mailbox, directory: Path) -> None:
    """The reception centres of the office are named by the directory only on delivery: the
    one the client withdrew consent for is not sent the assessment, the other is."""
    agencies = yaml.safe_load(directory.read_text())
    agencies["agencies"] += [
        {"id": f"rc-{x}", "type": "reception_centre", "name": f"Centre {x}",
         "offices": ["helsinki"], "channels": [mail(f"rc-{x}@test.example")]} for x in "ab"]
    directory.write_text(yaml.safe_dump(agencies))
    h = await open_case()
    s = await step(h, CaseWorkflow.decide_admission, f.admission(), 1)
    s = await consent(h, ConsentScope.SHARE_WITH_AGENCIES, s.version)
    s = await step(h, CaseWorkflow.record_consent, f.consent(
        ConsentScope.SHARE_WITH_AGENCIES, given=False, agency_id="rc-b"), s.version)
    await step(h, CaseWorkflow.assess_needs, f.assessment(), s.version)
    s = await settled(h)
    assert {n.agency_id: n.status for n in s.notifications if n.purpose == "joint_assessment"
            } == {"rc-a": NotificationStatus.DELIVERED, "rc-b": NotificationStatus.WITHHELD}
    assert [m["to"] for m in mailbox.for_case(h.id)] == ["rc-a@test.example"]


async def test_consent_withdrawn_while_the_agency_is_down_stops_the_delivery(
        env: WorkflowEnvironment, settings: Settings, open_case: Opener,
        receiver: WebhookReceiver) -> None:
    """The police endpoint is down, the client withdraws consent, the endpoint comes back: the
    police receive nothing more, and the notification says it was withheld and why."""
    receiver.mode = "down"
    async with build_worker(env.client, settings):
        h = await open_case()
        s = await consent(h, ConsentScope.CONTACT_POLICE, 1)
        await eventually(lambda: receiver.seen)
        await env.sleep(timedelta(hours=3))
        tries = len(receiver.seen)
        assert tries > 3 and not receiver.applied
        s = await consent(h, ConsentScope.CONTACT_POLICE, (await h.query(CaseWorkflow.state))
                          .version, given=False)
        receiver.mode = "ok"
        await env.sleep(timedelta(days=1))
        s = await settled(h)
        n = notification(s, "police_contact")
        assert (n.status, n.last_error) == (NotificationStatus.WITHHELD, "consent_ended")
        assert not receiver.applied and len(receiver.seen) == tries
        # Stopped the moment consent ended (cancelled), not by an attempt that found it out.
        history = await h.fetch_history()
        assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED in [
            e.event_type for e in history.events]
    # The cancellation (a command of its own, behind its patch) replays.
    await Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER,
                   workflow_runner=WORKFLOW_RUNNER).replay_workflow(history)


async def test_every_attempt_asks_the_case_before_it_sends(
        env: WorkflowEnvironment, settings: Settings, open_case: Opener,
        receiver: WebhookReceiver) -> None:
    """An attempt that starts after consent ended (one the cancellation raced, or one of a run
    recorded before cancellation existed) asks the case first and sends nothing."""
    async with build_worker(env.client, settings):
        h = await open_case()
        s = await consent(h, ConsentScope.CONTACT_POLICE, 1)
        s = await settled(h)
        n = notification(s, "police_contact")
        assert n.status is NotificationStatus.DELIVERED
        ask = worker_main.asking(env.client)
        delivery = Delivery(notification_id=n.id, key=n.key, agency_id="police-test",
                            purpose=n.purpose, case_id=h.id, message={})
        assert await ask(delivery)
        s = await consent(h, ConsentScope.CONTACT_POLICE, s.version, given=False)
        assert not await ask(delivery)
        with pytest.raises(ApplicationError, match="consent no longer covers") as caught:
            await ActivityEnvironment().run(NotificationActivities(settings, ask).deliver,
                                            delivery)
        assert caught.value.type == WITHHELD and caught.value.non_retryable
        assert list(receiver.applied) == [n.key]  # the first delivery only


async def test_an_agency_down_for_days_freezes_nothing(
        env: WorkflowEnvironment, settings: Settings, open_case: Opener,
        receiver: WebhookReceiver) -> None:
    """The police endpoint down for days and the history full: the run stops the delivery,
    continues as new and the next run retries it with the same key; the read model keeps up
    all along. Before: the run waited for the delivery (up to 7 days) and the read model froze."""
    receiver.mode = "down"
    async with build_worker(env.client, settings):
        h = await open_case(history_limit=40)
        s = await step(h, CaseWorkflow.decide_admission, f.admission(), 1)
        s = await consent(h, ConsentScope.CONTACT_POLICE, s.version)
        key = notification(s, "police_contact").key
        await eventually(lambda: receiver.seen)
        for _ in range(8):  # steps enough to fill the small history
            s = await step(h, CaseWorkflow.add_measure, f.measure(), s.version)
        await env.sleep(timedelta(hours=6))
        s = await h.query(CaseWorkflow.state)
        assert s.runs > 1  # continued as new although the agency is still down
        n = notification(s, "police_contact")
        assert n.status is NotificationStatus.PENDING and n.key == key and n.sends >= 2
        row = await asyncio.to_thread(projected_revision, settings, h.id)
        assert row == s.revision  # the read model has the newest revision
        receiver.mode = "ok"
        await env.sleep(timedelta(hours=2))
        s = await settled(h)
        assert notification(s, "police_contact").status is NotificationStatus.DELIVERED
        assert list(receiver.applied) == [key]  # delivered once, under its first key


async def test_a_delivery_after_the_exit_leaves_the_case_to_end(
        env: WorkflowEnvironment, settings: Settings, open_case: Opener,
        receiver: WebhookReceiver) -> None:
    """A notification that gets through after the case closed opens no acknowledgement
    deadline: the case ends when its appeal period does, instead of running (and escalating)
    for ever."""
    receiver.mode = "down"
    async with build_worker(env.client, settings):
        h = await open_case()
        s = await step(h, CaseWorkflow.decide_admission, f.admission(), 1)
        s = await consent(h, ConsentScope.CONTACT_POLICE, s.version)
        await eventually(lambda: receiver.seen)
        s = await step(h, CaseWorkflow.exit_case, f.exit_decision(), s.version)
        receiver.mode = "ok"
        await env.sleep(timedelta(days=90))
        final = await h.result()
    n = notification(final, "police_contact")
    assert n.status is NotificationStatus.DELIVERED
    assert not [d for d in final.deadlines if d.subject == n.id]


def projected_revision(settings: Settings, case_id: str) -> int:
    with Session(engine_for(settings.database)) as session:
        return session.execute(select(CaseRow.revision).where(
            CaseRow.case_id == case_id)).scalar_one()


@pytest.mark.usefixtures("worker")
async def test_no_acknowledgement_is_awaited_from_an_agency_consent_no_longer_covers(
        open_case: Opener, receiver: WebhookReceiver) -> None:
    """Delivered, then consent withdrawn: the agency may no longer see the case, so it could
    not acknowledge; its acknowledgement deadline is cancelled rather than going overdue."""
    h = await open_case()
    await consent(h, ConsentScope.CONTACT_POLICE, 1)
    s = await settled(h)
    n = notification(s, "police_contact")
    assert n.status is NotificationStatus.DELIVERED
    assert deadline_for(s, n).status is DeadlineStatus.OPEN
    s = await consent(h, ConsentScope.CONTACT_POLICE, s.version, given=False)
    ack = deadline_for(s, n)
    assert ack.status is DeadlineStatus.CANCELLED
    assert (ack.events[-1].what, ack.events[-1].reason) == ("cancelled", "consent_ended")
    assert list(receiver.applied) == [n.key]
