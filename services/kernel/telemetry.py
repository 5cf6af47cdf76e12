"""Traces, with OpenTelemetry: a span for every request a process serves (FastAPI's own support), every SQL
statement (asyncpg's instrumentation, under SQLAlchemy and the direct reads alike), every call the
gateway makes to a service (aiohttp's), and every event a consumer handles, whose parent is the request
or event that published it: the event's stored `traceparent`, read and written by the W3C propagator.

Exported when the standard OpenTelemetry variables say where: `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) sends OTLP over HTTP, `OTEL_TRACES_EXPORTER=console` prints spans;
`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER` and the exporter's own variables
work as the SDK documents them. Otherwise nothing is recorded and nothing is instrumented: a request
only continues its caller's trace (or begins one) under a span id of its own (`TraceContext`), so logs,
events and calls to other processes still carry trace ids. `OTEL_SDK_DISABLED=true` leaves out even
that. `make bench` prices both against none.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import context, propagate, trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, Context
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.environment_variables import OTEL_SDK_DISABLED, OTEL_SERVICE_NAME
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace import Span as RecordingSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Sampler
from opentelemetry.trace import INVALID_SPAN, Link, NonRecordingSpan, Span, SpanContext, SpanKind, TraceFlags
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from services.kernel.unlinkable import is_unlinkable

TRACER_NAME = "ledelsesutvikling"
_provider: TracerProvider | None = None


class _Switchable(Sampler):
    """Never samples until an exporter is attached; then what `OTEL_TRACES_SAMPLER` says (by default:
    everything, or as the caller's trace decided)."""

    def __init__(self) -> None:
        self.delegate: Sampler = ALWAYS_OFF

    def should_sample(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return self.delegate.should_sample(*args, **kwargs)

    def get_description(self) -> str:
        return f"Switchable({self.delegate.get_description()})"


_sampler = _Switchable()


class _Fanout(SpanProcessor):
    """The processors spans go to now; attached and detached at run time (the SDK's own list only grows)."""

    def __init__(self) -> None:
        self.processors: list[SpanProcessor] = []

    def on_start(self, span: RecordingSpan, parent_context: Context | None = None) -> None:
        for processor in self.processors:
            processor.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        for processor in self.processors:
            processor.on_end(span)

    def shutdown(self) -> None:
        for processor in self.processors:
            processor.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return all(processor.force_flush(timeout_millis) for processor in self.processors)


_fanout = _Fanout()
_SQL = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
_IDS = RandomIdGenerator()


def _exporter_from_environment() -> SpanExporter | None:
    chosen = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if chosen == "console":
        return ConsoleSpanExporter()
    if chosen == "none" or not (endpoint or chosen == "otlp"):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def configure(service: str) -> TracerProvider:
    """The process's tracer provider, made once (the first process name wins: one process, one service)
    and registered globally; recording and exporting if the environment names an exporter."""
    global _provider
    if _provider is None:
        name = os.environ.get(OTEL_SERVICE_NAME) or service
        _provider = TracerProvider(resource=Resource.create({"service.name": name}), sampler=_sampler)
        _provider.add_span_processor(_fanout)
        trace.set_tracer_provider(_provider)
        exporter = _exporter_from_environment()
        if exporter is not None:
            export_to(BatchSpanProcessor(exporter))
    return _provider


def export_to(processor: SpanProcessor) -> None:
    """Record spans from now on and hand them to `processor` (the OTLP exporter's batcher; in tests, a
    processor that keeps them)."""
    provider = configure(TRACER_NAME)
    if not _fanout.processors:
        # SQL is instrumented only while spans are recorded: wrapping every statement costs a visible
        # share of a request's time even when the span is thrown away.
        _SQL.instrument(tracer_provider=provider)
    _fanout.processors.append(processor)
    # The sampler OTEL_TRACES_SAMPLER names, as the SDK reads it (default: parent-based, always on); the
    # provider asked is never used, so it must not register a shutdown at exit.
    _sampler.delegate = TracerProvider(shutdown_on_exit=False).sampler


def stop_exporting(processor: SpanProcessor) -> None:
    """Undo `export_to`; with no processor left, nothing is recorded again."""
    _fanout.processors.remove(processor)
    if not _fanout.processors:
        _sampler.delegate = ALWAYS_OFF
        _SQL.uninstrument()


def recording() -> bool:
    """Whether spans are recorded (an exporter is attached)."""
    return bool(_fanout.processors)


# Probes and scrapes get no span: they would drown the requests people make.
UNTRACED = frozenset({"/healthz", "/readyz", "/metrics"})


def enabled() -> bool:
    """False with OpenTelemetry's own `OTEL_SDK_DISABLED=true`: no instrumentation at all (no trace ids
    in logs or events either); `make bench` measures against it."""
    return os.environ.get(OTEL_SDK_DISABLED, "").strip().lower() != "true"


def fastapi_settings(service: str) -> TelemetryConfig:
    """FastAPI's own OpenTelemetry support (`FastAPI(telemetry=...)`): while spans are recorded, a server
    span per request (a child of the caller's trace) and spans for its dependencies, endpoint and
    serialization; metrics and logs stay Prometheus' and the JSON log's. Off otherwise: each of its
    spans costs a share of a cheap request, to be thrown away (`make bench`, `tracing_off_vs_untraced`)."""
    provider = configure(service) if enabled() else None
    recorded = provider is not None and recording()
    return {
        "tracer_provider": provider if recorded else None,
        "tracing": recorded,
        "operation_spans": recorded,
        "metrics": False,
        "logs": False,
        "auto_configure": False,
        "exclude": _probe_or_scrape,
    }


def _probe_or_scrape(scope: MutableMapping[str, Any]) -> bool:
    return str(scope.get("path", "")) in UNTRACED or is_unlinkable(scope)


def instrument(app: Starlette, service: str) -> None:
    """Without recording (and unless switched off): the trace context alone (`TraceContext`), added last
    so outermost, so logs, events and calls to other processes carry the trace. Recording or not is known
    once `configure` has read the environment (an exporter), or a test attached one."""
    if enabled():
        configure(service)
        if not recording():
            app.add_middleware(TraceContext)
        app.add_middleware(Untraced)


class Untraced:
    """An unlinkable request (`unlinkable.py`) runs with instrumentation suppressed and outside any
    trace: no span for its SQL or its calls, and no trace id in what it writes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_unlinkable(scope):
            await self.app(scope, receive, send)
            return
        token = context.attach(
            context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True, trace.set_span_in_context(INVALID_SPAN))
        )
        try:
            await self.app(scope, receive, send)
        finally:
            context.detach(token)


class TraceContext:
    """The trace a request belongs to, with nothing recorded: the caller's `traceparent` continued under
    a span id of this process (its sampling flag kept, for a process further on that records), or a new
    trace; current while the request runs, so logs, events and calls to other processes carry it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_unlinkable(scope):
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"traceparent"), None)
        parent = parent_of(incoming)
        caller = trace.get_current_span(parent).get_span_context() if parent is not None else None
        if caller is not None and caller.is_valid:
            trace_id, flags = caller.trace_id, caller.trace_flags
        else:
            # Marked sampled: this process records nothing, and leaves the decision to a process further
            # on that does (a service exporting behind a gateway that does not).
            trace_id, flags = _IDS.generate_trace_id(), TraceFlags(TraceFlags.SAMPLED)
        here = SpanContext(trace_id, _IDS.generate_span_id(), is_remote=False, trace_flags=flags)
        token = context.attach(trace.set_span_in_context(NonRecordingSpan(here)))
        try:
            await self.app(scope, receive, send)
        finally:
            context.detach(token)


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span (for an event stored now, or a call made now)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def current_trace_id() -> str | None:
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def parent_of(traceparent: str | None) -> Context | None:
    """The context a stored `traceparent` names (None: a trace of its own)."""
    if not traceparent:
        return None
    carrier: Mapping[str, str] = {"traceparent": traceparent}
    return propagate.extract(carrier)


@contextmanager
def consuming_many(name: str, traceparents: list[str | None]) -> Iterator[Span]:
    """A span for handling many events at once: linked to the trace of each, a child of none."""
    links = [
        Link(trace.get_current_span(context).get_span_context())
        for context in map(parent_of, traceparents)
        if context is not None
    ]
    with tracer().start_as_current_span(
        f"{name} batch", context=Context(), kind=SpanKind.CONSUMER, links=links
    ) as span:
        yield span


@contextmanager
def consuming(name: str, traceparent: str | None, **attributes: str) -> Iterator[Span]:
    """A span for handling one event, a child of the trace that published it."""
    with tracer().start_as_current_span(
        name, context=parent_of(traceparent), kind=SpanKind.CONSUMER, attributes=attributes
    ) as span:
        yield span
