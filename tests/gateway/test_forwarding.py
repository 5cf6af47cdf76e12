"""The gateway's forwarding, with upstreams played by httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.support import TokenFactory, running

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def upstream() -> dict[str, Any]:
    """Set `handler` to decide how the fake upstream answers; requests land in `seen`."""
    state: dict[str, Any] = {"seen": []}

    def default(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"path": request.url.path, "query": request.url.query.decode()})

    state["handler"] = default
    return state


@pytest.fixture
async def gateway(
    upstream: dict[str, Any], auth_settings: dict[str, Any]
) -> AsyncIterator[httpx.AsyncClient]:
    def route(request: httpx.Request) -> httpx.Response:
        upstream["seen"].append(request)
        handler: Handler = upstream["handler"]
        return handler(request)

    app = create_app(GatewaySettings(**auth_settings), transport=httpx.MockTransport(route))
    async with running(app) as client:
        yield client


async def test_routes_by_prefix_and_keeps_path_and_query(
    gateway: httpx.AsyncClient, upstream: dict[str, Any], tokens: TokenFactory
) -> None:
    response = await gateway.get("/api/v1/catalog/sessions/abc?limit=5&q=%C3%A6", headers=tokens.header())
    assert response.status_code == 200
    assert response.json() == {"path": "/sessions/abc", "query": "limit=5&q=%C3%A6"}
    assert str(upstream["seen"][0].url).startswith("http://127.0.0.1:8001/sessions/abc")


async def test_headers_forwarded_hop_by_hop_stripped_forwarded_set(
    gateway: httpx.AsyncClient, upstream: dict[str, Any], tokens: TokenFactory
) -> None:
    headers = {
        **tokens.header(),
        "X-Request-ID": "req-42",
        "X-Forwarded-For": "6.6.6.6",
        "Connection": "keep-alive, X-Secret-Hop",
        "X-Secret-Hop": "drop me",
        "Keep-Alive": "timeout=5",
        "Accept-Language": "nb-NO",
    }
    await gateway.get("/api/v1/enrollment/enrollments/mine", headers=headers)
    sent: httpx.Request = upstream["seen"][0]
    assert sent.headers["authorization"] == headers["Authorization"]
    assert sent.headers["accept-language"] == "nb-NO"
    assert sent.headers["x-request-id"] == "req-42"
    assert sent.headers["x-forwarded-for"] == "127.0.0.1"
    assert sent.headers["x-forwarded-proto"] == "http"
    assert sent.headers["x-forwarded-prefix"] == "/api/v1/enrollment"
    for hop in ("x-secret-hop", "keep-alive"):
        assert hop not in sent.headers


async def test_a_header_value_outside_ascii_is_forwarded_byte_for_byte(
    gateway: httpx.AsyncClient, upstream: dict[str, Any], tokens: TokenFactory
) -> None:
    """HTTP allows obs-text (bytes above 0x7f) in a value; the gateway passes it on, never a 500."""
    headers = [(k.encode(), v.encode()) for k, v in tokens.header().items()]
    headers.append((b"Idempotency-Key", "nøkkel-æøå".encode("latin-1")))
    response = await gateway.post("/api/v1/enrollment/enrollments", json={}, headers=headers)
    assert response.status_code == 200
    assert (b"idempotency-key", "nøkkel-æøå".encode("latin-1")) in [
        (k.lower(), v) for k, v in upstream["seen"][0].headers.raw
    ]


async def test_request_and_response_bodies_stream_through_unchanged(
    gateway: httpx.AsyncClient, upstream: dict[str, Any], tokens: TokenFactory
) -> None:
    body = ("æøå" * 200_000).encode()  # 1.2 MB

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            201, content=request.read(), headers={"content-type": "text/plain; charset=utf-8"}
        )

    upstream["handler"] = echo
    # The directory sync route takes large bodies (32 MiB); elsewhere 1 MiB is the limit.
    url = "/api/v1/enrollment/directory/sync/people"
    response = await gateway.post(url, content=body, headers=tokens.header())
    assert response.status_code == 201
    assert response.content == body
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


async def test_redirects_are_passed_back_not_followed(
    gateway: httpx.AsyncClient, upstream: dict[str, Any], tokens: TokenFactory
) -> None:
    upstream["handler"] = lambda request: httpx.Response(
        302, headers={"location": "http://elsewhere.invalid/"}
    )
    response = await gateway.get("/api/v1/catalog/x", headers=tokens.header())
    assert response.status_code == 302
    assert response.headers["location"] == "http://elsewhere.invalid/"
    assert len(upstream["seen"]) == 1


@pytest.mark.parametrize(
    ("location", "public"),
    [
        ("http://127.0.0.1:8001/offerings", "/api/v1/catalog/offerings"),
        ("http://127.0.0.1:8001/offerings/1?x=%C3%A6#f", "/api/v1/catalog/offerings/1?x=%C3%A6#f"),
        ("/offerings/1", "/api/v1/catalog/offerings/1"),
        ("1/calendar.ics", "1/calendar.ics"),
        ("https://login.microsoftonline.com/x", "https://login.microsoftonline.com/x"),
    ],
)
async def test_a_location_naming_the_service_becomes_its_public_path(
    gateway: httpx.AsyncClient, upstream: dict[str, Any], tokens: TokenFactory, location: str, public: str
) -> None:
    """No answer through the gateway tells a client where a service lives."""
    upstream["handler"] = lambda request: httpx.Response(
        307, headers={"location": location, "content-location": location}
    )
    response = await gateway.get("/api/v1/catalog/offerings/", headers=tokens.header())
    assert response.headers["location"] == public
    assert response.headers["content-location"] == public


async def test_upstream_errors_pass_through_with_their_problem_document(
    gateway: httpx.AsyncClient, upstream: dict[str, Any], tokens: TokenFactory
) -> None:
    problem = {"type": "urn:problem:session-full", "title": "Session is full", "status": 409}
    upstream["handler"] = lambda request: httpx.Response(
        409, content=json.dumps(problem), headers={"content-type": "application/problem+json"}
    )
    response = await gateway.post("/api/v1/enrollment/enrollments", json={}, headers=tokens.header())
    assert response.status_code == 409
    assert response.json() == problem


@pytest.mark.parametrize(
    ("error", "status", "slug"),
    [
        (httpx.ConnectError("refused"), 503, "service-unavailable"),
        (httpx.ConnectTimeout("slow connect"), 503, "service-unavailable"),
        (httpx.ReadTimeout("slow"), 504, "upstream-timeout"),
        (httpx.RemoteProtocolError("garbage"), 502, "bad-gateway"),
    ],
)
async def test_upstream_failures_become_problems(
    gateway: httpx.AsyncClient,
    upstream: dict[str, Any],
    tokens: TokenFactory,
    error: Exception,
    status: int,
    slug: str,
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    upstream["handler"] = fail
    response = await gateway.get("/api/v1/feedback/anything", headers=tokens.header())
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"urn:problem:{slug}"
    assert response.json()["request_id"] == response.headers["x-request-id"]
    if status == 503:
        assert int(response.headers["retry-after"]) >= 1  # every 503 says when to come back


async def test_token_checked_before_forwarding(
    gateway: httpx.AsyncClient, upstream: dict[str, Any], tokens: TokenFactory, tmp_path: Path
) -> None:
    assert (await gateway.get("/api/v1/catalog/sessions")).status_code == 401
    assert (
        await gateway.get("/api/v1/catalog/sessions", headers={"Authorization": "Bearer x"})
    ).status_code == 401
    from services.kernel.auth import devkeys

    foreign = devkeys.mint_token(oid="x", directory=devkeys.ensure_dev_keys(tmp_path / "other"))
    response = await gateway.get("/api/v1/catalog/sessions", headers={"Authorization": f"Bearer {foreign}"})
    assert response.status_code == 401
    assert upstream["seen"] == []


async def test_unknown_service_is_404(gateway: httpx.AsyncClient, tokens: TokenFactory) -> None:
    response = await gateway.get("/api/v1/payroll/salaries", headers=tokens.header())
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_readyz_reports_each_service(gateway: httpx.AsyncClient, upstream: dict[str, Any]) -> None:
    def ready_except_feedback(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503 if request.url.port == 8003 else 200, json={})

    upstream["handler"] = ready_except_feedback
    response = await gateway.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "catalog": "ok",
        "enrollment": "ok",
        "feedback": "not ready (503)",
        "signing-keys": "ok",
    }


async def test_the_raw_path_is_forwarded_byte_for_byte(
    gateway: httpx.AsyncClient, upstream: dict[str, Any], tokens: TokenFactory
) -> None:
    """Percent-encoded bytes (even control characters) reach the service as sent, never as a 500."""
    response = await gateway.get(
        "/api/v1/catalog/offerings/%3A%C2%95%0F%2Fx/calendar.ics?q=%00%C3%A6", headers=tokens.header()
    )
    assert response.status_code == 200
    sent: httpx.Request = upstream["seen"][0]
    assert sent.url.raw_path == b"/offerings/%3A%C2%95%0F%2Fx/calendar.ics?q=%00%C3%A6"


@pytest.mark.parametrize(
    "path",
    [
        "metrics",
        "metrics/",
        "/metrics",
        "%6detrics",
        "healthz",
        "readyz",
        "docs",
        "docs/oauth2-redirect",
        "openapi.json",
    ],
)
async def test_a_services_operational_endpoints_are_never_forwarded(
    gateway: httpx.AsyncClient, upstream: dict[str, Any], tokens: TokenFactory, path: str
) -> None:
    """Metrics (routes, dead letters, pool use, live counts), health and docs are for the service's own
    port: through the gateway they do not exist, for any signed-in caller and however they are spelled."""
    for service in ("catalog", "enrollment", "feedback"):
        response = await gateway.get(f"/api/v1/{service}/{path}", headers=tokens.header("ops"))
        assert response.status_code == 404, (service, path)
        assert response.headers["content-type"] == "application/problem+json"
    assert upstream["seen"] == []
    assert (await gateway.get("/api/v1/feedback/metricsx", headers=tokens.header())).status_code == 200
