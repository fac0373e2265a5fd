"""The API's documentation in a real browser with the network cut off: Swagger UI and ReDoc
come from the project's own files, and show every operation of the contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.browser import chromium, local_only
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

CONTRACT = json.loads((Path(__file__).resolve().parents[2] / "openapi.json").read_text())
OPERATIONS = sum(len(methods) for methods in CONTRACT["paths"].values())


def test_the_docs_render_with_the_network_off(running_stack: Stack, tmp_path: Path) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        tried = local_only(page)

        page.goto(f"{running_stack.url}/docs")
        page.locator(".opblock").first.wait_for(timeout=20_000)
        assert page.locator(".opblock").count() == OPERATIONS
        page.locator(".opblock-summary", has_text="/v1/cases/{case_id}/admission").click()
        page.get_by_text("PreconditionRequired").first.wait_for(timeout=5_000)
        page.screenshot(path=tmp_path / "swagger.png", full_page=False)

        page.goto(f"{running_stack.url}/redoc")
        page.locator("h2", has_text="Referral: open a case").wait_for(timeout=30_000)
        page.screenshot(path=tmp_path / "redoc.png", full_page=False)
        assert tried == []
