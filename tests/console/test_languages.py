"""Finnish, Swedish and English: every message the console shows, every enum value and every
form field has its translation, and the catalogues hold exactly what the console uses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum

import pytest
from babel.messages.pofile import read_po

from console.catalogue import TRANSLATED, messages, po_path
from console.i18n import Language
from console.labels import LABELS
from workflows.model import vocabulary


def catalogue(language: str) -> dict[str, str]:
    with po_path(language).open("rb") as source:
        return {m.id: m.string for m in read_po(source, locale=language) if m.id}


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language: str) -> None:
    translated = catalogue(language)
    assert set(translated) == messages(), "run `python -m console.catalogue` and translate"
    assert [m for m, text in translated.items() if not text.strip()] == []


def test_every_value_of_every_enum_has_a_label() -> None:
    enums = [e for e in vars(vocabulary).values() if isinstance(e, type) and issubclass(e, Enum)
             and e.__module__ == vocabulary.__name__ and e is not vocabulary.Refusal]
    missing = [f"{e.__name__}.{m.value}" for e in enums for m in e
               if m.value not in LABELS.get(e, {})]
    assert missing == []


def test_labels_dates_and_numbers_follow_the_language() -> None:
    fi, sv, en = Language("fi"), Language("sv"), Language("en")
    phase = vocabulary.Phase.MUNICIPALITY
    assert (fi.label(phase), sv.label(phase), en.label(phase)) == (
        "Kotikunta", "Hemkommun", "Home municipality")
    # One date format per language, alone or with a time.
    assert fi.day(date(2026, 12, 6)) == "6.12.2026"
    assert (sv.day(date(2026, 12, 6)), en.day(date(2026, 12, 6))) == ("6.12.2026", "06/12/2026")
    # Helsinki time: 22:30 UTC on 5 December is the 6th there.
    assert fi.when(datetime(2026, 12, 5, 22, 30, tzinfo=UTC)) == "6.12.2026 0.30"
    assert sv.when(datetime(2026, 12, 5, 22, 30, tzinfo=UTC)).startswith("6.12.2026")
    assert fi.number(12345) == "12\xa0345" and en.number(12345) == "12,345"
    assert Language("xx").code == "fi"  # an unknown choice falls back to Finnish


def test_a_deadline_ends_on_its_last_day_and_at_a_time_only_where_it_has_one() -> None:
    fi = Language("fi")
    # The end of 14 December in Helsinki (midnight, 22:00 UTC the day before) is the 14th.
    assert fi.ends(datetime(2026, 12, 14, 22, 0, tzinfo=UTC)) == "14.12.2026"
    assert fi.ends(datetime(2026, 12, 14, 10, 15, tzinfo=UTC)) == "14.12.2026 12.15"
    assert fi.ends(None) == "–"


def test_nationalities_and_languages_are_chosen_by_name() -> None:
    fi, sv = Language("fi"), Language("sv")
    countries = dict(fi.countries())
    assert countries["ROU"] == "Romania" and countries["FIN"] == "Suomi"
    assert countries["XXA"] == "Kansalaisuudeton"  # stateless, as ICAO codes it
    assert len(countries) == len(fi.countries()) > 240  # each country once
    assert not {"DDR", "BUR", "ZAR"} & set(countries)  # no country that has ceased to be
    assert not {"QUU", "XAA", "ZZZ", "ASC"} & set(countries)  # nor an area of no nationality
    assert countries["RKS"] == "Kosovo"
    assert dict(sv.countries())["ROU"] == "Rumänien"
    assert fi.country_name("PHL") == "Filippiinit" and fi.country_name(None) == "–"
    languages = dict(fi.languages())
    assert languages["ro"] == "romania" and languages["tl"] == "tagalog"
    assert languages["fil"] == "filipino"  # one with only a three-letter code, kept
    names = [name for _, name in fi.languages()]
    assert names == sorted(names, key=str.casefold)
