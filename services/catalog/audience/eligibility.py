"""The verdict beside each offering: may the signed-in person enroll, as themselves or with a group they
lead, and if not which rule refuses (the names of `kernel.audience`, plus `not-in-directory` and
`offering-not-open`). Seats, windows and earlier enrollments are the enrollment service's to decide."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.audience import repository
from services.kernel.audience import NOT_IN_DIRECTORY, Audience, AudienceFacts, Refusal, refusal
from services.kernel.database import Reads


class Eligibility(BaseModel):
    """Whether you may enroll in the offering; the rule that refuses you if not."""

    may_enroll: bool
    via: Literal["person", "group"] | None = Field(
        description="`person`: enroll yourself; `group`: enroll a top-leader group you lead; null: neither."
    )
    rule: str | None = Field(
        description="The refusing rule when you may not (`top-leaders-only`, `named-org-units`, "
        "`not-in-directory`, `offering-not-open`, ...)."
    )
    detail: str | None = Field(description="The refusal in words.")


@dataclass(frozen=True)
class Caller:
    """The signed-in person's facts, and those of each group they lead (None: not in the directory)."""

    person: AudienceFacts | None
    groups: tuple[AudienceFacts, ...] = ()


_NOT_OPEN = Refusal("offering-not-open", "The offering is not published.")


async def caller(reads: Reads, oid: str) -> Caller:
    return _caller(await repository.facts(reads, oid))


async def caller_in(session: AsyncSession, oid: str) -> Caller:
    """`caller`, read in the request's transaction."""
    return _caller(await repository.facts_in(session, oid))


def _caller(raw: str | dict[str, Any] | None) -> Caller:
    if raw is None:
        return Caller(None)
    facts: dict[str, Any] = json.loads(raw) if isinstance(raw, str) else raw
    groups = tuple(
        AudienceFacts(False, False, frozenset(map(uuid.UUID, g["units"]))) for g in facts["groups"]
    )
    return Caller(
        AudienceFacts(facts["leads_group"], facts["leader"], frozenset(map(uuid.UUID, facts["units"]))),
        groups,
    )


def verdict(
    who: Caller, *, status: str, audience: str, booking_unit: str, org_unit_ids: Collection[uuid.UUID]
) -> dict[str, Any]:
    """The JSON of `Eligibility` for one offering."""
    rules = Audience(audience, booking_unit, org_unit_ids)
    if status != "published":
        refused: Refusal | None = _NOT_OPEN
    elif who.person is None:
        refused = NOT_IN_DIRECTORY
    else:
        refused = refusal(rules, who.person, group=False)
        if refused is None:
            return {"may_enroll": True, "via": "person", "rule": None, "detail": None}
        if any(refusal(rules, group, group=True) is None for group in who.groups):
            return {"may_enroll": True, "via": "group", "rule": None, "detail": None}
    assert refused is not None
    return {"may_enroll": False, "via": None, "rule": refused.rule, "detail": refused.detail}
