"""Cases recorded under earlier versions of the workflow code still replay on this one."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from infra.temporal import DATA_CONVERTER
from tests.histories import RECORDED
from worker.main import WORKFLOWS
from worker.sandbox import WORKFLOW_RUNNER


def test_there_are_recorded_histories() -> None:
    assert RECORDED, "record one with: python -m tests.histories.record NAME"


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.stem)
async def test_recorded_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(f"case-{path.stem}", path.read_text())
    result = await Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER,
                            workflow_runner=WORKFLOW_RUNNER).replay_workflow(history)
    assert result.replay_failure is None
