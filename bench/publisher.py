"""The burst for the event-bus scenario, from a process of its own (the consumer under test is not slowed by
the publisher sharing its interpreter).

    .venv/bin/python -m bench.publisher <database url> <events> <per transaction>
"""

from __future__ import annotations

import asyncio
import sys
from typing import ClassVar

from services.kernel import database
from services.kernel.eventbus import EventPayload
from services.kernel.eventbus.publish import publish_many


class Tick(EventPayload):
    topic: ClassVar[str] = "bench.tick"
    aggregate_type: ClassVar[str] = "tick"

    n: int


async def main(url: str, events: int, per_transaction: int) -> None:
    engine = database.create_engine(url, application_name="bench-publisher")
    sessionmaker = database.create_sessionmaker(engine)
    try:
        for start in range(0, events, per_transaction):
            items = [(Tick(n=n), str(n)) for n in range(start, min(events, start + per_transaction))]
            async with sessionmaker() as session, session.begin():
                await publish_many(session, items, source="bench")
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
