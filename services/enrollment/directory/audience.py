"""Publishing what the audience rules know of each person when a directory change alters it.

After every change to the directory (an HR sync batch, the demo data) the facts of every person with a
sign-in are computed in one statement and compared with those last published; only the people whose
facts differ get an `enrollment.audience_changed` event. A change high in the org tree (a unit moved)
thereby reaches everyone under it without the sync having to know who that is. Two syncs at once may
both publish a change; the catalogue's copy is a plain overwrite, so that is harmless.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.directory import repository
from services.enrollment.events import SOURCE, AudienceChanged
from services.kernel.eventbus import publish_many


async def publish_changes(session: AsyncSession) -> int:
    """Publish the audience facts of everyone whose facts changed since last published; how many."""
    rows = await repository.record_changed_audience_facts(session)
    events: list[tuple[Any, Any]] = [
        (AudienceChanged(person_id=row.person_id, **row.facts), row.person_id) for row in rows
    ]
    if events:
        await publish_many(session, events, source=SOURCE)
    return len(events)
