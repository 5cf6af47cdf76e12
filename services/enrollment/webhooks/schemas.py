"""Request and response bodies of the webhooks API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from services.enrollment.webhooks import topics as catalogue
from services.kernel.paging import Page
from services.kernel.schemas import SINGLE_LINE, OsloDatetime, PatchModel, ReadModel, WriteModel


def _url(default: object = ...) -> Any:
    return Field(
        default,
        min_length=10,
        max_length=2000,
        pattern=SINGLE_LINE,
        description="Where deliveries are POSTed: `https://`, on a public address (see the configuration for "
        "exceptions); redirects are not followed.",
    )


def _topics(default: object = ...) -> Any:
    return Field(
        default,
        min_length=1,
        max_length=100,
        description="The event topics to deliver (`GET /webhook-topics` lists them), each once.",
    )


DESCRIPTION_FIELD = Field(default=None, max_length=500, pattern=SINGLE_LINE)


def _known_topics(value: list[str]) -> list[str]:
    offered = catalogue.offered()
    unknown = sorted({t for t in value if t not in offered})
    if unknown:
        raise ValueError(
            f"no such topic to subscribe to: {', '.join(unknown)} (GET /webhook-topics lists them)"
        )
    if len(set(value)) != len(value):
        raise ValueError("a topic is named more than once")
    return value


Topics = Annotated[list[str], AfterValidator(_known_topics)]


class EndpointCreate(WriteModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hr.example.org/hooks/ledelsesutvikling",
                    "topics": ["enrollment.participation_completed", "enrollment.completion_withdrawn"],
                    "description": "HR: completed training",
                }
            ]
        }
    )

    url: str = _url()
    topics: Topics = _topics()
    description: str | None = DESCRIPTION_FIELD


class EndpointChange(PatchModel):
    """What to change; `enabled: true` resumes a disabled endpoint where its deliveries stopped."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"enabled": True}]})

    clearable: ClassVar[frozenset[str]] = frozenset({"description"})

    url: str | None = _url(None)
    topics: Topics | None = _topics(None)
    description: str | None = DESCRIPTION_FIELD
    enabled: bool | None = None


class Delivery(BaseModel):
    """Where the endpoint's deliveries stand."""

    pending: int = Field(description="Events of its topics not yet delivered (counted up to 100,000).")
    attempts: int = Field(description="Failed attempts at the next event.")
    next_attempt_at: OsloDatetime | None
    last_error: str | None
    last_delivered_event: int = Field(description="Event-bus id of the last event delivered or skipped.")


class EndpointPublic(ReadModel):
    id: uuid.UUID
    url: str
    description: str | None
    topics: list[str]
    enabled: bool
    disabled_at: OsloDatetime | None
    disabled_reason: str | None = Field(description="Why the endpoint was disabled.")
    failing_since: OsloDatetime | None = Field(description="First failure since the last delivery.")
    previous_secret_until: OsloDatetime | None = Field(
        description="Until then deliveries carry a signature with the previous secret too."
    )
    created_at: OsloDatetime
    updated_at: OsloDatetime
    delivery: Delivery


class EndpointCreated(EndpointPublic):
    secret: str = Field(description="The signing secret (`whsec_…`), shown this once.")


class SecretRotated(BaseModel):
    secret: str = Field(description="The new signing secret (`whsec_…`), shown this once.")
    previous_secret_until: OsloDatetime | None = Field(
        description="Until then deliveries are signed with the previous secret as well."
    )


class ReplayRequest(WriteModel):
    """From where to deliver again: exactly one of `since`, `from_event_id` and `to`."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"since": "2026-12-01T00:00:00+01:00"}]})

    since: datetime | None = Field(
        default=None,
        description="Deliver again every event of the endpoint's topics that occurred at or after this time "
        "(and any delivered after the first of them).",
    )
    from_event_id: uuid.UUID | None = Field(default=None, description="Deliver again from this event on.")
    to: Literal["end"] | None = Field(default=None, description="`end`: skip every event not yet delivered.")

    @field_validator("since")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give the time with its offset (e.g. +01:00 or Z)")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if sum(v is not None for v in (self.since, self.from_event_id, self.to)) != 1:
            raise ValueError("give exactly one of since, from_event_id and to")
        return self


class AttemptPublic(ReadModel):
    id: int
    event_id: uuid.UUID
    topic: str
    attempted_at: OsloDatetime
    delivered: bool
    status_code: int | None
    error: str | None
    duration_ms: int


class TopicPublic(BaseModel):
    topic: str
    source: str
    payload_version: int
    description: str


class EndpointPage(Page[EndpointPublic]):
    """A page of webhook endpoints."""


class AttemptPage(Page[AttemptPublic]):
    """A page of delivery attempts, the newest first."""


class TopicPage(Page[TopicPublic]):
    """The topics an endpoint may subscribe to."""
