"""Two releases side by side (a rolling deploy, a rollback): each reads what the other wrote.
A field an older release does not know is left out of a payload it reads, never refused (an
applied step answered 500, a continued run stuck); in a request it is still refused."""

from __future__ import annotations

import json

from temporalio.api.common.v1 import Payload

from infra.temporal import DATA_CONVERTER
from tests.histories import answers
from workflows.model.state import Carried, CaseInput, CaseState

CONVERTER = DATA_CONVERTER.payload_converter


def written_by(data: dict) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(data).encode())


def test_an_older_release_reads_what_a_newer_one_wrote() -> None:
    state = answers("lifecycle-v8-steady.json")[-1]
    newer = state.model_dump(mode="json")
    newer["triage_score"] = 3  # a field of the case a newer release added
    newer["notifications"][0]["channel_hint"] = "sms"  # and of a record
    newer["person"]["pronouns"] = "she/her"
    assert CONVERTER.from_payload(written_by(newer), CaseState) == state
    # A run a newer release continued as new, read back after a rollback.
    carried = CaseInput(carried=Carried(state=state, keys={"k": "fp"})).model_dump(mode="json")
    carried["carried"]["state"]["triage_score"] = 3
    carried["scheduler"] = {"lane": 2}
    assert CONVERTER.from_payload(written_by(carried), CaseInput).carried.state == state


def test_a_newer_release_reads_what_an_older_one_wrote() -> None:
    state = answers("lifecycle-v8-steady.json")[-1]
    older = state.model_dump(mode="json")
    del older["worker_changes"], older["acute_danger_at"]  # fields added since, with defaults
    read = CONVERTER.from_payload(written_by(older), CaseState)
    assert (read.worker_changes, read.acute_danger_at) == (0, None)
    assert read.model_copy(update={"worker_changes": state.worker_changes,
                                   "acute_danger_at": state.acute_danger_at}) == state


def test_anything_but_an_unknown_field_is_still_refused() -> None:
    wrong = answers("lifecycle-v8-steady.json")[-1].model_dump(mode="json")
    wrong["triage_score"], wrong["version"] = 3, "seven"
    try:
        CONVERTER.from_payload(written_by(wrong), CaseState)
    except Exception as err:  # noqa: BLE001 - the SDK wraps it
        assert "version" in str(err)
    else:
        raise AssertionError("a wrong value was read")
