"""The public referral form over HTTP, as a browser without an account uses it: in the reader's
language, answered with a number and what happens next, never with what it stored; what it
sends waits in the office's intake; a form from another site, a refusal by the rules and a
flood from one address each change nothing and harm no one else."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client

from console.app import create_app as create_console
from console.i18n import LANGUAGE_COOKIE
from console.public import TOKEN_COOKIE
from infra.settings import Settings
from tests.support.identities import CASEWORKER
from tests.support.waiting import eventually
from worker.main import build_worker

TOKEN = re.compile(r'name="token" value="([^"]+)"')
KEY = re.compile(r'name="key" value="([^"]+)"')
NUMBER = re.compile(r'class="number">([A-Z]{3}-\d{4}-\d{4,6})<')
FORM = {"who_refers": "self", "office": "helsinki", "exploitation": "forced_labour",
        "minor": "no", "client_consent": "yes", "person.given_names": "Aino Maria",
        "person.surname": "Publicform", "person.date_of_birth": "1994-03-17",
        "person.nationality": "PHL", "person.languages": "tl",
        "reason": "I worked on a berry farm without pay. Call me after six: 040 000 0000."}


@pytest.fixture
async def console_app(temporal: Client, settings: Settings) -> AsyncIterator[FastAPI]:
    """The console (the API under it), with a real worker behind it, and a tight limit on the
    public form so that a flood is seen in a few requests."""
    settings = settings.model_copy(update={"rate_limit_public_referral": "8/minute"})
    app = create_console(settings, temporal)
    async with build_worker(temporal, settings), app.router.lifespan_context(app):
        yield app


def browser(app: FastAPI, address: str = "203.0.113.7",
            language: str = "fi") -> httpx.AsyncClient:
    """A browser at this address, in this language (the console's cookie)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://console",
                             cookies={LANGUAGE_COOKIE: language})


async def filled(client: httpx.AsyncClient, **changes: str) -> dict[str, Any]:
    page = await client.get("/refer")
    assert page.status_code == 200, page.text
    token, key = TOKEN.search(page.text), KEY.search(page.text)
    assert token and key
    return {**FORM, "token": token.group(1), "key": key.group(1), **changes}


async def test_a_person_refers_themself_and_the_office_sees_it_waiting(
        console_app: FastAPI) -> None:
    async with browser(console_app) as person:
        page = await person.get("/refer")
        assert 'lang="fi"' in page.text and "Lähetä ohjaus" in page.text
        assert "<script" not in page.text and "http://" not in page.text.replace(
            "http://www.w3.org", "")  # nothing from outside
        r = await person.post("/refer", data=await filled(person))
        assert r.status_code == 200, r.text
        number = NUMBER.search(r.text)
        assert number and "Mitä seuraavaksi tapahtuu" in r.text
        # Never what it stored: not the name, not the words sent.
        assert "Publicform" not in r.text and "berry" not in r.text and "040" not in r.text

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=console_app),
                                 base_url="http://api") as api:
        async def waiting() -> dict[str, Any] | None:
            rows = (await api.get("/v1/intake", headers=CASEWORKER)).json()["items"]
            return next((r for r in rows if r["reference_number"] == number.group(1)), None)

        row = await eventually(waiting)
        assert row["referrer_type"] == "self"
        case = (await api.get(f"/v1/cases/{row['case_id']}", headers=CASEWORKER)).json()
        assert case["assignment"]["caseworker_id"] is None
        assert case["referrer"]["agency_type"] == "self" and case["referrer"]["agency_id"] is None
        assert case["steps"][0]["actor"] == {"user_id": "public-form", "role": "public",
                                             "agency": None, "office": None}


async def test_a_refusal_keeps_what_was_typed_and_changes_nothing(console_app: FastAPI) -> None:
    async with browser(console_app, language="sv") as person:
        # No consent: the rule's refusal at its field, in Swedish, the form as it was typed.
        r = await person.post("/refer", data=await filled(person, client_consent="no"))
        assert r.status_code == 422 and 'lang="sv"' in r.text
        assert "Publicform" in r.text and "berry farm" in r.text  # kept for the person
        assert "samtycke" in r.text
        # Not filled in: each field named; and a form from another site (no token): refused.
        r = await person.post("/refer", data=await filled(person, **{"person.surname": ""}))
        assert r.status_code == 422
        data = await filled(person)
        person.cookies.delete(TOKEN_COOKIE, path="/refer")
        r = await person.post("/refer", data=data)
        assert r.status_code == 403
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=console_app),
                                 base_url="http://api") as api:
        rows = (await api.get("/v1/intake", headers=CASEWORKER)).json()["items"]
        assert rows == []


async def test_a_flood_from_one_address_harms_no_one_else(console_app: FastAPI) -> None:
    async with browser(console_app) as flood:
        answers = [(await flood.post("/refer", data=FORM)).status_code for _ in range(12)]
        assert answers[:8] == [403] * 8 and set(answers[8:]) == {429}  # no token, then limited
    async with browser(console_app, address="198.51.100.20") as person:
        r = await person.post("/refer", data=await filled(person))
        assert r.status_code == 200, r.text  # another address refers as before
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=console_app),
                                 base_url="http://api") as api:
        assert (await api.get("/v1/intake", headers=CASEWORKER)).status_code == 200
