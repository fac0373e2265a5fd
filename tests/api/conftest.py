"""The API over HTTP, with a real worker, against the real Temporal dev server (`dev_env`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from console.app import create_app as create_console
from infra.settings import Settings
from infra.temporal import connect
from store.keys import case_keys
from worker.main import build_worker


@pytest.fixture
async def temporal(dev_env: WorkflowEnvironment, settings: Settings) -> Client:
    """A client of the dev server as the API and the worker build theirs: payloads encrypted
    under this test's keys."""
    target = dev_env.client.service_client.config.target_host
    return await connect(settings.model_copy(update={"temporal_address": target}),
                         case_keys(settings))


@pytest.fixture
async def api_app(temporal: Client, settings: Settings) -> AsyncIterator[FastAPI]:
    """The API, started, with a real worker behind it on this test's task queue."""
    settings = settings.model_copy(update={"codec_cors_origins": ["http://127.0.0.1:8233"]})
    app = create_app(settings, temporal)
    async with build_worker(temporal, settings), app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def http(api_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The API over HTTP."""
    transport = httpx.ASGITransport(app=api_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield client


@pytest.fixture
async def console(temporal: Client, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The console with the API under it (as `casework api` serves them), started, with a real
    worker behind it. Each person at the console gets a client of their own
    (`tests.support.console_http.signed_in`)."""
    app = create_console(settings, temporal)
    async with build_worker(temporal, settings), app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
            yield client
