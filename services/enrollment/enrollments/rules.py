"""Audience rules: who may take part in an offering, from the catalogue's rules and the directory.

Each rule has a name that a refusal carries (`rule` in the problem body), so the frontend can explain it:

- `booked-per-group`: the offering is booked per group (a tailored workshop): group enrolments only.
- `top-leaders-individually`: audience `top-leaders` (reflection groups): no group enrolments.
- `top-leaders-only`: audience `top-leaders`: a person who leads an active top-leader group.
- `whole-top-leader-groups`: audience `top-leader-groups` (leader-group development): groups only.
- `leaders-only`: audience `all-leaders`: leads or sits in a top-leader group, or manages someone.
- `named-org-units`: audience `org-units`: a person (or group) in a named unit or a unit under one.

A coordinator enrolling someone else is not held to these rules (they run the programme and may make
exceptions); such an enrolment is marked and the rules are not re-applied before its promotion.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.directory.models import LeaderGroup, Person
from services.enrollment.enrollments import repository
from services.enrollment.offerings.models import OfferingView
from services.kernel.problems import Forbidden


class AudienceRefused(Forbidden):
    slug = "audience-rule"
    title = "The offering's audience rule does not admit this enrolment"


@dataclass(frozen=True)
class Refusal:
    rule: str
    detail: str

    def problem(self) -> AudienceRefused:
        return AudienceRefused(self.detail, extra={"rule": self.rule})


async def refusal(
    session: AsyncSession,
    offering: OfferingView,
    *,
    person: Person | None = None,
    group: LeaderGroup | None = None,
) -> Refusal | None:
    """Why the rules refuse this person or group, or None when they admit them."""
    audience = offering.audience
    if group is None:
        assert person is not None
        if offering.booking_unit == "group":
            return Refusal("booked-per-group", "This offering is booked per leader group, by its top leader.")
        if audience == "top-leader-groups":
            return Refusal(
                "whole-top-leader-groups",
                "This offering admits whole top-leader groups, enrolled by their top leader.",
            )
        if audience == "top-leaders" and await repository.led_group(session, person.id) is None:
            return Refusal("top-leaders-only", "This offering admits top leaders only.")
        if audience == "all-leaders" and not await repository.is_leader(session, person.id):
            return Refusal("leaders-only", "This offering admits leaders only.")
        unit = person.org_unit_id
    else:
        if audience == "top-leaders":
            return Refusal("top-leaders-individually", "Top leaders enrol in this offering individually.")
        unit = group.org_unit_id
    if audience == "org-units":
        named = set(offering.audience_org_unit_ids)
        if not named & await repository.unit_and_ancestors(session, unit):
            return Refusal("named-org-units", "This offering is for the org units it names.")
    return None
