"""A leader-group programme end to end through the gateway, with every service as its own process:
HR sends the group, the top leader enrolls it, everyone answers the baseline, attends, evaluates the
sessions, completes, answers the follow-up, and a coordinator reads the reports."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from devtools import blindclient, devkeys
from devtools.stack import Stack
from services.kernel import database
from tests.feedback.support import b64, unb64
from tests.support import TokenFactory, eventually

API = "/api/v1"


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _invitation(client: httpx.AsyncClient, headers: dict[str, str], kind: str) -> dict[str, Any]:
    async def find() -> dict[str, Any] | None:
        mine = await _ok(await client.get(f"{API}/feedback/invitations/mine", headers=headers))
        return next((i for i in mine["items"] if i["kind"] == kind), None)

    return await eventually(find, within=30)


async def _answer_all(
    client: httpx.AsyncClient, everyone: list[dict[str, str]], kind: str, answers: dict[str, Any]
) -> str:
    """As the intranet does it: everyone's credential first (signed in), then each ballot without a
    sign-in, through the gateway."""
    survey_id, held = "", []
    for headers in everyone:
        invitation = await _invitation(client, headers, kind)
        survey_id = invitation["survey_id"]
        public = unb64(invitation["public_key"])
        token = blindclient.prepare()
        blinded, inverse = blindclient.blind(public, token)
        issued = await _ok(
            await client.post(
                f"{API}/feedback/credentials",
                json={"requests": [{"survey_id": survey_id, "blinded_message": b64(blinded)}]},
                headers=headers,
            )
        )
        blind_signature = unb64(issued["credentials"][0]["blind_signature"])
        held.append((invitation, token, blindclient.finalize(public, token, blind_signature, inverse)))
    for invitation, token, signature in held:
        ballot = {
            "token": b64(token),
            "signature": b64(signature),
            "answers": answers,
            "org_unit_id": invitation["org_unit_id"],
        }
        await _ok(await client.post(f"{API}/feedback/surveys/{survey_id}/ballots", json=ballot), 202)
    return survey_id


async def test_a_leader_group_programme_with_feedback_through_the_gateway(
    client: httpx.AsyncClient, engine: AsyncEngine, tokens: TokenFactory, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    hr, coordinator = tokens.header("hr-integration"), tokens.header("coordinator")
    district = f"bydel-{tag}"
    await _ok(
        await client.post(
            f"{API}/enrollment/directory/sync/org-units",
            json={
                "records": [
                    {
                        "external_id": district,
                        "name": f"Bydel {tag}",
                        "kind": "city-district",
                        "sector": "Bydel",
                    }
                ]
            },
            headers=hr,
        )
    )
    emails = [f"leder{i}-{tag}@bydel.oslo.kommune.no" for i in range(6)]
    people = [
        {
            "external_id": f"E-{tag}-{i}",
            "name": f"Leder {i}",
            "email": email,
            "entra_oid": devkeys.person_oid(email),
            "org_unit_external_id": district,
        }
        for i, email in enumerate(emails)
    ]
    sync = f"{API}/enrollment/directory/sync"
    await _ok(await client.post(f"{sync}/people", json={"records": people}, headers=hr))
    group = {
        "external_id": f"tlg-{tag}",
        "name": f"Toppledergruppen i bydel {tag}",
        "org_unit_external_id": district,
        "leader_external_id": people[0]["external_id"],
        "members": [{"person_external_id": p["external_id"]} for p in people[1:]],
    }
    await _ok(await client.post(f"{sync}/leader-groups", json={"records": [group]}, headers=hr))
    everyone = [tokens.header(email=e) for e in emails]
    leader = everyone[0]

    offering = await _ok(
        await client.post(
            f"{API}/catalog/offerings",
            json={
                "kind_code": "leader-group-development",
                "title": f"Ledergruppeutvikling {tag}",
                "summary": "Forskningsbasert program for effektive ledergrupper.",
                "completion_min_sessions": 2,
            },
            headers=coordinator,
        ),
        201,
    )
    sessions = []
    for weeks in (6, 12):
        starts = datetime.now(UTC) + timedelta(weeks=weeks)
        created = await client.post(
            f"{API}/catalog/sessions",
            json={
                "offering_id": offering["id"],
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=4)).isoformat(),
                "capacity": 40,
                "venue": "Rådhuset",
            },
            headers=coordinator,
        )
        sessions.append((await _ok(created, 201))["id"])
    await _ok(await client.post(f"{API}/catalog/offerings/{offering['id']}/publish", headers=coordinator))

    async with database.create_sessionmaker(engine)() as session:
        group_id = (
            await session.execute(
                text("SELECT id FROM enrollment.leader_groups WHERE external_id = :e"), {"e": f"tlg-{tag}"}
            )
        ).scalar_one()

    async def both_sessions_known() -> bool:
        # The offering and its sessions reach the enrollment service by separate subscriptions: the
        # programme is enrolled in once it knows both (a programme takes the sessions it knows).
        async with database.create_sessionmaker(engine)() as session:
            known = await session.scalar(
                text("SELECT count(*) FROM enrollment.sessions WHERE id = ANY(:ids)"),
                {"ids": [uuid.UUID(s) for s in sessions]},
            )
        return bool(known == len(sessions))

    await eventually(both_sessions_known, within=30)

    async def enrolled() -> dict[str, Any] | None:
        response = await client.post(
            f"{API}/enrollment/enrollments",
            json={"offering_id": offering["id"], "leader_group_id": str(group_id)},
            headers=leader,
        )
        # Until the enrollment service has read the publication: 503 session-not-yet-known, never 404.
        return None if response.status_code == 503 else await _ok(response, 201)

    enrollment = await eventually(enrolled, within=30)
    assert enrollment["status"] == "confirmed"

    baseline_answers = {
        "structure-meetings": 2,
        "structure-priorities": 2,
        "dialogue-open": 3,
        "dialogue-all": 3,
        "strategy-long-term": 2,
        "strategy-follow-up": 2,
        "relations-trust": 4,
        "relations-support": 4,
        "competence-fit": 4,
        "competence-use": 4,
        "collaboration-others": 2,
        "collaboration-initiative": 2,
    }
    baseline = await _answer_all(client, everyone, "baseline", baseline_answers)
    closed = await _ok(await client.post(f"{API}/feedback/surveys/{baseline}/close", headers=coordinator))
    assert (closed["responses"], closed["invited"]) == (6, 6)

    # Time passes: both sessions have been held (the enrollment service's copy of them moves back).
    async with database.create_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            text(
                "UPDATE enrollment.sessions SET starts_at = now() - interval '2 hours', "
                "ends_at = now() - interval '1 hour' WHERE id = ANY(:ids)"
            ),
            {"ids": [uuid.UUID(s) for s in sessions]},
        )
    roster = await _ok(
        await client.get(f"{API}/enrollment/sessions/{sessions[0]}/roster", headers=coordinator)
    )
    marks = {"records": [{"person_id": r["person_id"], "attendance": "attended"} for r in roster["items"]]}
    for session_id in sessions:
        await _ok(
            await client.put(
                f"{API}/enrollment/sessions/{session_id}/attendance", json=marks, headers=coordinator
            )
        )
        evaluation = {"useful": 5, "relevant": 4, "collaboration": 4, "format": "good", "take-away": "Nyttig"}
        survey_id = await _answer_all(client, everyone, "session-evaluation", evaluation)
        await _ok(await client.post(f"{API}/feedback/surveys/{survey_id}/close", headers=coordinator))

    follow_up = await _answer_all(
        client,
        everyone,
        "follow-up",
        {**baseline_answers, "structure-meetings": 4, "structure-priorities": 4},
    )
    await _ok(await client.post(f"{API}/feedback/surveys/{follow_up}/close", headers=coordinator))

    comparison = await _ok(
        await client.get(f"{API}/feedback/leader-groups/{group_id}/before-after", headers=coordinator)
    )
    structure = next(d for d in comparison["dimensions"] if d["dimension"] == "structure")
    assert (structure["baseline_mean"], structure["follow_up_mean"], structure["change"]) == (2.0, 4.0, 2.0)
    assert (structure["baseline_n"], structure["follow_up_n"]) == (6, 6)

    report = await _ok(
        await client.get(
            f"{API}/feedback/reports",
            params={"offering_id": offering["id"], "kind": "session-evaluation"},
            headers=coordinator,
        )
    )
    assert (report["surveys"], report["responses"], report["suppressed"]) == (2, 12, False)
    assert report["dimensions"] == [{"dimension": "collaboration", "n": 12, "mean": 4.0}]
    sheet = await client.get(
        f"{API}/feedback/reports.xlsx", params={"offering_id": offering["id"]}, headers=coordinator
    )
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("application/vnd.openxmlformats")
    # A participant cannot read reports, and cannot see anyone's answer.
    assert (await client.get(f"{API}/feedback/reports", headers=leader)).status_code == 403

    # Outside the database nothing about a ballot: no access-log line, no request id, no trace in any
    # process's log, and no count of them in any /metrics.
    for name in ("gateway", "feedback"):
        lines = [json.loads(line) for line in stack.log(name).splitlines() if line.startswith("{")]
        assert lines, name
        assert not [line for line in lines if "/ballots" in line["message"]], name
        assert [line for line in lines if "/credentials" in line["message"]], f"{name} logs no requests"
        async with httpx.AsyncClient() as scraper:
            metrics = (await scraper.get(f"{stack.url(name)}/metrics")).text
        assert "ballots" not in metrics, name
