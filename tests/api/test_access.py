"""The role × route table, exhaustively: every role on every route is let through or refused
with 403 exactly as `api.access.ALLOWED` says, before anything else happens."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute
from temporalio.testing import WorkflowEnvironment

from api.access import ALLOWED
from api.main import create_app
from api.routes import ROUTERS
from infra.settings import Settings
from tests.support.identities import SIGNING_KEY, bearer
from tests.support.unhurried import UNHURRIED
from workflows.model.vocabulary import Role

PARAMS = {"case_id": "case-" + "z" * 20, "measure_id": "M1", "deadline_id": "D1",
          "notification_id": "N1", "action": None, "plan": "1", "member_id": "P1",
          "document_id": "A1"}
ACTIONS = {"change_measure": "start", "change_deadline": "meet"}
ROUTES = [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]


def test_every_route_is_in_the_table_and_nothing_else() -> None:
    assert {r.name for r in ROUTES} == set(ALLOWED)


# The roles a token may name (the public form's is no one's: `test_auth` refuses its token).
TOKEN_ROLES = [role for role in Role if role is not Role.PUBLIC]


def calls() -> Iterator[tuple[APIRoute, Role]]:
    for route in ROUTES:
        for role in TOKEN_ROLES:
            yield route, role


@pytest.fixture(scope="module")
async def api(dev_env: WorkflowEnvironment, migrated_db: Path,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    """One app for all the calls (no worker: no call here reaches a workflow)."""
    folder = tmp_path_factory.mktemp("access")
    shutil.copyfile(migrated_db, folder / "casework.db")
    settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'casework.db'}",
                        auth_signing_key=SIGNING_KEY, _env_file=None, **UNHURRIED)
    app = create_app(settings, dev_env.client)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://api") as client:
            yield client


@pytest.mark.parametrize(("route", "role"), list(calls()),
                         ids=[f"{r.name}-{role}" for r, role in calls()])
async def test_the_table_decides(api: httpx.AsyncClient, route: APIRoute, role: Role) -> None:
    path = re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)] or ACTIONS[route.name], route.path)
    (method,) = route.methods
    r = await api.request(method, path, json={},
                           headers={**bearer(f"{role}-1", role, "agency-x", office="helsinki"),
                                    "If-Match": '"1"'})
    if role in ALLOWED[route.name]:
        # Let through: whatever follows (a need-to-know 403 of an unknown case included) is
        # not the table's refusal.
        assert r.status_code != 401 and "allowed_roles" not in r.text, r.text
    else:
        assert r.status_code == 403 and r.json()["code"] == "Forbidden", r.text
        assert set(r.json()["allowed_roles"]) == {str(x) for x in ALLOWED[route.name]}


ABBREVIATIONS = {Role.CASEWORKER: "cw", Role.OFFICE_LEAD: "lead", Role.POLICE: "pol",
                 Role.BORDER_GUARD: "bg", Role.RECEPTION_CENTRE: "rc",
                 Role.SOCIAL_SERVICES: "soc", Role.NGO: "ngo", Role.AUDITOR: "aud",
                 Role.OPERATOR: "ops"}


def role_table() -> str:
    """The table as docs/api.md shows it, made from `api.access.ALLOWED` and the routes."""
    lines = ["| route | " + " | ".join(ABBREVIATIONS[role] for role in TOKEN_ROLES) + " |",
             "|---|" + "---|" * len(TOKEN_ROLES)]
    for route in ROUTES:
        (method,) = route.methods
        marks = " | ".join("✓" if role in ALLOWED[route.name] else "" for role in TOKEN_ROLES)
        lines.append(f"| `{method} {route.path}` | {marks} |")
    return "\n".join(lines) + "\n"


def test_the_api_document_shows_the_table() -> None:
    """docs/api.md holds the table made from the code (to refresh it, paste what this prints)."""
    document = (Path(__file__).parents[2] / "docs" / "api.md").read_text()
    assert role_table() in document, role_table()
