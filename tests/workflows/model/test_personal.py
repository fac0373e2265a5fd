"""Each field of a case's state says what it holds (`workflows.model.personal`), once, and what
must keep personal data in is made from that marking: the log mask, the lists and views that
carry none, and (tests/store/test_personal_at_rest.py) the read model at rest."""

from __future__ import annotations

from pydantic import BaseModel

from store.views import AgencyCaseRow, CaseSummary, DeliveryRow, DueRow, OperationsCaseView
from tests.support import factories as f
from tests.support.states import in_phase
from workflows.model.personal import ABOUT, IDENTIFYING, classes, keys, values
from workflows.model.state import LOGGED, CaseState
from workflows.model.vocabulary import Phase


def test_every_field_of_the_state_says_what_it_holds() -> None:
    unmarked = [path for path, kind in classes(CaseState) if kind is None]
    assert not unmarked, f"mark these fields' class (workflows/model/personal.py): {unmarked}"


def test_who_the_client_is_and_what_is_said_of_them_are_personal() -> None:
    marked = dict(classes(CaseState))
    assert {marked[f"person.{p}"] for p in ("given_names", "surname", "date_of_birth",
                                            "nationality", "languages")} == {IDENTIFYING}
    assert marked["steps[].reason"] is marked["needs.client_view"] is ABOUT


def test_the_log_mask_is_the_marking() -> None:
    """Every name a personal field goes by is masked, the model's own (`person`) too."""
    assert LOGGED == keys(CaseState)
    assert {"person", "surname", "reason", "client_view", "note", "contact_person"} <= LOGGED


def names(model: type[BaseModel]) -> set[str]:
    return {path.rsplit(".", 1)[-1].removesuffix("[]") for path, _ in classes(model)}


def test_lists_and_the_operations_view_carry_no_personal_field() -> None:
    for model in (CaseSummary, DueRow, DeliveryRow, AgencyCaseRow, OperationsCaseView):
        assert not names(model) & LOGGED, model.__name__


def test_the_personal_values_of_a_case_are_found_where_the_marking_says() -> None:
    state = in_phase(Phase.ASSISTANCE)
    found = dict(values(state))
    assert found["person.surname"] == f.PERSON.surname
    assert found["steps[].reason"]  # a step's reason
    assert "version" not in found and "case_id" not in found
