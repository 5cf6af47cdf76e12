"""Templates, surveys opened by events and by hand, answering once, closing."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.feedback.app import create_app
from services.feedback.privacy.retention import RULES
from services.feedback.settings import FeedbackSettings
from services.feedback.surveys.shipped import DIMENSIONS
from services.kernel.retention import enforce
from tests.feedback.support import (
    SESSION_ANSWERS,
    Respondent,
    announce_group,
    answer,
    as_,
    attendance,
    close,
    coordinator,
    invitation,
    rows,
)
from tests.support import TokenFactory, eventually, running


async def test_shipped_templates_cover_the_leader_group_themes(
    feedback: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    response = await feedback.get("/survey-templates", headers=coordinator(tokens))
    assert response.status_code == 200, response.text
    templates = {t["key"]: t for t in response.json()["items"]}
    assert set(templates) == {"session-evaluation", "leader-group-self-evaluation"}
    dimensions = {q.get("dimension") for q in templates["leader-group-self-evaluation"]["questions"]}
    assert set(DIMENSIONS) <= dimensions
    scale = [q for q in templates["session-evaluation"]["questions"] if q["type"] == "scale"]
    assert scale
    assert all(q["min_label"] and q["max_label"] for q in scale)
    denied = await feedback.get(
        "/survey-templates", headers=tokens.header(email="ansatt@uke.oslo.kommune.no")
    )
    assert denied.status_code == 403


async def test_a_published_version_never_changes(feedback: httpx.AsyncClient, tokens: TokenFactory) -> None:
    headers = coordinator(tokens)
    first = {
        "key": "pulse",
        "title": "Puls",
        "questions": [
            {
                "key": "mood",
                "type": "scale",
                "text": "Hvordan går det?",
                "min_label": "Dårlig",
                "max_label": "Bra",
            },
            {"key": "note", "type": "free-text", "text": "Noe mer?", "required": False},
        ],
    }
    created = await feedback.post("/survey-templates", json=first, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1
    assert created.json()["questions"][1]["max_length"] == 2000
    again = await feedback.post("/survey-templates", json=first, headers=headers)
    assert again.status_code == 409
    assert again.json()["type"].endswith("template-exists")

    edited = {
        "title": "Puls (ny)",
        "questions": [
            {
                "key": "mood",
                "type": "scale",
                "text": "Hvordan går det nå?",
                "min_label": "Dårlig",
                "max_label": "Bra",
            }
        ],
    }
    second = await feedback.post("/survey-templates/pulse/versions", json=edited, headers=headers)
    assert second.status_code == 201, second.text
    assert second.json()["version"] == 2
    kept = await feedback.get("/survey-templates/pulse/versions/1", headers=headers)
    assert kept.json()["title"] == "Puls"
    assert kept.json()["questions"][0]["text"] == "Hvordan går det?"
    versions = await feedback.get("/survey-templates/pulse/versions", headers=headers)
    assert [v["version"] for v in versions.json()["items"]] == [2, 1]

    retyped = {
        "title": "Puls",
        "questions": [{"key": "note", "type": "scale", "text": "?", "min_label": "a", "max_label": "b"}],
    }
    refused = await feedback.post("/survey-templates/pulse/versions", json=retyped, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("question-type-changed")

    unlabelled = {"title": "X", "questions": [{"key": "q", "type": "scale", "text": "?"}]}
    invalid = await feedback.post("/survey-templates/pulse/versions", json=unlabelled, headers=headers)
    assert invalid.status_code == 422
    assert "labelled ends" in invalid.text
    missing = await feedback.post("/survey-templates/nope/versions", json=edited, headers=headers)
    assert missing.status_code == 404


async def test_attendance_opens_the_session_evaluation_for_those_who_attended(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    alna = crowd["alna"]
    session_id, offering_id = uuid.uuid4(), uuid.uuid4()
    await attendance(sessionmaker, session_id, offering_id, attended=alna[:3], absent=alna[3:4])

    found = await invitation(feedback, tokens, alna[0], "session-evaluation")
    assert found["open"]
    assert not found["credential_issued"]
    assert found["public_key"]
    assert [q["key"] for q in found["questions"]][:3] == ["useful", "relevant", "collaboration"]
    absent = await feedback.get("/invitations/mine", headers=as_(tokens, alna[3]))
    assert absent.json()["items"] == []

    surveys = await feedback.get(
        "/surveys", params={"session_id": str(session_id)}, headers=coordinator(tokens)
    )
    (survey,) = surveys.json()["items"]
    assert survey["kind"] == "session-evaluation"
    assert survey["invited"] == 3
    assert survey["opened_by"] == "system"
    opened_for = datetime.fromisoformat(survey["open_until"]) - datetime.fromisoformat(survey["opened_at"])
    assert timedelta(days=13, hours=23) < opened_for < timedelta(days=14, hours=1)

    # A correction: the absent one did attend after all, and one who was marked attended did not.
    await attendance(sessionmaker, session_id, offering_id, attended=alna[3:4], absent=alna[2:3])

    async def corrected() -> bool:
        current = await feedback.get(f"/surveys/{survey['id']}", headers=coordinator(tokens))
        mine = await feedback.get("/invitations/mine", headers=as_(tokens, alna[2]))
        return bool(current.json()["invited"] == 3 and mine.json()["items"] == [])

    await eventually(corrected)
    await invitation(feedback, tokens, alna[3], "session-evaluation")
    assert len((await feedback.get("/surveys", headers=coordinator(tokens))).json()["items"]) == 1


async def test_surveys_close_when_their_time_runs_out(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    alna = crowd["alna"]
    await attendance(sessionmaker, uuid.uuid4(), uuid.uuid4(), attended=alna[:5])
    for person in alna[:5]:
        await answer(feedback, tokens, person, SESSION_ANSWERS)
    survey_id = (await feedback.get("/surveys", headers=coordinator(tokens))).json()["items"][0]["id"]
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    moved = await feedback.patch(
        f"/surveys/{survey_id}", json={"open_until": soon}, headers=coordinator(tokens)
    )
    assert moved.status_code == 200, moved.text
    past = await feedback.patch(
        f"/surveys/{survey_id}", json={"open_until": "2020-01-01T00:00:00Z"}, headers=coordinator(tokens)
    )
    assert past.status_code == 422

    async def closed() -> dict[str, object] | None:
        survey = (await feedback.get(f"/surveys/{survey_id}", headers=coordinator(tokens))).json()
        return survey if survey["status"] == "closed" else None

    survey = await eventually(closed)
    assert survey["closed_at"]
    assert survey["responses"] == 5
    assert (await rows(sessionmaker, "SELECT count(*) FROM feedback.responses"))[0][0] == 5
    assert (await rows(sessionmaker, "SELECT count(*) FROM feedback.ballots"))[0][0] == 0
    still = await feedback.patch(
        f"/surveys/{survey_id}",
        json={"open_until": soon.replace("2026", "2099")},
        headers=coordinator(tokens),
    )
    assert still.status_code == 409


async def test_coordinators_open_surveys_by_hand(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    until = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    nobody = await feedback.post(
        "/surveys",
        json={"template_key": "session-evaluation", "session_id": str(uuid.uuid4()), "open_until": until},
        headers=coordinator(tokens),
    )
    assert nobody.status_code == 422
    assert nobody.json()["type"].endswith("no-invitees")
    two_scopes = await feedback.post(
        "/surveys",
        json={
            "template_key": "session-evaluation",
            "session_id": str(uuid.uuid4()),
            "leader_group_id": str(uuid.uuid4()),
            "open_until": until,
        },
        headers=coordinator(tokens),
    )
    assert two_scopes.status_code == 422
    unknown = await feedback.post(
        "/surveys",
        json={"template_key": "no-such", "offering_id": str(uuid.uuid4()), "open_until": until},
        headers=coordinator(tokens),
    )
    assert unknown.status_code == 404
    employee = await feedback.post(
        "/surveys",
        json={"template_key": "session-evaluation", "offering_id": str(uuid.uuid4()), "open_until": until},
        headers=as_(tokens, crowd["alna"][0]),
    )
    assert employee.status_code == 403

    leader, *members = crowd["uke"]
    group_id = await announce_group(sessionmaker, leader, members)

    async def opened() -> dict[str, object] | None:
        response = await feedback.post(
            "/surveys",
            json={
                "template_key": "leader-group-self-evaluation",
                "leader_group_id": str(group_id),
                "title": "Ledergruppen i UKE",
                "open_until": until,
            },
            headers=coordinator(tokens),
        )
        return response.json() if response.status_code == 201 else None  # the group arrives by event

    survey = await eventually(opened)
    assert survey["invited"] == 5
    assert survey["kind"] == "custom"
    assert survey["template_version"] == 2  # the shipped version with English texts
    for person in crowd["uke"]:
        found = await invitation(feedback, tokens, person)
        assert found["title"] == "Ledergruppen i UKE"


async def test_closing_under_another_ballot_key_changes_nothing(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
    feedback_settings: dict[str, Any],
) -> None:
    alna = crowd["alna"]
    await attendance(sessionmaker, uuid.uuid4(), uuid.uuid4(), attended=alna[:5])
    for person in alna[:5]:
        await answer(feedback, tokens, person, SESSION_ANSWERS)
    survey_id = (await feedback.get("/surveys", headers=coordinator(tokens))).json()["items"][0]["id"]
    rotated = {**feedback_settings, "ballot_key": base64.urlsafe_b64encode(bytes(32)).decode()}
    async with running(create_app(FeedbackSettings(**rotated))) as other:
        refused = await other.post(f"/surveys/{survey_id}/close", headers=coordinator(tokens))
    assert refused.status_code == 503
    assert refused.json()["type"].endswith("ballot-key-mismatch")
    survey = (await feedback.get(f"/surveys/{survey_id}", headers=coordinator(tokens))).json()
    assert survey["status"] == "open"
    assert (await rows(sessionmaker, "SELECT count(*) FROM feedback.ballots"))[0][0] == 5
    assert (await close(feedback, tokens, survey_id))["responses"] == 5


async def test_respondents_read_a_survey_in_their_language(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    alna = crowd["alna"]
    await attendance(sessionmaker, uuid.uuid4(), uuid.uuid4(), attended=alna[:3])
    found = await invitation(feedback, tokens, alna[0], "session-evaluation")
    assert found["title"] == "Evaluering: programmet"
    assert found["questions"][0]["text"] == "Hvor nyttig var samlingen for deg som leder?"

    path = f"/surveys/{found['survey_id']}/invitation"
    response = await feedback.get(path, headers={**as_(tokens, alna[0]), "Accept-Language": "en"})
    assert response.headers["content-language"] == "en"
    english = response.json()
    assert english["title"] == "Evaluation: the programme"
    assert english["description"].startswith("Five short questions.")
    useful, _, _, form, _ = english["questions"]
    assert (useful["text"], useful["min_label"], useful["max_label"]) == (
        "How useful was the session for you as a leader?",
        "Not useful",
        "Very useful",
    )
    assert [o["label"] for o in form["options"]] == ["Suited me well", "Suited me fine", "Suited me poorly"]
    # The same questions by the same keys: a ballot answers either language's form alike.
    assert [q["key"] for q in english["questions"]] == [q["key"] for q in found["questions"]]
    assert english["public_key"] == found["public_key"]


async def test_a_template_version_carries_english_texts(
    feedback: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    headers = coordinator(tokens)
    draft = {
        "key": "puls",
        "title": "Puls",
        "title_en": "Pulse",
        "questions": [
            {
                "key": "trives",
                "type": "scale",
                "text": "Trives du?",
                "text_en": "Do you thrive?",
                "min_label": "Lite",
                "max_label": "Mye",
                "min_label_en": "Little",
                "max_label_en": "Much",
            }
        ],
    }
    created = await feedback.post("/survey-templates", json=draft, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["title_en"] == "Pulse"
    assert created.json()["questions"][0]["text_en"] == "Do you thrive?"
    misplaced = {
        **draft,
        "key": "puls-2",
        "questions": [{"key": "fritt", "type": "free-text", "text": "?", "min_label_en": "Little"}],
    }
    refused = await feedback.post("/survey-templates", json=misplaced, headers=headers)
    assert refused.status_code == 422
    assert "scale questions only" in refused.text


async def test_invitations_go_a_year_after_the_survey_closed_and_the_survey_keeps_the_count(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    alna = crowd["alna"]
    for attended in (alna[:4], alna[4:7]):
        await attendance(sessionmaker, uuid.uuid4(), uuid.uuid4(), attended=attended)

    async def opened() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = (await feedback.get("/surveys", headers=coordinator(tokens))).json()[
            "items"
        ]
        return items if sorted(s["invited"] for s in items) == [3, 4] else None

    listed = await eventually(opened)
    old, recent = sorted(listed, key=lambda s: s["invited"])
    for survey in (old, recent):
        await close(feedback, tokens, survey["id"])
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE feedback.surveys SET closed_at = now() - interval '13 months' WHERE id = :id"),
            {"id": old["id"]},
        )
    deleted = await enforce(sessionmaker, RULES)
    assert deleted["feedback.invitations"] == 3
    left = await rows(sessionmaker, "SELECT DISTINCT survey_id::text FROM feedback.invitations")
    assert [r[0] for r in left] == [recent["id"]]
    after = (await feedback.get("/surveys", headers=coordinator(tokens))).json()["items"]
    assert sorted(s["invited"] for s in after) == [3, 4]
