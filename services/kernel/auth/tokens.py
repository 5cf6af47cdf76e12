"""Bearer-token verification and the signed-in principal.

Every service and the gateway verify the token themselves (no identity header is trusted): RS256 only,
exact issuer and audience, `exp` required with a small leeway, the key chosen by `kid` from the cached
JWKS. Roles come from the token's `roles` claim; a signed-in employee without roles is a plain user,
identified by the `oid` claim (the Entra ID object id).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import BaseRoute

from services.kernel import clock
from services.kernel.auth.jwks import ALLOWED_ALGORITHMS, JwksCache
from services.kernel.problems import Forbidden, Unauthorized

log = logging.getLogger(__name__)


class Role(StrEnum):
    coordinator = "coordinator"
    hr_integration = "hr-integration"
    ops = "ops"
    # Answers access requests about anyone and orders erasure (the municipality's data protection work).
    privacy_officer = "privacy-officer"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the Entra object id, their roles and display claims."""

    oid: str
    roles: frozenset[str] = field(default_factory=frozenset)
    name: str | None = None
    email: str | None = None

    def has_role(self, role: Role) -> bool:
        return role.value in self.roles


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    key: jwt.PyJWK  # the key that verified it: a cached token is good only while its key is still published
    kid: str
    valid_until: float  # `exp` plus the leeway, as `time.time()`


# Claims that hold a NumericDate.
_DATE_CLAIMS = ("exp", "nbf", "iat")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class TokenVerifier:
    """Verifies bearer tokens, and remembers the ones it verified.

    A browser sends the same access token with every request for its lifetime (about an hour from Entra
    ID), and checking its RS256 signature is a visible share of a catalogue listing's time
    (bench/README.md).
    So a verified token is kept, keyed by its whole text (signature
    included), until its `exp` (plus the same leeway the verification allows) or until the key that signed
    it is no longer in the JWKS, whichever comes first; at most `cache_size` tokens, least recently used
    first out. Only tokens that passed every check are kept: anything refused is checked again in full the
    next time.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks: JwksCache,
        leeway_seconds: int = 60,
        cache_size: int = 10_000,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.jwks = jwks
        self.leeway = leeway_seconds
        self.cache_size = cache_size
        self._verified: OrderedDict[str, _Verified] = OrderedDict()

    async def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None:
            if known.valid_until > clock.timestamp() and self.jwks.current(known.kid) is known.key:
                self._verified.move_to_end(token)
                return known.principal
            del self._verified[token]
        principal, key, kid, claims = await self._verify(token)
        if self.cache_size > 0:
            self._verified[token] = _Verified(principal, key, kid, float(claims["exp"]) + self.leeway)
            while len(self._verified) > self.cache_size:
                self._verified.popitem(last=False)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, jwt.PyJWK, str, dict[str, Any]]:
        try:
            header = jwt.get_unverified_header(token)
        except (jwt.PyJWTError, ValueError, TypeError) as exc:  # not JSON, a `kid` not a string, a `crit`
            raise Unauthorized("Malformed bearer token.") from exc
        if not isinstance(header.get("alg"), str) or header["alg"] not in ALLOWED_ALGORITHMS:
            raise Unauthorized("Token algorithm is not accepted.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("Token has no key id.")
        if not self.jwks.has_keys and not await self.jwks.refresh():
            # Fail closed: without keys nothing can be verified.
            raise Unauthorized("Signing keys are unavailable.")
        key = await self.jwks.get(kid)
        if key is None:
            raise Unauthorized("Token is signed with an unknown key.")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=list(ALLOWED_ALGORITHMS),
                audience=self.audience,
                issuer=self.issuer,
                # The times are checked below, against the application's clock (`kernel/clock.py`).
                options={
                    "require": ["exp", "iat", "iss", "aud"],
                    "strict_aud": True,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise Unauthorized(f"Token is not valid: {exc}.") from exc
        # RFC 7519 section 2: a NumericDate is a JSON number. PyJWT converts a string ("9999999999").
        dates = [name for name in _DATE_CLAIMS if name in claims and not _is_number(claims[name])]
        if dates:
            raise Unauthorized(f"Token claims {', '.join(dates)} must be numbers (NumericDate).")
        now = clock.timestamp()
        if claims["exp"] + self.leeway <= now:
            raise Unauthorized("Token has expired.")
        if claims.get("nbf", 0) - self.leeway > now or claims["iat"] - self.leeway > now:
            raise Unauthorized("Token is not yet valid.")
        if claims.get("ver") != "2.0":
            raise Unauthorized("Only Entra ID v2 access tokens are accepted (ver 2.0).")
        if claims.get("hasgroups") or "groups" in (claims.get("_claim_names") or {}):
            # Group overage: the groups would have to be fetched from Graph. This API authorises by app
            # roles only, and says so rather than silently ignoring what the token claims.
            raise Unauthorized("Tokens with a groups overage claim are not accepted; use app roles.")
        oid = claims.get("oid")
        if not isinstance(oid, str) or not oid:
            raise Unauthorized("Token carries no object id (oid).")
        raw_roles = claims.get("roles", [])
        if not isinstance(raw_roles, list) or not all(isinstance(r, str) for r in raw_roles):
            raise Unauthorized("Token roles claim is malformed.")
        name = claims.get("name")
        email = claims.get("preferred_username") or claims.get("email")
        principal = Principal(
            oid=oid,
            roles=frozenset(raw_roles),
            name=name if isinstance(name, str) else None,
            email=email if isinstance(email, str) else None,
        )
        return principal, key, kid, claims


bearer_scheme = HTTPBearer(
    scheme_name="bearerAuth",
    description="An OIDC access token (Entra ID v2). In development: `make token ROLE=coordinator`.",
    auto_error=False,
)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("A bearer token is required.")
    verifier: TokenVerifier = request.app.state.verifier
    principal = await verifier.verify(credentials.credentials)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: Role) -> Any:
    """A dependency admitting principals holding any of `roles`."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not any(principal.has_role(role) for role in roles):
            wanted = " or ".join(role.value for role in roles)
            raise Forbidden(f"This operation requires the {wanted} role.")
        return principal

    dependency.required_roles = tuple(role.value for role in roles)  # type: ignore[attr-defined]
    return Depends(dependency)


def access_of(dependant: Dependant) -> tuple[bool, set[str]]:
    """Whether a route needs a signed-in caller, and the roles it requires (any of them)."""
    signed_in, roles = False, set()
    for sub in dependant.dependencies:
        if sub.call is current_principal:
            signed_in = True
        required = getattr(sub.call, "required_roles", None)
        if required:
            signed_in = True
            roles.update(required)
        nested_signed_in, nested_roles = access_of(sub)
        signed_in = signed_in or nested_signed_in
        roles |= nested_roles
    return signed_in, roles


def declare_access(routes: Iterable[BaseRoute]) -> None:
    """Write each operation's access rule into the OpenAPI document as `x-required-roles`: the roles of
    which the caller needs one, or `[]` for any signed-in person (whose own objects the operation then
    checks). The authorisation-map test calls every operation as every role against this."""
    for route in routes:
        if isinstance(route, APIRoute):
            signed_in, roles = access_of(route.dependant)
            if signed_in:
                route.openapi_extra = {**(route.openapi_extra or {}), "x-required-roles": sorted(roles)}


CoordinatorOnly = Annotated[Principal, require_role(Role.coordinator)]
OpsOnly = Annotated[Principal, require_role(Role.ops)]
HrIntegrationOnly = Annotated[Principal, require_role(Role.hr_integration)]
