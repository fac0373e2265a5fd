"""Bounds on what a request may carry, checked before anything reads it: the size of its body
(413) and of its headers (431). Every field within a body, header and query is bounded by its
model (422)."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import Code, Problem, problem_response

# A step's body is a few kilobytes at most (a reason is at most 4,000 characters).
BODY_BYTES = 64 * 1024
# The Web UI's codec sends a history's payloads at once; Temporal's own limit on a payload is
# 2 MiB, and a request carries a few.
LARGER_BODIES = {"/codec/": 8 * 1024 * 1024}
HEADER_BYTES = 8 * 1024
HEADERS_BYTES = 32 * 1024


class BodyTooLarge(HTTPException):
    """Raised while a body streams in past its limit (an HTTPException, so FastAPI passes it on
    rather than calling the body unreadable)."""

    def __init__(self) -> None:
        super().__init__(413, "the request body is too large")


def body_limit(path: str) -> int:
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
            return await problem_response(Request(scope), problem)(scope, receive, send)
        limit = body_limit(scope["path"])
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > limit:
            problem = Problem(Code.PAYLOAD_TOO_LARGE, f"the request body is over {limit} bytes")
            return await problem_response(Request(scope), problem)(scope, receive, send)
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
