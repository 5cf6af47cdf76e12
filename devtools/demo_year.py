"""A programme year's activity on the demo data, up to today (`make demo-year` while `make run` is up).

Played through the enrolment service's own API, in this process, with its clock moved to each moment:
leaders enrol before a session and coordinators mark attendance after it, as they would have. So the
rules hold (audiences, capacities, waiting lists, completions), and every event is published as it would
have been: the running services (`make run`) consume them, so the catalogue's seat counts, the feedback
service's session evaluations, the mails and any webhooks follow, and coverage and collaboration have a
year to show. The choices are random but seeded: the same demo data gives the same year.

What it plays, for the programme year 2026/27 up to today:
- the autumn theme gathering: most top leaders and some of their groups' members enrol; attendance;
- leader-group development: a third of the top-leader groups take the programme as a group; attendance
  at each session held so far;
- reflection groups: most top leaders enrol, the coordinator proposes and confirms the groups;
  attendance at each meeting held so far;
- the spring theme gathering: enrolments now (it has not been held).
The year is loaded once: with enrolments in the database already, nothing is done.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools.devkeys import DEFAULT_EMAILS, mint_token, person_oid
from services.enrollment.app import create_app
from services.enrollment.settings import EnrollmentSettings
from services.kernel import clock, database

SEED = 2026
GATHERING = "Temasamling: Effektive ledergrupper"
SPRING_GATHERING = "Temasamling: Risikostyring i tillitsbasert styring"
REFLECTION = "Refleksjonsgrupper for toppledere 2026/27"
PROGRAMME = "Ledergruppeutvikling 2026/27"


@dataclass(frozen=True)
class Group:
    id: uuid.UUID
    leader_id: uuid.UUID
    leader_email: str
    members: list[tuple[uuid.UUID, str]]  # (person id, e-mail), the leader not included


@dataclass(frozen=True)
class Course:
    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime


class DemoYearRefused(Exception):
    """The demo year cannot be played here; the message says why."""


def _at(moment: datetime) -> None:
    """Move this process's clock (the rules' time) to `moment`."""
    clock.reset()
    clock.advance((moment - clock.now()).total_seconds())


def _token(email: str, *roles: str) -> dict[str, str]:
    """A development token valid at the clock's time (the service checks it against that clock)."""
    now = int(clock.timestamp())
    token = mint_token(
        oid=person_oid(email),
        roles=list(roles),
        email=email,
        extra_claims={"iat": now, "nbf": now, "exp": now + 3600},
    )
    return {"Authorization": f"Bearer {token}"}


def _coordinator() -> dict[str, str]:
    return _token(DEFAULT_EMAILS["coordinator"], "coordinator")


async def _groups(session: AsyncSession) -> list[Group]:
    rows = await session.execute(
        text(
            """
            SELECT g.id, g.leader_id, l.email AS leader_email, m.person_id, p.email
            FROM enrollment.leader_groups g
            JOIN enrollment.people l ON l.id = g.leader_id
            LEFT JOIN enrollment.leader_group_members m ON m.group_id = g.id AND m.person_id <> g.leader_id
            LEFT JOIN enrollment.people p ON p.id = m.person_id AND p.active
            WHERE g.active AND l.active
            ORDER BY l.email, p.email
            """
        )
    )
    groups: dict[uuid.UUID, Group] = {}
    for row in rows:
        group = groups.setdefault(row.id, Group(row.id, row.leader_id, row.leader_email, []))
        if row.person_id is not None and row.email is not None:
            group.members.append((row.person_id, row.email))
    return list(groups.values())


async def _courses(session: AsyncSession, title: str) -> tuple[uuid.UUID, list[Course]]:
    rows = (
        await session.execute(
            text(
                """
                SELECT o.id AS offering_id, s.id, s.starts_at, s.ends_at
                FROM enrollment.offerings o JOIN enrollment.sessions s ON s.offering_id = o.id
                WHERE o.title = :title AND s.status <> 'cancelled' ORDER BY s.starts_at
                """
            ),
            {"title": title},
        )
    ).all()
    if not rows:
        raise DemoYearRefused(
            f"The enrolment service does not know {title!r} yet: load the demo data (`make run`) and let "
            "the services run until the catalogue's events have reached it."
        )
    return rows[0].offering_id, [Course(r.id, r.starts_at, r.ends_at) for r in rows]


class Player:
    """Calls the in-process enrolment service and counts what it answered."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.answers: dict[str, int] = {}
        self.refusals: dict[str, str] = {}  # a problem type, and one detail of it

    async def call(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> httpx.Response:
        response = await self.client.request(method, path, json=body, headers=headers)
        key = f"{method} {path.split('/')[1]} {response.status_code}"
        self.answers[key] = self.answers.get(key, 0) + 1
        if response.status_code >= 400:
            problem = response.json()
            self.refusals.setdefault(f"{key} {problem.get('type')}", str(problem.get("detail"))[:200])
        return response

    async def enrol(self, email: str, **body: str) -> None:
        await self.call("POST", "/enrollments", _token(email), body)

    async def mark(self, course: Course, rng: random.Random, share: float = 0.88) -> None:
        """After the session: each confirmed participant attended, or (rarely) was absent or excused."""
        _at(course.ends_at + timedelta(hours=2))
        people: list[str] = []
        cursor: str | None = ""
        while cursor is not None:
            roster = await self.call(
                "GET",
                f"/sessions/{course.id}/roster?limit=100{f'&cursor={cursor}' if cursor else ''}",
                _coordinator(),
            )
            if roster.status_code != 200:
                return
            page = roster.json()
            people += [row["person_id"] for row in page["items"] if row.get("status") == "confirmed"]
            cursor = page["next_cursor"]
        records = [
            {
                "person_id": person,
                "attendance": "attended" if rng.random() < share else rng.choice(["absent", "excused"]),
            }
            for person in people
        ]
        if records:
            await self.call("PUT", f"/sessions/{course.id}/attendance", _coordinator(), {"records": records})


@asynccontextmanager
async def _service(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    # Consumers off: the running services consume what this one publishes (and this one's mailer would
    # send the year's mail a second time).
    settings = EnrollmentSettings(database_url=database_url, migrate_on_start=False, consumers_enabled=False)
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo-year") as client:
            yield client


async def _play(player: Player, sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> None:
    rng = random.Random(SEED)  # noqa: S311 - demo choices, not secrets
    async with sessionmaker() as session:
        groups = await _groups(session)
        _, gathering = await _courses(session, GATHERING)
        programme_id, programme = await _courses(session, PROGRAMME)
        reflection_id, reflection = await _courses(session, REFLECTION)
        _, spring = await _courses(session, SPRING_GATHERING)

    # Leader-group development: a third of the groups book the programme in August.
    _at(programme[0].starts_at - timedelta(days=14))
    for group in rng.sample(groups, len(groups) // 3):
        await player.enrol(group.leader_email, offering_id=str(programme_id), leader_group_id=str(group.id))

    # The autumn theme gathering: most top leaders and some members, three weeks before.
    autumn = gathering[0]
    _at(autumn.starts_at - timedelta(days=21))
    for group in groups:
        if rng.random() < 0.75:
            await player.enrol(group.leader_email, session_id=str(autumn.id))
        for _, email in group.members:
            if rng.random() < 0.15:
                await player.enrol(email, session_id=str(autumn.id))

    # Reflection groups: most top leaders enrol in September; the coordinator composes the groups.
    _at(reflection[0].starts_at - timedelta(days=30))
    for group in groups:
        if rng.random() < 0.7:
            for meeting in reflection:
                await player.enrol(group.leader_email, session_id=str(meeting.id))
    _at(reflection[0].starts_at - timedelta(days=10))
    proposed = await player.call(
        "POST", f"/offerings/{reflection_id}/reflection-rounds", _coordinator(), {"seed": SEED}
    )
    if proposed.status_code == 201:
        await player.call("POST", f"/reflection-rounds/{proposed.json()['id']}/confirm", _coordinator())

    # Attendance at everything held so far, in the order it was held.
    held = sorted(
        (c for c in [*programme, autumn, *reflection] if c.ends_at + timedelta(hours=2) < now),
        key=lambda c: c.starts_at,
    )
    for course in held:
        await player.mark(course, rng)

    # The spring gathering is ahead: enrolments now.
    clock.reset()
    for group in groups:
        if rng.random() < 0.4:
            await player.enrol(group.leader_email, session_id=str(spring[0].id))


async def load_demo_year(database_url: str) -> str:
    engine = database.create_engine(database_url, application_name="demo-year")
    sessionmaker = database.create_sessionmaker(engine)
    now = datetime.now(UTC)
    try:
        async with sessionmaker() as session:
            enrolled = await session.scalar(text("SELECT count(*) FROM enrollment.enrollments"))
        if enrolled:
            return f"demo year: not played, the database has {enrolled} enrolments already"
        async with _service(database_url) as client:
            player = Player(client)
            try:
                await _play(player, sessionmaker, now)
            finally:
                clock.reset()
    finally:
        await engine.dispose()
    answers = ", ".join(f"{key}: {count}" for key, count in sorted(player.answers.items()))
    refused = "".join(f"\n  {key}: {detail}" for key, detail in sorted(player.refusals.items()))
    return f"demo year played ({answers}){refused}"
