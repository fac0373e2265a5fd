"""The projection's writes, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from infra.database import engine_for, writer
from store.projection import _upsert, rows, summary
from store.tables import CaseDocument, CaseRow
from tests.histories import answers


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


def test_every_row_written_names_every_column_of_its_table() -> None:
    # Plain values are not checked as a model is: a column left out would be written as NULL.
    # The recorded case's last state: deadlines, notifications, measures and agencies in it.
    state = answers("lifecycle-v6-client-work.json")[-1]
    written = rows(state)
    assert {table.name for table, _ in written} == {
        "case_agency", "case_deadline", "case_notification", "case_measure"}
    for table, values in written:
        assert values.keys() == set(table.c.keys()), table.name
    assert summary(state).model_dump().keys() == set(CaseRow.__table__.c.keys())


def test_an_upsert_of_a_row_missing_a_column_is_refused(any_database: str) -> None:
    engine = engine_for(any_database)
    with writer(engine).begin() as db, pytest.raises(ValueError, match="not every column"):
        _upsert(db, CaseRow(case_id="case-aaaaaaaaaaaaaaaaaaaa", revision=1))
    with engine.connect() as db:
        assert db.execute(select(CaseRow.case_id)).all() == []
