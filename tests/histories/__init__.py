"""Cases recorded under earlier versions of the workflow code (`record.py` writes them,
unencrypted): what the replay test replays, and the benchmarks' and tests' real payloads."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from workflows.model.state import CaseState

FOLDER = Path(__file__).parent
RECORDED = sorted(FOLDER.glob("*.json"))


def answers(name: str) -> list[CaseState]:
    """Each step's answer in the recorded case `name` (a file here), oldest first."""
    states = []
    for event in json.loads((FOLDER / name).read_text())["events"]:
        done = event.get("workflowExecutionUpdateCompletedEventAttributes")
        if done and "success" in done["outcome"]:
            data = base64.b64decode(done["outcome"]["success"]["payloads"][0]["data"])
            states.append(CaseState.model_validate_json(data))
    return states
