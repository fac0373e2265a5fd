"""An e-mail says what is asked in the agency's language, and never anything of the person."""

from __future__ import annotations

import inspect
import re
from typing import get_args

from activities.directory import Agency, Email
from activities.mail import compose
from activities.mail_words import PURPOSES, Language
from tests.support import factories as f
from workflows.model.contracts import Delivery
from workflows.model.vocabulary import AlertKind
from workflows.rules import notifications


def purposes() -> set[str]:
    """Every purpose the notification rules give a notification."""
    named = set(re.findall(r'Planned\(\s*"(\w+)"', inspect.getsource(notifications)))
    return named | {f"deadline_{kind}" for kind in AlertKind}


def test_every_purpose_is_worded_in_every_language() -> None:
    assert len(purposes()) >= 10
    for purpose in purposes():
        assert set(PURPOSES[purpose]) == set(get_args(Language)), purpose


def test_the_mail_names_the_case_and_the_ask_and_carries_no_one() -> None:
    message = {"child": f.PERSON.model_dump(mode="json"), "case_id": "case-" + "a" * 20}
    delivery = Delivery(notification_id="N1", key="case-" + "a" * 20 + ":N1", agency_id="cp",
                        purpose="minor_referred", case_id="case-" + "a" * 20, message=message)
    for language, words in (("fi", "Tunnus"), ("sv", "Beteckning"), ("en", "Reference")):
        agency = Agency(id="cp", type="child_protection", name="Lastensuojelu",
                        channels=[Email(address="cp@test.example")], language=language)
        mail = compose("casework@test.example", "https://casework.example",
                       Email(address="cp@test.example"), delivery, agency)
        text = mail.get_content()
        assert words in text and delivery.case_id in mail["Subject"]
        assert f"https://casework.example/agency/cases/{delivery.case_id}" in text
        raw = mail.as_string()
        assert not [x for x in (f.PERSON.surname, "Maria", "1994") if x in raw], language


def test_the_mail_names_the_case_by_the_number_a_person_reads_out() -> None:
    case_id = "case-" + "b" * 20
    delivery = Delivery(notification_id="N2", key=case_id + ":N2", agency_id="cp",
                        purpose="handover", case_id=case_id,
                        message={"case_id": case_id, "reference_number": "HEL-2026-0042"})
    agency = Agency(id="cp", type="social_services", name="Sosiaalipalvelut",
                    channels=[Email(address="sp@test.example")], language="fi")
    mail = compose("casework@test.example", "https://casework.example",
                   Email(address="sp@test.example"), delivery, agency)
    assert "Tunnus: HEL-2026-0042 (case-bbbb" in mail.get_content()
    assert "HEL-2026-0042" in mail["Subject"]
