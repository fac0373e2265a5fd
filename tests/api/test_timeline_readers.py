"""Who read a case is for auditors: an office lead, who may trace the office's cases through
their timelines (API and console), sees the steps taken, their own reads and the accesses that
broke the glass to the office's cases, never the reads of auditors or of anyone else."""

from __future__ import annotations

import csv
import io

import httpx

from tests.support.console_http import signed_in
from tests.support.http import open_case
from tests.support.identities import AUDITOR, CASEWORKER, bearer

LEAD = bearer("lead-heli", "office_lead", office="helsinki")
OLLI = {**bearer("cw-olli", "caseworker", office="oulu"),
        "X-Access-Reason": "Covering for Helsinki tonight."}
READS = ("read", "access")


async def a_case_read_by_many(api: httpx.AsyncClient) -> str:
    """A Helsinki case its caseworker opened and read, an auditor read (its access log too), a
    caseworker of Oulu reached with a reason, and the office's lead read."""
    case_id = (await open_case(api))["case_id"]
    path = f"/v1/cases/{case_id}"
    for headers, where in ((CASEWORKER, path), (AUDITOR, path), (AUDITOR, f"{path}/access-log"),
                           (OLLI, path), (LEAD, path)):
        r = await api.get(where, headers=headers)
        assert r.status_code == 200, r.text
    return case_id


def audited(entries: list[dict]) -> set[tuple[str, str, str]]:
    return {(e["actor_id"], e["kind"], e["action"]) for e in entries if e["source"] == "audit"}


async def test_an_office_lead_s_timeline_leaves_out_the_reads_of_others(
        console: httpx.AsyncClient) -> None:
    case_id = await a_case_read_by_many(console)
    path = f"/v1/cases/{case_id}/timeline"

    r = await console.get(path, headers=AUDITOR)
    assert r.status_code == 200, r.text
    everything = audited(r.json()["items"])
    assert {("aud-1", "read", "get_case"), ("aud-1", "read", "get_access_log"),
            ("cw-anna", "read", "get_case"), ("cw-olli", "read", "get_case"),
            ("cw-olli", "access", "get_case"), ("lead-heli", "read", "get_case")} <= everything

    r = await console.get(path, headers=LEAD)
    assert r.status_code == 200, r.text
    seen = audited(r.json()["items"])
    others_reads = {e for e in seen if e[1] in READS and e[0] != "lead-heli"}
    # The break-glass access to the office's case stays (the lead reviews those, with the
    # reason); every other read of someone else's is gone, the auditors' first of all.
    assert others_reads == {("cw-olli", "access", "get_case")}
    assert not {e for e in seen if e[0] == "aud-1"}
    assert ("cw-anna", "command", "open_case") in seen  # the steps taken stay
    assert ("lead-heli", "read", "get_case") in seen  # and the lead's own reads
    reached = [e for e in r.json()["items"] if e["kind"] == "access"]
    assert [e["reason"] for e in reached] == [OLLI["X-Access-Reason"]]

    r = await console.get(path, params={"format": "csv"}, headers=LEAD)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and not [row for row in rows if row["actor_id"] == "aud-1"]
    assert not [row for row in rows if row["kind"] == "read"
                and row["actor_id"] not in ("lead-heli", "")]


async def test_the_console_s_audit_page_shows_a_lead_no_auditor_s_reads(
        console: httpx.AsyncClient) -> None:
    case_id = await a_case_read_by_many(console)
    async with signed_in(console, "lead-heli", "office_lead", office="helsinki") as lead:
        page = await lead.get(f"/audit/cases/{case_id}")
        assert page.status_code == 200, page.text
        assert "cw-anna" in page.text  # who opened the case
        assert "aud-1" not in page.text and "get_access_log" not in page.text
        assert "Covering for Helsinki tonight." in page.text  # the break-glass access
    async with signed_in(console, "aud-2", "auditor") as auditor:
        page = await auditor.get(f"/audit/cases/{case_id}")
        assert page.status_code == 200, page.text
        assert "aud-1" in page.text and "get_access_log" in page.text
