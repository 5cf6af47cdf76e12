"""Closing a survey: what releasing its sealed answers costs, beside a plain insert of as many rows.

    .venv/bin/python -m bench.survey_close postgresql://postgres@127.0.0.1:5432/bench_fb   # an empty database

For 100 and 1,000 answers, seals ballots as answering would, then times `close` (open every ballot,
tag units and sectors, shuffle, insert the responses in one transaction, delete the ballots) and, as the
baseline in the same run, one plain insert of as many response rows.
"""

from __future__ import annotations

import asyncio
import base64
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from services.cli import migrate_all
from services.feedback.settings import FeedbackSettings
from services.feedback.surveys import sealing, service, templates
from services.feedback.surveys.models import Response, SealedBallot, Survey
from services.kernel import database


async def main(url: str) -> None:
    await migrate_all(url)
    engine = database.create_engine(url, application_name="bench-survey-close")
    sessionmaker = database.create_sessionmaker(engine)
    settings = FeedbackSettings(
        app_env="test",
        database_url=url,
        oidc_issuer="bench",
        oidc_audience="bench",
        oidc_jwks_url="file:///dev/null",
        ballot_key=base64.urlsafe_b64encode(os.urandom(32)).decode(),
    )
    key = settings.ballot_key_bytes()
    units = [uuid.uuid4() for _ in range(20)]
    try:
        for count in (100, 1000):
            async with sessionmaker() as session, session.begin():
                template = await templates.template_version(session, "session-evaluation")
                survey = Survey(
                    template_id=template.id,
                    kind="custom",
                    title="Benchmark",
                    opened_by="bench",
                    open_until=datetime.now(UTC) + timedelta(days=1),
                )
                session.add(survey)
                await session.flush()
                answers = {"useful": 3, "relevant": 4, "collaboration": 2, "format": "ok"}
                ballots: list[dict[str, Any]] = [
                    {
                        "id": uuid.uuid4(),
                        "survey_id": survey.id,
                        "sealed": sealing.seal(
                            key,
                            survey.id,
                            {"answers": answers, "org_unit_id": str(units[i % 20]), "sector": f"S{i % 4}"},
                            template.ballot_size,
                        ),
                    }
                    for i in range(count)
                ]
                await session.execute(insert(SealedBallot), ballots)
                survey_id = survey.id
            started = time.perf_counter()
            async with sessionmaker() as session, session.begin():
                await service.close(session, settings, survey_id, "bench")
            closing = time.perf_counter() - started
            async with sessionmaker() as session, session.begin():
                started = time.perf_counter()
                plain = [
                    {
                        "id": uuid.uuid4(),
                        "survey_id": survey_id,
                        "org_unit_id": None,
                        "sector": None,
                        "answers": answers,
                    }
                    for _ in range(count)
                ]
                await session.execute(insert(Response), plain)
                baseline = time.perf_counter() - started
            print(
                f"{count} answers: close {closing * 1000:.0f} ms; plain insert {baseline * 1000:.0f} ms; "
                f"ratio {closing / baseline:.1f}x"
            )
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
