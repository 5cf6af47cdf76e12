"""Erasure (docs/adr/0017-erasure-by-re-keying.md): a person's data moved to a pseudonymous id, what the
register says goes deleted, the other services told by one event, and the event payloads rewritten
once every service has acted.

- `erase` runs in the ordering transaction: the enrolment service's own tables, then
  `enrollment.person_erased`. Counts stay as they were (places, completions and coverage belong to the
  new id); names, e-mail, object id, HR id, notes and reasons are gone; mail records, reminders,
  calendar numbers, feeds and repeated-request records are deleted.
- `scrub_due` (a periodic job) rewrites the event payloads once every subscription has passed the
  erasure event, then forgets the old identifiers.
- `erase_departed` (the same job) erases the people HR deactivated more than `DEPARTED_GRACE` ago.
- `delete_mail_files` removes the development mail directory's copies addressed to the person.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enrollment.directory.models import Person
from services.enrollment.events import SOURCE, PersonErased
from services.enrollment.privacy import repository
from services.enrollment.privacy.models import Erasure
from services.kernel import clock
from services.kernel.eventbus import publish

log = logging.getLogger(__name__)

# How long after HR deactivates someone their data is erased: HR's mistakes are undone within it.
DEPARTED_GRACE = timedelta(days=30)
BY_RETENTION = "retention"


async def erase(session: AsyncSession, person: Person, ordered_by: str, reason: str) -> Erasure:
    """Erase the person in the caller's transaction; the other services follow the event."""
    new_id = uuid.uuid4()
    pseudonym = f"erased-{new_id.hex[:16]}"
    params = {
        "old": person.id,
        "new": new_id,
        "oid": person.entra_oid,
        "pseudo": pseudonym,
        "ext": person.external_id,
    }
    old_id, old_oid = person.id, person.entra_oid
    session.expunge(person)  # the row is about to go; nothing may write it back
    await repository.erase_rows(session, params)
    event_id = await publish(
        session,
        PersonErased(
            erasure_id=(erasure_id := uuid.uuid4()),
            person_id=old_id,
            entra_oid=old_oid,
            new_person_id=new_id,
            pseudonym=pseudonym,
        ),
        source=SOURCE,
        aggregate_id=erasure_id,
    )
    erasure = Erasure(
        id=erasure_id,
        new_person_id=new_id,
        pseudonym=pseudonym,
        ordered_by=ordered_by[:64],
        reason=reason,
        event_id=event_id,
        old_person_id=old_id,
        old_oid=old_oid,
    )
    session.add(erasure)
    await session.flush()
    return erasure


def delete_mail_files(directory: Path | None, email: str) -> int:
    """The development mail directory's copies of mails to `email` (an SMTP server keeps none here)."""
    if directory is None or not email or not directory.is_dir():
        return 0
    needle = email.lower().encode()
    deleted = 0
    for path in directory.glob("*.eml"):
        if needle in path.read_bytes().lower():
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


async def scrub_due(session: AsyncSession) -> int:
    """Rewrite the payloads of every erasure every subscription has passed; how many erasures."""
    done = 0
    for erasure in await repository.pending_erasures(session):
        upto = await repository.scrub_point(session, erasure.event_id)
        if upto is None:
            continue  # a service has not acted on it yet
        await repository.scrub(session, erasure, upto)
        erasure.scrubbed_at = clock.now()
        erasure.old_person_id = None
        erasure.old_oid = None
        done += 1
    return done


async def erase_departed(session: AsyncSession, mail_directory: Path | None) -> int:
    """Erase the people HR deactivated more than the grace period ago (a few per run)."""
    erased = 0
    for person in await repository.departed(session, clock.now() - DEPARTED_GRACE, limit=20):
        email = person.email
        await erase(session, person, BY_RETENTION, "HR deactivated the person more than 30 days ago")
        delete_mail_files(mail_directory, email)
        erased += 1
    return erased


async def run(sessionmaker: async_sessionmaker[AsyncSession], settings: Any) -> None:
    """The periodic job: erase who has departed, then rewrite what every service has acted on."""
    async with sessionmaker() as session, session.begin():
        erased = await erase_departed(session, None if settings.mail_smtp_host else settings.mail_directory)
    async with sessionmaker() as session, session.begin():
        scrubbed = await scrub_due(session)
    if erased or scrubbed:
        log.info("erasure: %d departed people erased, %d erasures scrubbed from events", erased, scrubbed)
