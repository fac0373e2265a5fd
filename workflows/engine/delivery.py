"""A case's notifications on their way: each pending one is delivered by an activity (after the
directory names its agencies), and the outcome is recorded on the notification."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError
from temporalio.workflow import ActivityCancellationType

from workflows.engine.patches import Patches
from workflows.model import contracts
from workflows.model.calendar import helsinki_date
from workflows.model.state import CaseState, Notification
from workflows.model.vocabulary import DeadlineKind, DeadlineStatus, NotificationStatus
from workflows.rules import deadlines, notifications

RETRY = RetryPolicy(initial_interval=timedelta(seconds=10), backoff_coefficient=2.0,
                    maximum_interval=timedelta(hours=1),
                    non_retryable_error_types=[contracts.PERMANENT])
ATTEMPT_TIMEOUT = timedelta(minutes=2)
RESOLVE_TIMEOUT = timedelta(seconds=30)
# Hardened: a directory look-up takes milliseconds; one that has not finished in this long ran
# on a worker that died, and is tried again elsewhere.
QUICK_TIMEOUT = timedelta(seconds=10)
# Hardened: a delivery (or a projection) beats every second; missing this long, its worker is
# gone and another takes it over.
HEARTBEAT = timedelta(seconds=5)
# Steady: with slack. The worker sends a beat at least every 5 s (its throttle), so a busy
# worker whose beat is late by a few seconds is not taken for dead (a delivery taken over from a
# live worker is sent twice).
HEARTBEAT_WITH_SLACK = timedelta(seconds=30)
# How much of an activity's error message a notification keeps.
ERROR_CHARS = 500
# Why a notification on its way was withheld (a code: the console words it).
CONSENT_ENDED = "consent_ended"


class Deliveries:
    def __init__(self, state: CaseState, patches: Patches, give_up: timedelta,
                 changed: Callable[[], None], history_full: Callable[[], bool],
                 in_background: Callable[[Coroutine[Any, Any, None]], None]) -> None:
        self._state, self._patches, self._give_up, self._changed = (
            state, patches, give_up, changed)
        self._history_full, self._in_background = history_full, in_background
        self._on_the_way: set[str] = set()
        # Deliveries under way; those being stopped because consent no longer covers them; and
        # those stopped for the next run to resume (the history is full).
        self._sending: dict[str, workflow.ActivityHandle[contracts.Delivered]] = {}
        self._stopping: set[str] = set()
        self._resuming: set[str] = set()
        self._full_since: datetime | None = None  # when this run's history was found full

    @property
    def busy(self) -> bool:
        """A delivery is on its way, or a notification waits for one."""
        return self._patches.notify and (bool(self._on_the_way) or self._state.notifications_in(
            NotificationStatus.PENDING) > 0)

    @property
    def running(self) -> bool:
        return bool(self._on_the_way)

    def waiting(self) -> bool:
        """A pending notification not on its way yet, which `start` would start."""
        return self._patches.notify and not self._held_for_next_run() and any(
            n.status is NotificationStatus.PENDING and n.id not in self._on_the_way
            for n in self._state.notifications)

    def _held_for_next_run(self) -> bool:
        return self._patches.steady and self._history_full()

    def _under_way(self) -> bool:
        return any(nid not in self._resuming for nid in self._sending)

    def pause_at(self) -> datetime | None:
        """When the deliveries still under way in a full run are stopped (None: not waiting)."""
        if self._full_since is None or not self._under_way():
            return None
        return self._full_since + ATTEMPT_TIMEOUT

    @property
    def pausing(self) -> bool:
        """Steady: the history is full and deliveries are under way, just now, or still when
        they are to be stopped."""
        if not (self._held_for_next_run() and self._under_way()):
            return False
        due = self.pause_at()
        return due is None or workflow.now() >= due

    def pause_for_next_run(self, now: datetime) -> None:
        """The history is full: an attempt under way may finish (its timeout), then the
        deliveries still going, retrying for an agency that is down, are stopped; an agency
        down for days would hold the run open, and the read model with it. The next run
        starts them again with the same keys, so a receiver that got one deduplicates it."""
        if self._full_since is None:
            self._full_since = now
            return
        for nid, handle in self._sending.items():
            if nid not in self._resuming:
                self._resuming.add(nid)
                handle.cancel()

    def start(self) -> None:
        """Start delivering every pending notification not already on its way. Pending ones
        carried over from an earlier run start again, with the same idempotency key. None once
        the history is full (steady): the next run starts them."""
        if not self._patches.notify or self._held_for_next_run():
            return
        for n in self._state.notifications:
            if n.status is NotificationStatus.PENDING and n.id not in self._on_the_way:
                self._on_the_way.add(n.id)
                self._in_background(self._deliver(n))

    def stop_where_consent_ended(self) -> None:
        """After a step: every delivery under way that the client's consent no longer covers
        is cancelled now, not after its retries (which may last days while an agency is
        down); and an acknowledgement awaited from an agency that may no longer see the case
        (it could not give it) is awaited no more."""
        if not self._patches.consent:
            return
        for n in self._state.notifications:
            if notifications.still_allowed(self._state, n):
                continue
            if n.id in self._sending and n.id not in self._stopping:
                self._stopping.add(n.id)
                self._sending[n.id].cancel()
            deadlines.settle(self._state, [DeadlineKind.NOTIFICATION_ACK],
                             DeadlineStatus.CANCELLED, workflow.now(), None, CONSENT_ENDED,
                             subject=n.id)

    def may_deliver(self, notification_id: str) -> bool:
        """Asked by every attempt of a delivery before it sends anything."""
        n = next((n for n in self._state.notifications if n.id == notification_id), None)
        return n is not None and n.status is not NotificationStatus.WITHHELD and (
            not self._checks_consent() or notifications.still_allowed(self._state, n))

    async def _deliver(self, n: Notification) -> None:
        try:
            await self._send(n)
        except ActivityError as err:
            cause = err.cause
            if n.id in self._resuming:
                pass  # still pending: the next run delivers it
            elif n.id in self._stopping or (isinstance(cause, ApplicationError)
                                          and cause.type == contracts.WITHHELD):
                n.last_error = CONSENT_ENDED
                if n.status is not NotificationStatus.ACKNOWLEDGED:  # by phone, say: it stands
                    n.status = NotificationStatus.WITHHELD
            else:
                n.status = NotificationStatus.FAILED
                n.last_error = (cause.message if isinstance(cause, FailureError)
                                else str(err))[:ERROR_CHARS]
        self._stopping.discard(n.id)
        self._resuming.discard(n.id)
        # Not in a `finally`: when the run is evicted the task is closed, outside any workflow.
        n.changed_at = workflow.now()
        self._on_the_way.discard(n.id)
        self._changed()

    async def _send(self, n: Notification) -> None:
        if n.agency_id is None and not await self._resolve(n):
            return
        if self._checks_consent() and not notifications.still_allowed(self._state, n):
            # The client withdrew consent for this agency or purpose since it was planned.
            n.status = NotificationStatus.WITHHELD
            return
        n.sends += 1
        bounded = self._patches.bounded
        handle = workflow.start_activity(
            contracts.deliver,
            contracts.Delivery(notification_id=n.id, key=n.key, agency_id=n.agency_id or "",
                               purpose=n.purpose, case_id=self._state.case_id,
                               message=n.message),
            activity_id=f"{n.id}.{n.sends}", start_to_close_timeout=ATTEMPT_TIMEOUT,
            heartbeat_timeout=heartbeat(self._patches),
            schedule_to_close_timeout=self._give_up, retry_policy=RETRY,
            # A stopped delivery is over only once its attempt under way has stopped too (it
            # learns at its next beat): no attempt outlives the run, nor a withdrawal.
            cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
        self._sending[n.id] = handle
        try:
            result = await handle
        finally:
            del self._sending[n.id]
        n.attempts, n.last_error = n.attempts + result.attempts, None
        if bounded and n.status is NotificationStatus.ACKNOWLEDGED:
            return  # acknowledged (by phone, say) while it was on its way: nothing to await
        n.status = NotificationStatus.DELIVERED
        # Steady: a case closed meanwhile awaits nothing more (an acknowledgement deadline
        # would keep its run open, and escalate, for ever).
        if n.expects_ack and not (self._patches.steady and self._state.phase.closed):
            deadlines.open_deadline(self._state, DeadlineKind.NOTIFICATION_ACK,
                                    helsinki_date(workflow.now()), workflow.now(), None,
                                    subject=n.id)

    def _checks_consent(self) -> bool:
        """Check consent again on delivery: in runs with the patch, and in older runs once a
        consent names an agency or purpose (which only this code records, so their recorded
        histories are unchanged)."""
        return self._patches.work or any(c.agency_id or c.purpose for c in self._state.consents)

    async def _resolve(self, n: Notification) -> bool:
        """Name the agencies the selector stands for: this notification goes to the first, a
        new one to each of the others."""
        ids = await workflow.execute_activity(
            contracts.resolve_agencies, n.selector,
            start_to_close_timeout=QUICK_TIMEOUT if self._patches.bounded else RESOLVE_TIMEOUT)
        if not ids:
            n.status, n.last_error = (NotificationStatus.FAILED,
                                      f"no agency in the directory for {n.selector}")
            return False
        n.agency_id = ids[0]
        for agency_id in ids[1:]:
            nid = self._state.next_notification_id()
            self._state.notifications.append(n.model_copy(update={
                "id": nid, "key": f"{self._state.case_id}:{nid}", "agency_id": agency_id,
                "sends": 0}))
        return True


def heartbeat(patches: Patches) -> timedelta | None:
    """The heartbeat timeout of a run's long activities (deliveries and projections)."""
    if not patches.bounded:
        return None
    return HEARTBEAT_WITH_SLACK if patches.steady else HEARTBEAT
