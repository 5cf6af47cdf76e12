"""Audience rules: who may take part in an offering, judged on a person's (or a group's) place in the
directory. The enrollment service enforces them when someone enrolls; the catalogue shows their verdict
for the signed-in person beside each offering. One definition for both, so they never disagree.

Each rule has a name that a refusal carries, so the frontend can explain it:

- `booked-per-group`: the offering is booked per group (a tailored workshop): group enrollments only.
- `top-leaders-individually`: audience `top-leaders` (reflection groups): no group enrollments.
- `top-leaders-only`: audience `top-leaders`: a person who leads an active top-leader group.
- `whole-top-leader-groups`: audience `top-leader-groups` (leader-group development): groups only.
- `leaders-only`: audience `all-leaders`: leads or sits in a top-leader group, or manages someone.
- `named-org-units`: audience `org-units`: a person (or group) in a named unit or a unit under one.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Refusal:
    rule: str
    detail: str


@dataclass(frozen=True)
class AudienceFacts:
    """What the rules judge a person or a group by."""

    leads_group: bool  # leads an active top-leader group
    leader: bool  # leads or sits in an active top-leader group, or manages someone active
    units: frozenset[uuid.UUID]  # their org unit and every unit above it

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> AudienceFacts:
        """From a mapping with `leads_group`, `leader` and `units`."""
        return cls(bool(row["leads_group"]), bool(row["leader"]), frozenset(row["units"] or ()))


@dataclass(frozen=True)
class Audience:
    """An offering's rules: whom it is for, and whether it is booked per person or per group."""

    audience: str
    booking_unit: str
    org_unit_ids: Collection[uuid.UUID]


# Before any rule: the signed-in person is not (or no longer) in the HR directory.
NOT_IN_DIRECTORY = Refusal("not-in-directory", "No active person in the HR directory matches your sign-in.")


def refusal(offering: Audience, facts: AudienceFacts, *, group: bool) -> Refusal | None:
    """Why the rules refuse this person (or, with `group`, this group), or None when they admit them."""
    audience = offering.audience
    if not group:
        if offering.booking_unit == "group":
            return Refusal("booked-per-group", "This offering is booked per leader group, by its top leader.")
        if audience == "top-leader-groups":
            return Refusal(
                "whole-top-leader-groups",
                "This offering admits whole top-leader groups, enrolled by their top leader.",
            )
        if audience == "top-leaders" and not facts.leads_group:
            return Refusal("top-leaders-only", "This offering admits top leaders only.")
        if audience == "all-leaders" and not facts.leader:
            return Refusal("leaders-only", "This offering admits leaders only.")
    elif audience == "top-leaders":
        return Refusal("top-leaders-individually", "Top leaders enroll in this offering individually.")
    if audience == "org-units" and not set(offering.org_unit_ids) & facts.units:
        return Refusal("named-org-units", "This offering is for the org units it names.")
    return None
