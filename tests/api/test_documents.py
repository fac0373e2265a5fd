"""A case's documents over HTTP: a file told by its content, sealed under the case's key in the
data folder or a real S3-compatible server (moto's, in process), added as a step (version,
idempotency), read back only by those who may (every read in the access log, an agency only
what the client's consent shares with it), refused whole when it is no document, too large,
stale or the wrong role's, and unreadable and gone once the case is shredded."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.exceptions import EndpointConnectionError
from fastapi import FastAPI
from temporalio.client import Client

from api.main import create_app
from infra.settings import Settings
from store import attachments
from store.keys import KeyShredded, case_keys
from tests.support import factories as f
from tests.support.console_http import form_token, signed_in
from tests.support.http import assert_problem, open_case, step
from tests.support.identities import AUDITOR, CASEWORKER, OPERATOR, bearer
from tests.support.receivers import free_port
from tests.support.waiting import eventually, eventually_blocking
from worker.main import build_worker
from workflows.model.documents import DOCUMENT_BYTES
from workflows.model.requests import Provider
from workflows.model.vocabulary import AgencyType, ConsentScope, Purpose

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
VSF = bearer("ngo-1", "ngo", "victim-support-finland")
POLICE = bearer("o-1", "police", "police-nbi-trafficking")


@pytest.fixture
def s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """A real S3-compatible server (moto's) in a process of its own, with the deployment's
    bucket: its objects stay out of this process, whose workflow threads they would slow."""
    port = free_port()
    with (tmp_path / "moto.log").open("wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                   "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        for name, value in (("AWS_ACCESS_KEY_ID", "casework"),
                            ("AWS_SECRET_ACCESS_KEY", "secret")):
            monkeypatch.setenv(name, value)
        endpoint, bucket = f"http://127.0.0.1:{port}", "casework-documents"
        client = boto3.client("s3", endpoint_url=endpoint, region_name="eu-north-1")

        def created() -> bool:
            try:
                client.create_bucket(Bucket=bucket, CreateBucketConfiguration={
                    "LocationConstraint": "eu-north-1"})
            except EndpointConnectionError:
                return False
            return True

        eventually_blocking(created, pause=0.2)
        yield endpoint, bucket
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(params=["folder", "s3"])
async def stored(request: pytest.FixtureRequest, temporal: Client,
                 settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """The API, with a real worker, keeping documents in the data folder or in S3."""
    if request.param == "s3":
        endpoint, bucket = request.getfixturevalue("s3")
        settings = settings.model_copy(update={"attachment_store": f"s3://{bucket}",
                                               "attachment_endpoint": endpoint})
    app: FastAPI = create_app(settings, temporal)
    async with build_worker(temporal, settings), app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://api") as client:
            yield client, settings


async def add(http: httpx.AsyncClient, case: dict[str, Any], data: bytes, *,
              headers: dict[str, str] = CASEWORKER, key: str | None = None,
              **form: str) -> httpx.Response:
    extra = {"If-Match": f'"{case["version"]}"', **({"Idempotency-Key": key} if key else {})}
    fields = {"caption": "Employment contract", "reason": "She brought it.", **form}
    return await http.post(f"/v1/cases/{case['case_id']}/attachments", data=fields,
                           files={"file": ("anything.txt", data, "text/plain")},
                           headers={**headers, **extra})


async def test_a_document_is_kept_sealed_and_read_back(
        stored: tuple[httpx.AsyncClient, Settings]) -> None:
    http, settings = stored
    case = await open_case(http)
    r = await add(http, case, PDF, key="doc-1", shared_for="measures")
    assert r.status_code == 200, r.text
    (document,) = r.json()["documents"]
    assert (document["id"], document["media_type"], document["size"], document["sha256"]) == (
        "A1", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest())  # not its name
    again = await add(http, case, PDF, key="doc-1", shared_for="measures")  # a retry
    assert again.status_code == 200 and len(again.json()["documents"]) == 1

    # Stored sealed: the store's copy is not the file.
    files = attachments.blobs(settings)
    assert b"Catalog" not in files.get(case["case_id"], document["blob"])
    r = await http.get(f"/v1/cases/{case['case_id']}/attachments/A1", headers=CASEWORKER)
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == \
        f'attachment; filename="{case["reference_number"]}-A1.pdf"'
    log = (await http.get(f"/v1/cases/{case['case_id']}/access-log", headers=AUDITOR)).json()
    assert any(e["action"] == "get_document" and e["actor_id"] == "cw-anna"
               for e in log["items"])
    assert_problem(await http.get(f"/v1/cases/{case['case_id']}/attachments/A1",
                                  headers=OPERATOR), 403, "Forbidden")
    assert_problem(await http.get(f"/v1/cases/{case['case_id']}/attachments/A9",
                                  headers=CASEWORKER), 404, "NotFound")

    # Shredded: unreadable at once, and gone from the store.
    keys = case_keys(settings)
    keys.shred(case["case_id"])
    with pytest.raises(KeyShredded):
        attachments.fetch(keys, files, case["case_id"], document["blob"])
    files.delete_case(case["case_id"])
    with pytest.raises(Exception):  # noqa: B017 - the folder's or the bucket's own "not found"
        files.get(case["case_id"], document["blob"])


async def test_what_is_no_document_is_refused_whole(
        stored: tuple[httpx.AsyncClient, Settings]) -> None:
    http, settings = stored
    case = await open_case(http)
    refusals = [(await add(http, case, EXE), 415, "UnsupportedMediaType"),
                (await add(http, case, b""), 415, "UnsupportedMediaType"),
                (await add(http, case, PDF, caption=""), 422, "InvalidRequest"),
                (await add(http, case, PDF, headers=OPERATOR), 403, "Forbidden"),
                (await add(http, case, b"%PDF-" + b"0" * DOCUMENT_BYTES), 413,
                 "PayloadTooLarge")]
    for r, status, code in refusals:
        assert_problem(r, status, code)
    stale = {**case, "version": case["version"] + 5}
    assert_problem(await add(http, stale, PDF), 409, "StaleVersion")
    after = (await http.get(f"/v1/cases/{case['case_id']}", headers=CASEWORKER)).json()
    assert after["version"] == case["version"] and after["documents"] == []
    files = attachments.blobs(settings)  # nothing left behind of the refused ones
    if isinstance(files, attachments.Bucket):
        listed = files.s3.list_objects_v2(Bucket=files.bucket, Prefix=f"{case['case_id']}/")
        assert listed["KeyCount"] == 0
    else:
        folder = Path(settings.data_dir) / "attachments" / case["case_id"]
        assert not folder.exists() or list(folder.iterdir()) == []


async def test_an_agency_reads_only_what_the_client_shares_with_it(
        stored: tuple[httpx.AsyncClient, Settings]) -> None:
    http, _ = stored
    case = await open_case(http)
    case = await step(http, case, "/admission", f.admission())
    case = await step(http, case, "/consents", f.consent(
        ConsentScope.SHARE_WITH_AGENCIES, agency_id="victim-support-finland",
        purpose=Purpose.MEASURES))
    case = await step(http, case, "/measures", f.measure().model_copy(update={
        "provider": Provider(agency_type=AgencyType.NGO, organisation="Victim Support Finland",
                             agency_id="victim-support-finland")}))
    shared = (await add(http, case, PDF, shared_for="measures")).json()
    staff_only = (await add(http, shared, PDF, caption="Police statement")).json()
    assert [d["id"] for d in staff_only["documents"]] == ["A1", "A2"]

    async def seen() -> list[str] | None:
        r = await http.get(f"/v1/agency/cases/{case['case_id']}", headers=VSF)
        return [d["id"] for d in r.json()["documents"]] if r.status_code == 200 else None

    assert await eventually(seen) == ["A1"]
    path = f"/v1/cases/{case['case_id']}/attachments"
    assert (await http.get(f"{path}/A1", headers=VSF)).content == PDF
    assert_problem(await http.get(f"{path}/A2", headers=VSF), 403, "Forbidden")
    assert_problem(await http.get(f"{path}/A1", headers=POLICE), 403, "Forbidden")


async def test_a_document_through_the_console(console: httpx.AsyncClient) -> None:
    case = await open_case(console)
    async with signed_in(console, "cw-anna", "caseworker", office="helsinki",
                         language="fi") as anna:
        page = await anna.get(f"/cases/{case['case_id']}")
        assert "Lisää asiakirja" in page.text

        async def send(data: bytes) -> httpx.Response:
            form = {"csrf": form_token(page), "key": str(uuid.uuid4()),
                    "version": str(case["version"]), "caption": "Työsopimus",
                    "reason": "Asiakas toi sen.", "shared_for": ""}
            return await anna.post(f"/cases/{case['case_id']}/attachments", data=form,
                                   files={"file": ("sopimus.pdf", data, "application/pdf")})

        refused = await send(EXE)
        assert refused.status_code == 415 and "Vain PDF-, PNG-, JPEG- ja TIFF-tiedostot" in \
            refused.text
        r = await send(PDF)
        assert r.status_code == 303, r.text
        page = await anna.get(r.headers["location"])
        assert "Työsopimus" in page.text and "PDF-asiakirja" in page.text
        assert "ei kenellekään: vain omalle henkilöstölle" in page.text
        file = await anna.get(f"/cases/{case['case_id']}/attachments/A1")
        assert file.status_code == 200 and file.content == PDF
    async with signed_in(console, "ops-1", "operator") as ops:
        assert (await ops.get(f"/cases/{case['case_id']}/attachments/A1")).status_code == 403
