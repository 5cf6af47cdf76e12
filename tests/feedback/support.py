"""Helpers for feedback tests: the enrollment service's events, published as it would publish them, and
people who answer through the API with their own tokens."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools import blindclient, devkeys
from services.enrollment.events import (
    AttendanceRecord,
    AttendanceRecorded,
    EnrollmentConfirmed,
    LeaderGroupUpserted,
    OrgUnitUpserted,
    ParticipationCompleted,
    PersonUpserted,
)
from services.kernel.eventbus import EventPayload, publish_many
from tests.support import TokenFactory, eventually


@dataclass(frozen=True)
class Respondent:
    person_id: uuid.UUID
    email: str
    org_unit_id: uuid.UUID


@dataclass(frozen=True)
class Unit:
    org_unit_id: uuid.UUID
    name: str
    sector: str


def unit(name: str, sector: str) -> Unit:
    return Unit(uuid.uuid4(), name, sector)


def people(count: int, within: Unit, prefix: str = "leder") -> list[Respondent]:
    domain = within.name.lower().replace(" ", "-")
    return [
        Respondent(uuid.uuid4(), f"{prefix}{i}@{domain}.oslo.kommune.no", within.org_unit_id)
        for i in range(count)
    ]


async def emit(sessionmaker: async_sessionmaker[AsyncSession], *payloads: EventPayload) -> None:
    async with sessionmaker() as session, session.begin():
        await publish_many(session, [(p, uuid.uuid4()) for p in payloads], source="enrollment")


async def announce(
    sessionmaker: async_sessionmaker[AsyncSession], units: list[Unit], respondents: list[Respondent]
) -> None:
    """The directory as the enrollment service's HR sync publishes it."""
    await emit(
        sessionmaker,
        *(
            OrgUnitUpserted(
                org_unit_id=u.org_unit_id,
                external_id=u.name,
                name=u.name,
                kind="agency",
                sector=u.sector,
                parent_id=None,
                active=True,
            )
            for u in units
        ),
        *(
            PersonUpserted(
                person_id=r.person_id,
                entra_oid=devkeys.person_oid(r.email),
                org_unit_id=r.org_unit_id,
                manager_id=None,
                active=True,
            )
            for r in respondents
        ),
    )


async def announce_group(
    sessionmaker: async_sessionmaker[AsyncSession], leader: Respondent, members: list[Respondent]
) -> uuid.UUID:
    group_id = uuid.uuid4()
    await emit(
        sessionmaker,
        LeaderGroupUpserted(
            leader_group_id=group_id,
            org_unit_id=leader.org_unit_id,
            leader_id=leader.person_id,
            member_ids=[m.person_id for m in members],
            active=True,
        ),
    )
    return group_id


async def attendance(
    sessionmaker: async_sessionmaker[AsyncSession],
    session_id: uuid.UUID,
    offering_id: uuid.UUID,
    attended: list[Respondent],
    absent: list[Respondent] | None = None,
) -> None:
    records = [(r, "attended") for r in attended] + [(r, "absent") for r in absent or []]
    await emit(
        sessionmaker,
        AttendanceRecorded(
            session_id=session_id,
            offering_id=offering_id,
            records=[
                AttendanceRecord(
                    participation_id=uuid.uuid4(),
                    person_id=r.person_id,
                    org_unit_id=r.org_unit_id,
                    attendance=a,
                )
                for r, a in records
            ],
        ),
    )


def place(
    respondent: Respondent,
    offering_id: uuid.UUID,
    group_id: uuid.UUID,
    starts_in: timedelta = timedelta(days=20),
) -> EnrollmentConfirmed:
    """A group member's confirmed place in a programme session (one of these per member and session)."""
    return EnrollmentConfirmed(
        enrollment_id=uuid.uuid4(),
        participation_id=uuid.uuid4(),
        session_id=uuid.uuid4(),
        offering_id=offering_id,
        person_id=respondent.person_id,
        org_unit_id=respondent.org_unit_id,
        leader_group_id=group_id,
        seats=1,
        programme=True,
        session_starts_at=datetime.now(UTC) + starts_in,
        session_seats_confirmed=1,
        session_seats_version=1,
    )


def completed(respondent: Respondent, offering_id: uuid.UUID, group_id: uuid.UUID) -> ParticipationCompleted:
    return ParticipationCompleted(
        completion_id=uuid.uuid4(),
        person_id=respondent.person_id,
        offering_id=offering_id,
        leader_group_id=group_id,
        attended_sessions=6,
        required_sessions=5,
    )


def as_(tokens: TokenFactory, respondent: Respondent) -> dict[str, str]:
    return tokens.header(email=respondent.email)


def coordinator(tokens: TokenFactory) -> dict[str, str]:
    return tokens.header("coordinator", email="konsulent@uke.oslo.kommune.no")


async def invitation(
    feedback: httpx.AsyncClient, tokens: TokenFactory, respondent: Respondent, kind: str | None = None
) -> dict[str, Any]:
    """The respondent's open invitation (of `kind`), once the feedback service has made it."""

    async def find() -> dict[str, Any] | None:
        response = await feedback.get("/invitations/mine", headers=as_(tokens, respondent))
        assert response.status_code == 200, response.text
        found = [i for i in response.json()["items"] if kind is None or i["kind"] == kind]
        return found[0] if found else None

    return await eventually(find)


SESSION_ANSWERS = {"useful": 4, "relevant": 5, "collaboration": 3, "format": "good"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Credential:
    """What the respondent's client keeps between asking for a credential and answering."""

    invitation: dict[str, Any]
    token: bytes
    signature: bytes

    def ballot(self, answers: dict[str, Any], **more: Any) -> dict[str, Any]:
        """The body of a ballot spending this credential."""
        return {"token": b64(self.token), "signature": b64(self.signature), "answers": answers, **more}


async def credential(
    feedback: httpx.AsyncClient, tokens: TokenFactory, respondent: Respondent, kind: str | None = None
) -> Credential:
    """Blind a fresh token under the survey's key, have it signed as the respondent, and unblind it."""
    found = await invitation(feedback, tokens, respondent, kind)
    public = unb64(found["public_key"])
    token = blindclient.prepare()
    blinded, inverse = blindclient.blind(public, token)
    response = await feedback.post(
        "/credentials",
        json={"requests": [{"survey_id": found["survey_id"], "blinded_message": b64(blinded)}]},
        headers=as_(tokens, respondent),
    )
    assert response.status_code == 200, response.text
    [issued] = response.json()["credentials"]
    signature = blindclient.finalize(public, token, unb64(issued["blind_signature"]), inverse)
    return Credential(found, token, signature)


async def cast(
    feedback: httpx.AsyncClient, held: Credential, answers: dict[str, Any], expect: int = 202
) -> httpx.Response:
    """Send a ballot the way the intranet does: no sign-in, only the credential and the answers."""
    response = await feedback.post(
        f"/surveys/{held.invitation['survey_id']}/ballots",
        json=held.ballot(answers, org_unit_id=held.invitation["org_unit_id"]),
    )
    assert response.status_code == expect, response.text
    return response


async def answer(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    respondent: Respondent,
    answers: dict[str, Any],
    kind: str | None = None,
    expect: int = 202,
) -> httpx.Response:
    """A credential, then a ballot with it."""
    return await cast(feedback, await credential(feedback, tokens, respondent, kind), answers, expect)


async def read_report(feedback: httpx.AsyncClient, tokens: TokenFactory, **params: Any) -> dict[str, Any]:
    """A report as a coordinator reads it, with these filters."""
    response = await feedback.get(
        "/reports", params={k: str(v) for k, v in params.items()}, headers=coordinator(tokens)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def close(feedback: httpx.AsyncClient, tokens: TokenFactory, survey_id: str) -> dict[str, Any]:
    response = await feedback.post(f"/surveys/{survey_id}/close", headers=coordinator(tokens))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def rows(sessionmaker: async_sessionmaker[AsyncSession], sql: str, **params: Any) -> list[Any]:
    async with sessionmaker() as session:
        return list((await session.execute(text(sql), params)).all())
