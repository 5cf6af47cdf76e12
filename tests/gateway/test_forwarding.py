"""The gateway's forwarding, with the services played by loopback servers (tests/fake_services.py)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools.stack import free_port
from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.fake_services import Handler, fake_services
from tests.support import TokenFactory, running


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
    def route(request: httpx.Request) -> Any:
        upstream["seen"].append(request)
        handler: Handler = upstream["handler"]
        return handler(request)

    async with fake_services(route) as urls:
        upstream["urls"] = urls
        async with running(create_app(GatewaySettings(**auth_settings, **urls))) as client:
            yield client


async def test_routes_by_prefix_and_keeps_path_and_query(
    gateway: httpx.AsyncClient, upstream: dict[str, Any], tokens: TokenFactory
) -> None:
    response = await gateway.get("/api/v1/catalog/sessions/abc?limit=5&q=%C3%A6", headers=tokens.header())
    assert response.status_code == 200
    assert response.json() == {"path": "/sessions/abc", "query": "limit=5&q=%C3%A6"}
    assert upstream["seen"][0].extensions["service"] == "catalog"


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
    """A UTF-8 value reaches the service as sent; one in HTTP's obsolete latin-1 text cannot be passed on
    unchanged, so it is refused with a problem naming the header, never a 500 or a changed value."""
    utf8 = [
        *((k.encode(), v.encode()) for k, v in tokens.header().items()),
        (b"Idempotency-Key", "nøkkel-æøå".encode()),
    ]
    response = await gateway.post("/api/v1/enrollment/enrollments", json={}, headers=utf8)
    assert response.status_code == 200
    assert (b"idempotency-key", "nøkkel-æøå".encode()) in [
        (k.lower(), v) for k, v in upstream["seen"][0].headers.raw
    ]
    latin1 = [*utf8[:-1], (b"Idempotency-Key", "nøkkel".encode("latin-1"))]
    refused = await gateway.post("/api/v1/enrollment/enrollments", json={}, headers=latin1)
    assert refused.status_code == 400
    assert refused.json()["type"] == "urn:problem:invalid-header"
    assert "idempotency-key" in refused.json()["detail"]
    assert len(upstream["seen"]) == 1


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
        ("{service}/offerings", "/api/v1/catalog/offerings"),
        ("{service}/offerings/1?x=%C3%A6#f", "/api/v1/catalog/offerings/1?x=%C3%A6#f"),
        ("/offerings/1", "/api/v1/catalog/offerings/1"),
        ("1/calendar.ics", "1/calendar.ics"),
        ("https://login.microsoftonline.com/x", "https://login.microsoftonline.com/x"),
    ],
)
async def test_a_location_naming_the_service_becomes_its_public_path(
    gateway: httpx.AsyncClient, upstream: dict[str, Any], tokens: TokenFactory, location: str, public: str
) -> None:
    """No answer through the gateway tells a client where a service lives."""
    named = location.format(service=upstream["urls"]["catalog_url"])
    upstream["handler"] = lambda request: httpx.Response(
        307, headers={"location": named, "content-location": named}
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


async def test_upstream_failures_become_problems(auth_settings: dict[str, Any], tokens: TokenFactory) -> None:
    """Refused, not connected in time: 503 with Retry-After; connected but no answer in time: 504; an
    answer that is not HTTP: 502. Each a problem document carrying the request id."""

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"garbage\r\n\r\n")
        await writer.drain()
        writer.close()

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(1)
        return httpx.Response(200)

    not_http = await asyncio.start_server(garbage, "127.0.0.1", 0)
    # A listener that never accepts, its queue (of one) full: the next connection waits for an answer to
    # its SYN that never comes, as with a host that is down.
    silent = socket.create_server(("127.0.0.1", 0), backlog=0)
    queued = [socket.create_connection(silent.getsockname(), timeout=1)]
    try:
        async with fake_services(slow) as urls:
            settings = GatewaySettings(
                **auth_settings,
                catalog_url=f"http://127.0.0.1:{free_port()}",
                enrollment_url=f"http://127.0.0.1:{silent.getsockname()[1]}",
                feedback_url=f"http://127.0.0.1:{not_http.sockets[0].getsockname()[1]}",
                upstream_timeouts={"enrollment": {"connect": 0.2}},
                read_timeout_seconds=0.2,
                retry_attempts=0,
            )
            slow_settings = settings.model_copy(update={"catalog_url": urls["catalog_url"]})
            async with running(create_app(settings)) as gateway, running(create_app(slow_settings)) as other:
                outcomes = {
                    "refused": await gateway.get("/api/v1/catalog/x", headers=tokens.header()),
                    "no connection": await gateway.get("/api/v1/enrollment/x", headers=tokens.header()),
                    "not http": await gateway.get("/api/v1/feedback/x", headers=tokens.header()),
                    "too slow": await other.get("/api/v1/catalog/x", headers=tokens.header()),
                }
    finally:
        for connection in queued:
            connection.close()
        silent.close()
        not_http.close()
        await not_http.wait_closed()
    expected = {
        "refused": (503, "service-unavailable"),
        "no connection": (503, "service-unavailable"),
        "not http": (502, "bad-gateway"),
        "too slow": (504, "upstream-timeout"),
    }
    for name, response in outcomes.items():
        assert (response.status_code, response.json()["type"]) == (
            expected[name][0],
            f"urn:problem:{expected[name][1]}",
        ), name
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["request_id"] == response.headers["x-request-id"]
        if response.status_code == 503:
            assert int(response.headers["retry-after"]) >= 1  # every 503 says when to come back


async def test_token_checked_before_forwarding(
    gateway: httpx.AsyncClient, upstream: dict[str, Any], tokens: TokenFactory, tmp_path: Path
) -> None:
    assert (await gateway.get("/api/v1/catalog/sessions")).status_code == 401
    assert (
        await gateway.get("/api/v1/catalog/sessions", headers={"Authorization": "Bearer x"})
    ).status_code == 401
    from devtools import devkeys

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
        return httpx.Response(503 if request.extensions["service"] == "feedback" else 200, json={})

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
