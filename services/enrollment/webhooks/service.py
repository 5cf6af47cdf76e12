"""Registering, changing, rotating and replaying webhook endpoints (ops).

Every change to an endpoint takes its subscription's advisory lock first and then the endpoint's row, the
order a delivery pass takes them in: a change waits for the delivery under way (at most the delivery
timeout) and the next pass sees it.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.settings import EnrollmentSettings
from services.enrollment.webhooks import addresses, repository
from services.enrollment.webhooks.addresses import AddressRefused
from services.enrollment.webhooks.models import WebhookEndpoint, subscription_name
from services.enrollment.webhooks.schemas import (
    Delivery,
    EndpointChange,
    EndpointCreate,
    EndpointCreated,
    EndpointPublic,
    ReplayRequest,
)
from services.kernel import clock
from services.kernel.eventbus import repository as bus
from services.kernel.eventbus.repository import Position
from services.kernel.problems import Conflict, NotFound, Problem

MAX_ENDPOINTS = 100
SECRET_BYTES = 32


class WebhookNotFound(NotFound):
    slug = "webhook-not-found"
    title = "No such webhook endpoint"


class AddressNotAllowed(Problem):
    status = 422
    slug = "webhook-address-refused"
    title = "Deliveries cannot go to this URL"


class TooManyWebhooks(Conflict):
    slug = "too-many-webhooks"
    title = "There are as many webhook endpoints as allowed"


class EventNotFound(NotFound):
    slug = "event-not-found"
    title = "No such event"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


async def check_address(url: str, settings: EnrollmentSettings) -> None:
    try:
        await addresses.check(
            url, allow_http=settings.webhook_allow_http, networks=list(settings.webhook_allowed_networks)
        )
    except AddressRefused as exc:
        raise AddressNotAllowed(str(exc)) from None


async def create(
    session: AsyncSession, body: EndpointCreate, settings: EnrollmentSettings
) -> EndpointCreated:
    await check_address(body.url, settings)
    if await repository.count(session) >= MAX_ENDPOINTS:
        raise TooManyWebhooks(f"At most {MAX_ENDPOINTS} endpoints; delete one no longer used.")
    endpoint = WebhookEndpoint(
        url=body.url, description=body.description, topics=body.topics, secret=new_secret()
    )
    session.add(endpoint)
    await session.flush()
    await repository.start_subscription(session, endpoint.id, endpoint.topics)
    await session.refresh(endpoint)
    public = (await publish(session, [endpoint]))[0]
    return EndpointCreated(**public.model_dump(), secret=endpoint.secret)


async def found(session: AsyncSession, endpoint_id: uuid.UUID, *, lock: bool = False) -> WebhookEndpoint:
    """The endpoint, or WebhookNotFound."""
    endpoint = await repository.get(session, endpoint_id, lock=lock)
    if endpoint is None:
        raise WebhookNotFound(f"No webhook endpoint {endpoint_id}.")
    return endpoint


async def locked(session: AsyncSession, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """The endpoint, with its subscription's lock and then its row's (the delivery's order)."""
    await bus.claim(session, subscription_name(endpoint_id), wait=True)
    return await found(session, endpoint_id, lock=True)


async def change(
    session: AsyncSession, endpoint_id: uuid.UUID, body: EndpointChange, settings: EnrollmentSettings
) -> EndpointPublic:
    endpoint = await locked(session, endpoint_id)
    fields = body.model_fields_set
    if "url" in fields and body.url is not None and body.url != endpoint.url:
        await check_address(body.url, settings)
        endpoint.url = body.url
    if "topics" in fields and body.topics is not None:
        endpoint.topics = body.topics
        await bus.register(session, subscription_name(endpoint.id), body.topics)
    if "description" in fields:
        endpoint.description = body.description
    if body.enabled is True and not endpoint.enabled:
        endpoint.enabled = True
        endpoint.disabled_at = endpoint.disabled_reason = endpoint.failing_since = None
        await _retry_now(session, endpoint.id)
    elif body.enabled is False and endpoint.enabled:
        endpoint.enabled = False
        endpoint.disabled_at = clock.now()
        endpoint.disabled_reason = "Disabled by ops."
    endpoint.updated_at = clock.now()
    await session.flush()
    return (await publish(session, [endpoint]))[0]


async def _retry_now(session: AsyncSession, endpoint_id: uuid.UUID) -> None:
    """Keep the position, forget the failed attempts: the next pass tries at once."""
    name = subscription_name(endpoint_id)
    state = (await bus.get_states(session, [name]))[0]
    await bus.advance(session, name, state.position)


async def rotate_secret(
    session: AsyncSession, endpoint_id: uuid.UUID, settings: EnrollmentSettings
) -> tuple[str, WebhookEndpoint]:
    endpoint = await locked(session, endpoint_id)
    overlap = settings.webhook_secret_overlap_seconds
    endpoint.previous_secret = endpoint.secret if overlap > 0 else None
    endpoint.previous_secret_until = clock.now() + timedelta(seconds=overlap) if overlap > 0 else None
    endpoint.secret = new_secret()
    endpoint.updated_at = clock.now()
    await session.flush()
    return endpoint.secret, endpoint


async def replay(session: AsyncSession, endpoint_id: uuid.UUID, body: ReplayRequest) -> EndpointPublic:
    endpoint = await locked(session, endpoint_id)
    position: Position | None
    if body.to == "end":
        position = await bus.end_position(session)
    elif body.from_event_id is not None:
        position = await bus.position_before_event(session, body.from_event_id)
        if position is None:
            raise EventNotFound(f"No event {body.from_event_id}.")
    else:
        assert body.since is not None
        position = await repository.position_since(session, endpoint.topics, body.since)
        if position is None:  # nothing since then: nothing to deliver again
            position = await bus.end_position(session)
    await bus.advance(session, subscription_name(endpoint.id), position)
    return (await publish(session, [endpoint]))[0]


async def delete(session: AsyncSession, endpoint_id: uuid.UUID) -> None:
    endpoint = await locked(session, endpoint_id)
    await session.delete(endpoint)
    await session.flush()
    await repository.drop_subscription(session, endpoint_id)


async def publish(session: AsyncSession, endpoints: list[WebhookEndpoint]) -> list[EndpointPublic]:
    """The endpoints as the API shows them, with where their deliveries stand."""
    names = [subscription_name(e.id) for e in endpoints]
    states = {s.name: s for s in await bus.get_states(session, names)}
    backlogs = await bus.backlogs(session, names)
    public = []
    for endpoint, name in zip(endpoints, names, strict=True):
        state, backlog = states[name], backlogs[name]
        delivery = Delivery(
            pending=backlog.lag,
            attempts=state.attempts,
            next_attempt_at=state.next_attempt_at,
            last_error=state.last_error,
            last_delivered_event=state.position.id,
        )
        public.append(EndpointPublic.model_validate({**endpoint.model_dump(), "delivery": delivery}))
    return public
