"""A step's form is made from the step's model, and read back into it, with each error tied to
the field it is about and nothing the person entered repeated in the message."""

from __future__ import annotations

from starlette.datastructures import FormData

from console.forms import fields_of, parse, values_of
from console.steps import REFERRAL
from workflows.model.requests import AdmissionDecision, NewMeasure, Referral


def read(model: type, pairs: list[tuple[str, str]]) -> tuple[object, dict[str, str]]:
    fields = fields_of(model)
    return parse(model, fields, values_of(fields, FormData(pairs)))


def test_nested_fields_lists_and_checkboxes_become_the_model() -> None:
    referral, errors = read(Referral, [
        ("reason", " Referred by the police. "), ("referrer.agency_type", "police"),
        ("office", "helsinki"), ("exploitation", "forced_labour"), ("exploitation", "begging"),
        ("client_consent", "yes"), ("minor", "no"), ("person.given_names", "Aino"),
        ("person.surname", "Testinen"), ("person.languages", "fi"), ("person.languages", ""),
        ("person.languages", "en"),
        ("person.date_of_birth", "1994-03-17")])
    assert errors == {}
    assert referral.reason == "Referred by the police."  # type: ignore[attr-defined]
    assert [str(e) for e in referral.exploitation] == ["forced_labour", "begging"]  # type: ignore
    assert referral.client_consent is True and referral.minor is False  # type: ignore
    assert referral.guardian_consent is None  # type: ignore[attr-defined] - left out, not no
    # one language per row chosen, a row left empty left out
    assert referral.person.languages == ["fi", "en"]  # type: ignore[attr-defined]


def test_a_decision_is_chosen_never_made_by_omission() -> None:
    """Admitted or not is a yes or a no the caseworker picks; neither picked is no decision."""
    (field,) = [f for f in fields_of(AdmissionDecision) if f.name == "admitted"]
    assert field.kind == "yesno" and field.required
    pairs = [("reason", "Indications."), ("decision_maker_id", "lead-jussi"),
             ("decided_on", "2026-12-01")]
    decision, errors = read(AdmissionDecision, pairs)
    assert decision is None and errors == {"admitted": "Required."}
    decision, _ = read(AdmissionDecision, [*pairs, ("admitted", "no")])
    assert decision.admitted is False  # type: ignore[attr-defined]
    # An option is a box whose default is unticked (sent by post: no).
    (by_post,) = [f for f in fields_of(AdmissionDecision) if f.name == "by_post"]
    assert by_post.kind == "checkbox"


def test_errors_are_tied_to_their_fields_and_echo_nothing() -> None:
    measure, errors = read(NewMeasure, [("reason", ""), ("type", "castle"),
                                        ("provider.agency_type", "police")])
    assert measure is None
    assert set(errors) == {"reason", "type", "provider.organisation"}
    assert "castle" not in " ".join(errors.values())
    # In words the catalogues translate.
    assert (errors["reason"], errors["type"]) == ("Required.", "Choose from the list.")


def test_nested_fields_come_in_groups_under_their_model() -> None:
    legends = [legend for legend, _ in REFERRAL.groups]
    assert legends == [None, "Referrer", None, "Person", None]


def test_every_field_gets_a_unique_id_and_a_label() -> None:
    fields = fields_of(Referral)
    assert len({f.id for f in fields}) == len(fields)
    assert all(f.label for f in fields)


def test_a_text_shows_the_limit_its_model_enforces() -> None:
    limits = {f.name: f.limit for f in fields_of(Referral)}
    assert (limits["reason"], limits["person.surname"], limits["referrer.reference"]) == (
        4000, 200, 100)
    assert limits["exploitation"] is None  # choices, not text
