"""A service configured with an OTLP endpoint sends its spans there: the request (a child of the
caller's trace) and the SQL it ran, under the service's name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from devtools.stack import service_process, serving
from tests.support import TokenFactory, eventually

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING = f"00-{TRACE}-00f067aa0ba902b7-01"


@pytest.fixture
async def collector() -> AsyncIterator[tuple[str, list[ExportTraceServiceRequest]]]:
    """An OTLP/HTTP trace receiver on loopback: what it is sent, decoded."""
    received: list[ExportTraceServiceRequest] = []

    async def traces(request: web.Request) -> web.Response:
        exported = ExportTraceServiceRequest()
        exported.ParseFromString(await request.read())
        received.append(exported)
        return web.Response(body=b"", content_type="application/x-protobuf")

    app = web.Application()
    app.router.add_post("/v1/traces", traces)
    async with serving(app) as url:
        yield url, received


def spans_of(received: list[ExportTraceServiceRequest]) -> list[tuple[str, str, Span]]:
    """(service name, instrumentation scope, span) of everything received."""
    found = []
    for request in received:
        for resource_spans in request.resource_spans:
            attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    found.append((attributes.get("service.name", ""), scope_spans.scope.name, span))
    return found


async def test_a_service_exports_its_spans_over_otlp(
    collector: tuple[str, list[ExportTraceServiceRequest]],
    isolated_database: tuple[str, Any],
    process_auth: dict[str, str],
    tokens: TokenFactory,
    tmp_path: Path,
) -> None:
    endpoint, received = collector
    database_url, _ = isolated_database
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    with service_process("catalog", database_url, process_auth, tmp_path / "catalog.log", env) as (_, url):
        async with httpx.AsyncClient(base_url=url) as client:
            answer = await client.get("/offerings", headers={**tokens.header(), "traceparent": INCOMING})
            assert answer.status_code == 200

        async def request_span() -> list[tuple[str, str, Span]] | None:
            return [
                found
                for found in spans_of(received)
                if found[2].kind == Span.SPAN_KIND_SERVER and found[2].name == "GET /offerings"
            ] or None

        [(service, _, server)] = await eventually(request_span)
    assert service == "catalog"
    assert server.trace_id.hex() == TRACE
    assert server.parent_span_id.hex() == "00f067aa0ba902b7"
    statements = [
        span
        for _, scope, span in spans_of(received)
        if scope == "opentelemetry.instrumentation.asyncpg" and span.trace_id == server.trace_id
    ]
    assert statements  # the listing's SQL, in the request's trace
