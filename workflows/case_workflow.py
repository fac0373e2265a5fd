"""`CaseWorkflow`: one durable workflow per case; the workflow id is the case id.

Every caseworker step is an update whose validator checks who may take it, the version it was
based on and its dates, then runs the step's rule on a copy of the state and checks the size of
the result, so a refused step never reaches history. Handlers are synchronous: a step's check and
its change happen in one activation, and no other step can interleave between them.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.notifications import PERMANENT, Delivery, NotificationActivities
    from activities.read_model import ReadModelActivities
    from workflows import case_deadlines as deadlines
    from workflows import case_guards as guards
    from workflows import case_rules as rules
    from workflows import case_size, notify_rules
    from workflows import deadline_rules as dr
    from workflows.case_model import (
        AdmissionDecision,
        Assessment,
        AssessmentStart,
        Carried,
        CaseInput,
        CaseState,
        ConsentChange,
        CriminalEvent,
        DeadlineChange,
        DeadlineExtension,
        DeadlineStatus,
        ExitDecision,
        ManualNotification,
        MeasureAnswer,
        MeasureProviderChange,
        MeasureUpdate,
        MunicipalityTransition,
        NewMeasure,
        Notification,
        NotificationRef,
        NotificationStatus,
        OfficeTransfer,
        Reassignment,
        ReflectionPeriodGrant,
        StepMeta,
    )
    from workflows.case_rules import Rule, StepContext, StepRejected
    from workflows.search_attributes import (
        CASE_CASEWORKER,
        CASE_FAILED_NOTIFICATIONS,
        CASE_NEXT_DEADLINE_AT,
        CASE_NEXT_DEADLINE_KIND,
        CASE_OFFICE,
        CASE_OVERDUE,
        CASE_PENDING_NOTIFICATIONS,
        CASE_PHASE,
        CASE_REFERRED_AT,
    )

# Idempotency keys remembered per case (carried across continue-as-new): far more than any
# client retries within its retry window, small enough to keep the carried state small.
KEYS_KEPT = 500
# Patch: deadline timers, their search attributes, and a closed case staying open for its appeal
# period. Runs recorded before it replay without them; their next run has them.
DEADLINE_TIMERS = "deadline-timers-v1"
# Patch: notifications to agencies (and deadline alerts to the offices) as activities.
NOTIFICATIONS = "notifications-v1"
# Patch: every change of the state projected into the read model by an activity.
READ_MODEL = "read-model-v1"
# Patch: the state stays bounded (settled records leave it once archived; a run also continues
# as new by its history's size), and activities on a dead worker are retried within seconds.
HARDENING = "hardening-v1"
PROJECT_TIMEOUT = timedelta(seconds=30)
# The database may be down for a while: keep trying, at most a minute apart.
PROJECT_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))
RESOLVE_TIMEOUT = timedelta(seconds=30)
# Hardened: a directory look-up takes milliseconds; one that has not finished in this long ran
# on a worker that died, and is tried again elsewhere.
QUICK_TIMEOUT = timedelta(seconds=10)
# Hardened: a delivery or a projection beats every second (while it waits its turn too);
# missing this long, its worker is gone and another takes it over.
HEARTBEAT = timedelta(seconds=5)
# Hardened: continue as new before a run's history grows past this (Temporal's limit is 50 MiB).
HISTORY_BYTES = 8 * 1024 * 1024
# How much of an activity's error message a notification keeps.
ERROR_CHARS = 500
DELIVERY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=10), backoff_coefficient=2.0,
                             maximum_interval=timedelta(hours=1),
                             non_retryable_error_types=[PERMANENT])


@workflow.defn
class CaseWorkflow:
    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        self._history_limit = inp.history_limit
        self._published: dict[str, Any] = {}
        # Decided before any handler runs: an update can arrive in the run's first task.
        self._timers = workflow.patched(DEADLINE_TIMERS)
        self._notify = self._timers and workflow.patched(NOTIFICATIONS)
        self._project = self._notify and workflow.patched(READ_MODEL)
        self._bounded = self._project and workflow.patched(HARDENING)
        self._projected = -1  # the state revision the read model has
        self._projecting_now = False
        self._delivering: set[str] = set()
        self._give_up = timedelta(days=inp.delivery_give_up_days)
        if inp.carried is not None:
            self._state = inp.carried.state
            self._keys = dict(inp.carried.keys)
            self._state.runs += 1
            return
        assert inp.opening is not None, "a case starts with a referral or a carried state"
        meta, referral = inp.opening.meta, inp.opening.referral
        ctx = StepContext(now=workflow.now(), actor=meta.actor)
        self._keys = {}
        self._state = rules.open_case(workflow.info().workflow_id, referral, ctx)
        rules.record(self._state, "referred", ctx, referral.reason)
        self._remember(meta, "referred")
        if self._notify:
            rules.plan(self._state, "referred", referral, ctx.now)

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseState:
        if self._project:
            asyncio.create_task(self._keep_read_model())
        self._publish()
        while not (self._finished() or self._ready_to_continue()):
            self._deliver_pending()
            await self._sleep_until_next_deadline()
            alerts = deadlines.raise_due(self._state, workflow.now()) if self._timers else []
            for alert in alerts:
                self._plan(notify_rules.plan_alert(self._state, alert))
            if alerts:
                self._publish()
        # Let an update that is being accepted finish before the run closes.
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._finished():
            return self._state
        workflow.logger.info("continuing as new", extra={"case_id": self._state.case_id})
        workflow.continue_as_new(
            CaseInput(carried=Carried(state=self._state, keys=self._keys),
                      history_limit=self._history_limit,
                      delivery_give_up_days=self._give_up / timedelta(days=1))
        )

    @workflow.query
    def state(self) -> CaseState:
        return self._state

    @workflow.query
    def fingerprint(self, idempotency_key: str) -> str | None:
        """The request fingerprint recorded under a key, to tell a retry from a reused key."""
        return self._keys.get(idempotency_key)

    # --- steps ----------------------------------------------------------------------------

    @workflow.update
    def decide_admission(self, meta: StepMeta, step: AdmissionDecision) -> CaseState:
        return self._apply(meta, step, rules.decide_admission)

    @decide_admission.validator
    def _check_admission(self, meta: StepMeta, step: AdmissionDecision) -> None:
        self._check(meta, step, rules.decide_admission)

    @workflow.update
    def assess_needs(self, meta: StepMeta, step: Assessment) -> CaseState:
        return self._apply(meta, step, rules.assess_needs)

    @assess_needs.validator
    def _check_assessment(self, meta: StepMeta, step: Assessment) -> None:
        self._check(meta, step, rules.assess_needs)

    @workflow.update
    def add_measure(self, meta: StepMeta, step: NewMeasure) -> CaseState:
        return self._apply(meta, step, rules.add_measure)

    @add_measure.validator
    def _check_add_measure(self, meta: StepMeta, step: NewMeasure) -> None:
        self._check(meta, step, rules.add_measure)

    @workflow.update
    def change_measure(self, meta: StepMeta, step: MeasureUpdate) -> CaseState:
        return self._apply(meta, step, rules.change_measure)

    @change_measure.validator
    def _check_change_measure(self, meta: StepMeta, step: MeasureUpdate) -> None:
        self._check(meta, step, rules.change_measure)

    @workflow.update
    def record_criminal_stage(self, meta: StepMeta, step: CriminalEvent) -> CaseState:
        return self._apply(meta, step, rules.record_criminal_stage)

    @record_criminal_stage.validator
    def _check_criminal_stage(self, meta: StepMeta, step: CriminalEvent) -> None:
        self._check(meta, step, rules.record_criminal_stage)

    @workflow.update
    def record_consent(self, meta: StepMeta, step: ConsentChange) -> CaseState:
        return self._apply(meta, step, rules.record_consent)

    @record_consent.validator
    def _check_consent(self, meta: StepMeta, step: ConsentChange) -> None:
        self._check(meta, step, rules.record_consent)

    @workflow.update
    def transition_to_municipality(self, meta: StepMeta,
                                   step: MunicipalityTransition) -> CaseState:
        return self._apply(meta, step, rules.transition_to_municipality)

    @transition_to_municipality.validator
    def _check_transition(self, meta: StepMeta, step: MunicipalityTransition) -> None:
        self._check(meta, step, rules.transition_to_municipality)

    @workflow.update
    def exit_case(self, meta: StepMeta, step: ExitDecision) -> CaseState:
        return self._apply(meta, step, rules.exit_case)

    @exit_case.validator
    def _check_exit(self, meta: StepMeta, step: ExitDecision) -> None:
        self._check(meta, step, rules.exit_case)

    @workflow.update
    def reassign(self, meta: StepMeta, step: Reassignment) -> CaseState:
        return self._apply(meta, step, rules.reassign)

    @reassign.validator
    def _check_reassign(self, meta: StepMeta, step: Reassignment) -> None:
        self._check(meta, step, rules.reassign)

    @workflow.update
    def transfer_office(self, meta: StepMeta, step: OfficeTransfer) -> CaseState:
        return self._apply(meta, step, rules.transfer_office)

    @transfer_office.validator
    def _check_transfer(self, meta: StepMeta, step: OfficeTransfer) -> None:
        self._check(meta, step, rules.transfer_office)

    @workflow.update
    def begin_assessment(self, meta: StepMeta, step: AssessmentStart) -> CaseState:
        return self._apply(meta, step, rules.begin_assessment)

    @begin_assessment.validator
    def _check_begin_assessment(self, meta: StepMeta, step: AssessmentStart) -> None:
        self._check(meta, step, rules.begin_assessment)

    @workflow.update
    def grant_reflection_period(self, meta: StepMeta, step: ReflectionPeriodGrant) -> CaseState:
        return self._apply(meta, step, rules.grant_reflection_period)

    @grant_reflection_period.validator
    def _check_reflection_period(self, meta: StepMeta, step: ReflectionPeriodGrant) -> None:
        self._check(meta, step, rules.grant_reflection_period)

    @workflow.update
    def change_deadline(self, meta: StepMeta, step: DeadlineChange) -> CaseState:
        return self._apply(meta, step, rules.change_deadline)

    @change_deadline.validator
    def _check_change_deadline(self, meta: StepMeta, step: DeadlineChange) -> None:
        self._check(meta, step, rules.change_deadline)

    @workflow.update
    def extend_deadline(self, meta: StepMeta, step: DeadlineExtension) -> CaseState:
        return self._apply(meta, step, rules.extend_deadline)

    @extend_deadline.validator
    def _check_extend_deadline(self, meta: StepMeta, step: DeadlineExtension) -> None:
        self._check(meta, step, rules.extend_deadline)

    @workflow.update
    def acknowledge_notification(self, meta: StepMeta, step: NotificationRef) -> CaseState:
        return self._apply(meta, step, rules.acknowledge_notification)

    @acknowledge_notification.validator
    def _check_acknowledge(self, meta: StepMeta, step: NotificationRef) -> None:
        self._check(meta, step, rules.acknowledge_notification)

    @workflow.update
    def resend_notification(self, meta: StepMeta, step: NotificationRef) -> CaseState:
        return self._apply(meta, step, rules.resend_notification)

    @resend_notification.validator
    def _check_resend(self, meta: StepMeta, step: NotificationRef) -> None:
        self._check(meta, step, rules.resend_notification)

    @workflow.update
    def notify_by_hand(self, meta: StepMeta, step: ManualNotification) -> CaseState:
        return self._apply(meta, step, rules.notify_by_hand)

    @notify_by_hand.validator
    def _check_notify_by_hand(self, meta: StepMeta, step: ManualNotification) -> None:
        self._check(meta, step, rules.notify_by_hand)

    @workflow.update
    def respond_to_measure(self, meta: StepMeta, step: MeasureAnswer) -> CaseState:
        return self._apply(meta, step, rules.respond_to_measure)

    @respond_to_measure.validator
    def _check_respond(self, meta: StepMeta, step: MeasureAnswer) -> None:
        self._check(meta, step, rules.respond_to_measure)

    @workflow.update
    def change_provider(self, meta: StepMeta, step: MeasureProviderChange) -> CaseState:
        return self._apply(meta, step, rules.change_provider)

    @change_provider.validator
    def _check_change_provider(self, meta: StepMeta, step: MeasureProviderChange) -> None:
        self._check(meta, step, rules.change_provider)

    # --- notifications --------------------------------------------------------------------

    def _plan(self, planned: notify_rules.Planned) -> None:
        if self._notify:
            self._state.notifications.append(
                notify_rules.notification(self._state, planned, workflow.now()))

    def _deliver_pending(self) -> None:
        """Start delivering every pending notification not already on its way. Pending ones
        carried over from an earlier run start again, with the same idempotency key."""
        if not self._notify:
            return
        for n in self._state.notifications:
            if n.status is NotificationStatus.PENDING and n.id not in self._delivering:
                self._delivering.add(n.id)
                asyncio.create_task(self._deliver(n))

    async def _deliver(self, n: Notification) -> None:
        try:
            await self._send(n)
        except ActivityError as err:
            n.status = NotificationStatus.FAILED
            n.last_error = (err.cause.message if isinstance(err.cause, FailureError)
                            else str(err))[:ERROR_CHARS]
        # Not in a `finally`: when the run is evicted the task is closed, outside any workflow.
        n.changed_at = workflow.now()
        self._delivering.discard(n.id)
        self._publish()

    async def _send(self, n: Notification) -> None:
        if n.agency_id is None and not await self._resolve(n):
            return
        n.sends += 1
        result = await workflow.execute_activity_method(
            NotificationActivities.deliver,
            Delivery(notification_id=n.id, key=n.key, agency_id=n.agency_id or "",
                     purpose=n.purpose, case_id=self._state.case_id, message=n.message),
            activity_id=f"{n.id}.{n.sends}", start_to_close_timeout=timedelta(minutes=2),
            heartbeat_timeout=HEARTBEAT if self._bounded else None,
            schedule_to_close_timeout=self._give_up, retry_policy=DELIVERY_RETRY)
        n.attempts, n.last_error = n.attempts + result.attempts, None
        if self._bounded and n.status is NotificationStatus.ACKNOWLEDGED:
            return  # acknowledged (by phone, say) while it was on its way: nothing to await
        n.status = NotificationStatus.DELIVERED
        if n.expects_ack:
            deadlines.open_deadline(self._state, dr.DeadlineKind.NOTIFICATION_ACK,
                                    dr.helsinki_date(workflow.now()), workflow.now(), None,
                                    subject=n.id)

    async def _resolve(self, n: Notification) -> bool:
        """Name the agencies the selector stands for: this notification goes to the first, a
        new one to each of the others."""
        ids = await workflow.execute_activity_method(
            NotificationActivities.resolve_agencies, n.selector,
            start_to_close_timeout=QUICK_TIMEOUT if self._bounded else RESOLVE_TIMEOUT)
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

    # --- the read model ---------------------------------------------------------------------

    async def _keep_read_model(self) -> None:
        """Project each new revision of the state. Changes made while a projection runs go
        together into the next one. Once the read model holds a revision, the settled records
        it archived leave the state (see `case_size`)."""
        while True:
            # None starts once the history is full: the next run projects its first revision.
            await workflow.wait_condition(
                lambda: self._state.revision > self._projected and not self._history_full())
            revision, self._projecting_now = self._state.revision, True
            gone = case_size.leaving(self._state) if self._bounded else None
            await workflow.execute_activity_method(
                ReadModelActivities.project_case, self._state,
                start_to_close_timeout=PROJECT_TIMEOUT,
                heartbeat_timeout=HEARTBEAT if self._bounded else None,
                retry_policy=PROJECT_RETRY)
            self._projected, self._projecting_now = revision, False
            if gone is not None:
                case_size.trim(self._state, gone)

    def _projecting(self) -> bool:
        return self._project and self._projected < self._state.revision

    # --- the machinery every step shares --------------------------------------------------

    def _finished(self) -> bool:
        """Closed, and nothing left to run: no period (such as the appeal period) and no
        notification on its way."""
        return self._state.phase.closed and not (
            self._timers and deadlines.unsettled(self._state)) and not self._busy()

    def _busy(self) -> bool:
        delivering = self._notify and (
            bool(self._delivering) or self._state.notifications_in(NotificationStatus.PENDING) > 0)
        return delivering or self._projecting()

    def _ready_to_continue(self) -> bool:
        # Activities in flight finish in this run: the next would start deliveries again, and
        # a projection left running would outlive its run.
        return self._history_full() and not self._delivering and not self._projecting_now

    def _next_instant(self) -> datetime | None:
        return deadlines.next_instant(self._state) if self._timers else None

    def _has_undelivered(self) -> bool:
        return any(n.status is NotificationStatus.PENDING and n.id not in self._delivering
                   for n in self._state.notifications) if self._notify else False

    async def _sleep_until_next_deadline(self) -> None:
        """Sleep until the next reminder or due instant, or until a step moves it (only then is
        the timer replaced), closes the case, or the history is full."""
        wake = self._next_instant()
        if wake is not None and wake <= workflow.now():
            return
        try:
            await workflow.wait_condition(
                lambda: (self._finished() or self._ready_to_continue()
                         or self._next_instant() != wake or self._has_undelivered()),
                timeout=None if wake is None else wake - workflow.now())
        except TimeoutError:
            pass

    def _check(self, meta: StepMeta, step: Any, rule: Rule[Any]) -> None:
        # Who may take the step comes first: the version is the case's business.
        guards.authorize(self._state, meta, rule, step)
        if self._is_retry(meta):
            return
        if meta.expected_version != self._state.version:
            raise StepRejected(
                rules.STALE_VERSION,
                f"the case is at version {self._state.version}, "
                f"the step was based on version {meta.expected_version}",
                current_version=self._state.version,
            )
        guards.check_dates(self._state, rule, step, dr.helsinki_date(workflow.now()))
        after = self._state.model_copy(deep=True)
        rules.take(after, step, rule, self._context(meta), notify=self._notify)
        guards.fits(after, rule)

    def _apply(self, meta: StepMeta, step: Any, rule: Rule[Any]) -> CaseState:
        if self._is_retry(meta):
            return self._state
        action = rules.take(self._state, step, rule, self._context(meta), notify=self._notify)
        self._remember(meta, action)
        self._publish()
        return self._state

    def _is_retry(self, meta: StepMeta) -> bool:
        """A step already applied under this key: answer it again, change nothing."""
        seen = self._keys.get(meta.idempotency_key)
        if seen is None:
            return False
        if seen != meta.fingerprint:
            raise StepRejected(rules.KEY_REUSED,
                               "this Idempotency-Key was used for a different request")
        return True

    @staticmethod
    def _context(meta: StepMeta) -> StepContext:
        return StepContext(now=workflow.now(), actor=meta.actor)

    def _remember(self, meta: StepMeta, action: str) -> None:
        """The step's key, so a retry is answered and not applied again; and a log line."""
        state = self._state
        self._keys[meta.idempotency_key] = meta.fingerprint
        while len(self._keys) > KEYS_KEPT:
            del self._keys[next(iter(self._keys))]
        workflow.logger.info("case step", extra={"case_id": state.case_id, "action": action,
                                                 "version": state.version})

    def _publish(self) -> None:
        """The state changed: keep the search attributes in step with it (upsert only what
        changed), and have the read model follow."""
        if self._project:
            self._state.revision += 1
        values: dict[Any, Any] = {CASE_PHASE: str(self._state.phase),
                                  CASE_OFFICE: str(self._state.assignment.office),
                                  CASE_CASEWORKER: self._state.assignment.caseworker_id,
                                  CASE_REFERRED_AT: self._state.referred_at}
        if self._timers:
            nxt = self._state.next_deadline()
            values[CASE_NEXT_DEADLINE_AT] = nxt.due_at if nxt else None
            values[CASE_NEXT_DEADLINE_KIND] = str(nxt.kind) if nxt else None
            values[CASE_OVERDUE] = self._state.deadlines_in(DeadlineStatus.OVERDUE)
        if self._notify:
            values[CASE_PENDING_NOTIFICATIONS] = self._state.notifications_in(
                NotificationStatus.PENDING)
            values[CASE_FAILED_NOTIFICATIONS] = self._state.notifications_in(
                NotificationStatus.FAILED)
        changed = [key.value_set(v) if v is not None else key.value_unset()
                   for key, v in values.items() if self._published.get(key.name, ...) != v]
        if changed:
            workflow.upsert_search_attributes(changed)
            self._published.update({key.name: v for key, v in values.items()})

    def _history_full(self) -> bool:
        info = workflow.info()
        return (info.is_continue_as_new_suggested()
                or info.get_current_history_length() >= self._history_limit
                or (self._bounded and info.get_current_history_size() >= HISTORY_BYTES))
