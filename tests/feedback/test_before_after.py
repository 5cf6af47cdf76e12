"""A leader group's self-evaluation before and after a programme, compared dimension by dimension."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.feedback.surveys.shipped import DIMENSIONS, SELF_EVALUATION, SHIPPED
from tests.feedback.support import (
    Respondent,
    announce_group,
    answer,
    close,
    completed,
    coordinator,
    emit,
    invitation,
    place,
)
from tests.support import TokenFactory, eventually

QUESTIONS = SHIPPED[SELF_EVALUATION]["questions"]


def self_evaluation(**by_dimension: int) -> dict[str, Any]:
    """The same score on every statement of a dimension (3 where not named)."""
    return {
        q["key"]: by_dimension.get(q["dimension"].replace("-", "_"), 3)
        for q in QUESTIONS
        if q["type"] == "scale"
    }


async def _survey(
    feedback: httpx.AsyncClient, tokens: TokenFactory, kind: str, group_id: uuid.UUID
) -> dict[str, Any]:
    async def find() -> dict[str, Any] | None:
        response = await feedback.get(
            "/surveys", params={"kind": kind, "leader_group_id": str(group_id)}, headers=coordinator(tokens)
        )
        items: list[dict[str, Any]] = response.json()["items"]
        return items[0] if items else None

    return await eventually(find)


async def test_baseline_and_follow_up_compared_per_dimension(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    leader, *members = crowd["alna"][:7]
    group = [leader, *members]
    group_id = await announce_group(sessionmaker, leader, members)
    offering_id = uuid.uuid4()
    # The group enrolls in the programme: a place per member in each of two sessions, the first in 20 days.
    await emit(
        sessionmaker,
        *(place(p, offering_id, group_id, starts_in=timedelta(days=40)) for p in group),
        *(place(p, offering_id, group_id, starts_in=timedelta(days=20)) for p in group),
    )
    baseline = await _survey(feedback, tokens, "baseline", group_id)

    async def invited_all() -> bool:
        current = await feedback.get(f"/surveys/{baseline['id']}", headers=coordinator(tokens))
        return bool(current.json()["invited"] == 7)

    await eventually(invited_all)
    baseline = (await feedback.get(f"/surveys/{baseline['id']}", headers=coordinator(tokens))).json()
    due = datetime.fromisoformat(baseline["open_until"]) - datetime.fromisoformat(baseline["opened_at"])
    assert timedelta(days=19) < due < timedelta(days=20, hours=1)  # before the first session starts
    assert baseline["offering_id"] == str(offering_id)

    for person in group:
        await answer(
            feedback,
            tokens,
            person,
            self_evaluation(structure=2, dialogue=2, strategic_planning=2),
            "baseline",
        )
    await close(feedback, tokens, baseline["id"])

    comparison = await feedback.get(f"/leader-groups/{group_id}/before-after", headers=coordinator(tokens))
    assert comparison.status_code == 200, comparison.text
    assert comparison.json()["follow_up"]["survey_id"] is None
    assert any("Etter-målingen er ikke åpnet" in n for n in comparison.json()["notices"])

    # Members complete the programme one by one; each is invited to the follow-up as they do.
    await emit(sessionmaker, *(completed(p, offering_id, group_id) for p in group))
    follow_up = await _survey(feedback, tokens, "follow-up", group_id)
    for person in group:
        await answer(
            feedback,
            tokens,
            person,
            self_evaluation(structure=4, dialogue=3, strategic_planning=4),
            "follow-up",
        )
    await close(feedback, tokens, follow_up["id"])

    response = await feedback.get(
        f"/leader-groups/{group_id}/before-after",
        params={"offering_id": str(offering_id)},
        headers=coordinator(tokens),
    )
    result = response.json()
    assert result["baseline"]["responses"] == result["follow_up"]["responses"] == 7
    changes = {d["dimension"]: d for d in result["dimensions"]}
    assert list(changes) == list(DIMENSIONS)
    assert changes["structure"] | {"label": "Struktur"} == {
        "dimension": "structure",
        "label": "Struktur",
        "baseline_n": 7,
        "baseline_mean": 2.0,
        "follow_up_n": 7,
        "follow_up_mean": 4.0,
        "change": 2.0,
    }
    assert changes["dialogue"]["change"] == 1.0
    assert changes["relations"]["change"] == 0.0

    # One baseline and one follow-up, however many places and completions arrived.
    surveys = await feedback.get("/surveys", headers=coordinator(tokens))
    assert sorted(s["kind"] for s in surveys.json()["items"]) == ["baseline", "follow-up"]


async def test_under_the_threshold_the_comparison_shows_counts_only(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    leader, *members = crowd["uke"]  # five people
    group_id = await announce_group(sessionmaker, leader, members)
    offering_id = uuid.uuid4()
    await emit(sessionmaker, *(place(p, offering_id, group_id) for p in crowd["uke"]))
    baseline = await _survey(feedback, tokens, "baseline", group_id)
    for person in crowd["uke"]:
        await answer(feedback, tokens, person, self_evaluation(), "baseline")
    await close(feedback, tokens, baseline["id"])
    await emit(sessionmaker, *(completed(p, offering_id, group_id) for p in crowd["uke"]))
    follow_up = await _survey(feedback, tokens, "follow-up", group_id)
    for person in crowd["uke"][:4]:
        await answer(feedback, tokens, person, self_evaluation(structure=5), "follow-up")
    await close(feedback, tokens, follow_up["id"])

    result = (
        await feedback.get(f"/leader-groups/{group_id}/before-after", headers=coordinator(tokens))
    ).json()
    structure = next(d for d in result["dimensions"] if d["dimension"] == "structure")
    assert (structure["baseline_mean"], structure["follow_up_mean"], structure["change"]) == (3.0, None, None)
    assert structure["follow_up_n"] == 0
    assert result["follow_up"]["responses"] == 0  # four answered: too few, destroyed unread
    assert any("færre enn 5" in n for n in result["notices"])


async def test_only_a_group_enrolled_in_a_programme_gets_a_baseline_and_follow_up(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    leader, *members = crowd["uke"]
    group_id = await announce_group(sessionmaker, leader, members)
    single_session = place(leader, uuid.uuid4(), group_id).model_copy(update={"programme": False})
    other_offering = uuid.uuid4()
    await emit(sessionmaker, single_session, completed(leader, other_offering, group_id))
    # Give the consumer time to see both, then a marker event it must handle after them.
    marker = place(leader, uuid.uuid4(), group_id)
    await emit(sessionmaker, marker)
    await _survey(feedback, tokens, "baseline", group_id)
    surveys = (await feedback.get("/surveys", headers=coordinator(tokens))).json()["items"]
    assert [(s["kind"], s["offering_id"]) for s in surveys] == [("baseline", str(marker.offering_id))]
    found = await invitation(feedback, tokens, leader, "baseline")
    assert found["title"].startswith("Egenevaluering før programmet")
    missing = await feedback.get(f"/leader-groups/{uuid.uuid4()}/before-after", headers=coordinator(tokens))
    assert missing.status_code == 404
