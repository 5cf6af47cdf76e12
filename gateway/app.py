"""Gateway app factory (`uvicorn --factory gateway.app:create_app`)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from prometheus_client import Gauge
from starlette.datastructures import Headers

from gateway import forwarding, privacy, protection
from gateway.headers import SecurityHeaders
from gateway.openapi_merge import merge
from gateway.settings import GatewaySettings
from gateway.upstream import UpstreamFailure, Upstreams
from gateway.webhook_docs import webhook_section
from services.kernel import limits, telemetry, unlinkable
from services.kernel.docs import install_docs
from services.kernel.logs import configure_logging
from services.kernel.metrics import MetricsMiddleware, metrics_response
from services.kernel.problem_handlers import install_problem_handlers
from services.kernel.problems import (
    NotFound,
    Problem,
    ProblemDetails,
    Unauthorized,
    problem_response,
    problem_type,
    refuse_identity,
    response_for,
)
from services.kernel.requestid import RequestIdMiddleware
from services.kernel.service import create_verifier
from services.kernel.settings import REPO_ROOT
from services.kernel.unlinkable import is_unlinkable

log = logging.getLogger(__name__)

TITLE = "Ledelsesutvikling API"
VERSION = "0.1.0"
DESCRIPTION = (
    "Leadership-development programme of the City of Oslo: the course catalogue, enrollment with waiting "
    "lists, and anonymous feedback. Every operation under `/api/v1` needs a bearer token (Authorize)."
)
COMMITTED_OPENAPI_DIR = REPO_ROOT / "openapi"

meta_router = APIRouter(tags=["gateway"])
BREAKER_OPEN = Gauge("gateway_breaker_open", "1 while an upstream's circuit breaker is open.", ["upstream"])


@meta_router.get(
    "/healthz", summary="Gateway liveness", operation_id="gateway_healthz", openapi_extra={"x-public": True}
)
async def healthz() -> dict[str, str]:
    """The gateway process is up."""
    return {"status": "ok"}


@meta_router.get(
    "/readyz",
    summary="Readiness of the gateway and every service",
    operation_id="gateway_readyz",
    openapi_extra={"x-public": True},
    responses={503: {"model": ProblemDetails, "description": "A service is not ready; `checks` says which."}},
)
async def readyz(request: Request) -> Response:
    """Ready when signing keys are loaded and every service reports ready."""
    upstreams: Upstreams = request.app.state.upstreams
    settings: GatewaySettings = request.app.state.settings

    async def check(name: str, url: str) -> str:
        try:
            status, _ = await upstreams.get(f"{url}/readyz", 3.0, upstream=name)
        except UpstreamFailure as exc:
            return f"unreachable: {type(exc).__name__}"
        return "ok" if status == 200 else f"not ready ({status})"

    names = list(settings.upstreams())
    results = await asyncio.gather(*(check(name, url) for name, url in settings.upstreams().items()))
    checks = dict(zip(names, results, strict=True))
    checks["signing-keys"] = "ok" if request.app.state.verifier.jwks.has_keys else "missing"
    if all(value == "ok" for value in checks.values()):
        return JSONResponse({"status": "ready", "checks": checks})
    return problem_response(
        503,
        type_=problem_type("not-ready"),
        title="Not ready",
        detail=", ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok"),
        extra={"checks": checks},
    )


def gateway_openapi_parts(prefix: str = "/api/v1") -> tuple[dict[str, Any], dict[str, Any]]:
    """The gateway's own paths and schemas, as FastAPI documents them."""
    app = FastAPI(title=TITLE, version=VERSION)
    install_problem_handlers(app)
    app.include_router(meta_router)
    app.include_router(privacy.router, prefix=prefix)
    document = app.openapi()
    return document.get("paths", {}), document.get("components", {}).get("schemas", {})


@cache
def committed_events() -> dict[str, Any]:
    """The event contract as committed (`make openapi` writes it from the services' payload models)."""
    document: dict[str, Any] = json.loads((COMMITTED_OPENAPI_DIR / "events.json").read_text(encoding="utf-8"))
    return document


def merged_document(
    documents: dict[str, dict[str, Any]],
    prefix: str = "/api/v1",
    oauth: dict[str, Any] | None = None,
    events: dict[str, Any] | None = None,
) -> dict[str, Any]:
    paths, schemas = gateway_openapi_parts(prefix)
    webhooks, webhook_schemas = webhook_section((events or committed_events())["topics"])
    return merge(
        documents,
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        prefix=prefix,
        gateway_paths=paths,
        gateway_schemas=schemas,
        oauth=oauth,
        webhooks=webhooks,
        webhook_schemas=webhook_schemas,
    )


class OpenApiCache:
    """The merged document, rebuilt from the live services at most every `ttl` seconds.

    A service that cannot be reached contributes its committed document (openapi/<service>.json), so the
    docs stay complete while one service restarts.
    """

    def __init__(self, upstreams: Upstreams, settings: GatewaySettings) -> None:
        self.upstreams = upstreams
        self.settings = settings
        self._document: dict[str, Any] | None = None
        self._built_at = 0.0
        self._lock = asyncio.Lock()

    async def _fetch(self, name: str, url: str) -> dict[str, Any]:
        try:
            status, body = await self.upstreams.get(f"{url}/openapi.json", 3.0, upstream=name)
            if status != 200:
                raise ValueError(f"answered {status}")
            document: dict[str, Any] = json.loads(body)
            return document
        except (UpstreamFailure, ValueError) as exc:
            log.warning("OpenAPI of %s unavailable (%s); using the committed document", name, exc)
            text = await asyncio.to_thread((COMMITTED_OPENAPI_DIR / f"{name}.json").read_text)
            committed: dict[str, Any] = json.loads(text)
            return committed

    async def get(self) -> dict[str, Any]:
        async with self._lock:
            fresh = time.monotonic() - self._built_at < self.settings.openapi_cache_seconds
            if self._document is None or not fresh:
                upstreams = self.settings.upstreams()
                fetched = await asyncio.gather(*(self._fetch(n, u) for n, u in upstreams.items()))
                documents = dict(zip(upstreams, fetched, strict=True))
                self._document = merged_document(
                    documents, self.settings.public_prefix, self.settings.swagger_oauth()
                )
                self._built_at = time.monotonic()
            return self._document


# A service's own operational endpoints: for its probes, scrapers and developers on its own port, never
# forwarded (metrics name routes, dead letters, pool use and live counts; docs and health name internals).
_OPERATIONAL = frozenset({"metrics", "healthz", "readyz", "docs", "openapi.json"})


def _operational(path: str) -> bool:
    """Whether a forwarded path (percent-decoded, as the service will route it) reaches one of them,
    however it is slashed: `metrics`, `/metrics/`, `docs/oauth2-redirect`."""
    first = path.lstrip("/").split("/", 1)[0]
    return first in _OPERATIONAL


class CorsPreflightRefused(Problem):
    status = 400
    slug = "cors-preflight-refused"
    title = "Cross-origin request refused"


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS handling, with a refused preflight answered as a problem document like every
    other refusal (it said `Disallowed CORS origin` in plain text). The browser still enforces CORS."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        problem = response_for(
            CorsPreflightRefused(
                f"This {refused} may not call the API from a browser (GATEWAY_CORS_ORIGINS)."
            )
        )
        problem.headers.update({k: v for k, v in response.headers.items() if k.lower().startswith("access-")})
        return problem


def _matches(request: Request, routes: list[tuple[str, re.Pattern[str]]]) -> bool:
    return any(request.method == method and pattern.fullmatch(request.url.path) for method, pattern in routes)


def _limit_secret(request: Request, by_secret: protection.TokenBuckets) -> None:
    """An address whose secret is its key (a calendar client sends no token): one leaked address is not
    read faster than a calendar would."""
    if (wait := by_secret.take(request.url.path)) is not None:
        raise protection.TooManyRequests(
            "Too many reads of this address; slow down.", headers=protection.retry_after(wait)
        )


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    upstreams = settings.upstreams()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging("gateway", settings.log_level, settings.log_format)
        # One connection pool for forwarding, readiness and the OpenAPI documents.
        upstreams = Upstreams(settings.max_connections, settings.keepalive_expiry_seconds)
        verifier = create_verifier(settings)
        await verifier.jwks.refresh()
        app.state.settings = settings
        app.state.upstreams = upstreams
        app.state.verifier = verifier
        app.state.openapi = OpenApiCache(upstreams, settings)
        try:
            yield
        finally:
            await upstreams.aclose()

    app = FastAPI(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        redirect_slashes=False,  # the redirect would name whatever Host the client sent
        telemetry=telemetry.fastapi_settings("gateway"),
    )
    install_problem_handlers(app)
    # Outermost last: request id, then security headers, then CORS (preflights answered before auth).
    app.add_middleware(
        ProblemCORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=[
            "authorization",
            "content-type",
            "idempotency-key",
            "if-match",
            "if-none-match",
            "x-request-id",
            "traceparent",
        ],
        expose_headers=["etag", "location", "retry-after", "x-request-id", "idempotent-replayed"],
        max_age=600,
    )
    app.add_middleware(SecurityHeaders, hsts_seconds=settings.hsts_seconds)
    app.add_middleware(MetricsMiddleware, service="gateway")
    app.add_middleware(RequestIdMiddleware)
    telemetry.instrument(app, "gateway")
    app.include_router(meta_router)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_json(request: Request) -> JSONResponse:
        return JSONResponse(await request.app.state.openapi.get())

    oauth = settings.swagger_oauth()
    install_docs(
        app,
        title=TITLE,
        init_oauth=(
            {
                "clientId": oauth["client_id"],
                "scopes": " ".join(oauth["scopes"]),
                "usePkceWithAuthorizationCodeGrant": True,
            }
            if oauth
            else None
        ),
    )

    trusted = protection.networks(settings.trusted_proxies)
    by_address = protection.TokenBuckets(
        settings.rate_limit_address_per_second, settings.rate_limit_address_burst
    )
    by_principal = protection.TokenBuckets(
        settings.rate_limit_principal_per_second, settings.rate_limit_principal_burst
    )
    by_secret = protection.TokenBuckets(settings.secret_url_rate_per_second, settings.secret_url_burst)
    breakers = {
        name: protection.Breaker(settings.breaker_failures, settings.breaker_open_seconds)
        for name in upstreams
    }

    scrapers = protection.networks(settings.metrics_networks)
    timeouts = settings.timeouts()

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        # Only the peer counts here, never X-Forwarded-For: a client cannot claim to be the scraper. A
        # request that came through a proxy (the ingress controller sits in a private network too) is
        # refused: scrapers reach the pod directly.
        peer = request.client.host if request.client else ""
        proxied = "x-forwarded-for" in request.headers or "forwarded" in request.headers
        if proxied or not protection.is_in(peer, scrapers):
            raise NotFound("Not found.")
        for name, breaker in breakers.items():
            BREAKER_OPEN.labels(name).set(0 if breaker.state == "closed" else 1)
        return await metrics_response()

    anonymous_routes = [(method, unlinkable.template_pattern(path)) for method, path in settings.unlinkable()]
    unlinkable.register(*(path for _, path in settings.unlinkable()))
    secret_routes = [(method, unlinkable.template_pattern(path)) for method, path in settings.secret_urls()]
    unlinkable.register_secret(*(path for _, path in settings.secret_urls()))

    async def signed_in(request: Request) -> None:
        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("A bearer token is required.")
        # Checked here to turn strangers away early; the service verifies the token again itself.
        principal = await request.app.state.verifier.verify(token.strip())
        request.state.principal = principal
        if (wait := by_principal.take(principal.oid)) is not None:
            raise protection.TooManyRequests(
                "Too many requests with your sign-in; slow down.", headers=protection.retry_after(wait)
            )

    async def proxy(request: Request) -> Response:
        service: str = request.path_params["service"]
        request.scope["metrics_route"] = (
            f"{settings.public_prefix}/{service if service in upstreams else '?'}"
        )
        address = protection.client_address(request, trusted)
        if (wait := by_address.take(address)) is not None:
            raise protection.TooManyRequests(
                "Too many requests from your address; slow down.", headers=protection.retry_after(wait)
            )
        limit = limits.body_limit(request.url.path, settings.max_body_bytes, settings.body_limits)
        limits.check_sizes(request.headers.raw, limit, settings.max_header_bytes)
        upstream = upstreams.get(service)
        if upstream is None:
            raise NotFound(f"No service {service!r} behind {settings.public_prefix}.")
        if _operational(request.path_params["path"]):
            raise NotFound("Not found.")
        anonymous = is_unlinkable(request.scope) and _matches(request, anonymous_routes)
        if anonymous:
            refuse_identity(request.headers)
        elif _matches(request, secret_routes):
            _limit_secret(request, by_secret)
        else:
            await signed_in(request)
        return await forwarding.forward(
            request.app.state.upstreams,
            request,
            upstream_url=upstream,
            prefix=f"{settings.public_prefix}/{service}",
            service=service,
            client_ip=None if anonymous else address,
            unlinkable=anonymous,
            body_limit=limit,
            breaker=breakers[service],
            retries=settings.retry_attempts,
            timeouts=timeouts[service],
        )

    app.state.signed_in = signed_in
    # Before the services' routes: the gateway answers this one itself.
    app.include_router(privacy.router, prefix=settings.public_prefix)
    app.add_api_route(
        f"{settings.public_prefix}/{{service}}/{{path:path}}",
        proxy,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
        include_in_schema=False,
    )
    return app
