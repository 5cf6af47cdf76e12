"""The app factory every domain service uses: lifespan, middleware, errors, health, docs, event bus."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.kernel import database, health, migrations, telemetry, unlinkable
from services.kernel.auth.jwks import JwksCache
from services.kernel.auth.tokens import TokenVerifier, declare_access
from services.kernel.docs import install_docs
from services.kernel.eventbus import admin as eventbus_admin
from services.kernel.eventbus import repository as eventbus_repository
from services.kernel.eventbus.consumer import DeliveryPolicy
from services.kernel.eventbus.runtime import EventBusRuntime
from services.kernel.eventbus.subscriptions import Subscription
from services.kernel.languages import LanguageMiddleware
from services.kernel.limits import RequestLimitsMiddleware
from services.kernel.load import RequestLoad, RequestLoadMiddleware
from services.kernel.logs import configure_logging
from services.kernel.methods import AllowedMethodsMiddleware
from services.kernel.metrics import BUS_DEAD, BUS_LAG, POOL, MetricsMiddleware, metrics_endpoint
from services.kernel.periodic import PeriodicJob, PeriodicRunner
from services.kernel.presence import Presence
from services.kernel.privacy import Processing, register_router
from services.kernel.problem_handlers import install_problem_handlers
from services.kernel.requestid import RequestIdMiddleware
from services.kernel.retention import Retention, retention_job
from services.kernel.settings import PlatformSettings, ServiceSettings

log = logging.getLogger(__name__)

EVENTBUS_MIGRATIONS = migrations.MigrationSet(
    schema="eventbus", directory=Path(__file__).parent / "eventbus" / "migrations"
)


@dataclass(frozen=True)
class LoopSupervisor:
    """Event-bus loops that come and go while the service runs (one per webhook endpoint): `job` makes
    the periodic job that attaches them to the runtime and detaches them to match what is stored; they
    take at most `connections` worker connections at once."""

    connections: Callable[[Any], int]
    job: Callable[[EventBusRuntime, async_sessionmaker[AsyncSession], Any], PeriodicJob]


@dataclass(frozen=True)
class ServiceDefinition:
    """What makes a service itself: its name, schema, routers and event subscriptions."""

    name: str
    title: str
    description: str
    migrations: migrations.MigrationSet
    routers: Sequence[APIRouter]
    subscriptions: Sequence[Subscription] = field(default_factory=tuple)
    periodic: Sequence[PeriodicJob] = field(default_factory=tuple)
    # The register of processing: what personal data the service keeps, why, and for how long.
    privacy: Sequence[Processing] = field(default_factory=tuple)
    # The periods of the register the service enforces itself (an hourly job deletes what outlived them).
    retention: Sequence[Retention] = field(default_factory=tuple)
    supervisors: Sequence[LoopSupervisor] = field(default_factory=tuple)
    version: str = "0.1.0"


def operation_id(service: str) -> Callable[[APIRoute], str]:
    """Stable operationIds (`catalog_list_sessions`): clean generated clients, readable Swagger UI."""

    def generate(route: APIRoute) -> str:
        return f"{service}_{route.name}"

    return generate


def resolve_database_url(settings: PlatformSettings) -> str:
    if settings.database_url:
        return settings.database_url
    raise RuntimeError(
        "DATABASE_URL is not set (in development, `python -m devtools db-url` starts the embedded "
        "PostgreSQL and prints its URL; `make run` sets it for every process)"
    )


def create_verifier(settings: PlatformSettings) -> TokenVerifier:
    assert settings.oidc_issuer
    assert settings.oidc_audience
    assert settings.oidc_jwks_url
    jwks = JwksCache(
        settings.oidc_jwks_url,
        ttl_seconds=settings.jwks_cache_seconds,
        cooldown_seconds=settings.jwks_refresh_cooldown_seconds,
    )
    return TokenVerifier(
        issuer=settings.oidc_issuer,
        audience=settings.oidc_audience,
        jwks=jwks,
        leeway_seconds=settings.jwt_leeway_seconds,
    )


def _scrape(service: str) -> Callable[[Request], Awaitable[None]]:
    """What `/metrics` reads at scrape time: the pool, and each subscription's lag and dead letters
    (the loops attached while running, such as webhook endpoints', included)."""

    async def refresh(request: Request) -> None:
        state = request.app.state
        if not hasattr(state, "engine"):
            return
        pool = state.engine.pool
        in_use, size = pool.checkedout(), pool.size()
        POOL.labels(service, "in_use").set(in_use)
        POOL.labels(service, "idle").set(pool.checkedin())
        POOL.labels(service, "size").set(size)
        names = [*state.eventbus.subscriptions, *state.eventbus.attached]
        if not names:
            return
        try:
            async with state.sessionmaker() as session:
                backlogs = await eventbus_repository.backlogs(session, names)
        except Exception as exc:  # the database is down: the rest of the metrics still answer
            log.warning("metrics: event-bus backlog unavailable: %s", exc)
            return
        for name, backlog in backlogs.items():
            BUS_LAG.labels(service, name).set(backlog.lag)
            BUS_DEAD.labels(service, name).set(backlog.dead_letters)

    return refresh


def _engine(
    database_url: str, settings: ServiceSettings, name: str, pool_size: int, max_overflow: int
) -> AsyncEngine:
    """A pool named `name` in pg_stat_activity, with the service's connect and statement bounds."""
    return database.create_engine(
        database_url,
        application_name=name,
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_timeout=settings.db_connect_timeout_seconds,
        statement_timeout_ms=settings.db_statement_timeout_ms,
        idle_in_transaction_timeout_ms=settings.db_idle_in_transaction_timeout_ms,
    )


def _require_transactional(router: APIRouter) -> None:
    """Every route commits its request's transaction before answering (`database.TransactionalRoute`); a
    router built without it would acknowledge writes that are not yet committed, so it is refused here."""
    loose = [
        f"{sorted(route.methods or ())} {route.path}"
        for route in router.routes
        if isinstance(route, APIRoute) and not isinstance(route, database.TransactionalRoute)
    ]
    if loose:
        raise RuntimeError(f"routes without route_class=TransactionalRoute: {', '.join(loose)}")


def create_service_app(definition: ServiceDefinition, settings: ServiceSettings) -> FastAPI:
    """Build the FastAPI app of one service. Nothing touches the database until the lifespan starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(definition.name, settings.log_level, settings.log_format)
        database_url = resolve_database_url(settings)
        engine = _engine(
            database_url, settings, definition.name, settings.db_pool_size, settings.db_max_overflow
        )
        sessionmaker = database.create_sessionmaker(engine)
        # Consumers and periodic jobs get connections of their own: behind a request queue (a rush of
        # enrollments waiting for one session's row lock holds every request connection) a consumer would
        # wait for a connection while its pass holds the ordering fence for the whole cluster.
        subscriptions = definition.subscriptions if settings.consumers_enabled else ()
        jobs = [
            *definition.periodic,
            *([retention_job(definition.retention)] if definition.retention else []),
        ]
        periodic_jobs = jobs if settings.consumers_enabled else []
        supervisors = definition.supervisors if settings.consumers_enabled else ()
        worker_engine = _engine(
            database_url,
            settings,
            f"{definition.name}-worker",
            pool_size=len(subscriptions) + len(periodic_jobs) + len(supervisors) + 1,
            max_overflow=len(subscriptions) + 2 + sum(s.connections(settings) for s in supervisors),
        )
        worker_sessionmaker = database.create_sessionmaker(worker_engine)
        # Work that decides under a hot lock for many requests at once (the enrollment service's admission)
        # gets connections of its own too: queued behind the very requests it decides, in the request
        # pool, it would hold everyone up. Opened only when first used; one connection per waiting list
        # deciding at the same moment, fixed for the reason the request pool is (`ServiceSettings`).
        decision_engine = _engine(database_url, settings, f"{definition.name}-decisions", 4, 0)
        migration_sets = (EVENTBUS_MIGRATIONS, definition.migrations)
        if settings.migrate_on_start:
            await migrations.upgrade(engine, *migration_sets)
        verifier = create_verifier(settings)
        await verifier.jwks.refresh()
        runtime = EventBusRuntime(
            worker_sessionmaker,
            listen_dsn=database.libpq_dsn(database_url),
            subscriptions=subscriptions,
            policy=DeliveryPolicy(
                batch_size=settings.event_batch_size,
                max_attempts=settings.event_max_attempts,
                retry_base_seconds=settings.event_retry_base_seconds,
                retry_max_seconds=settings.event_retry_max_seconds,
                poll_interval_seconds=settings.event_poll_interval_seconds,
            ),
            application_name=definition.name,
            load=load,
        )
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker
        app.state.decision_sessionmaker = database.create_sessionmaker(decision_engine)
        app.state.presence = Presence(database.libpq_dsn(database_url), f"{definition.name}-presence")
        app.state.migration_sets = migration_sets
        app.state.verifier = verifier
        app.state.eventbus = runtime
        # Periodic jobs run where the consumers run (`CONSUMERS_ENABLED=false` makes an API-only replica).
        periodic = PeriodicRunner(
            worker_sessionmaker,
            settings,
            [*periodic_jobs, *(s.job(runtime, worker_sessionmaker, settings) for s in supervisors)],
        )
        await runtime.start()
        periodic.start()
        log.info("%s ready", definition.name)
        try:
            yield
        finally:
            await periodic.stop()
            await runtime.stop()
            await app.state.presence.close()
            await worker_engine.dispose()
            await decision_engine.dispose()
            await engine.dispose()
            log.info("%s stopped", definition.name)

    app = FastAPI(
        title=definition.title,
        description=definition.description,
        version=definition.version,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id(definition.name),
        # A path with a trailing slash is not found rather than redirected: the redirect names the host
        # the request came to, which behind the gateway is the service's own address.
        redirect_slashes=False,
        telemetry=telemetry.fastapi_settings(definition.name),
    )
    install_problem_handlers(app)
    app.add_middleware(
        RequestLimitsMiddleware,
        max_body_bytes=settings.max_body_bytes,
        body_limits=settings.body_limits,
        max_header_bytes=settings.max_header_bytes,
    )
    app.add_middleware(AllowedMethodsMiddleware, routes=lambda: app.routes)
    app.add_middleware(LanguageMiddleware)
    load = RequestLoad()
    app.add_middleware(RequestLoadMiddleware, load=load)
    app.add_middleware(MetricsMiddleware, service=definition.name)
    app.add_middleware(RequestIdMiddleware)
    telemetry.instrument(app, definition.name)
    app.include_router(health.router)
    app.add_route("/metrics", metrics_endpoint(_scrape(definition.name)), include_in_schema=False)
    routers = [
        *definition.routers,
        register_router(definition.name, definition.privacy),
        *([eventbus_admin.router] if definition.subscriptions else []),
    ]
    for router in routers:
        declare_access(router.routes)
        _require_transactional(router)
        unlinkable.register_routes(router.routes)
        app.include_router(router)
    install_docs(app, title=definition.title)
    return app
