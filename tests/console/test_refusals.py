"""A refusal of the rules in the reader's words: the calendar's too (a rule's longest
extension, a period out of its bounds), its lengths of time and its deadline named as the
reader says them, from the refusal the rule really makes."""

from __future__ import annotations

import pytest

from api.problems import from_application_error
from console.i18n import Language
from console.refusals import worded
from tests.support.states import admitted, take
from workflows.model.requests import DeadlineExtension, Length
from workflows.model.vocabulary import DeadlineKind
from workflows.rules import deadlines
from workflows.rules.step import StepRejected


@pytest.mark.parametrize(("language", "said"), [
    ("fi", "Määräaikaa ”Toipumisaika” voi jatkaa enintään 60 päivää"),
    ("sv", "Tidsfristen ”Återhämtningsperiod” kan förlängas med högst 60 dygn"),
    ("en", "a Recovery period can be extended by at most 60 days"),
])
def test_a_rule_s_longest_extension_in_the_reader_s_words(language: str, said: str) -> None:
    state = admitted()
    recovery = next(d for d in state.deadlines if d.kind is DeadlineKind.RECOVERY_PERIOD)
    too_long = DeadlineExtension(reason="The client needs more time.",
                                 deadline_id=recovery.id, extension=Length(days=90))
    with pytest.raises(StepRejected) as refused:
        take(state, deadlines.extend_deadline, too_long)
    problem = from_application_error(refused.value)
    assert problem.extensions["most"] == "P60D"
    assert worded(problem, Language(language)) == said


def test_lengths_of_time_as_the_reader_says_them() -> None:
    fi, sv, en = Language("fi"), Language("sv"), Language("en")
    assert (fi.period("P6M"), fi.period("P5WD"), fi.period("P1Y6M")) == (
        "6 kuukautta", "5 arkipäivää", "1 vuosi 6 kuukautta")
    assert (sv.period("P30D"), en.period("P2Y")) == ("30 dygn", "2 years")
    assert fi.period("nothing") == "nothing"
