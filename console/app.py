"""The API with the console on top, in one application: `casework api` serves both. The console
is server-rendered (Jinja2) from this package; every script, style and font it uses is served
from `console/static/`."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from temporalio.client import Client

from api.main import create_app as create_api
from console import actions, consultations, desks, documents, intake, pages, public
from console.oidc import Provider
from console.web import problem_page
from infra.settings import Settings, get_settings


def create_app(settings: Settings | None = None, client: Client | None = None) -> FastAPI:
    app = create_api(settings, client)
    app.state.oidc = Provider(settings or get_settings())
    app.state.problem_page = problem_page  # a refusal before any route (429) as a page too
    app.include_router(intake.router)  # before the pages: /cases/new is not a case
    app.include_router(pages.router)
    app.include_router(actions.router)
    app.include_router(desks.router)
    app.include_router(documents.router)
    app.include_router(consultations.router)
    app.include_router(public.router)
    app.mount("/static", StaticFiles(directory=str(files("console") / "static")),
              name="console-static")
    return app
