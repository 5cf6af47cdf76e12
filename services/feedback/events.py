"""Events the feedback service publishes (payload contracts; see openapi/events.json).

None is published when someone answers: the only count of answers goes out when the survey closes.
Only the mail requests name a person: whom to invite or remind (the enrollment service, which keeps the
addresses, sends them). An invitation says who was invited, which the enrollment service knows already
(who took part); a reminder goes to those who have not fetched a credential, which says nothing of
whether anyone answered.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from services.kernel.eventbus import EventPayload

SOURCE = "feedback"


class SurveyFacts(EventPayload):
    aggregate_type: ClassVar[str] = "survey"

    survey_id: uuid.UUID
    kind: str
    template_key: str
    template_version: int
    session_id: uuid.UUID | None
    offering_id: uuid.UUID | None
    leader_group_id: uuid.UUID | None
    open_until: datetime


class SurveyOpened(SurveyFacts):
    """A survey opened (from an event or by a coordinator), with how many people it invited."""

    topic: ClassVar[str] = "feedback.survey_opened"

    invited: int


class SurveyClosed(SurveyFacts):
    """A survey closed (its time ran out or a coordinator closed it); its responses are now released, if
    enough people answered."""

    topic: ClassVar[str] = "feedback.survey_closed"

    invited: int
    responses: int = Field(description="Responses released; 0 when fewer than the threshold answered.")
    released: bool = Field(
        default=True, description="False when fewer than the threshold answered: nothing was released."
    )


class MailRequested(EventPayload):
    """A person should get a mail about a survey: `kind` `survey-invitation` when they are invited, or
    `survey-reminder` before it closes. `data` has the survey's `title`, `closes_at` and the `link` the
    intranet answers it at; nothing about anyone else."""

    topic: ClassVar[str] = "feedback.mail_requested"
    internal: ClassVar[bool] = True
    aggregate_type: ClassVar[str] = "person"

    recipient_person_id: uuid.UUID
    kind: str
    data: dict[str, Any]


PUBLISHED: tuple[type[EventPayload], ...] = (SurveyOpened, SurveyClosed, MailRequested)
