"""The security headers of every answer, the API's and the console's: one place, for the
middleware that wraps the application and for the answers given outside it (a 429 refused
before anything else runs)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Nothing the API or the console serves uses these (a browser refuses them to every frame).
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
    "microphone", "midi", "payment", "usb"))
HSTS = "max-age=31536000; includeSubDomains"
# Files of the installed packages, the same for everyone: the only answers a cache may keep.
STATIC_PATHS = ("/static/", "/docs/assets/")


def secure(headers: MutableHeaders, scope: Scope) -> None:
    """No content-type sniffing; nothing kept by a cache or the browser's history but the
    packages' static files; no camera, microphone, location and the like; no Referer unless the
    answer chose its own policy (the console's pages: same-origin); over TLS, HSTS."""
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers.setdefault("Referrer-Policy", "no-referrer")
    if not scope["path"].startswith(STATIC_PATHS):
        headers["Cache-Control"] = "no-store"
    if scope.get("scheme") == "https":
        headers["Strict-Transport-Security"] = HSTS


class SecurityHeaders:
    """The headers of every answer, the API's and the console's (it is served by this app):
    no content-type sniffing; nothing kept by a cache or the browser's history but the packages'
    static files; no camera, microphone, location and the like; no Referer unless the answer
    chose its own policy (the console's pages: same-origin); and, when the request came over
    TLS, HSTS. The scheme is the connection's, or `X-Forwarded-Proto` where uvicorn trusts the
    proxy that sent it (`FORWARDED_ALLOW_IPS`, loopback by default): a client's own header
    counts for nothing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                secure(MutableHeaders(scope=message), scope)
            await send(message)

        await self.app(scope, receive, send_secured)
