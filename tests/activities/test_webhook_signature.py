"""Webhooks are signed as Standard Webhooks: an agency verifies them with that scheme's own
library, and a signature tells a changed body, id or secret from the real one."""

from __future__ import annotations

import base64
import json

import pytest
import standardwebhooks

from activities.notifications import signed_headers

SECRET = "whsec_" + base64.b64encode(b"an-agency-secret-of-thirty-two-b").decode()
BODY = json.dumps({"case_id": "case-aaaaaaaaaaaaaaaaaaaa", "purpose": "police_contact"}).encode()


def test_an_agency_verifies_with_the_standard_library() -> None:
    headers = signed_headers(SECRET, "case-aaaaaaaaaaaaaaaaaaaa:3:police", BODY)
    assert headers["webhook-id"] == "case-aaaaaaaaaaaaaaaaaaaa:3:police"
    assert headers["webhook-signature"].startswith("v1,")
    assert standardwebhooks.Webhook(SECRET).verify(BODY, headers) == json.loads(BODY)


@pytest.mark.parametrize("change", ["body", "id", "secret"])
def test_a_changed_message_does_not_verify(change: str) -> None:
    headers = signed_headers(SECRET, "key-1", BODY)
    body, secret = BODY, SECRET
    if change == "body":
        body = BODY.replace(b"police", b"border")
    elif change == "id":
        headers["webhook-id"] = "key-2"
    else:
        secret = "whsec_" + base64.b64encode(b"x" * 32).decode()
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(secret).verify(body, headers)


@pytest.mark.parametrize("secret", ["plain-text-secret", "whsec_", "whsec_!!!not-base64!!!"])
def test_a_secret_not_in_the_scheme_is_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="whsec_"):
        signed_headers(secret, "key-1", BODY)
