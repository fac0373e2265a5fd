"""A case's documents (a scanned form, a statement, a decision): what the case keeps of each.
The file itself is sealed under the case's key in the object store (`store.attachments`),
named by `blob`; the case holds its caption, kind, size and digest, who added it and when, and
the purpose for which agencies the client consents to may see it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from workflows.model.personal import ABOUT, NO
from workflows.model.requests import Actor, Step
from workflows.model.vocabulary import DocumentType, Ident, Model, Name, Purpose

SHA256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
DOCUMENT_BYTES = 10 * 1024 * 1024  # a scan of a few pages; a larger file is refused (413)


class NewDocument(Step):
    """A document added to the case: its file already stored (sealed) by the API, which tells
    its kind, size and digest from the content."""

    caption: Annotated[Name, ABOUT] = Field(description="What the document is, in a few words.")
    media_type: DocumentType
    size: int = Field(ge=1, le=DOCUMENT_BYTES)
    sha256: SHA256
    blob: Ident = Field(description="The stored file's name in the object store.")
    shared_for: Purpose | None = Field(
        default=None, description="Agencies the client consents to share this purpose with "
        "may see it; none: the assistance system's staff only.")


class Document(Model):
    id: Annotated[str, NO]  # A1, A2, …
    caption: Annotated[str, ABOUT]
    media_type: Annotated[DocumentType, NO]
    size: Annotated[int, NO]
    sha256: Annotated[str, NO]
    blob: Annotated[str, NO]
    shared_for: Annotated[Purpose | None, NO] = None
    added_by: Actor
    added_at: Annotated[datetime, NO]
