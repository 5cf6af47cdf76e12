"""Keeps the feedback service's directory and offering read models from events (last event wins)."""

from __future__ import annotations

import uuid

from pydantic import Field
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.directory.models import KnownLeaderGroup, KnownOffering, KnownOrgUnit, KnownPerson
from services.kernel.eventbus import Event, Subscription
from services.kernel.eventbus.envelope import ConsumedPayload


class PersonFacts(ConsumedPayload):
    person_id: uuid.UUID
    entra_oid: str | None = None
    org_unit_id: uuid.UUID | None = None
    active: bool = True


class OrgUnitFacts(ConsumedPayload):
    org_unit_id: uuid.UUID
    name: str
    sector: str | None = None
    active: bool = True


class LeaderGroupFacts(ConsumedPayload):
    leader_group_id: uuid.UUID
    org_unit_id: uuid.UUID | None = None
    leader_id: uuid.UUID | None = None
    member_ids: list[uuid.UUID] = Field(default_factory=list)
    active: bool = True


class OfferingFacts(ConsumedPayload):
    offering_id: uuid.UUID
    title: str
    title_en: str | None = None
    kind_code: str
    is_programme: bool = False


async def _upsert(session: AsyncSession, table: type, key: str, values: dict[str, object]) -> None:
    statement = insert(table).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[key], set_={k: statement.excluded[k] for k in values if k != key}
        )
    )


async def on_directory_event(session: AsyncSession, event: Event) -> None:
    if event.topic.startswith("enrollment.person_"):
        person = PersonFacts.model_validate(event.payload)
        await _upsert(session, KnownPerson, "person_id", person.model_dump())
    elif event.topic.startswith("enrollment.org_unit_"):
        unit = OrgUnitFacts.model_validate(event.payload)
        await _upsert(session, KnownOrgUnit, "org_unit_id", unit.model_dump())
    elif event.topic.startswith("enrollment.leader_group_"):
        group = LeaderGroupFacts.model_validate(event.payload)
        await _upsert(session, KnownLeaderGroup, "leader_group_id", group.model_dump())
    elif event.topic.startswith("catalog.offering_"):
        offering = OfferingFacts.model_validate(event.payload)
        await _upsert(session, KnownOffering, "offering_id", offering.model_dump())


DIRECTORY = Subscription(
    name="feedback.directory",
    topics=(
        "enrollment.person_upserted",
        "enrollment.person_deactivated",
        "enrollment.org_unit_upserted",
        "enrollment.org_unit_deactivated",
        "enrollment.leader_group_upserted",
        "enrollment.leader_group_deactivated",
        "catalog.offering_published",
        "catalog.offering_updated",
        "catalog.offering_archived",
    ),
    handler=on_directory_event,
)
