"""Delivering a notification to an agency over its channels: signed HTTPS webhooks and e-mail.

E-mail goes to the relay over verified TLS (`activities.mail`). Webhooks are https:// outside
development (`activities.directory`) and follow Standard Webhooks
(https://www.standardwebhooks.com): `webhook-id` (the delivery's idempotency key, the same on
every retry), `webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256 of
"id.timestamp.body">` under the agency's `whsec_` secret), so an agency verifies with any of
that scheme's libraries.

One activity per notification, with a stable idempotency key (case, step, agency) that every
channel carries, so a receiver deduplicates whatever Temporal retries. Network errors, 5xx, 408
and 429 raise a retryable error; any other 4xx (or a permanent SMTP refusal) a non-retryable one.
Channels already delivered are remembered in the activity's heartbeat, so a retry sends only
what is still missing. The activity heartbeats every second while it sends: when its worker dies,
Temporal notices within the heartbeat timeout and another worker takes the delivery over. A
webhook body carries its SHA-256 digest (RFC 9530 `Content-Digest`) besides the signature, so a
receiver can tell a body cut off mid-send from a whole one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import standardwebhooks
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import mail
from activities.directory import Agency, Directory, Email, Webhook, load
from activities.heartbeat import beating
from infra.settings import Settings
from workflows.model.contracts import PERMANENT, WITHHELD, Delivered, Delivery
from workflows.model.state import Selector

RETRYABLE_STATUS = frozenset({408, 429})


def signed_headers(secret: str, message_id: str, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers for `body`, signed now under a `whsec_…` secret."""
    if not secret.startswith("whsec_"):
        raise ValueError("not a whsec_ secret")
    try:
        signer = standardwebhooks.Webhook(secret)
    except (binascii.Error, ValueError, standardwebhooks.webhooks.EmptyWebhookSecretError):
        raise ValueError("not a whsec_ secret") from None
    now = datetime.now(UTC)
    return {"webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signer.sign(message_id, now, body.decode())}


def content_digest(body: bytes) -> str:
    """RFC 9530: the body's SHA-256, so a receiver can tell a truncated body from a whole one."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"


# Whether the case still lets this delivery send (its consent, as it stands now).
MayDeliver = Callable[[Delivery], Awaitable[bool]]


class NotificationActivities:
    """The implementations of the `resolve_agencies` and `deliver` contracts."""

    def __init__(self, settings: Settings, may_deliver: MayDeliver,
                 directory_path: Path | None = None) -> None:
        self._settings, self._may_deliver = settings, may_deliver
        self._directory_path = directory_path or settings.agency_directory
        self._http = httpx.AsyncClient(timeout=settings.delivery_timeout_seconds)

    def _directory(self) -> Directory:
        # Checked for this environment: outside development a plain-http webhook refuses the
        # file (retryable, so the delivery goes out once the operator fixes the entry).
        return load(self._directory_path, self._settings.environment)

    @activity.defn
    async def resolve_agencies(self, selector: Selector) -> list[str]:
        return [a.id for a in self._directory().resolve(selector)]

    @activity.defn
    async def deliver(self, delivery: Delivery) -> Delivered:
        agency = self._directory().get(delivery.agency_id)
        if agency is None:
            raise ApplicationError(f"agency '{delivery.agency_id}' is not in the directory",
                                   type=PERMANENT, non_retryable=True)
        # Every attempt asks the case first: consent withdrawn while the agency was down (an
        # attempt days after the first) stops the delivery before a byte is sent.
        if not await self._may_deliver(delivery):
            raise ApplicationError("consent no longer covers this delivery: nothing was sent",
                                   type=WITHHELD, non_retryable=True)
        details = activity.info().heartbeat_details
        done: list[str] = list(details[0]) if details else []
        body = json.dumps({"notification_id": delivery.notification_id,
                           "idempotency_key": delivery.key, "purpose": delivery.purpose,
                           "case_id": delivery.case_id, "message": delivery.message},
                          sort_keys=True).encode()
        async with beating(lambda: list(done)):
            for index, channel in enumerate(agency.channels):
                name = f"{index}:{channel.kind}"
                if name in done:
                    continue
                if isinstance(channel, Webhook):
                    await self._post(channel, delivery, body)
                else:
                    await asyncio.to_thread(self._mail, channel, delivery, agency)
                done.append(name)
                activity.heartbeat(done)
        activity.logger.info("notification delivered", extra={
            "case_id": delivery.case_id, "notification_id": delivery.notification_id,
            "agency_id": agency.id, "attempt": activity.info().attempt})
        return Delivered(attempts=activity.info().attempt, channels=done)

    async def _post(self, channel: Webhook, delivery: Delivery, body: bytes) -> None:
        secret = self._settings.secret(channel.secret_env)
        if secret is None:
            raise ApplicationError(f"webhook secret {channel.secret_env} is not configured",
                                   type=PERMANENT, non_retryable=True)
        try:
            signature = signed_headers(secret, delivery.key, body)
        except ValueError:
            raise ApplicationError(f"webhook secret {channel.secret_env} is not a Standard "
                                   "Webhooks secret (whsec_<base64>; `casework webhook-secret` "
                                   "makes one)", type=PERMANENT, non_retryable=True) from None
        headers = {"Content-Type": "application/json", "Idempotency-Key": delivery.key,
                   "Content-Digest": content_digest(body), **signature}
        try:
            response = await self._http.post(str(channel.url), content=body, headers=headers)
        except httpx.HTTPError as err:
            raise ApplicationError(f"webhook unreachable: {type(err).__name__}") from None
        status = response.status_code
        if status < 300:
            return
        message = f"webhook answered {status}"
        if status >= 500 or status in RETRYABLE_STATUS:
            raise ApplicationError(message)
        raise ApplicationError(message, type=PERMANENT, non_retryable=True)

    def _mail(self, channel: Email, delivery: Delivery, agency: Agency) -> None:
        mail.send(self._settings, mail.compose(self._settings.smtp_sender,
                                               self._settings.console_url, channel, delivery,
                                               agency))
