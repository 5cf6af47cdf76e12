"""A small program against the generated Python client, type-checked by the client test."""

from __future__ import annotations

import uuid

from ledelse_client.api.enrollment_enrollments import (
    enrollment_create_enrollment,
    enrollment_list_my_enrollments,
)
from ledelse_client.api.enrollment_reflection_groups import enrollment_get_round
from ledelse_client.client import AuthenticatedClient
from ledelse_client.models import (
    EnrollmentCreate,
    EnrollmentPublic,
    MyEnrollmentPage,
    ProblemDetails,
    RoundPublic,
)
from ledelse_client.types import UNSET, Unset


def enroll(client: AuthenticatedClient, session_id: uuid.UUID) -> str:
    answer = enrollment_create_enrollment.sync(client=client, body=EnrollmentCreate(session_id=session_id))
    if isinstance(answer, EnrollmentPublic):
        return f"{answer.status} {answer.id}"
    if isinstance(answer, ProblemDetails):
        return answer.type_
    return "no answer"


def group_count(client: AuthenticatedClient, round_id: uuid.UUID) -> int:
    answer = enrollment_get_round.sync(client=client, round_id=round_id)
    return len(answer.groups) if isinstance(answer, RoundPublic) else 0


def my_titles(client: AuthenticatedClient) -> list[str]:
    """Every page of my enrollments, following `next_cursor` to the end."""
    titles: list[str] = []
    cursor: str | Unset = UNSET
    while True:
        page = enrollment_list_my_enrollments.sync(client=client, cursor=cursor, limit=100)
        if not isinstance(page, MyEnrollmentPage):
            return titles
        titles += [enrollment.offering_title for enrollment in page.items]
        if not isinstance(page.next_cursor, str):
            return titles
        cursor = page.next_cursor


def client() -> AuthenticatedClient:
    return AuthenticatedClient(base_url="http://127.0.0.1:8000", token="token")
