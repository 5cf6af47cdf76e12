"""HTTP endpoint for access requests to the enrolment service (the gateway gathers every service's)."""

from __future__ import annotations

import uuid
from typing import Annotated, Self

from fastapi import APIRouter, Query, Request
from pydantic import ConfigDict, Field, model_validator

from services.enrollment.directory.models import Person
from services.enrollment.privacy import repository, service
from services.enrollment.privacy.models import Erasure, PersonalDataRead
from services.kernel.auth.tokens import CurrentPrincipal
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.privacy import (
    NotTheSubject,
    OidQuery,
    PersonIdQuery,
    PrivacyOfficer,
    SubjectData,
    SubjectNotFound,
    gather,
    may_read_subject,
    record_read,
)
from services.kernel.problems import COMMON_RESPONSES, Forbidden, NotFound
from services.kernel.schemas import SINGLE_LINE, OsloDatetime, ReadModel, WriteModel

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


class ErasureOrder(WriteModel):
    """Whom to erase (one of `person_id`, `oid`, `email`) and why."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "ola.hansen@bydel-alna.oslo.kommune.no", "reason": "Krav om sletting"}]
        }
    )

    person_id: uuid.UUID | None = None
    oid: str | None = Field(default=None, min_length=1, max_length=64, pattern=SINGLE_LINE)
    email: str | None = Field(default=None, min_length=3, max_length=254, pattern=SINGLE_LINE)
    reason: str = Field(min_length=1, max_length=1000, description="Why (kept with the order).")

    @model_validator(mode="after")
    def _one_person(self) -> Self:
        if sum(v is not None for v in (self.person_id, self.oid, self.email)) != 1:
            raise ValueError("name the person by exactly one of person_id, oid and email")
        return self


class ErasurePublic(ReadModel):
    id: uuid.UUID
    new_person_id: uuid.UUID = Field(description="The pseudonymous id the person's records moved to.")
    ordered_by: str
    reason: str
    ordered_at: OsloDatetime
    scrubbed_at: OsloDatetime | None = Field(
        description="When the event payloads naming the person were rewritten: every service has acted."
    )


class ErasureNotFound(NotFound):
    slug = "erasure-not-found"
    title = "No such erasure"


@router.post(
    "/privacy/erasures",
    summary="Erase a person (privacy officers)",
    status_code=201,
    responses={403: Forbidden.openapi(), 404: SubjectNotFound.openapi()},
)
async def order_erasure(
    request: Request, session: SessionDep, principal: PrivacyOfficer, body: ErasureOrder
) -> ErasurePublic:
    """GDPR art. 17: the person's data here moves to a pseudonymous id (places, completions and counts
    stay; names, e-mail, object id, HR id, notes and reasons go; mail records, reminders, calendar
    numbers and feeds are deleted, and the development mail directory's copies); the catalogue and the
    feedback service act on `enrollment.person_erased`; the event payloads naming the person are
    rewritten once every service has acted (`scrubbed_at`)."""
    found = await repository.find_person(session, person_id=body.person_id, oid=body.oid, email=body.email)
    # Locked, and read again: of two officers erasing the same person at once, the second finds nobody.
    person = (
        await session.get(Person, found.id, with_for_update=True, populate_existing=True) if found else None
    )
    if person is None:
        raise SubjectNotFound("The directory has nobody by that id, oid or e-mail.")
    email = person.email
    erasure = await service.erase(session, person, principal.oid, body.reason)
    settings = request.app.state.settings
    if not settings.mail_smtp_host:
        service.delete_mail_files(settings.mail_directory, email)
    return ErasurePublic.model_validate(erasure)


@router.get(
    "/privacy/erasures/{erasure_id}",
    summary="Get an erasure (privacy officers)",
    responses={403: Forbidden.openapi(), 404: ErasureNotFound.openapi()},
)
async def get_erasure(session: SessionDep, _: PrivacyOfficer, erasure_id: uuid.UUID) -> ErasurePublic:
    """An erasure and whether every service has acted on it (`scrubbed_at`)."""
    erasure = await session.get(Erasure, erasure_id)
    if erasure is None:
        raise ErasureNotFound(f"No erasure {erasure_id}.")
    return ErasurePublic.model_validate(erasure)
