"""The system a benchmark measures: `casework run` on fresh ports and a fresh data folder, and
a client made as the API makes it (the same keys: the bare client encrypts too)."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.client import Client

from infra.settings import Settings
from infra.temporal import connect
from store.keys import case_keys
from tests.support.identity_provider import IdentityProvider
from tests.support.stack import Stack


@asynccontextmanager
async def running(database: str | None = None, temporal: str | None = None, **env: str
                  ) -> AsyncIterator[tuple[Stack, Settings, Client]]:
    """The stack (the read model on `database`, or SQLite in the data folder; on the Temporal
    server at `temporal`, or its own dev server; with `env` besides), its settings and a
    client; stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="casework-bench-") as folder:
        data = Path(folder)
        stack = Stack(data)
        stack.env.update(env)
        if database:
            stack.env["CASEWORK_DATABASE_URL"] = database
        # Not the embedded defaults: the API signs in with an identity provider (none of the
        # benchmarks needs one to sign anyone in).
        provider = IdentityProvider().start() if temporal else None
        if temporal and provider:
            stack.env.update(CASEWORK_TEMPORAL_ADDRESS=temporal,
                             CASEWORK_AUTH_JWKS_URL=provider.jwks_url,
                             CASEWORK_AUTH_ISSUER=provider.issuer)
        stack.start()
        try:
            settings = Settings(
                temporal_address=temporal or f"127.0.0.1:{stack.env['CASEWORK_DEV_SERVER_PORT']}",
                data_dir=data, database_url=database, _env_file=None)
            yield stack, settings, await connect(settings, case_keys(settings))
        finally:
            stack.stop()
            if provider:
                provider.stop()
