"""The timeline picture is readable: a legend, a description in words, no label outside its band
(so none overlap), and axis labels that are not cut off at the edges."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from api.timeline_picture import CHAR_WIDTH, WIDTH, render
from console.desks import picture_words
from console.i18n import Language
from tests.support import factories as f
from tests.support.states import in_phase, take
from workflows.model.requests import Provider
from workflows.model.vocabulary import AgencyType, DeadlineKind, NotificationStatus, Phase
from workflows.rules import measures

SVG = "{http://www.w3.org/2000/svg}"


def picture(phase: Phase, days: int) -> ET.Element:
    return ET.fromstring(render(in_phase(phase), datetime.now(UTC) + timedelta(days=days)))


def test_a_legend_and_a_description() -> None:
    svg = picture(Phase.ASSISTANCE, 2)
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert {"deadline met", "deadline missed", "notification failed",
            "criminal process"} <= set(texts)
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "t d"
    assert "Phases so far: referred, admitted, assistance" in svg.find(f"{SVG}desc").text


def test_phase_labels_stay_inside_their_bands() -> None:
    for days in (1, 30, 400):  # short phases get no label; each label fits its band
        svg = picture(Phase.ASSISTANCE, days)
        bands = [(float(r.get("x")), float(r.get("x")) + float(r.get("width")),
                  r.find(f"{SVG}title").text.split()[0]) for r in svg.iter(f"{SVG}rect")
                 if r.find(f"{SVG}title") is not None and " from " in r.find(f"{SVG}title").text]
        for label in (t for t in svg.iter(f"{SVG}text") if t.text in {b[2] for b in bands}):
            start = float(label.get("x"))
            end = start + len(label.text) * CHAR_WIDTH
            assert any(lo <= start and end <= hi for lo, hi, name in bands
                       if name == label.text), (days, label.text)


def test_the_axis_labels_are_inside_the_picture() -> None:
    ticks = [t for t in picture(Phase.ADMITTED, 10).iter(f"{SVG}text")
             if t.get("text-anchor")]
    assert ticks[0].get("text-anchor") == "start" and ticks[-1].get("text-anchor") == "end"
    assert all(0 <= float(t.get("x")) <= WIDTH for t in ticks)


def test_in_the_reader_s_language_without_a_code() -> None:
    """As the console draws it for a Finnish auditor: every word Finnish, no code of the
    vocabulary anywhere, dates as a Finnish reader writes them."""
    state = in_phase(Phase.ASSISTANCE)
    take(state, measures.add_measure, f.measure().model_copy(update={"provider": Provider(
        agency_type=AgencyType.NGO, organisation="Victim Support Finland", agency_id="vsf")}))
    svg = render(state, datetime.now(UTC), picture_words(Language("fi")))
    words = " ".join(ET.fromstring(svg).itertext())
    assert "Määräajat" in words and "Rikosprosessi" in words and "ei yhtään" not in words
    assert "Vaiheet tähän asti: Ohjattu, Otettu auttamisjärjestelmään" in words
    codes = {str(c) for e in (Phase, DeadlineKind, NotificationStatus) for c in e}
    assert not {c for c in codes if "_" in c and c in words}, words
    assert "measure_referral" not in words and "due" not in words.split()
