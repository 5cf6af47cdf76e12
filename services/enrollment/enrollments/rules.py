"""Audience rules as the enrollment service enforces them (the rules themselves: `kernel.audience`).

A coordinator enrolling someone else is not held to these rules (they run the programme and may make
exceptions); such an enrollment is marked and the rules are not re-applied before its promotion.
"""

from __future__ import annotations

from services.enrollment.offerings.models import OfferingView
from services.kernel import audience
from services.kernel.audience import Audience, AudienceFacts, Refusal
from services.kernel.problems import Forbidden


class AudienceRefused(Forbidden):
    slug = "audience-rule"
    title = "The offering's audience rule does not admit this enrollment"


def problem(refused: Refusal) -> AudienceRefused:
    """The problem a refusal is answered with; `rule` names the refusing rule."""
    return AudienceRefused(refused.detail, extra={"rule": refused.rule})


def refusal(offering: OfferingView, facts: AudienceFacts, *, group: bool) -> Refusal | None:
    """Why the rules refuse this person (or, with `group`, this group) the offering, or None."""
    rules = Audience(offering.audience, offering.booking_unit, offering.audience_org_unit_ids)
    return audience.refusal(rules, facts, group=group)
