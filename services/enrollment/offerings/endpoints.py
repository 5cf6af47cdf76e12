"""Whether the signed-in person may enroll in offerings, and if not which rule refuses: for a page of the
catalogue's listing at once, so the intranet can grey out what someone cannot take before they try.

The audience rules are this service's (`enrollments.rules`), judged on the directory it keeps; the
catalogue's listing says when and where, this says who. Checked for the person themselves and for each
active top-leader group they lead. What the rules cannot know yet (a full session, a closed window, an
earlier enrollment) is decided when they enroll.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from services.enrollment.directory import repository as directory
from services.enrollment.enrollments import lookups
from services.enrollment.enrollments.rules import refusal
from services.enrollment.offerings import repository as offerings_repository
from services.kernel.audience import NOT_IN_DIRECTORY, AudienceFacts, Refusal
from services.kernel.auth.tokens import CurrentPrincipal
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.paging import MAX_LIMIT, Page, Paging
from services.kernel.problems import COMMON_RESPONSES
from services.kernel.schemas import ReadModel

router = APIRouter(route_class=TransactionalRoute, tags=["enrollments"], responses=COMMON_RESPONSES)


class Verdict(ReadModel):
    may_enroll: bool
    rule: str | None = Field(
        description="The rule that refuses (`top-leaders-only`, `not-in-directory`, `offering-not-open`, "
        "...; see the problem types of POST /enrollments); null when allowed."
    )
    detail: str | None = Field(description="The refusal in words; null when allowed.")


class GroupVerdict(Verdict):
    leader_group_id: uuid.UUID


class OfferingEligibility(ReadModel):
    offering_id: uuid.UUID
    person: Verdict = Field(description="Enrolling yourself.")
    groups: list[GroupVerdict] = Field(description="Enrolling each top-leader group you lead.")


class OfferingEligibilityPage(Page[OfferingEligibility]):
    """A page of the offerings asked about, in the order asked."""


def _verdict(refused: Refusal | None) -> dict[str, object]:
    if refused is None:
        return {"may_enroll": True, "rule": None, "detail": None}
    return {"may_enroll": False, "rule": refused.rule, "detail": refused.detail}


_NOT_OPEN = Refusal("offering-not-open", "The offering is not published (or not yet known here).")


@router.get("/offerings/eligibility", summary="May I enroll in these offerings?")
async def eligibility(
    session: SessionDep,
    principal: CurrentPrincipal,
    paging: Paging,
    offering_id: Annotated[
        list[uuid.UUID],
        Query(min_length=1, max_length=MAX_LIMIT, description="The offerings to judge (a listing's page)."),
    ],
) -> OfferingEligibilityPage:
    """For each offering: whether the audience rules admit you, and each group you lead; if not, which
    rule refuses. A listing's page is judged in one call: the answer pages like every list, so ask with
    `limit` at least the number of ids (or follow `next_cursor`)."""
    asked = list(dict.fromkeys(offering_id))
    offerings = await offerings_repository.by_id(session, asked)
    me = await directory.person_by_oid(session, principal.oid)
    facts: AudienceFacts | None = None
    groups: list[tuple[uuid.UUID, AudienceFacts]] = []
    if me is not None and me.active:
        facts = await lookups.person_facts(session, me.id)
        for group in await directory.groups_led_by(session, me.id):
            groups.append((group.id, await lookups.group_facts(session, group.id)))
    items = []
    for oid in paging.window(asked):
        offering = offerings.get(oid)
        person: Refusal | None
        per_group: list[tuple[uuid.UUID, Refusal | None]]
        if offering is None or offering.status != "published":
            person, per_group = _NOT_OPEN, [(g, _NOT_OPEN) for g, _ in groups]
        else:
            person = refusal(offering, facts, group=False) if facts is not None else NOT_IN_DIRECTORY
            per_group = [(g, refusal(offering, f, group=True)) for g, f in groups]
        items.append(
            OfferingEligibility(
                offering_id=oid,
                person=Verdict.model_validate(_verdict(person)),
                groups=[
                    GroupVerdict.model_validate({"leader_group_id": g, **_verdict(r)}) for g, r in per_group
                ],
            )
        )
    return paging.page(OfferingEligibilityPage, items)
