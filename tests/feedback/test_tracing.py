"""The trace of a request or event continues through the feedback service's consumers, and what is
recorded when spans are exported: the request, its SQL, and the events handled for it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry import context, propagate
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kernel import telemetry
from tests.feedback.support import Respondent, attendance, rows
from tests.support import TokenFactory, eventually

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING = f"00-{TRACE}-00f067aa0ba902b7-01"


async def test_events_carry_the_trace_and_consumers_continue_it(
    feedback: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    attached = context.attach(propagate.extract({"traceparent": INCOMING}))
    try:
        await attendance(sessionmaker, uuid.uuid4(), uuid.uuid4(), attended=crowd["alna"][:2])
    finally:
        context.detach(attached)

    async def opened() -> list[Any] | None:
        found = await rows(
            sessionmaker, "SELECT traceparent FROM eventbus.events WHERE topic = 'feedback.survey_opened'"
        )
        return found or None

    (published,) = await eventually(opened)
    (recorded,) = await rows(
        sessionmaker, "SELECT traceparent FROM eventbus.events WHERE topic = 'enrollment.attendance_recorded'"
    )
    assert recorded[0] == INCOMING
    assert published[0].startswith(f"00-{TRACE}-")
    assert published[0] != INCOMING


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Spans recorded while the test runs (as when an exporter is configured), kept in memory."""
    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)
    telemetry.export_to(processor)
    yield exporter
    telemetry.stop_exporting(processor)


async def test_requests_sql_and_handled_events_are_spans_of_the_callers_trace(
    spans: InMemorySpanExporter,  # first: the service then starts recording, as with an exporter set
    feedback: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
    tokens: TokenFactory,
) -> None:
    listed = await feedback.get("/surveys", headers={**tokens.header("coordinator"), "traceparent": INCOMING})
    assert listed.status_code == 200
    attached = context.attach(propagate.extract({"traceparent": INCOMING}))
    try:
        await attendance(sessionmaker, uuid.uuid4(), uuid.uuid4(), attended=crowd["alna"][:2])
    finally:
        context.detach(attached)

    def handled() -> list[ReadableSpan]:
        return [s for s in spans.get_finished_spans() if s.kind is SpanKind.CONSUMER]

    async def consumed() -> list[ReadableSpan] | None:
        return [s for s in handled() if "enrollment.attendance_recorded" in s.name] or None

    [consumer] = await eventually(consumed)
    recorded = spans.get_finished_spans()
    [server] = [s for s in recorded if s.kind is SpanKind.SERVER and s.name == "GET /surveys"]
    assert server.context is not None
    assert server.parent is not None
    assert (format(server.context.trace_id, "032x"), format(server.parent.span_id, "016x")) == (
        TRACE,
        "00f067aa0ba902b7",
    )
    statements = [
        s
        for s in recorded
        if s.instrumentation_scope is not None
        and s.instrumentation_scope.name == "opentelemetry.instrumentation.asyncpg"
        and s.context is not None
        and s.context.span_id != server.context.span_id
        and s.context.trace_id == server.context.trace_id
    ]
    assert statements  # the request's SQL, in its trace
    assert consumer.context is not None
    assert format(consumer.context.trace_id, "032x") == TRACE
    assert consumer.attributes is not None
    assert str(consumer.attributes["subscription"]).startswith("feedback.")
