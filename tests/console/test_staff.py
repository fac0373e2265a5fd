"""The staff directory offers people by name, the reader's office first; without a directory
the forms fall back to typing an id, never to an empty choice."""

from __future__ import annotations

from pathlib import Path

from console import staff
from console.steps import FORMS
from workflows.model.vocabulary import Office
from workflows.rules import lifecycle as rules
from workflows.steps import of


def test_people_are_offered_by_name_the_reader_s_office_first() -> None:
    directory = staff.load(Path("config/staff.yaml"))
    leads = directory.offered("office_lead", Office.TAMPERE)
    assert leads[0][0] is Office.TAMPERE
    assert all(m.role == "office_lead" for _, people in leads for m in people)
    helsinki = dict(leads)[Office.HELSINKI]
    assert [m.name for m in helsinki] == sorted(m.name for m in helsinki)
    assert directory.name_of("lead-jussi") == "Jussi Nieminen"
    assert directory.name_of("someone-else") is None


def test_the_decision_maker_is_chosen_and_without_a_directory_typed(tmp_path: Path) -> None:
    form = FORMS[of(rules.decide_admission).name]
    assert {f.name: f.kind for f in form.fields}["decision_maker_id"] == "lead"
    assert staff.load(tmp_path / "none.yaml").offered("office_lead", None) == []
