"""Anonymity under attack: what a coordinator (through the API), a database superuser (tables, dead
tuples, transaction ids) and the holder of every application key can recover. Each test performs one
of the attacks the threat model (docs/anonymity.md) names and shows that it no longer works."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.feedback.surveys import sealing
from services.feedback.surveys.questions import TemplateDraft, largest_answers
from services.feedback.surveys.shipped import SESSION_EVALUATION, SHIPPED
from services.kernel.schemas import OSLO
from tests.feedback.support import (
    SESSION_ANSWERS,
    Respondent,
    answer,
    attendance,
    cast,
    close,
    coordinator,
    credential,
    read_report,
    rows,
)
from tests.support import TokenFactory, eventually

TABLES = ("feedback", "eventbus")
K = 5


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


async def _xmins(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, set[str]]:
    """The transaction that wrote each row, by table, over both schemas."""
    tables = await rows(
        sessionmaker,
        "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY(:schemas)",
        schemas=list(TABLES),
    )
    found: dict[str, set[str]] = {}
    for schema, table in tables:
        stamps = await rows(sessionmaker, f'SELECT xmin::text FROM "{schema}"."{table}"')
        found[f"{schema}.{table}"] = {r[0] for r in stamps}
    return found


async def _survey(feedback: httpx.AsyncClient, tokens: TokenFactory, session_id: uuid.UUID) -> dict[str, Any]:
    surveys = await feedback.get(
        "/surveys", params={"session_id": str(session_id)}, headers=coordinator(tokens)
    )
    (survey,) = surveys.json()["items"]
    return dict(survey)


async def test_the_tables_have_no_column_that_links_an_answer(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    columns = await rows(
        sessionmaker,
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'feedback' "
        "AND table_name IN ('responses', 'ballots', 'invitations', 'survey_keys')",
    )
    by_table: dict[str, dict[str, str]] = {}
    for table, column, kind in columns:
        by_table.setdefault(table, {})[column] = kind
    assert set(by_table["responses"]) == {"id", "survey_id", "org_unit_id", "sector", "answers"}
    assert set(by_table["ballots"]) == {"id", "survey_id", "token_hash", "sealed"}
    # The invitation knows whom it is for and that a credential was signed: nothing of a ballot.
    assert set(by_table["invitations"]) == {
        "id",
        "survey_id",
        "person_id",
        "credential_issued",
        "credential_request",
        "withdrawn",
        "invited_at",
    }
    assert set(by_table["survey_keys"]) == {"survey_id", "public_key", "sealed_private_key"}
    for table in ("responses", "ballots"):
        assert not any("time" in kind or "date" in kind for kind in by_table[table].values())


async def test_a_copy_of_the_database_and_every_key_pair_no_ballot_with_a_person(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
    feedback_settings: dict[str, Any],
) -> None:
    """The attack that paired 22 of 22 ballots: the ballot and the invitation's mark written in one
    transaction. Now each person answers right after getting a credential (the worst case for timing),
    and an image of the database taken while the survey is open is read with the ballot key."""
    people = crowd["alna"][:6]
    session_id = uuid.uuid4()
    await attendance(sessionmaker, session_id, uuid.uuid4(), attended=people)
    for i, person in enumerate(people):
        await answer(feedback, tokens, person, {**SESSION_ANSWERS, "take-away": f"Hemmelig-{i}"})

    # The image: every row with the transaction that wrote it, and the sealed ballots opened.
    stamps = await _xmins(sessionmaker)
    key = base64.urlsafe_b64decode(feedback_settings["ballot_key"])
    ballots = await rows(
        sessionmaker, "SELECT survey_id, token_hash, sealed, xmin::text FROM feedback.ballots"
    )
    opened = [json.loads(sealing.unseal(key, b[0], b[2])) for b in ballots]
    assert sorted(o["answers"]["take-away"] for o in opened) == [f"Hemmelig-{i}" for i in range(6)]
    # Each ballot's transaction wrote that ballot and nothing else anywhere: no invitation, no event.
    for _, _, _, stamp in ballots:
        elsewhere = [table for table, seen in stamps.items() if table != "feedback.ballots" and stamp in seen]
        assert elsewhere == []
    # Nothing stored on a ballot names or derives from a person, an invitation or a credential request.
    invitations = await rows(
        sessionmaker,
        "SELECT id, person_id, credential_request FROM feedback.invitations WHERE credential_issued",
    )
    assert len(invitations) == 6
    requests = {bytes(r[2]) for r in invitations}
    everything_on_ballots = " ".join(json.dumps(o) for o in opened) + " ".join(
        bytes(b[1]).hex() for b in ballots
    )
    for invitation_id, person_id, _ in invitations:
        assert str(invitation_id) not in everything_on_ballots
        assert str(person_id) not in everything_on_ballots
    assert not requests & {bytes(b[1]) for b in ballots}
    assert all(o["org_unit_id"] is None or o["org_unit_id"] == str(people[0].org_unit_id) for o in opened)


async def test_an_attendance_correction_tells_nothing_of_who_answered(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    """The attack: mark someone absent and see whether `invited` drops (it did only if they had not
    answered), then mark them attended again. Now a withdrawal is the same for both."""
    alna = crowd["alna"]
    session_id, offering_id = uuid.uuid4(), uuid.uuid4()
    await attendance(sessionmaker, session_id, offering_id, attended=alna[:3])
    answered, silent = alna[0], alna[1]
    await answer(feedback, tokens, answered, SESSION_ANSWERS)
    survey = await _survey(feedback, tokens, session_id)
    assert survey["invited"] == 3
    assert "answered" not in survey

    async def probe(person: Respondent) -> list[dict[str, Any]]:
        seen = []
        for marks in ({"attended": [], "absent": [person]}, {"attended": [person], "absent": []}):
            await attendance(sessionmaker, session_id, offering_id, **marks)

            async def settled(expected: int = 2 if marks["absent"] else 3) -> dict[str, Any] | None:
                current = await _survey(feedback, tokens, session_id)
                return current if current["invited"] == expected else None

            seen.append(await eventually(settled))
        return seen

    assert await probe(answered) == await probe(silent)


def _per_question(report: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for section in report["templates"]:
        for question in section["questions"]:
            counts[question["key"]] = counts.get(question["key"], 0) + (question["answers"] or 0)
    return counts


async def test_no_difference_of_reports_isolates_an_answer_to_any_question(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
    units: dict[str, uuid.UUID],
) -> None:
    """The attack: an optional question (the free text) answered by one person in a group of five,
    isolated by subtracting report(survey, unit) from report(survey), or one session's report from the
    offering's. Every report over every combination of filters, and every difference of two nested
    ones, now rests on 0 or at least k answers to each question."""
    offering_id = uuid.uuid4()
    sessions = []
    for group, comments in (
        (crowd["alna"][:6] + crowd["nordre_aker"] + crowd["uke"], {0, 7}),
        (crowd["alna"][6:12], {1}),
    ):
        session_id = uuid.uuid4()
        sessions.append(session_id)
        await attendance(sessionmaker, session_id, offering_id, attended=group)
        held = [await credential(feedback, tokens, person) for person in group]
        for i, credentials in enumerate(held):
            given = {**SESSION_ANSWERS, "take-away": f"Kommentar {i}"} if i in comments else SESSION_ANSWERS
            await cast(feedback, credentials, given)
        await close(feedback, tokens, (await _survey(feedback, tokens, session_id))["id"])

    today = datetime.now(OSLO).date()
    around = {
        "closed_from": (today - timedelta(days=1)).isoformat(),
        "closed_until": (today + timedelta(days=1)).isoformat(),
    }
    everything: list[dict[str, Any]] = [
        {},
        {"kind": "session-evaluation"},
        {"template_key": "session-evaluation"},
        around,
    ]
    scopes = [*everything, {"offering_id": offering_id}, *({"session_id": s} for s in sessions)]
    origins: list[dict[str, Any]] = [
        {},
        {"sector": "Bydel"},
        {"sector": "Etat"},
        *({"org_unit_id": u} for u in units.values()),
    ]
    reports = {}
    for scope, origin in itertools.product(scopes, origins):
        key = json.dumps({**scope, **origin}, default=str, sort_keys=True)
        reports[key] = (scope, origin, _per_question(await read_report(feedback, tokens, **scope, **origin)))
        csv = await feedback.get(
            "/reports.csv",
            params={k: str(v) for k, v in {**scope, **origin}.items()},
            headers=coordinator(tokens),
        )
        if "take-away" in reports[key][2] and 0 < reports[key][2]["take-away"] < K:
            pytest.fail(f"{key}: {reports[key][2]}")
        assert "Kommentar" not in csv.text

    bydel = {units["alna"], units["nordre_aker"]}

    def contains(a: tuple[dict[str, Any], dict[str, Any]], b: tuple[dict[str, Any], dict[str, Any]]) -> bool:
        """Whether every response report b selects is in report a."""
        (scope_a, origin_a), (scope_b, origin_b) = a, b
        scope = (
            scope_a in everything
            or scope_a == scope_b
            or ("offering_id" in scope_a and "session_id" in scope_b)
        )
        unit = origin_b.get("org_unit_id")
        origin = (
            not origin_a
            or origin_a == origin_b
            or (origin_a.get("sector") == "Bydel" and unit in bydel)
            or (origin_a.get("sector") == "Etat" and unit == units["uke"])
        )
        return scope and origin

    for scope, origin, counts in reports.values():
        for question, count in counts.items():
            assert count == 0 or count >= K, (scope, origin, question, count)
    for (scope_a, origin_a, a), (scope_b, origin_b, b) in itertools.permutations(reports.values(), 2):
        if contains((scope_a, origin_a), (scope_b, origin_b)):
            for question, count in a.items():
                difference = count - b.get(question, 0)
                assert not 0 < difference < K, (scope_a, origin_a, scope_b, origin_b, question, difference)
    for origin in origins:
        trend = await feedback.get(
            "/trends", params={k: str(v) for k, v in origin.items()}, headers=coordinator(tokens)
        )
        assert all(p["n"] == 0 or p["n"] >= K for p in trend.json()["points"]), origin
    stored = await rows(
        sessionmaker,
        "SELECT survey_id, org_unit_id, sector, k, count(*) "
        "FROM feedback.responses, jsonb_object_keys(answers) k GROUP BY 1, 2, 3, 4",
    )
    assert all(n >= K for *_, n in stored)


async def test_a_report_under_the_threshold_shows_no_count_per_question(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    session_id = uuid.uuid4()
    await attendance(sessionmaker, session_id, uuid.uuid4(), attended=crowd["alna"][:1])
    await answer(feedback, tokens, crowd["alna"][0], {**SESSION_ANSWERS, "take-away": "Bare jeg"})
    await close(feedback, tokens, (await _survey(feedback, tokens, session_id))["id"])
    report = await read_report(feedback, tokens, session_id=session_id)
    assert report["suppressed"] is True
    assert {q["answers"] for section in report["templates"] for q in section["questions"]} <= {None}
    csv = await feedback.get(
        "/reports.csv", params={"session_id": str(session_id)}, headers=coordinator(tokens)
    )
    assert "Bare jeg" not in csv.text


async def test_a_survey_forced_small_releases_nothing_anywhere(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    """The attack: open a survey for a session whose only participant is the target (or close early
    once the target answered) and read the released response. Under k answers nothing is released."""
    target = crowd["uke"][0]
    session_id = uuid.uuid4()
    await attendance(sessionmaker, session_id, uuid.uuid4(), attended=[target, *crowd["uke"][1:3]])
    await answer(feedback, tokens, target, {**SESSION_ANSWERS, "take-away": "Målet svarte"})
    survey = await _survey(feedback, tokens, session_id)
    closed = await close(feedback, tokens, survey["id"])
    assert closed["responses"] == 0
    assert "Målet svarte" not in await _everything_as_text(sessionmaker)
    assert await rows(sessionmaker, "SELECT * FROM feedback.responses") == []
    assert await rows(sessionmaker, "SELECT * FROM feedback.ballots") == []
    assert await rows(sessionmaker, "SELECT sealed_private_key FROM feedback.survey_keys") == [(None,)]
    (event,) = await rows(
        sessionmaker, "SELECT payload FROM eventbus.events WHERE topic = 'feedback.survey_closed'"
    )
    assert (event[0]["responses"], event[0]["released"]) == (0, False)


async def test_nothing_about_an_answer_leaves_the_database(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No event, no log record, no metric and no request id comes of a ballot (the real processes'
    access logs are tested end to end: tests/e2e/test_feedback_programme.py)."""
    person = crowd["alna"][0]
    await attendance(sessionmaker, uuid.uuid4(), uuid.uuid4(), attended=[person])
    held = await credential(feedback, tokens, person)
    events_before = await rows(sessionmaker, "SELECT count(*) FROM eventbus.events")
    caplog.clear()
    with caplog.at_level("DEBUG"):
        receipt = await cast(feedback, held, SESSION_ANSWERS)
    assert "x-request-id" not in receipt.headers
    service_records = [r for r in caplog.records if not r.name.startswith("httpx")]
    assert [r.getMessage() for r in service_records if getattr(r, "request_id", None)] == []
    assert await rows(sessionmaker, "SELECT count(*) FROM eventbus.events") == events_before
    metrics = (await feedback.get("/metrics")).text
    assert "ballots" not in metrics
    token_hash = hashlib.sha256(held.token).digest()
    assert (
        await rows(sessionmaker, "SELECT count(*) FROM feedback.ballots WHERE token_hash = :h", h=token_hash)
    )[0][0] == 1


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

    survey = await _survey(feedback, tokens, session_id)
    await close(feedback, tokens, survey["id"])

    released = await rows(
        sessionmaker, "SELECT id, xmin::text, answers->>'take-away' FROM feedback.responses ORDER BY ctid"
    )
    assert len(released) == 12
    # One transaction wrote them all, and it is not the transaction of any invitation or ballot.
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
                    params={"include_closed": "true"},
                    headers=tokens.header(email=p.email),
                )
            ).text
            for p in respondents
        ],
    ]
    for body in api_bodies:
        assert not any(i in body for i in ids)
    # Events never name a person, except to ask for a mail to them, which says which survey and nothing
    # about answering (the invitation: who was invited; no reminder has gone yet).
    payloads = await _everything_as_text(sessionmaker)
    for person in respondents:
        feedback_events = await rows(
            sessionmaker,
            "SELECT topic, payload FROM eventbus.events "
            "WHERE topic LIKE 'feedback.%' AND payload::text LIKE :p",
            p=f"%{person.person_id}%",
        )
        assert [(topic, payload["kind"]) for topic, payload in feedback_events] == [
            ("feedback.mail_requested", "survey-invitation")
        ]
        [(_, mail)] = feedback_events
        assert set(mail) == {"recipient_person_id", "kind", "data"}
        assert set(mail["data"]) == {"survey_id", "offering_title", "offering_title_en", "closes_at", "link"}
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
