"""The same person recognised at a new referral, without exposing anyone.

The police, a reception centre and an NGO often refer the same person, each in its own spelling.
A referral's names and birth date are hashed as the blind index hashes them (`store.blind`), and
the cases indexed by any of those hashes are weighed: each part of the names that matches as
written (in any of its forms: diacritics folded or expanded, another script transliterated) or
by its sound (a typing error, another transliteration), and the birth date as written, with
day and month swapped, or the year alone. What comes back is the other case's id and how strong
the likeness is, never anything of the other case; whether the reader may open it is the need
to know's business. `bench/likeness.py` measures precision and recall on generated people."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import Engine, select
from sqlmodel import Session

from store import blind, references
from store.keys import CaseKeys
from store.tables import SearchTerm
from workflows.model.state import CaseState

STRONG, POSSIBLE = 0.85, 0.7
EXACT, SOUNDS, SWAPPED, YEAR_ONLY, YEAR_KNOWN, UNKNOWN = 1.0, 0.7, 0.8, 0.15, 0.5, 0.5
NAMES, BIRTH = 0.6, 0.4  # what the names and the birth date weigh
MOST = 5  # the strongest likenesses a referral is shown
ALIKE = 0.6  # the share of a word's letter triples that makes it the same word mistyped


@dataclass(frozen=True)
class Likeness:
    case_id: str
    strength: Literal["strong", "possible"]
    score: float


@dataclass(frozen=True)
class Person:
    """What a referral says of whom it is about, as far as likeness goes."""

    given: str
    surname: str
    born: date | None = None


def of_case(engine: Engine, keys: CaseKeys, state: CaseState) -> list[tuple[Likeness, str]]:
    """The other cases possibly about the case's person, each with the number it is known by
    (its id if it has none)."""
    person = state.person
    found = likely(engine, keys.masters.index_keys, Person(
        person.given_names, person.surname, person.date_of_birth), but=state.case_id)
    named = references.numbers(engine, [f.case_id for f in found])
    return [(f, named.get(f.case_id, f.case_id)) for f in found]


def _words(names: str) -> list[str]:
    """The words of a name (a hyphenated one whole: its forms hold its parts too)."""
    return [w for w in blind.PARTS.split(names) if w]


def _dates(born: date) -> dict[tuple[str, str], float]:
    """The birth date's terms and what each is worth: as written, with day and month swapped
    (a form filled in the other order), the year alone; and where one of the two dates is 1
    January, the year as all that was known (documents write an unknown day and month so)."""
    year = str(born.year)
    found = {(blind.BORN, born.isoformat()): EXACT, (blind.YEAR, year): YEAR_ONLY,
             (blind.YEAR_KNOWN, year): YEAR_KNOWN}
    if (born.month, born.day) == (1, 1):
        found[(blind.YEAR, year)] = YEAR_KNOWN
    elif born.day <= 12 and born.day != born.month:
        found[(blind.BORN, born.replace(month=born.day, day=born.month).isoformat())] = SWAPPED
    return found


def likely(engine: Engine, keys: list[bytes], person: Person, *,
           but: str | None = None) -> list[Likeness]:
    """The cases possibly about the same person (`but` one: the case itself), strongest first.
    One query, through the index's own key on the term."""
    given, surname = (_evidence(keys, _words(n)) for n in (person.given, person.surname))
    born = {blind.hashed(k, kind, form): worth for k in keys
            for (kind, form), worth in (_dates(person.born) if person.born else {}).items()}
    # The candidates: the cases sharing the birth date or year, or (born unknown) a name part.
    names = _terms(given + surname)
    near, wanted = set(born) or names, set(born) | names
    if not near:
        return []
    query = select(SearchTerm.case_id, SearchTerm.term).where(
        SearchTerm.term.in_(wanted),
        SearchTerm.case_id.in_(select(SearchTerm.case_id).where(SearchTerm.term.in_(near))))
    if but is not None:
        query = query.where(SearchTerm.case_id != but)
    held: dict[str, set[str]] = defaultdict(set)
    with Session(engine) as session:
        for case_id, term in session.execute(query):
            held[case_id].add(term)
    found = [Likeness(case_id, "strong" if score >= STRONG else "possible", round(score, 3))
             for case_id, terms in held.items()
             if (score := _score(terms, given, surname, born, person.born is not None))
             >= POSSIBLE]
    return sorted(found, key=lambda f: -f.score)[:MOST]


@dataclass(frozen=True)
class Word:
    """One word of a name as the index would hold it: its forms, sounds and letter triples."""

    forms: set[str]
    sounds: set[str]
    grams: list[set[str]]  # per form, under every key


Evidence = list[Word]


def _evidence(keys: list[bytes], words: list[str]) -> Evidence:
    found = []
    for word in words:
        forms = blind.name_forms(word)
        found.append(Word({blind.hashed(k, blind.NAME, f) for k in keys for f in forms},
                          {blind.hashed(k, blind.SOUND, s) for k in keys for f in forms
                           if (s := blind.sound(f))},
                          [{blind.hashed(k, blind.GRAM, g) for k in keys for g in grams}
                           for f in forms if (grams := blind.grams(f))]))
    return found


def _terms(words: Evidence) -> set[str]:
    return {t for w in words for t in w.forms | w.sounds | {g for gs in w.grams for g in gs}}


def _matched(terms: set[str], words: Evidence) -> float:
    """How much of a name the other case holds: each word as written, by its sound, or most of
    its letter triples (a typing error)."""
    return sum(EXACT if w.forms & terms else SOUNDS if w.sounds & terms or any(
        len(gs & terms) >= ALIKE * len(gs) for gs in w.grams) else 0.0
        for w in words) / max(len(words), 1)


def _score(terms: set[str], given: Evidence, surname: Evidence, born: dict[str, float],
           born_known: bool) -> float:
    """The names (the given names and the surname each half, and half again if only one of
    them matches: a sibling shares a surname, a namesake a given name) and the birth date."""
    first, last = _matched(terms, given), _matched(terms, surname)
    names = (first + last) / 2 * (1.0 if first and last else 0.5)
    birth = max((worth for term, worth in born.items() if term in terms), default=0.0) \
        if born_known else UNKNOWN
    return NAMES * names + BIRTH * birth
