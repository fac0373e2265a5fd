"""People at the console over HTTP, in process: signed in through the development sign-in, each
with a client (and cookies) of their own; the forms' tokens read off the pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from console.i18n import LANGUAGE_COOKIE

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@asynccontextmanager
async def signed_in(console: httpx.AsyncClient, user_id: str, role: str, *, office: str = "",
                    agency: str = "", language: str = "en") -> AsyncIterator[httpx.AsyncClient]:
    """A browser of this person's, signed in to the console `console` serves, in `language`."""
    async with httpx.AsyncClient(transport=console._transport, base_url=str(console.base_url),
                                 cookies={LANGUAGE_COOKIE: language}) as browser:
        r = await browser.post("/sign-in", data={"user_id": user_id, "role": role,
                                                 "office": office, "agency": agency})
        assert r.status_code == 303, r.text
        yield browser


def form_token(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, "the page has no form"
    return found.group(1)


# One of each kind of reader of a case of the Helsinki office, as the console signs them in:
# (user id, role, office, agency).
READERS = {
    "caseworker of the office": ("cw-anna", "caseworker", "helsinki", ""),
    "office lead": ("lead-jussi", "office_lead", "helsinki", ""),
    "caseworker elsewhere": ("cw-olli", "caseworker", "oulu", ""),
    "police": ("officer-1", "police", "", "police-nbi-trafficking"),
    "an NGO": ("ngo-1", "ngo", "", "victim-support-finland"),
    "operations": ("ops-1", "operator", "", ""),
    "auditor": ("aud-1", "auditor", "", ""),
}
