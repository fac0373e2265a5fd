"""The same person recognised at a new referral through the blind index alone: another
agency's spelling, another script, the other order, a typing error, a date written the other
way or known by its year; a sibling or a namesake is not taken for them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert

from infra.database import engine_for
from store import blind
from store.likeness import Person, likely
from store.tables import SearchTerm

KEY = b"k" * 32
EARLIER = {
    "case-maria": Person("Мария", "Иванова", date(1990, 5, 12)),
    "case-mohammed": Person("محمد", "حداد", date(1985, 3, 7)),
    "case-sjoberg": Person("Björn", "Sjöberg", date(2002, 9, 21)),
}


def test_a_person_referred_again_is_recognised_and_no_one_else(any_database: str) -> None:
    engine = engine_for(any_database)
    with engine.begin() as db:
        db.execute(insert(SearchTerm), [
            {"term": t, "case_id": case_id} for case_id, p in EARLIER.items()
            for t in blind.person_terms(KEY, p.given, p.surname, p.born)])

    def found(p: Person) -> dict[str, str]:
        return {f.case_id: f.strength for f in likely(engine, [KEY], p)}

    assert found(Person("Mariia", "Ivanova", date(1990, 5, 12))) == {"case-maria": "strong"}
    # Two differences at once (another transliteration, day and month swapped): possible.
    assert found(Person("Ivanova", "Maria", date(1990, 12, 5))) == {"case-maria": "possible"}
    assert found(Person("Mariya", "Ivanva", date(1990, 5, 12))) == {"case-maria": "strong"}
    assert found(Person("Maria", "Ivanova", date(1990, 1, 1))) == {"case-maria": "possible"}
    # Arabic in Latin letters matches by sound alone: possible, for a person to compare.
    assert found(Person("Mohammed", "Haddad", date(1985, 3, 7))) == {"case-mohammed": "possible"}
    assert found(Person("Bjorn", "Sjberg", date(2002, 9, 21))) == {"case-sjoberg": "strong"}
    # A sister (the surname, the year), a namesake born another year: nobody.
    assert found(Person("Olga", "Иванова", date(1990, 11, 3))) == {}
    assert found(Person("Björn", "Sjöberg", date(1975, 2, 2))) == {}
    # The case itself is not its own likeness; what comes back names nothing of the other.
    itself = likely(engine, [KEY], EARLIER["case-maria"], but="case-maria")
    assert itself == []
    (match,) = likely(engine, [KEY], Person("Maria", "Ivanova", date(1990, 5, 12)))
    assert set(vars(match)) == {"case_id", "strength", "score"}
