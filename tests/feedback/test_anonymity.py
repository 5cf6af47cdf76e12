"""Anonymity by construction: what the database and the API keep cannot tie an answer to a person.

The attacker here is a coordinator with read access to every table, who knows who was invited and
polls the database while people answer.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.feedback.surveys import sealing
from services.feedback.surveys.questions import TemplateDraft, largest_answers
from services.feedback.surveys.shipped import SESSION_EVALUATION, SHIPPED
from tests.feedback.support import SESSION_ANSWERS, Respondent, answer, attendance, close, coordinator, rows
from tests.support import TokenFactory

TABLES = ("feedback", "eventbus")


async def _everything_as_text(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    """Every row of every table of the feedback and event-bus schemas, as JSON text."""
    tables = await rows(
        sessionmaker,
        "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY(:schemas)",
        schemas=list(TABLES),
    )
    dump = []
    for schema, table in tables:
        dump += [
            r[0] for r in await rows(sessionmaker, f'SELECT row_to_json(t)::text FROM "{schema}"."{table}" t')
        ]
    return "\n".join(dump)


async def test_the_tables_have_no_column_that_links_an_answer(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    columns = await rows(
        sessionmaker,
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'feedback' AND table_name IN ('responses', 'ballots', 'invitations')",
    )
    by_table: dict[str, dict[str, str]] = {}
    for table, column, kind in columns:
        by_table.setdefault(table, {})[column] = kind
    assert set(by_table["responses"]) == {"id", "survey_id", "org_unit_id", "sector", "answers"}
    assert set(by_table["ballots"]) == {"id", "survey_id", "sealed"}
    # The invitation knows whom it is for and only that it was used: no time or trace of the answer.
    assert set(by_table["invitations"]) == {"id", "survey_id", "person_id", "answered", "invited_at"}
    for table in ("responses", "ballots"):
        assert not any("time" in kind or "date" in kind for kind in by_table[table].values())


async def test_answers_cannot_be_tied_to_people_through_the_database_or_the_api(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    respondents = crowd["alna"]  # twelve
    session_id = uuid.uuid4()
    await attendance(sessionmaker, session_id, uuid.uuid4(), attended=respondents)
    api_bodies = []
    for i, person in enumerate(respondents):
        # Answers of very different lengths: the longest fills the free text to its limit.
        text = f"Hemmelig-{i:02}-" + ("æ" * (1988 if i == 0 else i))
        receipt = await answer(feedback, tokens, person, {**SESSION_ANSWERS, "take-away": text})
        api_bodies.append(receipt.text)

    # While open: nothing anyone can read holds an answer, and the sealed ballots all have one size.
    everything = await _everything_as_text(sessionmaker)
    assert "Hemmelig" not in everything
    sizes = await rows(sessionmaker, "SELECT DISTINCT octet_length(sealed) FROM feedback.ballots")
    assert len(sizes) == 1

    (survey,) = (await feedback.get("/surveys", headers=coordinator(tokens))).json()["items"]
    await close(feedback, tokens, survey["id"])

    released = await rows(
        sessionmaker, "SELECT id, xmin::text, answers->>'take-away' FROM feedback.responses ORDER BY ctid"
    )
    assert len(released) == 12
    # One transaction wrote them all, and it is not the transaction of any invitation or event.
    assert len({r[1] for r in released}) == 1
    stamp = released[0][1]
    others = await rows(
        sessionmaker,
        "SELECT xmin::text FROM feedback.invitations UNION ALL SELECT xmin::text FROM feedback.ballots",
    )
    assert stamp not in {r[0] for r in others}
    # Physical order is not the order of answering; ids are random (v4), not time-ordered.
    order = [int(r[2].split("-")[1]) for r in released]
    assert sorted(order) == list(range(12))
    assert order != list(range(12))
    assert all(uuid.UUID(str(r[0])).version == 4 for r in released)
    assert (await rows(sessionmaker, "SELECT count(*) FROM feedback.ballots"))[0][0] == 0

    # The API never hands out a response id: not in receipts, surveys, invitations or reports.
    ids = {str(r[0]) for r in released}
    api_bodies += [
        (await feedback.get(f"/surveys/{survey['id']}", headers=coordinator(tokens))).text,
        (
            await feedback.get(
                "/reports", params={"session_id": str(session_id)}, headers=coordinator(tokens)
            )
        ).text,
        (
            await feedback.get(
                "/reports.csv", params={"session_id": str(session_id)}, headers=coordinator(tokens)
            )
        ).text,
        *[
            (
                await feedback.get(
                    "/invitations/mine",
                    params={"include_answered": "true"},
                    headers=tokens.header(email=p.email),
                )
            ).text
            for p in respondents
        ],
    ]
    for body in api_bodies:
        assert not any(i in body for i in ids)
    # Events say how many answered, never who.
    payloads = await _everything_as_text(sessionmaker)
    for person in respondents:
        feedback_events = await rows(
            sessionmaker,
            "SELECT payload::text FROM eventbus.events "
            "WHERE topic LIKE 'feedback.%' AND payload::text LIKE :p",
            p=f"%{person.person_id}%",
        )
        assert feedback_events == []
    assert "Hemmelig-00" in payloads  # released, as an answer without an owner


def test_a_sealed_ballot_has_one_size_and_belongs_to_one_survey() -> None:
    draft = TemplateDraft.model_validate(SHIPPED[SESSION_EVALUATION])
    size = sealing.padded_size(largest_answers(draft.questions))
    key, survey = bytes(range(32)), uuid.uuid4()
    short = sealing.seal(key, survey, {"answers": {"useful": 1}, "org_unit_id": None, "sector": None}, size)
    widest = {
        "answers": largest_answers(draft.questions),
        "org_unit_id": str(uuid.uuid4()),
        "sector": "Ø" * 200,
    }
    long = sealing.seal(key, survey, widest, size)
    assert len(short) == len(long)
    assert b"useful" not in short
    assert sealing.unseal(key, survey, short) == b'{"answers":{"useful":1},"org_unit_id":null,"sector":null}'
    with pytest.raises(InvalidTag):
        sealing.unseal(key, uuid.uuid4(), short)
