"""Bounds on what a request may carry, checked before anything reads it: the size of its body
(413) and of its headers (431). Every field within a body, header and query is bounded by its
model (422).

The headers are bounded twice: here, by what the application is handed (`HEADER_BYTES` each,
`HEADERS_BYTES` in all); and before that in the server (`BoundedHead`, the protocol
`casework api` runs uvicorn with), which refuses a request line and headers still unfinished
after `HEAD_BYTES`, so a header of 64 MiB is never buffered whole."""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from api.floods import answer
from api.problems import CODES, MEDIA_TYPE, Code, Problem
from workflows.model.documents import DOCUMENT_BYTES

# A step's body is a few kilobytes at most (a reason is at most 4,000 characters).
BODY_BYTES = 64 * 1024
# The Web UI's codec sends a history's payloads at once; Temporal's own limit on a payload is
# 2 MiB, and a request carries a few.
LARGER_BODIES = {"/codec/": 8 * 1024 * 1024}
# A document's file, with its title and reason (`/v1/cases/{id}/attachments`, and the
# console's `/cases/{id}/attachments`).
DOCUMENT_BODY = DOCUMENT_BYTES + BODY_BYTES
HEADER_BYTES = 8 * 1024
HEADERS_BYTES = 32 * 1024
# The request line and the headers as they arrive, counted by the server before the application
# sees them: room for HEADERS_BYTES and a long URL, past which nothing more of them is kept.
HEAD_BYTES = 64 * 1024


class BodyTooLarge(HTTPException):
    """Raised while a body streams in past its limit (an HTTPException, so FastAPI passes it on
    rather than calling the body unreadable)."""

    def __init__(self) -> None:
        super().__init__(413, "the request body is too large")


def body_limit(path: str) -> int:
    if path.endswith("/attachments"):
        return DOCUMENT_BODY
    return next((size for prefix, size in LARGER_BODIES.items() if path.startswith(prefix)),
                BODY_BYTES)


class RequestLimits:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        raw = scope["headers"]
        if (any(len(name) + len(value) > HEADER_BYTES for name, value in raw)
                or sum(len(name) + len(value) for name, value in raw) > HEADERS_BYTES):
            problem = Problem(Code.HEADER_TOO_LARGE, f"a header is over {HEADER_BYTES} bytes, "
                              f"or all of them over {HEADERS_BYTES}")
            return await answer(scope, receive, send, problem)
        limit = body_limit(scope["path"])
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > limit:
            problem = Problem(Code.PAYLOAD_TOO_LARGE, f"the request body is over {limit} bytes")
            # On the console's pages a page, in the reader's language: never a raw document.
            return await answer(scope, receive, send, problem)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        await self.app(scope, counted, send)


class BoundedHead(HttpToolsProtocol):
    """uvicorn's httptools protocol (its default), with the request's head bounded: httptools
    keeps a header until it ends, however long, so four requests with a header of 64 MiB held
    over half a gigabyte. Here the bytes of a head still unfinished are counted as they arrive;
    past `HEAD_BYTES` the client gets a 431 problem and the connection closes, with at most
    the limit and one read (256 KiB) buffered. A request's body is not counted (the
    application bounds it). `casework api` selects it (`--http api.limits:BoundedHead` for
    uvicorn by hand)."""

    def connection_made(self, transport: Any) -> None:
        self._head: int | None = 0  # bytes of the head under way; None once its headers ended
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        counting = self._head is not None
        if self._head is not None:
            self._head += len(data)
        super().data_received(data)
        if counting and self._head is not None and self._head > HEAD_BYTES:
            self._refuse()

    def on_headers_complete(self) -> None:
        self._head = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head = 0  # the next request on the connection

    def _refuse(self) -> None:
        if self.transport.is_closing():
            return
        status, title = CODES[Code.HEADER_TOO_LARGE]
        # The path, if the request line ended (the query may be anyone's: not repeated).
        path = getattr(self, "url", b"").partition(b"?")[0][:200].decode("ascii", "replace")
        body = json.dumps({
            "type": f"urn:casework:problem:{Code.HEADER_TOO_LARGE}", "title": title,
            "status": status, "code": Code.HEADER_TOO_LARGE, "instance": path,
            "detail": f"the request line and headers are over {HEAD_BYTES} bytes"}).encode()
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [f"content-type: {MEDIA_TYPE}\r\ncontent-length: {len(body)}\r\n"
                 "x-content-type-options: nosniff\r\ncache-control: no-store\r\n"
                 "connection: close\r\n\r\n".encode(), body]
        self.transport.write(b"".join(head))
        self.transport.close()
