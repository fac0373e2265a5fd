"""Keeping the read model current: each new revision of a case's state is projected by an
activity, one at a time; changes made while one runs go together into the next. Once the read
model holds a revision, the settled records it archived leave the state (`rules.size`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.engine.delivery import heartbeat
from workflows.engine.patches import Patches
from workflows.model import contracts
from workflows.model.state import CaseState
from workflows.rules import size

TIMEOUT = timedelta(seconds=30)
# The database may be down for a while: keep trying, at most a minute apart.
RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))
# Steady: but not what no retry mends (the case's key shredded, a state this code cannot read):
# it fails the run's workflow task instead, where it is seen.
RETRY_WHAT_MENDS = RetryPolicy(maximum_interval=timedelta(minutes=1),
                               non_retryable_error_types=["KeyShredded", "ValidationError"])


class Projector:
    def __init__(self, state: CaseState, patches: Patches, history_full: Callable[[], bool],
                 held_open: Callable[[], bool]) -> None:
        self._state, self._patches, self._history_full = state, patches, history_full
        self._held_open = held_open  # something else keeps the run from continuing as new
        self._projected = -1  # the state revision the read model has
        self.running = False  # a projection is on its way
        self._stopped = False  # the run is about to continue as new

    def stop(self) -> None:
        """Start no projection more in this run: it continues as new, and the next run
        projects its first revision."""
        self._stopped = True

    def _may_start(self) -> bool:
        """None once the history is full, so the run continues as new (the next run projects
        its first revision); steady, projecting goes on while something else holds the run
        open (its deliveries stopping), so the read model never lags behind an open run."""
        if self._patches.steady and self._stopped:
            return False
        return not self._history_full() or (self._patches.steady and self._held_open())

    @property
    def behind(self) -> bool:
        """The read model has not caught up with the state yet."""
        return self._patches.project and self._projected < self._state.revision

    async def run(self) -> None:
        while True:
            await workflow.wait_condition(
                lambda: self._state.revision > self._projected and self._may_start())
            revision, self.running = self._state.revision, True
            gone = size.leaving(self._state) if self._patches.bounded else None
            await workflow.execute_activity(
                contracts.project_case, self._state, start_to_close_timeout=TIMEOUT,
                heartbeat_timeout=heartbeat(self._patches),
                retry_policy=RETRY_WHAT_MENDS if self._patches.steady else RETRY)
            self._projected, self.running = revision, False
            if gone is not None:
                size.trim(self._state, gone)
