"""The files of a case's documents: told apart by their content (never their name or what the
sender claims), sealed under the case's data key, and kept in the data folder (the embedded
defaults) or an S3-compatible object store (production, through boto3). A file is named by the
case and a blob id that says nothing of it; shredding the case's key leaves every copy, backups
included, unreadable, and `delete_case` removes the files too."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import puremagic

from infra.settings import Settings
from store.keys import CaseKeys
from workflows.model.documents import DOCUMENT_BYTES
from workflows.model.vocabulary import DocumentType


class NotADocument(ValueError):
    """The file is none of the kinds a case holds (by its content), or empty."""


@dataclass(frozen=True)
class Checked:
    media_type: DocumentType
    size: int
    sha256: str


def checked(data: bytes) -> Checked:
    """What the file is, by its content: one of `DocumentType`, else NotADocument."""
    if not data:
        raise NotADocument("the file is empty")
    if len(data) > DOCUMENT_BYTES:
        raise NotADocument("the file is too large")
    try:
        found = puremagic.from_string(data[:4096], mime=True)
    except puremagic.PureError:
        found = ""
    kinds = {str(k): k for k in DocumentType}
    if found not in kinds:
        raise NotADocument("only PDF, PNG, JPEG and TIFF files are kept")
    return Checked(kinds[found], len(data), hashlib.sha256(data).hexdigest())


class Blobs(Protocol):
    def put(self, case_id: str, blob: str, sealed: bytes) -> None: ...
    def get(self, case_id: str, blob: str) -> bytes: ...
    def delete(self, case_id: str, blob: str) -> None: ...
    def delete_case(self, case_id: str) -> None: ...


class Folder:
    """In a folder of the data directory: one folder per case."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, case_id: str, blob: str) -> Path:
        return self.root / case_id / blob

    def put(self, case_id: str, blob: str, sealed: bytes) -> None:
        path = self._path(case_id, blob)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_bytes(sealed)
        os.replace(partial, path)  # whole or not at all

    def get(self, case_id: str, blob: str) -> bytes:
        return self._path(case_id, blob).read_bytes()

    def delete(self, case_id: str, blob: str) -> None:
        self._path(case_id, blob).unlink(missing_ok=True)

    def delete_case(self, case_id: str) -> None:
        shutil.rmtree(self.root / case_id, ignore_errors=True)


class Bucket:
    """In an S3-compatible object store's bucket, under the case's prefix."""

    def __init__(self, bucket: str, endpoint: str | None, region: str) -> None:
        import boto3  # only where a bucket is configured

        self.bucket = bucket
        self.s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region)

    def put(self, case_id: str, blob: str, sealed: bytes) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=f"{case_id}/{blob}", Body=sealed)

    def get(self, case_id: str, blob: str) -> bytes:
        answer = self.s3.get_object(Bucket=self.bucket, Key=f"{case_id}/{blob}")
        return bytes(answer["Body"].read())

    def delete(self, case_id: str, blob: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=f"{case_id}/{blob}")

    def delete_case(self, case_id: str) -> None:
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{case_id}/")
        for page in pages:
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys})


def blobs(settings: Settings) -> Blobs:
    """The store the settings name: one for each (a boto3 client is made once and shared by
    every request: making one reads the whole S3 model again)."""
    return _store(settings.attachment_store, settings.attachment_endpoint,
                  settings.attachment_region, settings.data_dir)


@lru_cache(maxsize=8)
def _store(where: str, endpoint: str | None, region: str, data_dir: Path) -> Blobs:
    if where.startswith("s3://"):
        return Bucket(where.removeprefix("s3://"), endpoint, region)
    return Folder(data_dir / "attachments")


def purpose(blob: str) -> str:
    """What a file is sealed for: this blob of the case, so that no stored file passes for
    another."""
    return f"document/{blob}"


def store(keys: CaseKeys, files: Blobs, case_id: str, blob: str, data: bytes) -> None:
    files.put(case_id, blob, keys.seal(case_id, purpose(blob), data))


def fetch(keys: CaseKeys, files: Blobs, case_id: str, blob: str) -> bytes:
    """The file as it was added; KeyShredded once the case is shredded."""
    return keys.open(case_id, purpose(blob), files.get(case_id, blob))
