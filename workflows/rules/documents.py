"""A case's documents: added as a step of their own, numbered A1, A2, …, at most `DOCUMENTS`
on a case. Pure, like the other rules: the file is the API's (`store.attachments`)."""

from __future__ import annotations

from workflows.model.documents import Document, NewDocument
from workflows.model.state import CaseState
from workflows.model.vocabulary import Action, Refusal
from workflows.rules.step import StepContext, StepRejected

DOCUMENTS = 100  # a case's documents, at most


def add_document(state: CaseState, step: NewDocument, ctx: StepContext) -> Action:
    if len(state.documents) >= DOCUMENTS:
        raise StepRejected(Refusal.CASE_LIMIT, "the case holds {held} documents, the most it "
                           "may", held=len(state.documents))
    state.documents.append(Document(
        id=f"A{len(state.documents) + 1}", caption=step.caption, media_type=step.media_type,
        size=step.size, sha256=step.sha256, blob=step.blob, shared_for=step.shared_for,
        added_by=ctx.actor, added_at=ctx.now))
    return Action.DOCUMENT_ADDED
