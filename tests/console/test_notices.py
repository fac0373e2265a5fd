"""An agency reads what a notification says in its language: named parts and worded values,
never keys, codes or a program's lists."""

from __future__ import annotations

from console.i18n import Language
from console.notices import readable
from tests.support import factories as f

MESSAGE = {"case_id": "case-" + "a" * 20, "office": "helsinki",
           "child": f.PERSON.model_dump(mode="json"), "exploitation": ["forced_labour"],
           "needs": {"safety_threat": "high", "needs_support_person": True}}


def test_a_notification_in_finnish() -> None:
    parts = dict(readable(MESSAGE, Language("fi")))
    assert parts["Asia"] == MESSAGE["case_id"] and parts["Hyväksikäytön muoto"] == "Pakkotyö"
    assert "Syntymäaika: 17.3.1994" in parts["Lapsi"] and "tagalog, englanti" in parts["Lapsi"]
    assert parts["Arvioidut tarpeet"] == "Turvallisuusuhka: Korkea; Tarvitsee tukihenkilön: Kyllä"


def test_no_key_code_or_list_is_shown_in_any_language() -> None:
    for code in ("fi", "sv", "en"):
        shown = " ".join(f"{part} {text}" for part, text in readable(MESSAGE, Language(code)))
        for raw in ("case_id", "forced_labour", "date_of_birth", "['", "True", "high"):
            assert raw not in shown, (code, raw)
