"""The development identity provider: a local RSA key pair under .data/dev-keys and tokens it signs.

Only for APP_ENV=development and tests. Production verifies Microsoft Entra ID tokens against the
tenant's JWKS; nothing here is used there.
"""

from __future__ import annotations

import functools
import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.kernel.settings import DEV_AUDIENCE, DEV_ISSUER, DEV_JWKS

__all__ = ["DEV_AUDIENCE", "DEV_ISSUER"]
DEV_TENANT = "00000000-0000-4000-8000-000000000000"
# A demo person's Entra object id is uuid5(namespace, e-mail), so tokens and demo data agree.
PERSON_NAMESPACE = uuid.UUID("5b0c34a2-5b0e-4a8b-9b61-2f5c0e8d7a11")


def keys_dir() -> Path:
    return DEV_JWKS.parent


def jwks_path() -> Path:
    return keys_dir() / "jwks.json"


def person_oid(email: str) -> str:
    """The Entra object id a demo person's token carries."""
    return str(uuid.uuid5(PERSON_NAMESPACE, email.strip().lower()))


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return jwk


def ensure_dev_keys(directory: Path | None = None) -> Path:
    """Create the key pair and its JWKS once; later runs reuse them (tokens stay valid across restarts)."""
    directory = directory or keys_dir()
    private = directory / "private.pem"
    jwks = directory / "jwks.json"
    if private.exists() and jwks.exists():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = f"dev-{uuid.uuid4().hex[:12]}"
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp_private = private.with_suffix(".tmp")
    tmp_private.write_bytes(pem)
    tmp_private.chmod(0o600)
    tmp_jwks = jwks.with_suffix(".tmp")
    tmp_jwks.write_text(json.dumps({"keys": [public_jwk(key, kid)]}, indent=2))
    tmp_private.replace(private)
    tmp_jwks.replace(jwks)
    return directory


def trusting_settings(directory: Path) -> dict[str, str]:
    """Settings fields that make a service or the gateway trust the keys in `directory` (made by
    `ensure_dev_keys`) and nothing else: APP_ENV=test, so no setting falls back to a development default."""
    return {
        "app_env": "test",
        "oidc_issuer": DEV_ISSUER,
        "oidc_audience": DEV_AUDIENCE,
        "oidc_jwks_url": (directory / "jwks.json").as_uri(),
    }


def _load_signing_key(directory: Path) -> tuple[rsa.RSAPrivateKey, str]:
    pem = directory / "private.pem"
    return _parsed_signing_key(pem, pem.stat().st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _parsed_signing_key(pem: Path, modified_ns: int) -> tuple[rsa.RSAPrivateKey, str]:
    """Parsing checks the RSA key (tens of milliseconds); kept per file and modification time, so minting
    2,000 tokens for a benchmark does not take minutes and a replaced key is read again."""
    key = serialization.load_pem_private_key(pem.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    kid = json.loads((pem.parent / "jwks.json").read_text())["keys"][0]["kid"]
    return key, str(kid)


def mint_token(
    *,
    oid: str,
    roles: list[str] | None = None,
    name: str | None = None,
    email: str | None = None,
    lifetime_seconds: int = 8 * 3600,
    issuer: str = DEV_ISSUER,
    audience: str = DEV_AUDIENCE,
    directory: Path | None = None,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    """A v2-shaped access token signed with the development key."""
    directory = ensure_dev_keys(directory)
    key, kid = _load_signing_key(directory)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": oid,
        "oid": oid,
        "tid": DEV_TENANT,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime_seconds,
        "ver": "2.0",
        "roles": roles or [],
    }
    if name:
        claims["name"] = name
    if email:
        claims["preferred_username"] = email
    claims.update(extra_claims or {})
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


# The demo people the dev token command signs in as by default (they exist in the demo data).
DEFAULT_EMAILS = {
    "coordinator": "kari.nordmann@uke.oslo.kommune.no",
    "hr-integration": "hr-integrasjon@oslo.kommune.no",
    "ops": "drift@uke.oslo.kommune.no",
    "privacy-officer": "personvernombud@oslo.kommune.no",
}
DEFAULT_USER_EMAIL = "ola.hansen@bydel-alna.oslo.kommune.no"


def default_email_for_role(role: str | None) -> str:
    return DEFAULT_EMAILS.get(role or "", DEFAULT_USER_EMAIL)
