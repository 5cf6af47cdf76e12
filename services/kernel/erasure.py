"""What every service reads from `enrollment.person_erased` (docs/adr/0017-erasure-by-re-keying.md), and
the subscription that runs a service's own statements for it, once per erasure (the bus's guarantee)."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.eventbus import Event, Subscription
from services.kernel.eventbus.envelope import ConsumedPayload

TOPIC = "enrollment.person_erased"
_TYPES = {"old": "uuid", "new": "uuid", "oid": "text", "pseudo": "text", "ext": "text", "event_id": "uuid"}


class PersonErased(ConsumedPayload):
    person_id: uuid.UUID
    entra_oid: str | None = None
    new_person_id: uuid.UUID
    pseudonym: str


def reads_statement(schema: str) -> str:
    """A service's record of bulk reads after an erasure: what the person read is the pseudonym's, and
    they are no longer among anyone's subjects by their ids."""
    return f"""UPDATE {schema}.personal_data_reads
               SET reader_oid = CASE WHEN reader_oid = :oid THEN :pseudo ELSE reader_oid END,
                   subject_ids = array_replace(subject_ids, :old, :new),
                   subject_oids = array_replace(subject_oids, :oid, :pseudo)
               WHERE reader_oid = :oid OR :old = ANY(subject_ids) OR :oid = ANY(subject_oids)"""  # noqa: S608


def erasure_sql(query: str) -> TextClause:
    """A statement naming `:old`/`:new` (person ids; `:old_text`/`:new_text` for them as text),
    `:oid`/`:pseudo`, `:ext` (an HR id) and `:event_id`, each cast to its type (some are null, and
    PostgreSQL must know a parameter's type without its value)."""
    for name, kind in _TYPES.items():
        query = re.sub(rf":{name}\b", f"CAST(:{name} AS {kind})", query)
    as_text = query.replace(":old_text", "CAST(CAST(:old AS uuid) AS text)")
    return text(as_text.replace(":new_text", "CAST(CAST(:new AS uuid) AS text)"))


def erasure_subscription(service: str, statements: list[TextClause]) -> Subscription:
    """`<service>.erasures`: the service's `statements` run in one transaction per erasure."""

    async def on_person_erased(session: AsyncSession, event: Event) -> None:
        erased = PersonErased.model_validate(event.payload)
        params = {
            "old": erased.person_id,
            "new": erased.new_person_id,
            "oid": erased.entra_oid,
            "pseudo": erased.pseudonym,
        }
        for statement in statements:
            await session.execute(statement, params)

    return Subscription(name=f"{service}.erasures", topics=(TOPIC,), handler=on_person_erased)
