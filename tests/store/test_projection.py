"""The projection's writes, on both databases."""

from __future__ import annotations

from sqlalchemy import select

from infra.database import engine_for, writer
from store.projection import _upsert
from store.tables import CaseDocument


def test_an_upsert_never_puts_an_older_revision_over_a_newer(any_database: str) -> None:
    # What a late projection that found no row to lock (and so no revision to compare) writes.
    engine = engine_for(any_database)
    case_id = "case-aaaaaaaaaaaaaaaaaaaa"

    def write(revision: int) -> None:
        with writer(engine).begin() as db:
            _upsert(db, CaseDocument(case_id=case_id, revision=revision,
                                     sealed=bytes([revision])))

    def stored() -> tuple[int, bytes]:
        with engine.connect() as db:
            row = db.execute(select(CaseDocument.revision, CaseDocument.sealed)
                             .where(CaseDocument.case_id == case_id)).one()
        return row[0], bytes(row[1])

    write(5)
    assert stored() == (5, b"\x05")
    write(3)
    assert stored() == (5, b"\x05")
    write(7)
    assert stored() == (7, b"\x07")
