"""HTTP endpoint for access requests to the enrolment service (the gateway gathers every service's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.enrollment.privacy import repository
from services.enrollment.privacy.models import PersonalDataRead
from services.kernel.auth.tokens import CurrentPrincipal
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.privacy import (
    NotTheSubject,
    OidQuery,
    PersonIdQuery,
    SubjectData,
    SubjectNotFound,
    gather,
    may_read_subject,
    record_read,
)
from services.kernel.problems import COMMON_RESPONSES

router = APIRouter(route_class=TransactionalRoute, tags=["privacy"], responses=COMMON_RESPONSES)
EmailQuery = Annotated[str | None, Query(max_length=254, description="The person's e-mail address.")]


@router.get(
    "/privacy/subject",
    summary="Everything this service holds about a person",
    responses={403: NotTheSubject.openapi(), 404: SubjectNotFound.openapi()},
)
async def subject_data(
    session: SessionDep,
    principal: CurrentPrincipal,
    oid: OidQuery = None,
    person_id: PersonIdQuery = None,
    email: EmailQuery = None,
) -> SubjectData:
    """An access request's part from this service: the person (by `person_id`, `oid` or `email`; without
    any, the caller), their leader groups, enrolments, places, attendance, completions, mails, calendar
    feeds, coaching requests, reflection groups, what they did as a coordinator or coach, and who read
    their data in bulk. To the person themselves or a privacy officer; the read is recorded."""
    if oid is None and person_id is None and email is None:
        oid = principal.oid
    person = await repository.find_person(session, person_id=person_id, oid=oid, email=email)
    if person is None and oid is None:
        # Named by directory id or e-mail, and the directory has nobody by it. Only a privacy officer
        # learns that (anyone else is refused before: they may ask about themselves only).
        may_read_subject(principal, None)
        raise SubjectNotFound("The directory has nobody by that id or e-mail.")
    subject_oid = person.entra_oid if person is not None and person.entra_oid else oid
    may_read_subject(principal, subject_oid)
    subject_id = person.id if person is not None else None
    data = await gather(session, repository.SUBJECT, {"person_id": subject_id, "oid": subject_oid})
    await record_read(
        session,
        PersonalDataRead,
        principal,
        "access request",
        subject_ids=[subject_id] if subject_id else [],
        subject_oids=[subject_oid] if subject_oid else [],
    )
    return SubjectData(
        service="enrollment",
        subject={
            "person_id": str(subject_id) if subject_id else None,
            "oid": subject_oid,
            "email": person.email if person is not None else None,
            "external_id": person.external_id if person is not None else None,
        },
        data=data,
    )
