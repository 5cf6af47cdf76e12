"""Keeps each person's audience facts in step with the enrollment service's `audience_changed` events."""

from __future__ import annotations

import uuid

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.eventbus import Event, Subscription
from services.kernel.eventbus.envelope import ConsumedPayload


class GroupFacts(BaseModel):
    leader_group_id: uuid.UUID
    units: list[uuid.UUID]


class AudienceFacts(ConsumedPayload):
    person_id: uuid.UUID
    entra_oid: str
    active: bool
    leads_group: bool
    leader: bool
    units: list[uuid.UUID]
    groups: list[GroupFacts]


async def on_audience_changed(session: AsyncSession, event: Event) -> None:
    """The newest facts replace the person's (events arrive in commit order); someone who left the
    directory is forgotten, and the listing then says they are not in it."""
    facts = AudienceFacts.model_validate(event.payload)
    if not facts.active:
        await session.execute(
            text("DELETE FROM catalog.audience WHERE entra_oid = :oid"), {"oid": facts.entra_oid}
        )
        return
    await session.execute(
        text(
            "INSERT INTO catalog.audience (entra_oid, facts) VALUES (:oid, CAST(:facts AS jsonb)) "
            "ON CONFLICT (entra_oid) DO UPDATE SET facts = EXCLUDED.facts"
        ),
        {
            "oid": facts.entra_oid,
            "facts": facts.model_dump_json(include={"leads_group", "leader", "units", "groups"}),
        },
    )


AUDIENCE = Subscription(
    name="catalog.audience", topics=("enrollment.audience_changed",), handler=on_audience_changed
)
