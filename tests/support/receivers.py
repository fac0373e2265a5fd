"""Real receivers on loopback for the notification tests: an SMTP server and a webhook server
that checks signatures and deduplicates on the Idempotency-Key, as an agency's would."""

from __future__ import annotations

import base64
import email
import hashlib
import json
import random
import socket
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import standardwebhooks
from aiosmtpd.controller import Controller


def _ephemeral_ports() -> range:
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999  # Linux's default
    return range(low, high + 1)


_EPHEMERAL = _ephemeral_ports()
_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A loopback port nobody holds, for a server a test starts later.

    Never one from the kernel's ephemeral range: a port asked of the kernel (bind to 0) is free
    only until someone else asks, and the Temporal dev server's internal services, outgoing
    connections and other test servers all ask it, so between this call and our server's bind one
    of them could take it (a CI run failed that way). Ports below the range are handed out only
    here, once each."""
    rng = random.Random()
    while True:
        port = rng.randrange(20000, _EPHEMERAL.start)
        if port in _HANDED_OUT or port in _EPHEMERAL:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use, or lingering after a previous test's server
        _HANDED_OUT.add(port)
        return port


@dataclass
class Mailbox:
    """An SMTP server that keeps what it receives."""

    port: int = field(default_factory=free_port)
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def start(self) -> Mailbox:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def for_case(self, case_id: str) -> list[dict[str, Any]]:
        """The mails about one case: recipient, subject, text, and what the headers say (the
        purpose, the idempotency key)."""
        return [{"to": m["To"], "subject": m["Subject"], "purpose": m["X-Casework-Purpose"],
                 "idempotency_key": m["Idempotency-Key"],
                 "text": m.get_payload(decode=True).decode()}
                for m in self.messages if case_id in m["Subject"]]


@dataclass
class WebhookReceiver:
    """An agency's webhook endpoint: verifies the Standard Webhooks signature and freshness,
    records every request, and applies each Idempotency-Key once. `mode` makes it fail on
    purpose."""

    secret: str
    port: int = field(default_factory=free_port)
    seen: list[str] = field(default_factory=list)  # every key received, repeats included
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> body, once
    bad_signatures: int = 0
    truncated: int = 0  # bodies whose Content-Digest did not match: cut off on the way
    mode: str = "ok"  # "ok" | "down" (503) | "reject" (400) | "slow" (hangs, then 200)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/casework"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                digest = f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"
                if self.headers.get("Content-Digest") != digest:
                    receiver.truncated += 1
                    return self._answer(400)
                try:  # as an agency would, with the Standard Webhooks library
                    standardwebhooks.Webhook(receiver.secret).verify(body, dict(self.headers))
                except standardwebhooks.WebhookVerificationError:
                    receiver.bad_signatures += 1
                    return self._answer(401)
                key = self.headers["Idempotency-Key"]
                receiver.seen.append(key)
                if receiver.mode == "down":
                    return self._answer(503)
                if receiver.mode == "reject":
                    return self._answer(400)
                if receiver.mode == "slow":
                    receiver.release.wait(30)
                receiver.applied.setdefault(key, json.loads(body))
                self._answer(200)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
