"""Events the feedback service publishes (payload contracts; see openapi/events.json).

None of them carries a person: a response event says only which survey got one more answer.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

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
    """A survey closed (its time ran out or a coordinator closed it); its responses are now released."""

    topic: ClassVar[str] = "feedback.survey_closed"

    invited: int
    responses: int


class ResponseReceived(EventPayload):
    """A survey got one more response. No person, invitation or answer travels with it."""

    topic: ClassVar[str] = "feedback.response_received"
    aggregate_type: ClassVar[str] = "survey"

    survey_id: uuid.UUID
    answered: int = Field(description="Invitations of the survey answered so far.")


PUBLISHED: tuple[type[EventPayload], ...] = (SurveyOpened, SurveyClosed, ResponseReceived)
