"""Personal data by the rules: each service's register of processing, the record of bulk reads, and the
building blocks of access requests.

- **Register** (GDPR art. 30): every service declares, in code beside the data, what personal data it
  keeps, about whom, for what purpose, on what legal basis and for how long (`Processing`, in its
  `ServiceDefinition.privacy`). `GET /privacy/register` answers it (ops and privacy officers), and
  `docs/privacy.md` is the same register in prose; a test keeps them naming the same tables.
- **Bulk reads are recorded**: a read of many people's data (a roster export, the coverage report, an
  access request) writes who read whose data, for what and when (`PersonalDataRead`, one table per
  service in its own schema), in the transaction of the read.
- **Access requests**: each service answers `GET /privacy/subject` with everything it holds about one
  person, to that person or a privacy officer; the gateway gathers the three into one document
  (`GET /api/v1/privacy/access`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field
from sqlalchemy import BigInteger, Text, TextClause, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field as ColumnField

from services.kernel.auth.tokens import CurrentPrincipal, Principal, Role, require_role
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.models import TableBase, server_timestamp
from services.kernel.problems import COMMON_RESPONSES, Forbidden, NotFound
from services.kernel.retention import ENFORCED_BY


class Processing(BaseModel):
    """One line of the register of processing activities."""

    data: str = Field(description="What personal data.")
    subjects: str = Field(description="About whom.")
    purpose: str
    basis: str = Field(description="The legal basis (GDPR art. 6, and art. 9 where it applies).")
    retention: str = Field(description="How long it is kept, and what happens then.")
    enforced_by: str | None = Field(
        description="What erases or pseudonymises it when the period ends: a periodic job or an event "
        "handler of the service. Null: the period is policy, not yet enforced by the service."
    )
    stored_in: list[str] = Field(description="The tables that hold it (schema.table).")


class Register(BaseModel):
    service: str
    controller: str = "Oslo kommune, Utviklings- og kompetanseetaten"
    processing: list[Processing]


def subject_sql(query: str) -> TextClause:
    """A query about the subject, `{pid}` standing for their directory id and `{oid}` for their Entra
    object id (either may be null)."""
    return text(query.replace("{pid}", "CAST(:person_id AS uuid)").replace("{oid}", "CAST(:oid AS text)"))


def reads_processing(schema: str) -> Processing:
    """The register's line for a service's record of bulk reads (`<schema>.personal_data_reads`)."""
    return Processing(
        data="Who read personal data in bulk, whose, for what and when",
        subjects="Readers (coordinators, privacy officers) and the people read about",
        purpose="Accountability for reading personal data",
        basis="GDPR art. 6(1)(c) and art. 5(2): the controller's duty to demonstrate compliance",
        retention="Five years",
        enforced_by=ENFORCED_BY,
        stored_in=[f"{schema}.personal_data_reads"],
    )


def reads_queries(schema: str) -> dict[str, TextClause]:
    """An access request's categories from a service's record of bulk reads: what the person read about
    others (how many people), and who read about them."""
    return {
        "reads_by_them": subject_sql(
            f"""SELECT at, purpose, cardinality(subject_ids) + cardinality(subject_oids) AS people
                FROM {schema}.personal_data_reads WHERE reader_oid = {{oid}} ORDER BY at"""  # noqa: S608
        ),
        "reads_about_them": subject_sql(
            f"""SELECT at, purpose, reader_oid FROM {schema}.personal_data_reads
                WHERE {{pid}} = ANY(subject_ids) OR {{oid}} = ANY(subject_oids) ORDER BY at"""  # noqa: S608
        ),
    }


class PersonalDataReadBase(TableBase):
    """Who read whose personal data in bulk, for what, and when."""

    # Column types, not columns: each service's table gets columns of its own.
    id: int | None = ColumnField(default=None, primary_key=True, sa_type=BigInteger)
    at: datetime | None = server_timestamp()
    reader_oid: str = ColumnField(max_length=64)
    purpose: str = ColumnField(max_length=100)
    subject_ids: list[uuid.UUID] = ColumnField(
        default_factory=list,
        sa_type=ARRAY(UUID(as_uuid=True)),
        nullable=False,
        sa_column_kwargs={"server_default": "{}"},
    )
    subject_oids: list[str] = ColumnField(
        default_factory=list, sa_type=ARRAY(Text()), nullable=False, sa_column_kwargs={"server_default": "{}"}
    )


async def record_read(
    session: AsyncSession,
    model: type[PersonalDataReadBase],
    reader: Principal,
    purpose: str,
    *,
    subject_ids: Iterable[uuid.UUID] = (),
    subject_oids: Iterable[str] = (),
) -> None:
    """Record a bulk read in the reading transaction: no read without its record."""
    session.add(
        model(
            reader_oid=reader.oid,
            purpose=purpose,
            subject_ids=sorted(set(subject_ids)),
            subject_oids=sorted(set(subject_oids)),
        )
    )
    await session.flush()


# What enforces erasure: the enrolment service's order (or its job for people HR deactivated) and each
# service's handler of `enrollment.person_erased` (docs/adr/0017-erasure-by-re-keying.md).
BY_ERASURE = "erasure: a privacy officer's order, or 30 days after HR deactivates the person"

PrivacyOfficerOnly = Annotated[Principal, require_role(Role.ops, Role.privacy_officer)]
PrivacyOfficer = Annotated[Principal, require_role(Role.privacy_officer)]


class NotTheSubject(Forbidden):
    slug = "not-the-subject"
    title = "Only the person or a privacy officer"


class SubjectNotFound(NotFound):
    slug = "subject-not-found"
    title = "No such person"


def may_read_subject(principal: Principal, oid: str | None) -> None:
    """A person reads their own data; a privacy officer reads anyone's."""
    if principal.has_role(Role.privacy_officer):
        return
    if oid is None or oid != principal.oid:
        raise NotTheSubject(
            "An access request is answered to the person it is about (name your own oid) or to a "
            "privacy officer."
        )


class SubjectData(BaseModel):
    """What one service holds about one person: per category of data, its records."""

    service: str
    subject: dict[str, str | None] = Field(description="The identifiers the service looked the person up by.")
    data: dict[str, list[dict[str, object]]]


OidQuery = Annotated[str | None, Query(max_length=64, description="The person's Entra object id.")]
PersonIdQuery = Annotated[uuid.UUID | None, Query(description="The person's id in the directory.")]


def register_router(service: str, processing: Sequence[Processing]) -> APIRouter:
    """`GET /privacy/register` for a service's register."""
    router = APIRouter(route_class=TransactionalRoute, tags=["privacy"], responses=COMMON_RESPONSES)
    document = Register(service=service, processing=list(processing))

    @router.get(
        "/privacy/register",
        summary="Register of processing",
        responses={403: Forbidden.openapi()},
        operation_id=f"{service}_privacy_register",
    )
    async def privacy_register(_: PrivacyOfficerOnly) -> Register:
        """What personal data this service keeps, about whom, why, on what basis and for how long."""
        return document

    return router


async def gather(
    session: AsyncSession, queries: dict[str, TextClause], params: dict[str, object]
) -> dict[str, list[dict[str, object]]]:
    """Each category's rows (`queries`: category -> SQL naming `:person_id` and `:oid`), as JSON-ready
    dicts (ids and times as text), empty categories included: the answer shows what was looked at."""
    found: dict[str, list[dict[str, object]]] = {}
    for category, sql in queries.items():
        rows = (await session.execute(sql, params)).mappings().all()
        found[category] = [jsonable_encoder(dict(row)) for row in rows]
    return found


def subject_router(
    service: str,
    queries: dict[str, TextClause],
    reads: type[PersonalDataReadBase],
    what: str,
    person_of: TextClause | None = None,
) -> APIRouter:
    """`GET /privacy/subject` for a service that knows people by their Entra object id and directory id
    (`queries` name `:oid` and `:person_id`): its part of an access request, to the person or a privacy
    officer, with the read recorded. Only a privacy officer names a `person_id`; for anyone else it is
    looked up from their own oid (`person_of`, naming `:oid`), so nobody reaches another's data by id.
    The enrolment service, which keeps the directory and resolves a person from an e-mail too, has its
    own."""
    router = APIRouter(route_class=TransactionalRoute, tags=["privacy"], responses=COMMON_RESPONSES)

    @router.get(
        "/privacy/subject",
        summary="Everything this service holds about a person",
        responses={403: NotTheSubject.openapi()},
        operation_id=f"{service}_subject_data",
        description=f"An access request's part from this service: {what}. The person by `oid` (and "
        "`person_id` where known); without them, the caller. To the person themselves or a privacy "
        "officer; the read is recorded.",
    )
    async def subject_data(
        session: SessionDep,
        principal: CurrentPrincipal,
        oid: OidQuery = None,
        person_id: PersonIdQuery = None,
    ) -> SubjectData:
        subject_oid = oid or (principal.oid if person_id is None else None)
        if not principal.has_role(Role.privacy_officer):
            if person_id is not None:
                raise NotTheSubject("Only a privacy officer names a person_id; ask with your own oid.")
            may_read_subject(principal, subject_oid)
            if person_of is not None:
                person_id = await session.scalar(person_of, {"oid": subject_oid})
        data = await gather(session, queries, {"oid": subject_oid, "person_id": person_id})
        await record_read(
            session,
            reads,
            principal,
            "access request",
            subject_ids=[person_id] if person_id else [],
            subject_oids=[subject_oid] if subject_oid else [],
        )
        return SubjectData(
            service=service,
            subject={"oid": subject_oid, "person_id": str(person_id) if person_id else None},
            data=data,
        )

    return router
