"""The read model at rest holds no personal value in clear: every value the case's model marks
personal (`workflows.model.personal`) is sealed under the case's key, so shredding the key
leaves nothing of the person readable."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from infra.database import engine_for
from infra.settings import Settings
from store.keys import case_keys
from store.projection import project
from tests.support import factories as f
from tests.support.states import in_phase, take
from workflows.model.personal import values
from workflows.model.vocabulary import Action, Office, Phase
from workflows.rules import client_work as work

# Personal text long enough to be found only where it was put.
FOUND_ONLY_THERE = 6


def texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if len(value) >= FOUND_ONLY_THERE else []
    if isinstance(value, list | tuple):
        return [t for v in value for t in texts(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in texts(v)]
    return []


@pytest.mark.parametrize("phase", [Phase.REFERRED, Phase.ASSISTANCE])
def test_no_personal_value_is_stored_in_clear(phase: Phase, settings: Settings) -> None:
    state = in_phase(phase)
    take(state, work.record_contact, f.contact(note="Met her at the Kallio library again."))
    # A notification's message names the case and its office beside the person, and a test's
    # reason may be a code ("referred"): those are not personal.
    not_personal = {state.case_id, *Office, *Action}
    personal = {t for _, v in values(state) for t in texts(v)} - not_personal
    assert f.PERSON.surname in personal and len(personal) > 5
    engine = engine_for(settings.database)
    assert project(engine, case_keys(settings), state)
    with engine.connect() as db:
        stored = "\n".join(str(row) for table in inspect(engine).get_table_names()
                           for row in db.execute(text(f'SELECT * FROM "{table}"')))
    assert state.case_id in stored  # the rows are there
    assert not {t for t in personal if t in stored}
