"""Debian's Chromium, driven by Playwright: never a browser a tool downloads. Without it the
browser tests skip with the reason, except under CI, where `./dev test` installs it first."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# The flags that keep Chromium from reaching for Google's services on a closed network.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: `./dev test` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (Debian's chromium package; `./dev test` installs "
                    "it when run as root)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def local_only(page: Page) -> list[str]:
    """Cut the page off from everything but this machine, as if the network were down; the
    list fills with every address it tried to reach beyond."""
    tried: list[str] = []

    def route(r: Route) -> None:
        if urlsplit(r.request.url).hostname in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            tried.append(r.request.url)
            r.abort("internetdisconnected")

    page.route("**/*", route)
    return tried


WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
              "resultTypes": ["violations"]}


def accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 AA violations on the page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options=WCAG_21_AA).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            f"{[n['target'] for n in v['nodes']][:3]}"
            for v in found if v["impact"] in ("serious", "critical")]
