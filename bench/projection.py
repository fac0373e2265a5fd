"""What writing a case into the read model costs: `store.projection.project`, the activity's
work at every change of every case, on a fresh read model (SQLite in a temporary folder, or a
fresh database on a PostgreSQL server).

Takes the states a recorded case went through (`tests/histories/lifecycle-v6-client-work.json`:
each step's answer, 25 revisions from referral to its client work), projects each in turn for
N cases, and prints milliseconds per projection.

    .venv/bin/python -m bench.projection --cases 20
    .venv/bin/python -m bench.projection --cases 20 --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from api.gateway import new_case_id
from infra.database import engine_for, migrate
from infra.settings import Settings
from store.keys import case_keys
from store.projection import project
from tests.histories import answers
from tests.support import factories as f
from tests.support.databases import fresh_postgres


@contextlib.contextmanager
def read_model(postgres: str | None) -> Iterator[tuple[str, Path]]:
    with tempfile.TemporaryDirectory(prefix="casework-bench-") as folder:
        if postgres:
            with fresh_postgres(postgres, "casework_projection") as url:
                yield url, Path(folder)
        else:
            yield f"sqlite:///{folder}/casework.db", Path(folder)


def main(cases: int, postgres: str | None) -> None:
    states = answers("lifecycle-v6-client-work.json")
    with read_model(postgres) as (url, folder):
        migrate(url)
        keys = case_keys(Settings(data_dir=folder, database_url=url, _env_file=None))
        engine = engine_for(url)
        ids = [new_case_id(f.CASEWORKER, None) for _ in range(cases)]
        for case_id in ids:  # each case's data key made beforehand, as the API does
            keys.load(case_id, create=True)
        start = time.perf_counter()
        for case_id in ids:
            for state in states:
                project(engine, keys, state.model_copy(update={"case_id": case_id}))
        elapsed = time.perf_counter() - start
        engine.dispose()
    print(f"{cases} cases x {len(states)} revisions on {url.split(':')[0]}: "
          f"{elapsed / (cases * len(states)) * 1000:.2f} ms per projection")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--postgres", help="a PostgreSQL server URL: the read model on a fresh "
                        "database there")
    args = parser.parse_args()
    main(args.cases, args.postgres)
