"""`CaseWorkflow`: one durable workflow per case; the workflow id is the case id.

The class is the case's clock, and how each of its steps (the updates of `engine.updates`) is
checked and applied: every step's validator checks who may take it, the version it was based
on and its dates, then runs the step's rule on a copy of the state and checks the size of the
result, so a refused step never reaches history. Handlers are synchronous: a step's check and
its change happen in one activation, and no other step can interleave between them. The run
sleeps until the case's next deadline instant and raises what is due, and continues as new
before its history grows large.
Delivering notifications (`delivery`) and keeping the read model current (`projector`) are
parts of their own; the changes that alter commands are behind `patches`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

# The update surface, made from the step declarations: shared by every run like the
# declarations and rules it names (`worker.sandbox.PURE`).
from workflows.engine.updates import CaseUpdates

with workflow.unsafe.imports_passed_through():
    from workflows.engine.delivery import Deliveries
    from workflows.engine.patches import Patches
    from workflows.engine.projector import Projector
    from workflows.model.calendar import helsinki_date
    from workflows.model.requests import StepMeta
    from workflows.model.search_attributes import (
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
    from workflows.model.state import Carried, CaseInput, CaseState
    from workflows.model.vocabulary import Action, DeadlineStatus, NotificationStatus, Refusal
    from workflows.rules import deadlines, notifications
    from workflows.rules import lifecycle as rules
    from workflows.rules.step import StepContext, StepRejected
    from workflows.steps import MATRIX, Declared

# Idempotency keys remembered per case (carried across continue-as-new): far more than any
# client retries within its retry window, small enough to keep the carried state small.
KEYS_KEPT = 500
# Hardened: continue as new before a run's history grows past this (Temporal's limit is 50 MiB).
HISTORY_BYTES = 8 * 1024 * 1024
# Steady: a run continues as new at least this often, however quiet its case, so that it runs
# the code deployed since (the changes behind `patches`) and a marker can retire on a schedule
# (docs/architecture.md, Patches and their retirement).
RUN_AGE = timedelta(days=90)
# A metric for an alert: runs that went a quarter past their history limit.
RUNS_PAST_LIMIT = ("casework_runs_past_history_limit",
                   "Case runs whose history went a quarter past its limit without continuing as "
                   "new (something holds them open).")


class PartBroke(Exception):
    """A part beside the loop (the projector, a delivery) broke: the run's workflow task fails
    until a fixed worker replays it, and the case stays open meanwhile."""


# Pinned by its worker's deployment (worker/versioning.py; not declared here, which a worker
# without versioning would refuse): a run is served by the build it started on until it
# continues as new, then onto the deployment's current build.
@workflow.defn
class CaseWorkflow(CaseUpdates):
    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        self._history_limit = inp.history_limit
        self._published: dict[str, Any] = {}
        # Decided before any handler runs: an update can arrive in the run's first task.
        self._patches = Patches.decide()
        self._give_up = timedelta(days=inp.delivery_give_up_days)
        if inp.carried is not None:
            self._state = inp.carried.state
            self._keys = dict(inp.carried.keys)
            self._state.runs += 1
        else:
            assert inp.opening is not None, "a case starts with a referral or a carried state"
            meta, referral = inp.opening.meta, inp.opening.referral
            ctx = StepContext(now=workflow.now(), actor=meta.actor)
            self._keys = {}
            self._state = rules.open_case(workflow.info().workflow_id, referral, ctx)
            self._state.reference_number = inp.opening.reference_number
            rules.record(self._state, Action.REFERRED, ctx, referral.reason)
            self._remember(meta, Action.REFERRED)
            if self._patches.notify:
                rules.plan(self._state, MATRIX[Action.REFERRED], referral, ctx.now)
        self._deliveries = Deliveries(self._state, self._patches, self._give_up, self._publish,
                                      self._history_full, self._in_background)
        self._projector = Projector(self._state, self._patches, self._history_full,
                                    lambda: self._deliveries.running)
        self._failed: BaseException | None = None  # a part that runs beside the loop broke
        self._moves_on_at = workflow.now() + RUN_AGE
        self._past_limit_told = False

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseState:  # noqa: ARG002 - read by __init__
        if self._patches.project:
            self._in_background(self._projector.run())
        self._publish()
        while not (self._finished() or self._ready_to_continue()):
            self._deliveries.start()
            await self._sleep_until_next_deadline()
            self._raise_what_broke()
            if self._deliveries.pausing:
                self._deliveries.pause_for_next_run(workflow.now())
            self._tell_if_past_limit()
            alerts = (deadlines.raise_due(self._state, workflow.now()) if self._patches.timers
                      else [])
            for alert in alerts:
                self._plan(notifications.plan_alert(self._state, alert))
            if alerts:
                self._publish()
        # Let an update that is being accepted finish before the run closes.
        self._projector.stop()
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._raise_what_broke()
        if self._finished():
            return self._state
        workflow.logger.info("continuing as new", extra={"case_id": self._state.case_id})
        workflow.continue_as_new(
            CaseInput(carried=Carried(state=self._state, keys=self._keys),
                      history_limit=self._history_limit,
                      delivery_give_up_days=self._give_up / timedelta(days=1)),
            initial_versioning_behavior=workflow.ContinueAsNewVersioningBehavior.AUTO_UPGRADE,
        )

    @workflow.signal(name="move_on")
    def move_on(self) -> None:
        """Sent by a promotion (`worker.versioning`): a wake-up, so that an idle run sees that
        the current build changed and continues as new onto it. It changes nothing itself."""

    @workflow.query
    def state(self) -> CaseState:
        return self._state

    @workflow.query
    def may_deliver(self, notification_id: str) -> bool:
        """Whether a delivery may still send: every attempt asks, consent may have ended."""
        return self._deliveries.may_deliver(notification_id)

    @workflow.query
    def fingerprint(self, idempotency_key: str) -> str | None:
        """The request fingerprint recorded under a key, to tell a retry from a reused key."""
        return self._keys.get(idempotency_key)

    # --- the machinery every step shares --------------------------------------------------

    def _check(self, meta: StepMeta, step: Any, declared: Declared[Any]) -> None:
        # A step applied already is answered as what it was, even to someone who may no longer
        # take it (a retry after the case moved office): only its sender has its key and
        # request. Then who may take the step: the version is the case's business.
        if self._keys.get(meta.idempotency_key) == meta.fingerprint:
            return
        declared.authorize(self._state, meta, step)
        self._refuse_reused_key(meta)
        if meta.expected_version != self._state.version:
            raise StepRejected(
                Refusal.STALE_VERSION,
                "the case is at version {current_version}, the step was based on version "
                "{based_on}", current_version=self._state.version, based_on=meta.expected_version,
            )
        declared.check_dates(self._state, step, helsinki_date(workflow.now()))
        after = self._state.model_copy(deep=True)
        declared.take(after, step, self._context(meta), notify=self._patches.notify)
        declared.fits(after)

    def _apply(self, meta: StepMeta, step: Any, declared: Declared[Any]) -> CaseState:
        if self._is_retry(meta):
            return self._state
        action = declared.take(self._state, step, self._context(meta),
                               notify=self._patches.notify)
        self._remember(meta, action)
        self._deliveries.stop_where_consent_ended()
        self._publish()
        return self._state

    def _is_retry(self, meta: StepMeta) -> bool:
        """A step already applied under this key: answer it again, change nothing."""
        self._refuse_reused_key(meta)
        return meta.idempotency_key in self._keys

    def _refuse_reused_key(self, meta: StepMeta) -> None:
        seen = self._keys.get(meta.idempotency_key)
        if seen is not None and seen != meta.fingerprint:
            raise StepRejected(Refusal.KEY_REUSED,
                               "this Idempotency-Key was used for a different request")

    def _context(self, meta: StepMeta) -> StepContext:
        return StepContext(now=workflow.now(), actor=meta.actor, work=self._patches.work,
                           approval_required=meta.approval_required)

    def _remember(self, meta: StepMeta, action: Action) -> None:
        """The step's key, so a retry is answered and not applied again; and a log line."""
        self._keys[meta.idempotency_key] = meta.fingerprint
        while len(self._keys) > KEYS_KEPT:
            del self._keys[next(iter(self._keys))]
        workflow.logger.info("case step", extra={"case_id": self._state.case_id,
                                                 "action": str(action),
                                                 "version": self._state.version})

    def _plan(self, planned: notifications.Planned) -> None:
        if self._patches.notify:
            self._state.notifications.append(
                notifications.notification(self._state, planned, workflow.now()))

    def _publish(self) -> None:
        """The state changed: keep the search attributes in step with it (upsert only what
        changed), and have the read model follow."""
        state, patches = self._state, self._patches
        if patches.project:
            state.revision += 1
        values: dict[Any, Any] = {CASE_PHASE: str(state.phase),
                                  CASE_OFFICE: str(state.assignment.office),
                                  CASE_CASEWORKER: state.assignment.caseworker_id,
                                  CASE_REFERRED_AT: state.referred_at}
        if patches.timers:
            nxt = state.next_deadline()
            values[CASE_NEXT_DEADLINE_AT] = nxt.due_at if nxt else None
            values[CASE_NEXT_DEADLINE_KIND] = str(nxt.kind) if nxt else None
            values[CASE_OVERDUE] = state.deadlines_in(DeadlineStatus.OVERDUE)
        if patches.notify:
            values[CASE_PENDING_NOTIFICATIONS] = state.notifications_in(
                NotificationStatus.PENDING)
            values[CASE_FAILED_NOTIFICATIONS] = state.notifications_in(NotificationStatus.FAILED)
        changed = [key.value_set(v) if v is not None else key.value_unset()
                   for key, v in values.items() if self._published.get(key.name, ...) != v]
        if changed:
            workflow.upsert_search_attributes(changed)
            self._published.update({key.name: v for key, v in values.items()})

    # --- what runs beside the loop -----------------------------------------------------------

    def _in_background(self, part: Coroutine[Any, Any, None]) -> None:
        """Run a part beside the loop (the projector, a delivery). If it breaks, the loop raises
        what broke and the workflow task fails (seen, and retried) instead of the part vanishing
        with only a line in the worker's log."""
        async def watched() -> None:
            try:
                await part
            except Exception as err:  # noqa: BLE001 - raised again by the loop
                self._failed = self._failed or err
        asyncio.create_task(watched())

    def _raise_what_broke(self) -> None:
        # Not as it came: an activity's error would fail the workflow, closing the case; any
        # other exception fails only the workflow task, which is retried and seen.
        # Its kinds only: the SDK logs the message in the clear at every retry, and a cause's
        # text may echo data (the cause itself stays chained, sealed in the history).
        if self._failed is not None:
            root = self._failed  # an activity's error names its cause below it
            while getattr(root, "cause", None) is not None:
                root = root.cause  # type: ignore[attr-defined]
            kind = getattr(root, "type", None) or type(root).__name__
            raise PartBroke(f"{type(self._failed).__name__}: {kind}") from self._failed

    def _tell_if_past_limit(self) -> None:
        """Steady: a run that stays well past its history limit (its deliveries or projection
        not stopping) is counted once, for an alert."""
        if (self._patches.steady and not self._past_limit_told
                and workflow.info().get_current_history_length() > self._history_limit * 1.25):
            self._past_limit_told = True
            # Replay-safe: the SDK counts nothing during replay.
            workflow.metric_meter().create_counter(*RUNS_PAST_LIMIT).add(1)

    # --- the clock --------------------------------------------------------------------------

    def _finished(self) -> bool:
        """Closed, and nothing left to run: no period (such as the appeal period), no
        notification on its way and a read model that has caught up."""
        return self._state.phase.closed and not (
            self._patches.timers and deadlines.unsettled(self._state)) and not (
            self._deliveries.busy or self._projector.behind)

    def _ready_to_continue(self) -> bool:
        # Activities in flight finish in this run: the next would start deliveries again, and
        # a projection left running would outlive its run.
        return (self._history_full() and not self._deliveries.running
                and not self._projector.running)

    def _history_full(self) -> bool:
        """Time to continue as new: the history is large, or (steady) the run is old enough
        that it should move on to the code deployed since (`RUN_AGE`), or another build has been
        made current (the flag is in the history: replay sees it as it was)."""
        info = workflow.info()
        return (info.is_continue_as_new_suggested()
                or info.get_current_history_length() >= self._history_limit
                or (self._patches.bounded and info.get_current_history_size() >= HISTORY_BYTES)
                or (self._patches.steady and (workflow.now() >= self._moves_on_at or
                                              info.is_target_worker_deployment_version_changed())))

    def _next_instant(self) -> datetime | None:
        """When the run wakes for its deadlines: steady, at an instant of its own within a
        spread after the next one (not every case at 09:00); what falls due is unchanged."""
        instant = deadlines.next_instant(self._state) if self._patches.timers else None
        if instant is None or not self._patches.steady:
            return instant
        return instant + deadlines.spread(self._state.case_id)

    async def _sleep_until_next_deadline(self) -> None:
        """Sleep until the next reminder or due instant, or until a step moves it (only then is
        the timer replaced), closes the case, or the history is full."""
        instant = self._next_instant()
        if instant is not None and instant <= workflow.now():
            return
        # Steady: the history is full and deliveries are under way; at this instant those still
        # going are stopped for the next run.
        wake = min(filter(None, (instant, self._deliveries.pause_at(),
                                 self._moves_on_at if self._patches.steady else None)),
                   default=None)
        try:
            await workflow.wait_condition(
                lambda: (self._finished() or self._ready_to_continue()
                         or self._next_instant() != instant or self._deliveries.waiting()
                         or self._deliveries.pausing or self._failed is not None),
                timeout=None if wake is None else wake - workflow.now())
        except TimeoutError:
            pass
