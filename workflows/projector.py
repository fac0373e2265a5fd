"""Keeping the read model current: each new revision of a case's state is projected by an
activity, one at a time; changes made while one runs go together into the next. Once the read
model holds a revision, the settled records it archived leave the state (`case_size`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows import case_size, contracts
from workflows.delivery import HEARTBEAT
from workflows.patches import Patches
from workflows.state import CaseState

TIMEOUT = timedelta(seconds=30)
# The database may be down for a while: keep trying, at most a minute apart.
RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))


class Projector:
    def __init__(self, state: CaseState, patches: Patches,
                 history_full: Callable[[], bool]) -> None:
        self._state, self._patches, self._history_full = state, patches, history_full
        self._projected = -1  # the state revision the read model has
        self.running = False  # a projection is on its way

    @property
    def behind(self) -> bool:
        """The read model has not caught up with the state yet."""
        return self._patches.project and self._projected < self._state.revision

    async def run(self) -> None:
        while True:
            # None starts once the history is full: the next run projects its first revision.
            await workflow.wait_condition(
                lambda: self._state.revision > self._projected and not self._history_full())
            revision, self.running = self._state.revision, True
            gone = case_size.leaving(self._state) if self._patches.bounded else None
            await workflow.execute_activity(
                contracts.project_case, self._state, start_to_close_timeout=TIMEOUT,
                heartbeat_timeout=HEARTBEAT if self._patches.bounded else None,
                retry_policy=RETRY)
            self._projected, self.running = revision, False
            if gone is not None:
                case_size.trim(self._state, gone)
