"""The trace of a request or event continues through the feedback service's consumers."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kernel.requestid import set_traceparent
from tests.feedback.support import Respondent, attendance, rows
from tests.support import eventually

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING = f"00-{TRACE}-00f067aa0ba902b7-01"


async def test_events_carry_the_trace_and_consumers_continue_it(
    feedback: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    set_traceparent(INCOMING)
    try:
        await attendance(sessionmaker, uuid.uuid4(), uuid.uuid4(), attended=crowd["alna"][:2])
    finally:
        set_traceparent(None)

    async def opened() -> list[Any] | None:
        found = await rows(
            sessionmaker, "SELECT traceparent FROM eventbus.events WHERE topic = 'feedback.survey_opened'"
        )
        return found or None

    (published,) = await eventually(opened)
    (recorded,) = await rows(
        sessionmaker, "SELECT traceparent FROM eventbus.events WHERE topic = 'enrollment.attendance_recorded'"
    )
    assert recorded[0] == INCOMING
    assert published[0].startswith(f"00-{TRACE}-")
    assert published[0] != INCOMING
