"""Token verification: what is accepted, what is refused, and how the key set is cached."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from devtools import devkeys
from services.kernel.auth.jwks import JwksCache
from services.kernel.auth.tokens import Principal, Role, TokenVerifier
from services.kernel.problems import Unauthorized


def verifier_for(keys_dir: Path, *, cooldown_seconds: float = 30) -> TokenVerifier:
    jwks = JwksCache((keys_dir / "jwks.json").as_uri(), cooldown_seconds=cooldown_seconds)
    return TokenVerifier(issuer=devkeys.DEV_ISSUER, audience=devkeys.DEV_AUDIENCE, jwks=jwks)


def mint(keys_dir: Path, **kwargs: object) -> str:
    return devkeys.mint_token(oid="11111111-2222-3333-4444-555555555555", directory=keys_dir, **kwargs)  # type: ignore[arg-type]


async def test_valid_token_gives_the_principal_and_roles(keys_dir: Path) -> None:
    token = devkeys.mint_token(
        oid="abc", roles=["coordinator", "ops"], name="Kari Nordmann", email="kari@x.no", directory=keys_dir
    )
    principal = await verifier_for(keys_dir).verify(token)
    assert principal == Principal(
        oid="abc", roles=frozenset({"coordinator", "ops"}), name="Kari Nordmann", email="kari@x.no"
    )
    assert principal.has_role(Role.coordinator)
    assert not principal.has_role(Role.hr_integration)


async def test_plain_employee_has_no_roles(keys_dir: Path) -> None:
    principal = await verifier_for(keys_dir).verify(mint(keys_dir))
    assert principal.roles == frozenset()


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"issuer": "https://login.microsoftonline.com/other/v2.0"}, "iss"),
        ({"audience": "api://someone-else"}, "aud"),
        ({"lifetime_seconds": -3600}, "expired"),
        ({"extra_claims": {"oid": ""}}, "oid"),
        ({"extra_claims": {"roles": "coordinator"}}, "roles"),
        ({"extra_claims": {"exp": None}}, "exp"),
    ],
)
async def test_refused_tokens(keys_dir: Path, claims: dict[str, object], reason: str) -> None:
    with pytest.raises(Unauthorized):
        await verifier_for(keys_dir).verify(mint(keys_dir, **claims))


@pytest.mark.parametrize(
    "header",
    [{"kid": 123}, {"kid": ["a"]}, {"kid": None}, {"crit": ["exp"]}, {"crit": "exp"}, {"crit": []}],
)
async def test_a_malformed_header_is_refused_not_an_error(keys_dir: Path, header: dict[str, object]) -> None:
    """Signed, and otherwise valid: a `kid` that is not a string, or any `crit`, is a 401 like any other
    malformed token (it was an uncaught exception: a 500 before authentication)."""
    with pytest.raises(Unauthorized):
        await verifier_for(keys_dir).verify(signed_with_header(keys_dir, header))


def signed_with_header(keys_dir: Path, header: dict[str, object]) -> str:
    """A valid token's claims under a header PyJWT itself refuses to write, signed with the test key."""
    kid = json.loads((keys_dir / "jwks.json").read_text())["keys"][0]["kid"]
    key = serialization.load_pem_private_key((keys_dir / "private.pem").read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    payload = mint(keys_dir).split(".")[1].encode()
    head = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": kid, **header}).encode()).rstrip(b"=")
    signature = key.sign(head + b"." + payload, padding.PKCS1v15(), hashes.SHA256())
    return b".".join([head, payload, base64.urlsafe_b64encode(signature).rstrip(b"=")]).decode()


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
async def test_dates_must_be_numbers(keys_dir: Path, claim: str) -> None:
    """RFC 7519 NumericDate: a JSON number. A string, even of digits, is refused."""
    valid = json.loads(base64.urlsafe_b64decode(mint(keys_dir).split(".")[1] + "=="))[claim]
    with pytest.raises(Unauthorized, match=claim):
        await verifier_for(keys_dir).verify(mint(keys_dir, extra_claims={claim: str(valid)}))
    with pytest.raises(Unauthorized, match=claim):
        await verifier_for(keys_dir).verify(mint(keys_dir, extra_claims={claim: True}))
    assert await verifier_for(keys_dir).verify(mint(keys_dir, extra_claims={claim: float(valid)}))


async def test_small_clock_skew_is_tolerated(keys_dir: Path) -> None:
    token = mint(keys_dir, lifetime_seconds=-30)  # expired 30 s ago, inside the 60 s leeway
    assert (await verifier_for(keys_dir).verify(token)).oid


async def test_tampered_signature_is_refused(keys_dir: Path) -> None:
    header, payload, signature = mint(keys_dir).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["roles"] = ["coordinator"]
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(Unauthorized):
        await verifier_for(keys_dir).verify(f"{header}.{forged_payload}.{signature}")


async def test_hs256_signed_with_the_public_key_is_refused(keys_dir: Path) -> None:
    """The classic algorithm-confusion attack: only RS256 is accepted."""
    kid = json.loads((keys_dir / "jwks.json").read_text())["keys"][0]["kid"]
    key = serialization.load_pem_private_key((keys_dir / "private.pem").read_bytes(), password=None)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    claims = {"iss": devkeys.DEV_ISSUER, "aud": devkeys.DEV_AUDIENCE, "oid": "x", "iat": now, "exp": now + 60}
    # Built by hand: PyJWT itself refuses to HMAC-sign with a PEM key.
    segments = [
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=")
        for part in ({"alg": "HS256", "typ": "JWT", "kid": kid}, claims)
    ]
    signing_input = b".".join(segments)
    mac = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    forged = (signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()
    with pytest.raises(Unauthorized, match="algorithm"):
        await verifier_for(keys_dir).verify(forged)


async def test_unsigned_token_is_refused(keys_dir: Path) -> None:
    now = int(time.time())
    claims = {"iss": devkeys.DEV_ISSUER, "aud": devkeys.DEV_AUDIENCE, "oid": "x", "iat": now, "exp": now + 60}
    unsigned = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
    with pytest.raises(Unauthorized):
        await verifier_for(keys_dir).verify(unsigned)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x"])
async def test_malformed_tokens_are_refused(keys_dir: Path, garbage: str) -> None:
    with pytest.raises(Unauthorized):
        await verifier_for(keys_dir).verify(garbage)


async def test_token_from_a_rotated_key_is_accepted_after_one_refresh(tmp_path: Path) -> None:
    keys = devkeys.ensure_dev_keys(tmp_path / "k1")
    verifier = verifier_for(keys, cooldown_seconds=0)
    await verifier.verify(mint(keys))
    # The identity provider rotates: a new key pair is published in the same JWKS location.
    (keys / "private.pem").unlink()
    (keys / "jwks.json").unlink()
    devkeys.ensure_dev_keys(keys)
    assert (await verifier.verify(mint(keys))).oid


async def test_unknown_kids_do_not_flood_the_identity_provider(keys_dir: Path) -> None:
    """Random `kid`s trigger at most one refresh per cooldown; known keys keep working."""
    jwks_document = json.loads((keys_dir / "jwks.json").read_text())
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, json=jwks_document)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    jwks = JwksCache("https://idp.invalid/keys", cooldown_seconds=60, http_client=client)
    verifier = TokenVerifier(issuer=devkeys.DEV_ISSUER, audience=devkeys.DEV_AUDIENCE, jwks=jwks)
    await verifier.verify(mint(keys_dir))
    assert calls == 1
    real = mint(keys_dir).split(".")
    for n in range(50):
        header = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": f"made-up-{n}"}).encode())
        with pytest.raises(Unauthorized, match="unknown key"):
            await verifier.verify(".".join([header.rstrip(b"=").decode(), real[1], real[2]]))
    assert calls == 1
    await verifier.verify(mint(keys_dir))
    await client.aclose()


async def test_last_good_keys_are_kept_when_the_provider_fails(keys_dir: Path) -> None:
    jwks_document = json.loads((keys_dir / "jwks.json").read_text())
    healthy = True

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=jwks_document) if healthy else httpx.Response(503)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    jwks = JwksCache("https://idp.invalid/keys", ttl_seconds=0, cooldown_seconds=0, http_client=client)
    verifier = TokenVerifier(issuer=devkeys.DEV_ISSUER, audience=devkeys.DEV_AUDIENCE, jwks=jwks)
    await verifier.verify(mint(keys_dir))
    healthy = False
    assert (await verifier.verify(mint(keys_dir))).oid  # stale cache, refresh failed, old keys still used
    await client.aclose()


async def test_without_any_keys_everything_is_refused(tmp_path: Path, keys_dir: Path) -> None:
    jwks = JwksCache((tmp_path / "missing.json").as_uri(), cooldown_seconds=0)
    verifier = TokenVerifier(issuer=devkeys.DEV_ISSUER, audience=devkeys.DEV_AUDIENCE, jwks=jwks)
    with pytest.raises(Unauthorized, match="unavailable"):
        await verifier.verify(mint(keys_dir))


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"ver": "1.0"}, "v2"),
        (
            {"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": "https://graph"}}},
            "overage",
        ),
        ({"hasgroups": True}, "overage"),
    ],
)
async def test_v1_and_group_overage_tokens_are_refused(
    keys_dir: Path, extra: dict[str, object], reason: str
) -> None:
    with pytest.raises(Unauthorized, match=reason):
        await verifier_for(keys_dir).verify(mint(keys_dir, extra_claims=extra))


async def test_a_machine_client_is_authorised_by_its_app_roles(keys_dir: Path) -> None:
    """Client credentials: no person, no name, `idtyp: app`, and the roles assigned to the application."""
    token = devkeys.mint_token(
        oid="99999999-0000-0000-0000-000000000001",
        roles=["hr-integration"],
        directory=keys_dir,
        extra_claims={"idtyp": "app", "azp": "hr-system-client-id"},
    )
    principal = await verifier_for(keys_dir).verify(token)
    assert principal.has_role(Role.hr_integration)
    assert (principal.name, principal.email) == (None, None)


async def test_keys_named_in_the_token_header_are_never_used_or_fetched(keys_dir: Path) -> None:
    """An attacker signs with their own key and points at it (`jwk`, `jku`, `x5u`): refused, and the only
    URL ever fetched is the configured JWKS."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    fetched: list[str] = []
    jwks_document = json.loads((keys_dir / "jwks.json").read_text())

    def handler(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        return httpx.Response(200, json=jwks_document)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    jwks = JwksCache("https://idp.invalid/keys", cooldown_seconds=0, http_client=client)
    verifier = TokenVerifier(issuer=devkeys.DEV_ISSUER, audience=devkeys.DEV_AUDIENCE, jwks=jwks)
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(attacker.public_key()))
    real_kid = jwks_document["keys"][0]["kid"]
    claims = jwt.decode(mint(keys_dir, roles=["coordinator"]), options={"verify_signature": False})
    for header in (
        {"kid": real_kid, "jwk": public},
        {"kid": "attacker", "jwk": public},
        {"kid": "attacker", "jku": "https://evil.example/jwks.json"},
        {"kid": "attacker", "x5u": "https://evil.example/cert.pem"},
    ):
        forged = jwt.encode(claims, attacker, algorithm="RS256", headers=header)
        with pytest.raises(Unauthorized):
            await verifier.verify(forged)
    assert set(fetched) == {"https://idp.invalid/keys"}
    await client.aclose()


async def test_a_kid_not_published_is_remembered_as_bad(keys_dir: Path) -> None:
    """Even with no cooldown, asking again and again for the same unknown `kid` costs one request."""
    jwks_document = json.loads((keys_dir / "jwks.json").read_text())
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=jwks_document))
    )
    jwks = JwksCache("https://idp.invalid/keys", cooldown_seconds=0, http_client=client)
    verifier = TokenVerifier(issuer=devkeys.DEV_ISSUER, audience=devkeys.DEV_AUDIENCE, jwks=jwks)
    await verifier.verify(mint(keys_dir))
    real = mint(keys_dir).split(".")
    header = (
        base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": "gone"}).encode()).rstrip(b"=").decode()
    )
    for _ in range(20):
        with pytest.raises(Unauthorized, match="unknown key"):
            await verifier.verify(".".join([header, real[1], real[2]]))
    assert jwks.fetches == 2  # the start, and one look for "gone"
    await client.aclose()


async def test_a_verified_token_is_remembered_until_it_expires(
    keys_dir: Path, monkeypatch: pytest.MonkeyPatch, clock: Callable[[float], None]
) -> None:
    jwks = JwksCache((keys_dir / "jwks.json").as_uri())
    verifier = TokenVerifier(
        issuer=devkeys.DEV_ISSUER, audience=devkeys.DEV_AUDIENCE, jwks=jwks, leeway_seconds=0
    )
    token = mint(keys_dir, lifetime_seconds=2)
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    first = await verifier.verify(token)
    calls = 0
    real_decode = jwt.decode

    def counting_decode(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return real_decode(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jwt, "decode", counting_decode)
    assert await verifier.verify(token) == first
    assert calls == 0  # the signature was not checked again
    clock(expires - time.time() + 0.1)  # past exp: refused like any expired token
    with pytest.raises(Unauthorized, match="expired"):
        await verifier.verify(token)
    assert calls == 1


async def test_a_remembered_token_is_refused_once_its_key_is_withdrawn(tmp_path: Path) -> None:
    keys = devkeys.ensure_dev_keys(tmp_path / "k1")
    verifier = verifier_for(keys, cooldown_seconds=0)
    token = mint(keys)
    await verifier.verify(token)
    # The identity provider replaces the key (say it leaked); the JWKS is read again.
    (keys / "private.pem").unlink()
    (keys / "jwks.json").unlink()
    devkeys.ensure_dev_keys(keys)
    assert await verifier.jwks.refresh()
    with pytest.raises(Unauthorized, match="unknown key"):
        await verifier.verify(token)


async def test_refused_tokens_are_not_remembered_and_the_cache_is_bounded(keys_dir: Path) -> None:
    jwks = JwksCache((keys_dir / "jwks.json").as_uri())
    verifier = TokenVerifier(
        issuer=devkeys.DEV_ISSUER, audience=devkeys.DEV_AUDIENCE, jwks=jwks, cache_size=2
    )
    header, payload, _ = mint(keys_dir).split(".")
    for _ in range(2):
        with pytest.raises(Unauthorized):
            await verifier.verify(f"{header}.{payload}.AAAA")
    tokens = [devkeys.mint_token(oid=f"person-{n}", directory=keys_dir) for n in range(3)]
    for token in tokens:
        await verifier.verify(token)
    assert list(verifier._verified) == tokens[1:]
