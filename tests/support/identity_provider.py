"""A real OpenID Connect provider on loopback, as small as the tests need: discovery, the
authorization endpoint (it signs in whoever `next_person` names, at once), the token endpoint
(it checks the code, the redirect URI, the client and the PKCE verifier against the S256
challenge), and the JWKS of its ES256 key."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

KID = "idp-key-1"


class IdentityProvider:
    def __init__(self, client_id: str = "casework-api") -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.client_id = client_id
        self.next_person: dict[str, Any] = {"sub": "cw-oidc", "casework_role": "caseworker",
                                            "casework_office": "helsinki"}
        self.codes: dict[str, dict[str, Any]] = {}
        self.authorized: list[dict[str, str]] = []  # every authorization request
        self.refused: list[str] = []  # why each refused token request was refused
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self.jwks_url = f"{self.issuer}/jwks"

    def start(self) -> IdentityProvider:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def id_token(self, nonce: str | None, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 600,
                **self.next_person, **({"nonce": nonce} if nonce else {}), **claims}
        return jwt.encode(body, self.key, algorithm="ES256", headers={"kid": KID})

    def _authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.authorized.append(query)
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return 400, {}, b"PKCE with S256 is required"
        code = secrets.token_urlsafe(16)
        self.codes[code] = query
        back = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
        return 302, {"Location": back}, b""

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        asked = self.codes.pop(form.get("code", ""), None)  # a code is good once
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        why = ("unknown or used code" if asked is None
               else "another redirect URI" if form.get("redirect_uri") != asked["redirect_uri"]
               else "another client" if form.get("client_id") != self.client_id
               else "PKCE verifier does not match" if challenge != asked["code_challenge"]
               else None)
        if why is not None:
            self.refused.append(why)
            return 400, {"Content-Type": "application/json"}, b'{"error": "invalid_grant"}'
        body = {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                "expires_in": 600, "id_token": self.id_token(asked.get("nonce"))}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's names
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._json({"issuer": provider.issuer,
                                "authorization_endpoint": f"{provider.issuer}/authorize",
                                "token_endpoint": f"{provider.issuer}/token",
                                "jwks_uri": provider.jwks_url,
                                "code_challenge_methods_supported": ["S256"]})
                elif url.path == "/jwks":
                    jwk = {**json.loads(ECAlgorithm.to_jwk(provider.key.public_key())),
                           "kid": KID, "use": "sig", "alg": "ES256"}
                    self._json({"keys": [jwk]})
                elif url.path == "/authorize":
                    self._send(*provider._authorize(query))
                else:
                    self._send(404, {}, b"")

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                self._send(*provider._token(form))

            def _json(self, body: Any) -> None:
                self._send(200, {"Content-Type": "application/json"}, json.dumps(body).encode())

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler
