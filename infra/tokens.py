"""Bearer tokens of the embedded default: a local ES256 signing key in the data folder, and
minting for a given person, role and agency. Production verifies its identity provider's tokens
against the provider's JWKS instead, and mints none (`casework token` refuses)."""

from __future__ import annotations

import hashlib
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from infra.keyfiles import private_file
from infra.settings import Settings

ALGORITHM = "ES256"


def signing_key(settings: Settings) -> ec.EllipticCurvePrivateKey:
    """The local signing key, created (readable by the owner only) on first use."""
    path = settings.signing_key_path
    key = serialization.load_pem_private_key(private_file(path, lambda: (
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} is not an EC private key")
    return key


def key_id(public: ec.EllipticCurvePublicKey) -> str:
    der = public.public_bytes(serialization.Encoding.DER,
                              serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def mint(settings: Settings, user_id: str, role: str, agency: str | None = None,
         ttl_seconds: int = 8 * 3600, office: str | None = None) -> str:
    key = signing_key(settings)
    now = int(time.time())
    claims = {"iss": settings.auth_issuer, "aud": settings.auth_audience, "sub": user_id,
              "iat": now, "nbf": now, "exp": now + ttl_seconds, settings.auth_role_claim: role}
    if agency:
        claims[settings.auth_agency_claim] = agency
    if office:
        claims[settings.auth_office_claim] = office
    return jwt.encode(claims, key, algorithm=ALGORITHM,
                      headers={"kid": key_id(key.public_key())})
