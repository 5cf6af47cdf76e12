"""Answering with a blind credential: signed in to get it, anonymous to use it, once."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools import blindclient
from tests.feedback.support import (
    SESSION_ANSWERS,
    Credential,
    Respondent,
    as_,
    attendance,
    b64,
    cast,
    close,
    credential,
    invitation,
    rows,
    unb64,
)
from tests.support import TokenFactory


async def _credentials(
    feedback: httpx.AsyncClient, tokens: TokenFactory, who: Respondent, survey_id: str, blinded: bytes
) -> httpx.Response:
    return await feedback.post(
        "/credentials",
        json={"requests": [{"survey_id": survey_id, "blinded_message": b64(blinded)}]},
        headers=as_(tokens, who),
    )


async def test_a_ballot_needs_a_credential_and_counts_once(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    alna = crowd["alna"]
    await attendance(sessionmaker, uuid.uuid4(), uuid.uuid4(), attended=alna[:3])
    held = await credential(feedback, tokens, alna[0])
    assert held.invitation["variant"] == "RSABSSA-SHA384-PSS-Randomized"
    assert held.invitation["org_unit_id"] == str(alna[0].org_unit_id)
    listed = await invitation(feedback, tokens, alna[0])
    assert listed["credential_issued"] is True

    wrong = {"useful": 9, "relevant": "high", "format": "great", "colour": "blue"}
    refused = await cast(feedback, held, wrong, expect=422)
    errors = {tuple(e["loc"]): e["type"] for e in refused.json()["errors"]}
    assert refused.json()["type"].endswith("invalid-answers")
    assert errors == {
        ("body", "answers", "colour"): "unknown_question",
        ("body", "answers", "useful"): "invalid_answer",
        ("body", "answers", "relevant"): "invalid_answer",
        ("body", "answers", "collaboration"): "missing",
        ("body", "answers", "format"): "invalid_answer",
    }

    # Two ballots with one credential at once: one is taken, the other refused.
    first, second = await asyncio.gather(_try(feedback, held), _try(feedback, held))
    assert sorted([first.status_code, second.status_code]) == [202, 409], (first.text, second.text)
    receipt = first if first.status_code == 202 else second
    assert set(receipt.json()) == {"survey_id", "results_after"}
    assert "x-request-id" not in receipt.headers
    refusal = second if first.status_code == 202 else first
    assert refusal.json()["type"].endswith("already-answered")
    assert (await rows(sessionmaker, "SELECT count(*) FROM feedback.ballots"))[0][0] == 1


async def _try(feedback: httpx.AsyncClient, held: Credential) -> httpx.Response:
    return await feedback.post(
        f"/surveys/{held.invitation['survey_id']}/ballots",
        json=held.ballot(SESSION_ANSWERS),
    )


async def test_a_forged_or_borrowed_credential_is_refused(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    alna = crowd["alna"]
    await attendance(sessionmaker, uuid.uuid4(), uuid.uuid4(), attended=alna[:2])
    await attendance(sessionmaker, uuid.uuid4(), uuid.uuid4(), attended=alna[2:4])
    held = await credential(feedback, tokens, alna[0])
    other = await credential(feedback, tokens, alna[2])
    survey = held.invitation["survey_id"]
    tampered = held.token[:-1] + bytes([held.token[-1] ^ 1])
    cases = {
        "tampered token": {"token": b64(tampered), "signature": b64(held.signature)},
        "another survey's credential": {"token": b64(other.token), "signature": b64(other.signature)},
        "no signature at all": {"token": b64(held.token), "signature": b64(bytes(256))},
        "a short signature": {"token": b64(held.token), "signature": b64(held.signature[:100])},
    }
    for case, body in cases.items():
        response = await feedback.post(
            f"/surveys/{survey}/ballots", json={**body, "answers": SESSION_ANSWERS}
        )
        assert response.status_code == 403, case
        assert response.json()["type"].endswith("invalid-credential"), case
    missing = await feedback.post(
        f"/surveys/{uuid.uuid4()}/ballots",
        json=held.ballot(SESSION_ANSWERS),
    )
    assert missing.status_code == 404
    unit = await feedback.post(
        f"/surveys/{survey}/ballots",
        json=held.ballot(SESSION_ANSWERS, org_unit_id=str(uuid.uuid4())),
    )
    assert unit.status_code == 422
    assert unit.json()["type"].endswith("unknown-org-unit")
    assert (await rows(sessionmaker, "SELECT count(*) FROM feedback.ballots"))[0][0] == 0


async def test_a_ballot_that_says_who_sent_it_is_refused(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    alna = crowd["alna"]
    await attendance(sessionmaker, uuid.uuid4(), uuid.uuid4(), attended=alna[:1])
    held = await credential(feedback, tokens, alna[0])
    body = held.ballot(SESSION_ANSWERS)
    url = f"/surveys/{held.invitation['survey_id']}/ballots"
    for headers in (as_(tokens, alna[0]), {"Cookie": "session=abc"}):
        response = await feedback.post(url, json=body, headers=headers)
        assert response.status_code == 400
        assert response.json()["type"].endswith("identity-not-allowed")
    assert (await rows(sessionmaker, "SELECT count(*) FROM feedback.ballots"))[0][0] == 0
    assert (await feedback.post(url, json=body)).status_code == 202


async def test_one_credential_per_invitation_and_a_lost_answer_can_be_fetched_again(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    alna = crowd["alna"]
    await attendance(sessionmaker, uuid.uuid4(), uuid.uuid4(), attended=alna[:2])
    found = await invitation(feedback, tokens, alna[0])
    survey, public = found["survey_id"], unb64(found["public_key"])
    token = blindclient.prepare()
    blinded, inverse = blindclient.blind(public, token)

    first = await _credentials(feedback, tokens, alna[0], survey, blinded)
    assert first.status_code == 200, first.text
    again = await _credentials(feedback, tokens, alna[0], survey, blinded)
    assert again.json() == first.json()
    signature = blindclient.finalize(
        public, token, unb64(first.json()["credentials"][0]["blind_signature"]), inverse
    )
    assert signature

    second, _ = blindclient.blind(public, blindclient.prepare())
    refused = await _credentials(feedback, tokens, alna[0], survey, second)
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("credential-already-issued")

    stranger = await _credentials(feedback, tokens, crowd["uke"][0], survey, second)
    assert stranger.status_code == 404
    short = await _credentials(feedback, tokens, alna[1], survey, blinded[:200])
    assert short.status_code == 422
    assert short.json()["type"].endswith("invalid-blinded-message")
    not_base64 = await feedback.post(
        "/credentials",
        json={"requests": [{"survey_id": survey, "blinded_message": "not base64!"}]},
        headers=as_(tokens, alna[1]),
    )
    assert not_base64.status_code == 422
    # A refused request changed nothing: alna[1] still gets a credential.
    assert (await _credentials(feedback, tokens, alna[1], survey, second)).status_code == 200


async def test_a_closed_survey_takes_no_credential_and_no_ballot(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    alna = crowd["alna"]
    await attendance(sessionmaker, uuid.uuid4(), uuid.uuid4(), attended=alna[:2])
    held = await credential(feedback, tokens, alna[0])
    found = await invitation(feedback, tokens, alna[1])
    blinded, _ = blindclient.blind(unb64(found["public_key"]), blindclient.prepare())
    await close(feedback, tokens, held.invitation["survey_id"])

    late = await cast(feedback, held, SESSION_ANSWERS, expect=409)
    assert late.json()["type"].endswith("survey-closed")
    refused = await _credentials(feedback, tokens, alna[1], found["survey_id"], blinded)
    assert refused.status_code == 409
    listed = await feedback.get(
        "/invitations/mine", params={"include_closed": "true"}, headers=as_(tokens, alna[1])
    )
    (closed,) = listed.json()["items"]
    assert (closed["open"], closed["public_key"]) == (False, None)
    keys = await rows(
        sessionmaker,
        "SELECT sealed_private_key FROM feedback.survey_keys WHERE survey_id = :s",
        s=uuid.UUID(found["survey_id"]),
    )
    assert keys == [(None,)]
    mine = await feedback.get(f"/surveys/{found['survey_id']}/invitation", headers=as_(tokens, alna[1]))
    assert mine.status_code == 200
    assert (
        await feedback.get(f"/surveys/{found['survey_id']}/invitation", headers=as_(tokens, crowd["uke"][0]))
    ).status_code == 404
