"""What the gateway refuses, limits and adds: body and header sizes, rates, forwarded addresses,
identity headers, security headers, CORS, retries and the circuit breaker (the services played by
loopback servers, tests/fake_services.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from devtools.stack import free_port
from gateway.app import COMMITTED_OPENAPI_DIR, create_app
from gateway.settings import SERVICE_NAMES, GatewaySettings
from gateway.upstream import Timeouts
from tests.fake_services import Handler, fake_services
from tests.support import TokenFactory, running


@asynccontextmanager
async def gateway(
    auth_settings: dict[str, Any], handler: Handler, **overrides: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, list[httpx.Request]]]:
    seen: list[httpx.Request] = []

    def route(request: httpx.Request) -> Any:
        seen.append(request)
        return handler(request)

    async with fake_services(route) as urls:
        settings = GatewaySettings(**{**auth_settings, **urls, **overrides})
        async with running(create_app(settings)) as client:
            yield client, seen


def ok(request: httpx.Request) -> httpx.Response:
    request.read()
    return httpx.Response(200, json={"ok": True})


async def test_bodies_over_the_limit_get_413_before_or_while_forwarding(
    auth_settings: dict[str, Any], tokens: TokenFactory
) -> None:
    async with gateway(auth_settings, ok, max_body_bytes=1000) as (client, seen):
        declared = await client.post(
            "/api/v1/catalog/offerings", content=b"x" * 1001, headers=tokens.header()
        )
        assert declared.status_code == 413
        assert declared.json()["type"] == "urn:problem:payload-too-large"
        assert seen == []  # refused from Content-Length alone

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(5):
                yield b"y" * 400

        streamed = await client.post("/api/v1/catalog/offerings", content=chunks(), headers=tokens.header())
        assert streamed.status_code == 413
        fits = await client.post("/api/v1/catalog/offerings", content=b"z" * 1000, headers=tokens.header())
        assert fits.status_code == 200


async def test_oversized_headers_get_431(auth_settings: dict[str, Any], tokens: TokenFactory) -> None:
    async with gateway(auth_settings, ok, max_header_bytes=4096) as (client, seen):
        response = await client.get(
            "/api/v1/catalog/offerings", headers={**tokens.header(), "X-Junk": "j" * 4000}
        )
        assert response.status_code == 431
        assert seen == []


async def test_a_burst_from_one_principal_gets_429_with_retry_after(
    auth_settings: dict[str, Any], tokens: TokenFactory
) -> None:
    async with gateway(
        auth_settings, ok, rate_limit_principal_per_second=1, rate_limit_principal_burst=5
    ) as (
        client,
        _,
    ):
        me, other = tokens.header(email="a@uke.oslo.kommune.no"), tokens.header(email="b@uke.oslo.kommune.no")
        answers = await asyncio.gather(
            *(client.get("/api/v1/catalog/offerings", headers=me) for _ in range(8))
        )
        assert sorted(r.status_code for r in answers) == [200] * 5 + [429] * 3
        limited = next(r for r in answers if r.status_code == 429)
        assert limited.headers["retry-after"] == "1"
        assert limited.json()["type"] == "urn:problem:rate-limited"
        assert (await client.get("/api/v1/catalog/offerings", headers=other)).status_code == 200


async def test_a_burst_from_one_address_is_limited_before_tokens_are_checked(
    auth_settings: dict[str, Any],
) -> None:
    async with gateway(auth_settings, ok, rate_limit_address_per_second=1, rate_limit_address_burst=3) as (
        client,
        _,
    ):
        answers = [await client.get("/api/v1/catalog/offerings") for _ in range(5)]
        assert [r.status_code for r in answers] == [401, 401, 401, 429, 429]


async def test_forwarded_for_is_believed_only_from_trusted_proxies(
    auth_settings: dict[str, Any], tokens: TokenFactory
) -> None:
    spoofed = {**tokens.header(), "X-Forwarded-For": "6.6.6.6"}
    async with gateway(auth_settings, ok) as (client, seen):
        await client.get("/api/v1/catalog/offerings", headers=spoofed)
        assert seen[0].headers["x-forwarded-for"] == "127.0.0.1"
    async with gateway(auth_settings, ok, trusted_proxies=["127.0.0.0/8", "10.0.0.0/8"]) as (client, seen):
        chain = {**tokens.header(), "X-Forwarded-For": "6.6.6.6, 192.0.2.10, 10.1.2.3"}
        await client.get("/api/v1/catalog/offerings", headers=chain)
        # The nearest address a trusted proxy vouches for; what the client wrote before it is ignored.
        assert seen[0].headers["x-forwarded-for"] == "192.0.2.10"


async def test_identity_headers_from_clients_never_reach_a_service(
    auth_settings: dict[str, Any], tokens: TokenFactory
) -> None:
    forged = {
        **tokens.header(),
        "X-User": "admin",
        "X-MS-CLIENT-PRINCIPAL-NAME": "boss@oslo.kommune.no",
        "X-Authenticated-Userid": "1",
        "Remote-User": "root",
        "X-Roles": "coordinator",
        "Accept-Language": "nb",
    }
    async with gateway(auth_settings, ok) as (client, seen):
        await client.get("/api/v1/catalog/offerings", headers=forged)
    sent = {k.lower() for k in seen[0].headers}
    assert not sent & {
        "x-user",
        "x-ms-client-principal-name",
        "x-authenticated-userid",
        "remote-user",
        "x-roles",
    }
    assert "accept-language" in sent


async def test_security_headers_and_no_store_on_authenticated_answers(
    auth_settings: dict[str, Any], tokens: TokenFactory
) -> None:
    def cacheable(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={}, headers={"cache-control": "public, max-age=600"})

    async with gateway(auth_settings, cacheable, hsts_seconds=31536000) as (client, _):
        signed_in = await client.get("/api/v1/catalog/offerings", headers=tokens.header())
        assert signed_in.headers["cache-control"] == "no-store"
        assert signed_in.headers["x-content-type-options"] == "nosniff"
        assert signed_in.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert signed_in.headers["strict-transport-security"].startswith("max-age=31536000")
        anonymous = await client.get("/healthz")
        assert "cache-control" not in anonymous.headers
        assert anonymous.headers["x-frame-options"] == "DENY"
        docs = await client.get("/docs")
        assert "content-security-policy" not in docs.headers  # Swagger UI runs its own scripts


async def test_cors_only_for_configured_intranet_origins(
    auth_settings: dict[str, Any], tokens: TokenFactory
) -> None:
    intranet = "https://intranett.oslo.kommune.no"
    async with gateway(auth_settings, ok, cors_origins=[intranet]) as (client, seen):
        preflight = await client.options(
            "/api/v1/catalog/offerings",
            headers={
                "Origin": intranet,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == intranet
        assert seen == []  # answered by the gateway, no token needed
        allowed = await client.get(
            "/api/v1/catalog/offerings", headers={**tokens.header(), "Origin": intranet}
        )
        assert allowed.headers["access-control-allow-origin"] == intranet
        assert "etag" in allowed.headers["access-control-expose-headers"].lower()
        stranger = await client.get(
            "/api/v1/catalog/offerings", headers={**tokens.header(), "Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in stranger.headers
        forwarded = len(seen)
        refused = await client.options(
            "/api/v1/catalog/offerings",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert refused.status_code == 400
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "urn:problem:cors-preflight-refused"
        assert "origin" in refused.json()["detail"]
        assert len(seen) == forwarded  # refused by the gateway itself


async def test_only_repeatable_requests_are_retried_when_the_connection_is_refused(
    auth_settings: dict[str, Any], tokens: TokenFactory
) -> None:
    closed = {f"{service}_url": f"http://127.0.0.1:{free_port()}" for service in SERVICE_NAMES}

    def retries(service: str) -> float:
        return REGISTRY.get_sample_value("gateway_upstream_retries_total", {"upstream": service}) or 0.0

    async with gateway(auth_settings, ok, retry_attempts=2, breaker_failures=100, **closed) as (client, _):
        before = retries("catalog")
        get = await client.get("/api/v1/catalog/offerings", headers=tokens.header())
        assert get.status_code == 503
        assert retries("catalog") - before == 2
        before = retries("enrollment")
        post = await client.post("/api/v1/enrollment/enrollments", json={}, headers=tokens.header())
        assert post.status_code == 503
        assert retries("enrollment") == before
        keyed = await client.post(
            "/api/v1/enrollment/enrollments", json={}, headers={**tokens.header(), "Idempotency-Key": "k-1"}
        )
        assert keyed.status_code == 503
        assert retries("enrollment") - before == 2


async def test_a_failing_upstream_opens_its_breaker_and_a_probe_closes_it(
    auth_settings: dict[str, Any], tokens: TokenFactory, clock: Callable[[float], None]
) -> None:
    state = {"healthy": False}

    def flaky(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200 if state["healthy"] else 503, json={})

    async with gateway(
        auth_settings, flaky, breaker_failures=3, breaker_open_seconds=0.3, retry_attempts=0
    ) as (
        client,
        seen,
    ):
        for _ in range(3):
            assert (await client.get("/api/v1/catalog/offerings", headers=tokens.header())).status_code == 503
        assert len(seen) == 3
        shed = await client.get("/api/v1/catalog/offerings", headers=tokens.header())
        assert shed.status_code == 503
        assert shed.json()["type"] == "urn:problem:upstream-circuit-open"
        assert shed.headers["retry-after"] == "1"
        assert len(seen) == 3  # not sent upstream while open
        other = await client.get("/api/v1/feedback/surveys", headers=tokens.header())
        assert other.status_code == 503  # another upstream has its own breaker: this one was asked
        assert len(seen) == 4
        state["healthy"] = True
        clock(0.35)
        assert (await client.get("/api/v1/catalog/offerings", headers=tokens.header())).status_code == 200
        assert (await client.get("/api/v1/catalog/offerings", headers=tokens.header())).status_code == 200


async def test_a_service_answering_503_with_retry_after_keeps_getting_requests(
    auth_settings: dict[str, Any], tokens: TokenFactory
) -> None:
    """Its database is restarting: it answers quickly that it cannot serve yet. Every request still
    reaches it (the breaker stays closed), and the first one after the database is back succeeds."""
    state = {"database_up": False}

    def restarting(request: httpx.Request) -> httpx.Response:
        if state["database_up"]:
            return httpx.Response(200, json={})
        return httpx.Response(
            503, json={"type": "urn:problem:database-unavailable"}, headers={"Retry-After": "2"}
        )

    async with gateway(auth_settings, restarting, breaker_failures=3, retry_attempts=0) as (client, seen):
        for _ in range(10):
            answer = await client.get("/api/v1/catalog/offerings", headers=tokens.header())
            assert (answer.status_code, answer.headers["retry-after"]) == (503, "2")
            assert answer.json()["type"] == "urn:problem:database-unavailable"
        assert len(seen) == 10
        state["database_up"] = True
        assert (await client.get("/api/v1/catalog/offerings", headers=tokens.header())).status_code == 200


async def test_swagger_ui_signs_in_with_the_authorization_code_flow_and_pkce(
    auth_settings: dict[str, Any], tokens: TokenFactory
) -> None:
    catalog = json.loads((COMMITTED_OPENAPI_DIR / "catalog.json").read_text())

    def documents(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=catalog if request.url.path == "/openapi.json" else {})

    tenant = "https://login.microsoftonline.com/0a1b2c3d-0000-0000-0000-000000000000/oauth2/v2.0"
    entra = {
        "oauth_authorization_url": f"{tenant}/authorize",
        "oauth_token_url": f"{tenant}/token",
        "oauth_client_id": "swagger-spa-client-id",
    }
    async with gateway(auth_settings, documents, **entra) as (client, _):
        page = (await client.get("/docs")).text
        assert '"usePkceWithAuthorizationCodeGrant": true' in page
        assert '"clientId": "swagger-spa-client-id"' in page
        assert "clientSecret" not in page
        document = (await client.get("/openapi.json")).json()
    scheme = document["components"]["securitySchemes"]["entraId"]
    flow = scheme["flows"]["authorizationCode"]
    assert (flow["authorizationUrl"], flow["tokenUrl"]) == (
        entra["oauth_authorization_url"],
        entra["oauth_token_url"],
    )
    assert list(flow["scopes"]) == [f"{auth_settings['oidc_audience']}/.default"]
    operation = document["paths"]["/api/v1/catalog/offerings"]["post"]
    assert {"entraId": [f"{auth_settings['oidc_audience']}/.default"]} in operation["security"]
    assert {"bearerAuth": []} in operation["security"]


async def test_each_upstream_has_its_own_timeouts(
    auth_settings: dict[str, Any], tokens: TokenFactory
) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.5)
        return httpx.Response(200, json={})

    overrides = {"enrollment": {"read": 5.0}, "feedback": {"connect": 0.5}}
    async with gateway(auth_settings, slow, upstream_timeouts=overrides, read_timeout_seconds=0.2) as (
        client,
        _,
    ):
        assert (await client.get("/api/v1/catalog/x", headers=tokens.header())).status_code == 504
        assert (await client.get("/api/v1/enrollment/x", headers=tokens.header())).status_code == 200
    timeouts = GatewaySettings(
        **auth_settings, upstream_timeouts=overrides, read_timeout_seconds=7
    ).timeouts()
    assert timeouts["catalog"] == Timeouts(connect=2.0, read=7.0, write=30.0, pool=5.0)
    assert timeouts["enrollment"].read == 5.0
    assert timeouts["feedback"].connect == 0.5
    with pytest.raises(ValueError, match="no upstream 'nowhere'"):
        GatewaySettings(**auth_settings, upstream_timeouts={"nowhere": {"read": 1}})
