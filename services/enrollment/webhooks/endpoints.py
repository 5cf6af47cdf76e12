"""HTTP endpoints of webhooks (ops): register integrations' endpoints, rotate secrets, replay, inspect."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from services.enrollment.webhooks import repository, service
from services.enrollment.webhooks import topics as catalogue
from services.enrollment.webhooks.schemas import (
    AttemptPage,
    AttemptPublic,
    EndpointChange,
    EndpointCreate,
    EndpointCreated,
    EndpointPage,
    EndpointPublic,
    ReplayRequest,
    SecretRotated,
    TopicPage,
    TopicPublic,
)
from services.enrollment.webhooks.service import (
    AddressNotAllowed,
    EventNotFound,
    TooManyWebhooks,
    WebhookNotFound,
)
from services.kernel.auth.tokens import OpsOnly
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.paging import Paging
from services.kernel.problems import COMMON_RESPONSES, Forbidden, responses_for

router = APIRouter(
    route_class=TransactionalRoute,
    tags=["webhooks"],
    responses={**COMMON_RESPONSES, 403: Forbidden.openapi()},
)
NOT_FOUND = responses_for(WebhookNotFound)


def _wake(request: Request) -> None:
    """Deliveries start at the supervisor's next look; a replay or an enabled endpoint sooner."""
    request.app.state.eventbus.wake_all()


@router.get("/webhook-topics", summary="List the topics an endpoint may subscribe to")
async def list_topics(_: OpsOnly, paging: Paging) -> TopicPage:
    """Every published topic not internal to the services; the payload of each is described in the
    OpenAPI document's `webhooks` section."""
    rows = [
        TopicPublic(
            topic=name,
            source=entry["source"],
            payload_version=entry["payload_version"],
            description=entry["description"],
        )
        for name, entry in sorted(catalogue.offered().items())
    ]
    return paging.slice(TopicPage, rows)


@router.post(
    "/webhooks",
    summary="Register a webhook endpoint",
    status_code=201,
    responses=responses_for(TooManyWebhooks, AddressNotAllowed),
)
async def register_endpoint(
    request: Request, session: SessionDep, _: OpsOnly, body: EndpointCreate
) -> EndpointCreated:
    """Deliveries start with the events that occur from now on (earlier ones by replay), signed as
    Standard Webhooks describes with the secret in the answer, shown this once. The URL is refused when
    it is not `https://` or its host resolves to an address that is not public (unless the configuration
    allows that network)."""
    return await service.create(session, body, request.app.state.settings)


@router.get("/webhooks", summary="List webhook endpoints")
async def list_endpoints(session: SessionDep, _: OpsOnly, paging: Paging) -> EndpointPage:
    """Each endpoint with where its deliveries stand; secrets are never shown again."""
    endpoints = list(await repository.page(session, paging.fetch, paging.offset))
    return paging.page(EndpointPage, await service.publish(session, endpoints))


@router.get("/webhooks/{endpoint_id}", summary="Get a webhook endpoint", responses=NOT_FOUND)
async def get_endpoint(endpoint_id: uuid.UUID, session: SessionDep, _: OpsOnly) -> EndpointPublic:
    """The endpoint, whether it is enabled (and why not), and its deliveries: pending events, failed
    attempts at the next one, when the next attempt is, the last error."""
    return (await service.publish(session, [await service.found(session, endpoint_id)]))[0]


@router.patch(
    "/webhooks/{endpoint_id}",
    summary="Change, disable or enable a webhook endpoint",
    responses=responses_for(WebhookNotFound, AddressNotAllowed),
)
async def change_endpoint(
    endpoint_id: uuid.UUID, request: Request, session: SessionDep, _: OpsOnly, body: EndpointChange
) -> EndpointPublic:
    """`enabled: true` resumes a disabled endpoint from the event it stopped at, trying it at once."""
    changed = await service.change(session, endpoint_id, body, request.app.state.settings)
    _wake(request)
    return changed


@router.delete(
    "/webhooks/{endpoint_id}", summary="Delete a webhook endpoint", status_code=204, responses=NOT_FOUND
)
async def delete_endpoint(endpoint_id: uuid.UUID, session: SessionDep, _: OpsOnly) -> Response:
    """Deliveries stop; its attempts log goes with it."""
    await service.delete(session, endpoint_id)
    return Response(status_code=204)


@router.post(
    "/webhooks/{endpoint_id}/rotate-secret",
    summary="Rotate an endpoint's signing secret",
    responses=NOT_FOUND,
)
async def rotate_secret(
    endpoint_id: uuid.UUID, request: Request, session: SessionDep, _: OpsOnly
) -> SecretRotated:
    """A new secret, shown this once. For `webhook_secret_overlap_seconds` (a day unless configured)
    deliveries carry two signatures, with the new secret and the old, so the receiver can switch when
    it likes."""
    secret, endpoint = await service.rotate_secret(session, endpoint_id, request.app.state.settings)
    return SecretRotated(secret=secret, previous_secret_until=endpoint.previous_secret_until)


@router.post(
    "/webhooks/{endpoint_id}/replay",
    summary="Deliver again from a point, or skip ahead",
    responses=responses_for(WebhookNotFound, EventNotFound),
)
async def replay(
    endpoint_id: uuid.UUID, request: Request, session: SessionDep, _: OpsOnly, body: ReplayRequest
) -> EndpointPublic:
    """Moves where the endpoint's deliveries stand: from a time (`since`), from an event
    (`from_event_id`), or past everything so far (`to: end`). Events delivered again keep their
    `webhook-id`."""
    replayed = await service.replay(session, endpoint_id, body)
    _wake(request)
    return replayed


@router.get("/webhooks/{endpoint_id}/attempts", summary="List delivery attempts", responses=NOT_FOUND)
async def list_attempts(
    endpoint_id: uuid.UUID, session: SessionDep, _: OpsOnly, paging: Paging
) -> AttemptPage:
    """The endpoint's delivery attempts of the last 30 days, the newest first: the event, the answer's
    status or why there was none, and how long it took."""
    await service.found(session, endpoint_id)
    rows = await repository.attempts(session, endpoint_id, paging.fetch, paging.offset)
    return paging.page(AttemptPage, [AttemptPublic.model_validate(row) for row in rows])
