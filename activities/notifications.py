"""Delivering a notification to an agency over its channels: signed HTTPS webhooks and e-mail.

Webhooks follow Standard Webhooks (https://www.standardwebhooks.com): `webhook-id` (the
delivery's idempotency key, the same on every retry), `webhook-timestamp` and
`webhook-signature` (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under the agency's
`whsec_` secret), so an agency verifies with any of that scheme's libraries.

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
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import httpx
import standardwebhooks
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.directory import Agency, Email, Webhook, load
from activities.heartbeat import beating
from infra.settings import Settings
from workflows.contracts import PERMANENT, Delivered, Delivery
from workflows.state import Selector

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


class NotificationActivities:
    """The implementations of the `resolve_agencies` and `deliver` contracts."""

    def __init__(self, settings: Settings, directory_path: Path | None = None) -> None:
        self._settings = settings
        self._directory_path = directory_path or settings.agency_directory
        self._http = httpx.AsyncClient(timeout=settings.delivery_timeout_seconds)

    @activity.defn
    async def resolve_agencies(self, selector: Selector) -> list[str]:
        return [a.id for a in load(self._directory_path).resolve(selector)]

    @activity.defn
    async def deliver(self, delivery: Delivery) -> Delivered:
        agency = load(self._directory_path).get(delivery.agency_id)
        if agency is None:
            raise ApplicationError(f"agency '{delivery.agency_id}' is not in the directory",
                                   type=PERMANENT, non_retryable=True)
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
                    await asyncio.to_thread(self._mail, channel, delivery, agency, body)
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

    def _mail(self, channel: Email, delivery: Delivery, agency: Agency, body: bytes) -> None:
        s = self._settings
        mail = EmailMessage()
        # The subject names the purpose and the pseudonymous case id, never the person.
        mail["Subject"] = f"[casework] {delivery.purpose} {delivery.case_id}"
        mail["From"], mail["To"] = s.smtp_sender, channel.address
        mail["Message-ID"] = f"<{hashlib.sha256(delivery.key.encode()).hexdigest()}@casework>"
        mail["Idempotency-Key"] = delivery.key
        mail.set_content(f"Notification for {agency.name}.\n\n"
                         f"{json.dumps(json.loads(body), indent=2, ensure_ascii=False)}\n")
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port,
                              timeout=s.delivery_timeout_seconds) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_username:
                    smtp.login(s.smtp_username, s.smtp_password or "")
                smtp.send_message(mail)
        except smtplib.SMTPResponseException as err:
            if 400 <= err.smtp_code < 500:
                raise ApplicationError(f"mail deferred: SMTP {err.smtp_code}") from None
            raise ApplicationError(f"mail refused: SMTP {err.smtp_code}", type=PERMANENT,
                                   non_retryable=True) from None
        except (OSError, smtplib.SMTPException) as err:
            raise ApplicationError(f"mail server unreachable: {type(err).__name__}") from None
