"""Prometheus metrics: requests by route template and status, the pool, the event bus, the gateway."""

from __future__ import annotations

from typing import Any

import httpx
from prometheus_client import REGISTRY

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from tests.fake_services import fake_services
from tests.support import TokenFactory, running


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_service_counts_requests_by_route_and_reports_its_pool_and_event_bus(
    feedback: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    labels = {"service": "feedback", "method": "GET", "route": "/surveys/{survey_id}", "status": "403"}
    before = sample("http_requests_total", **labels)
    for _ in range(3):
        response = await feedback.get(
            "/surveys/8d4b4c1e-1111-4222-8333-944445555666",
            headers=tokens.header(email="ansatt@uke.oslo.kommune.no"),
        )
        assert response.status_code == 403
    assert sample("http_requests_total", **labels) == before + 3
    exposition = (await feedback.get("/metrics")).text
    assert (
        'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/surveys/{survey_id}",service="feedback"}'
        in exposition
    )
    assert "8d4b4c1e" not in exposition  # ids never become labels
    assert 'db_pool_connections{service="feedback",state="size"}' in exposition
    assert 'eventbus_lag_events{service="feedback",subscription="feedback.surveys"}' in exposition
    assert 'eventbus_dead_letters{service="feedback",subscription="feedback.directory"} 0.0' in exposition


async def test_the_gateway_serves_metrics_to_its_scrapers_only(
    auth_settings: dict[str, Any], tokens: TokenFactory
) -> None:
    def upstream(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={})

    async with (
        fake_services(upstream) as urls,
        running(create_gateway(GatewaySettings(**auth_settings, **urls))) as client,
    ):
        await client.get("/api/v1/catalog/offerings", headers=tokens.header())
        exposition = (await client.get("/metrics")).text
        assert 'route="/api/v1/catalog",service="gateway",status="200"' in exposition
        assert 'gateway_breaker_open{upstream="catalog"} 0.0' in exposition
        # Through the ingress (a proxy in the private network): refused, whatever the peer address.
        assert (await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})).status_code == 404
    elsewhere = GatewaySettings(**auth_settings, metrics_networks=["10.0.0.0/8"])
    async with running(create_gateway(elsewhere)) as client:
        assert (await client.get("/metrics")).status_code == 404
