"""Reference numbers a person can read out: per office and year, in order, never given twice,
even to referrals made at the same moment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from infra.database import engine_for
from store import references
from workflows.model.vocabulary import Office


def test_numbers_run_per_office_and_year_and_are_never_given_twice(any_database: str) -> None:
    engine = engine_for(any_database)
    assert [references.allocate(engine, Office.HELSINKI, 2026) for _ in range(2)] == [
        "HEL-2026-0001", "HEL-2026-0002"]
    assert references.allocate(engine, Office.TAMPERE, 2026) == "TRE-2026-0001"
    assert references.allocate(engine, Office.HELSINKI, 2027) == "HEL-2027-0001"
    with ThreadPoolExecutor(8) as pool:  # referrals at the same moment
        given = list(pool.map(lambda _: references.allocate(engine, Office.OULU, 2026),
                              range(40)))
    assert sorted(given) == [f"OUL-2026-{n:04d}" for n in range(1, 41)]
    assert all(references.REFERENCE.match(n) for n in given)
    assert references.case_with(engine, "oul-2026-0001") is None  # no case row holds it yet
