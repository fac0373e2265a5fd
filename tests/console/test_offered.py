"""The case page offers the steps the case allows and still calls for: a step already taken is
not offered to be refused."""

from __future__ import annotations

from console.steps import allowed_now
from tests.support import factories as f
from tests.support.states import TODAY, admitted, take
from workflows.model.requests import AssessmentStart
from workflows.model.vocabulary import CriminalStage
from workflows.rules import lifecycle as rules


def offered(state: object) -> set[str]:
    return {form.name for form in allowed_now(state)}  # type: ignore[arg-type]


def test_the_assessment_starts_once() -> None:
    state = admitted()
    assert "begin_assessment" in offered(state)
    take(state, rules.begin_assessment, AssessmentStart(reason="Met.", started_on=TODAY))
    assert "begin_assessment" not in offered(state) and "assess_needs" in offered(state)


def test_a_discontinued_criminal_process_has_no_stage_left_to_record() -> None:
    state = admitted()
    assert "record_criminal_stage" in offered(state)
    take(state, rules.record_criminal_stage, f.criminal(CriminalStage.REPORTED))
    take(state, rules.record_criminal_stage, f.criminal(CriminalStage.DISCONTINUED))
    assert "record_criminal_stage" not in offered(state)
