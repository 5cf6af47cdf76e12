"""Reports for coordinators: the threshold, suppression that no subtraction gets around, exports."""

from __future__ import annotations

import io
import random
import uuid
from collections import Counter
from datetime import datetime, timedelta
from statistics import fmean

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.feedback.surveys.anonymity import generalise
from services.kernel.schemas import OSLO
from tests.feedback.support import (
    SESSION_ANSWERS,
    Respondent,
    attendance,
    cast,
    close,
    coordinator,
    credential,
    read_report,
    rows,
)
from tests.support import TokenFactory


async def _evaluate(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    respondents: list[Respondent],
    *,
    offering_id: uuid.UUID | None = None,
    collaboration: int = 3,
) -> tuple[uuid.UUID, str]:
    """A session whose attendees all answer; the survey closed. Returns the session and survey ids."""
    session_id = uuid.uuid4()
    await attendance(sessionmaker, session_id, offering_id or uuid.uuid4(), attended=respondents)
    # As the intranet does it: everyone's credential first, the answers later.
    held = [await credential(feedback, tokens, person) for person in respondents]
    for i, credentials in enumerate(held):
        given = {
            **SESSION_ANSWERS,
            "useful": 1 + i % 5,
            "collaboration": collaboration,
            "take-away": f"Kommentar {i:02}",
        }
        await cast(feedback, credentials, given)
    surveys = await feedback.get(
        "/surveys", params={"session_id": str(session_id)}, headers=coordinator(tokens)
    )
    survey_id: str = surveys.json()["items"][0]["id"]
    await close(feedback, tokens, survey_id)
    return session_id, survey_id


@pytest.mark.parametrize("answered", [2, 4, 5, 12])
async def test_results_show_counts_only_below_the_threshold(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
    answered: int,
) -> None:
    session_id, _ = await _evaluate(feedback, tokens, sessionmaker, crowd["alna"][:answered])
    report = await read_report(feedback, tokens, session_id=session_id)
    released = answered if answered >= 5 else 0  # fewer: destroyed unread at closing
    assert report["responses"] == released
    assert report["threshold"] == 5
    questions = {q["key"]: q for q in report["templates"][0]["questions"]}
    assert questions["useful"]["answers"] == (answered if released else None)
    csv = await feedback.get(
        "/reports.csv", params={"session_id": str(session_id)}, headers=coordinator(tokens)
    )
    assert csv.headers["content-type"].startswith("text/csv")
    workbook = await feedback.get(
        "/reports.xlsx", params={"session_id": str(session_id)}, headers=coordinator(tokens)
    )
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    if answered < 5:
        assert report["suppressed"] is True
        assert any("Færre enn 5 svar" in n for n in report["notices"])
        assert any("fikk færre enn 5 svar" in n for n in report["notices"])
        assert (await rows(sessionmaker, "SELECT count(*) FROM feedback.responses"))[0][0] == 0
        assert (await rows(sessionmaker, "SELECT count(*) FROM feedback.ballots"))[0][0] == 0
        for question in questions.values():
            assert question["suppressed"] is True
            assert (
                question["mean"],
                question["distribution"],
                question["options"],
                question["comments"],
            ) == (
                None,
                None,
                None,
                None,
            )
        assert [d["mean"] for d in report["dimensions"]] == [None]
        for export in (csv.text, " ".join(cells)):
            assert "Kommentar" not in export
            assert "fordeling" not in export
            assert "Færre enn 5 svar" in export
    else:
        assert report["suppressed"] is False
        useful = [1 + i % 5 for i in range(answered)]
        assert questions["useful"]["mean"] == round(fmean(useful), 2)
        assert questions["useful"]["distribution"] == {str(v): useful.count(v) for v in range(1, 6)}
        assert {o["key"]: o["count"] for o in questions["format"]["options"]} == {
            "good": answered,
            "ok": 0,
            "poor": 0,
        }
        assert questions["take-away"]["comments"] == [f"Kommentar {i:02}" for i in range(answered)]
        assert report["dimensions"] == [{"dimension": "collaboration", "n": answered, "mean": 3.0}]
        for export in (csv.text, " ".join(cells)):
            assert "Kommentar 00" in export
            assert "fordeling" in export


async def test_reports_are_only_for_coordinators(
    feedback: httpx.AsyncClient, tokens: TokenFactory, crowd: dict[str, list[Respondent]]
) -> None:
    for path in ("/reports", "/reports.csv", "/reports.xlsx", "/trends"):
        response = await feedback.get(path, headers=tokens.header(email=crowd["alna"][0].email))
        assert response.status_code == 403, path
    assert (
        await feedback.get("/reports", params={"sector": ""}, headers=coordinator(tokens))
    ).status_code == 422


async def test_no_two_reports_can_be_subtracted_to_single_anyone_out(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
    units: dict[str, uuid.UUID],
) -> None:
    # Six from Bydel Alna and the one leader of Bydel Nordre Aker (both sector Bydel), five from UKE.
    session_id, survey_id = await _evaluate(
        feedback, tokens, sessionmaker, crowd["alna"][:6] + crowd["nordre_aker"] + crowd["uke"]
    )
    whole = await read_report(feedback, tokens, survey_id=survey_id)
    bydel = await read_report(feedback, tokens, sector="Bydel")
    etat = await read_report(feedback, tokens, sector="Etat")
    alna = await read_report(feedback, tokens, org_unit_id=units["alna"])
    nordre_aker = await read_report(feedback, tokens, org_unit_id=units["nordre_aker"])
    uke = await read_report(feedback, tokens, org_unit_id=units["uke"], session_id=session_id)
    assert (whole["responses"], bydel["responses"], etat["responses"], uke["responses"]) == (12, 7, 5, 5)
    assert not any(r["suppressed"] for r in (whole, bydel, etat, uke))
    # Alna alone would have been shown (6), but then Bydel minus Alna would be the one from Nordre Aker.
    assert alna["responses"] == 0
    assert nordre_aker["responses"] == 0
    assert any("minst 5" in n for n in alna["notices"])
    cells = await rows(
        sessionmaker,
        "SELECT org_unit_id, sector, count(*) FROM feedback.responses GROUP BY 1, 2 ORDER BY 3",
    )
    assert {(r[0], r[1]): r[2] for r in cells} == {(None, "Bydel"): 7, (units["uke"], "Etat"): 5}


async def test_a_small_survey_releases_nothing_and_stays_out_of_every_statistic(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    """Offering minus its large session would otherwise give the small session's two answers."""
    offering_id = uuid.uuid4()
    large, _ = await _evaluate(feedback, tokens, sessionmaker, crowd["alna"][:5], offering_id=offering_id)
    await _evaluate(
        feedback, tokens, sessionmaker, crowd["uke"][:2], offering_id=offering_id, collaboration=5
    )
    offering = await read_report(feedback, tokens, offering_id=offering_id)
    session = await read_report(feedback, tokens, session_id=large)
    assert (offering["responses"], offering["included"], offering["surveys"]) == (5, 5, 2)
    assert any("1 lukket(e) undersøkelse(r) fikk færre enn 5 svar" in n for n in offering["notices"])
    statistics = ("n", "mean", "distribution", "options", "comments")
    mixed_questions = offering["templates"][0]["questions"]
    for mixed, alone in zip(mixed_questions, session["templates"][0]["questions"], strict=True):
        assert {k: mixed[k] for k in statistics} == {k: alone[k] for k in statistics}
    assert {q["key"]: q["answers"] for q in mixed_questions}["useful"] == 5
    assert (
        offering["dimensions"]
        == session["dimensions"]
        == [{"dimension": "collaboration", "n": 5, "mean": 3.0}]
    )


async def test_collaboration_over_time_across_offerings(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    first, second, small = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await _evaluate(feedback, tokens, sessionmaker, crowd["alna"][:5], offering_id=first, collaboration=2)
    await _evaluate(feedback, tokens, sessionmaker, crowd["alna"][5:11], offering_id=second, collaboration=4)
    await _evaluate(feedback, tokens, sessionmaker, crowd["uke"][:3], offering_id=small, collaboration=5)
    response = await feedback.get("/trends", headers=coordinator(tokens))
    assert response.status_code == 200, response.text
    trend = response.json()
    assert trend["dimension"] == "collaboration"
    points = {p["offering_id"]: p for p in trend["points"]}
    assert set(points) == {str(first), str(second)}
    assert (points[str(first)]["n"], points[str(first)]["mean"]) == (5, 2.0)
    assert (points[str(second)]["n"], points[str(second)]["mean"]) == (6, 4.0)
    sector = await feedback.get("/trends", params={"sector": "Etat"}, headers=coordinator(tokens))
    assert sector.json()["points"] == []


@pytest.mark.parametrize("k", [3, 5, 8])
def test_every_group_a_response_can_be_counted_in_is_empty_or_large(k: int) -> None:
    """Property check over many random surveys: every cell of the released partition (a unit, a
    sector's remainder, the survey's remainder) holds 0 or at least k responses, and tags never lie."""
    rng = random.Random(k)
    sectors = ["Bydel", "Etat", "Byrådsavdeling", None]
    units = [(uuid.UUID(int=i + 1), sectors[i % 4]) for i in range(12)]
    for _ in range(300):
        size = rng.randint(0, 40)
        skew = rng.random()
        origins = [units[0] if rng.random() < skew else rng.choice(units) for _ in range(size)]
        tags = generalise(origins, k)
        if size < k:
            assert set(tags) <= {(None, None)}
            continue
        for count in Counter(tags).values():
            assert count >= k
        for (unit, sector), (tag_unit, tag_sector) in zip(origins, tags, strict=True):
            assert tag_unit in (None, unit)
            assert tag_sector in (None, sector)
            assert tag_unit is None or tag_sector is not None
        for sector in {s for _, s in tags if s}:
            in_sector = [u for u, s in tags if s == sector]
            remainder = in_sector.count(None)
            assert remainder == 0 or remainder >= k


async def test_exports_survive_control_characters_in_filters(
    feedback: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    """A workbook cannot hold control characters: they are dropped from the cells (it was a 500)."""
    workbook = await feedback.get(
        "/reports.xlsx", params={"sector": "\x0eBydel\x1f"}, headers=coordinator(tokens)
    )
    assert workbook.status_code == 200, workbook.text
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    assert sheet.cell(row=2, column=3).value == "sector=Bydel"
    csv = await feedback.get("/reports.csv", params={"sector": "\x0eBydel\x1f"}, headers=coordinator(tokens))
    assert csv.status_code == 200


async def test_reports_by_closing_date(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    await _evaluate(feedback, tokens, sessionmaker, crowd["alna"][:5])
    today = datetime.now(OSLO).date()
    within = await read_report(
        feedback, tokens, closed_from=today - timedelta(days=1), closed_until=today + timedelta(days=1)
    )
    before = await read_report(feedback, tokens, closed_until=today - timedelta(days=1))
    after = await read_report(feedback, tokens, closed_from=today + timedelta(days=1))
    assert (within["surveys"], within["responses"]) == (1, 5)
    assert (before["surveys"], after["surveys"]) == (0, 0)
    refused = await feedback.get("/reports", params={"closed_until": "0"}, headers=coordinator(tokens))
    assert refused.status_code == 422
