"""Operations API of a service's event consumers (role `ops`): positions, dead letters, retry, replay."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.kernel.auth.tokens import OpsOnly
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.eventbus import repository
from services.kernel.eventbus.consumer import describe_error, handle_one
from services.kernel.eventbus.envelope import Event
from services.kernel.eventbus.repository import Position
from services.kernel.eventbus.runtime import EventBusRuntime
from services.kernel.eventbus.subscriptions import Subscription
from services.kernel.paging import Page, Paging
from services.kernel.problems import (
    COMMON_RESPONSES,
    Conflict,
    Forbidden,
    NotFound,
    Problem,
    ProblemResponse,
    problem_response,
    problem_type,
)
from services.kernel.schemas import BIGINT_MAX, BigIntId, WriteModel

router = APIRouter(
    route_class=TransactionalRoute,
    prefix="/eventbus",
    tags=["event bus"],
    responses={**COMMON_RESPONSES, 403: Forbidden.openapi()},
)


class PositionModel(WriteModel):
    xid: str = Field(pattern=r"^\d{1,19}$", description="Transaction id (xid8) of the last event handled.")
    id: BigIntId = Field(description="Event id of the last event handled.")

    @field_validator("xid")
    @classmethod
    def _xid_in_range(cls, value: str) -> str:
        if int(value) > BIGINT_MAX:
            raise ValueError("xid is out of range")
        return value


class SubscriptionPublic(BaseModel):
    name: str
    topics: list[str]
    position: PositionModel
    attempts: int = Field(description="Failed attempts on the next event.")
    next_attempt_at: datetime | None
    last_error: str | None
    updated_at: datetime
    lag: int = Field(
        description=f"Events for its topics not yet handled (counted up to {repository.LAG_CAP})."
    )
    dead_letters: int = Field(description="Dead letters not yet retried or resolved.")


class SubscriptionPage(Page[SubscriptionPublic]):
    """A page of this service's event subscriptions."""


class DeadLetterPublic(BaseModel):
    id: int
    subscription: str
    attempts: int
    error: str
    dead_at: datetime
    resolved_at: datetime | None
    event: Event


class DeadLetterPage(Page[DeadLetterPublic]):
    """A page of dead-lettered events."""


class ResetRequest(WriteModel):
    """Where to move the subscription: exactly one of `to`, `position`, `from_event_id`."""

    # Replaying is safe by contract (handlers tolerate replays); skipping to the end is not a default.
    model_config = ConfigDict(json_schema_extra={"examples": [{"to": "beginning"}]})

    to: Literal["beginning", "end"] | None = Field(
        default=None, description="`beginning` replays all history; `end` skips everything published so far."
    )
    position: PositionModel | None = Field(
        default=None, description="Replay every event after this position."
    )
    from_event_id: uuid.UUID | None = Field(default=None, description="Replay from this event, inclusive.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [v for v in (self.to, self.position, self.from_event_id) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of to, position, from_event_id")
        return self


class PositionInTheFuture(Problem):
    status = 422
    slug = "position-in-the-future"
    title = "The position lies beyond every transaction so far"


def _runtime(request: Request) -> EventBusRuntime:
    runtime: EventBusRuntime = request.app.state.eventbus
    return runtime


def _subscription(request: Request, name: str) -> Subscription:
    subscription = _runtime(request).subscriptions.get(name)
    if subscription is None:
        raise NotFound(f"This service has no subscription named {name!r}.")
    return subscription


def _public_subscription(
    state: repository.SubscriptionState, backlog: repository.Backlog
) -> SubscriptionPublic:
    return SubscriptionPublic(
        name=state.name,
        topics=state.topics,
        position=PositionModel(xid=state.position.xid, id=state.position.id),
        attempts=state.attempts,
        next_attempt_at=state.next_attempt_at,
        last_error=state.last_error,
        updated_at=state.updated_at,
        lag=backlog.lag,
        dead_letters=backlog.dead_letters,
    )


def _public_dead_letter(letter: repository.DeadLetter) -> DeadLetterPublic:
    return DeadLetterPublic(
        id=letter.id,
        subscription=letter.subscription,
        attempts=letter.attempts,
        error=letter.error,
        dead_at=letter.dead_at,
        resolved_at=letter.resolved_at,
        event=letter.event,
    )


@router.get("/subscriptions", summary="List this service's event subscriptions")
async def list_subscriptions(
    request: Request, session: SessionDep, _: OpsOnly, paging: Paging
) -> SubscriptionPage:
    """Position, lag, dead letters, pending retries and the last error of each consumer of this service."""
    names = list(paging.window(list(_runtime(request).subscriptions)))
    states = await repository.get_states(session, names)
    backlogs = await repository.backlogs(session, names)
    return paging.page(
        SubscriptionPage, [_public_subscription(state, backlogs[state.name]) for state in states]
    )


@router.post(
    "/subscriptions/{name}/reset",
    summary="Move a subscription to replay from a position",
    responses={404: NotFound.openapi(), 422: PositionInTheFuture.openapi()},
)
async def reset_subscription(
    name: str, body: ResetRequest, request: Request, session: SessionDep, _: OpsOnly
) -> SubscriptionPublic:
    """Set the position; events after it are delivered again (handlers must tolerate replays).

    A position whose transaction id has not been handed out yet is refused: the subscription would skip
    every event until the database's transaction counter reached it, silently."""
    subscription = _subscription(request, name)
    await repository.claim(session, subscription.name, wait=True)
    if body.to == "beginning":
        position = Position("0", 0)
    elif body.to == "end":
        position = await repository.end_position(session)
    elif body.position is not None:
        position = Position(body.position.xid, body.position.id)
        if not await repository.xid_handed_out(session, position.xid):
            raise PositionInTheFuture(
                f"No transaction {position.xid} has started yet; a position names one that has."
            )
    else:
        found = await repository.position_before_event(session, body.from_event_id)
        if found is None:
            raise NotFound(f"No event with id {body.from_event_id}.")
        position = found
    await repository.advance(session, subscription.name, position)
    state = await repository.claim(session, subscription.name, wait=True)
    assert state is not None
    _runtime(request).wake_all()
    return _public_subscription(state, (await repository.backlogs(session, [state.name]))[state.name])


@router.get("/dead-letters", summary="List dead-lettered events")
async def list_dead_letters(
    request: Request,
    session: SessionDep,
    _: OpsOnly,
    paging: Paging,
    include_resolved: bool = False,
) -> DeadLetterPage:
    """Events this service's consumers gave up on, with the error of the last attempt."""
    letters = await repository.list_dead_letters(
        session,
        list(_runtime(request).subscriptions),
        include_resolved=include_resolved,
        limit=paging.fetch,
        offset=paging.offset,
    )
    return paging.page(DeadLetterPage, [_public_dead_letter(letter) for letter in letters])


@router.post(
    "/dead-letters/{dead_letter_id}/retry",
    summary="Run the handler again for a dead-lettered event",
    response_model=DeadLetterPublic,
    responses={404: NotFound.openapi(), 409: Conflict.openapi()},
)
async def retry_dead_letter(
    dead_letter_id: Annotated[int, Path(ge=1, le=BIGINT_MAX)],
    request: Request,
    session: SessionDep,
    _: OpsOnly,
) -> DeadLetterPublic | ProblemResponse:
    """Handle the event now; on success it is marked resolved, on failure the new error is returned (409)."""
    runtime = _runtime(request)
    letter = await repository.get_dead_letter(session, dead_letter_id, lock=True)
    if letter is None or letter.subscription not in runtime.subscriptions:
        raise NotFound(f"No dead letter {dead_letter_id} for this service.")
    if letter.resolved_at is not None:
        raise Conflict("This dead letter is already resolved.")
    subscription = runtime.subscriptions[letter.subscription]
    # Hold the subscription row so the handler never runs beside the worker of the same subscription.
    await repository.claim(session, subscription.name, wait=True)
    error = await handle_one(session, subscription, letter.event)
    await repository.mark_retry(
        session, letter.id, resolved=error is None, error=describe_error(error) if error else None
    )
    updated = await repository.get_dead_letter(session, dead_letter_id, lock=False)
    assert updated is not None
    if error is not None:
        # Returned, not raised: the transaction still commits the attempt count and the new error.
        return problem_response(
            Conflict.status,
            type_=problem_type("handler-failed"),
            title="The handler failed again",
            detail=updated.error,
            instance=request.url.path,
            extra={"attempts": updated.attempts},
        )
    return _public_dead_letter(updated)
