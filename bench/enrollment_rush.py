"""The enrollment rush: 2,000 simultaneous requests through the gateway for a session with 300 seats.

    .venv/bin/python -m bench.enrollment_rush postgresql://postgres@127.0.0.1:5432/bench   # an empty database

Starts the real stack (three services and the gateway as uvicorn processes) on the database, seeds 2,000
leaders and a session of 300 seats in the enrollment service, and sends every request at once through the
gateway (up to 200 open connections). Checks: exactly 300 confirmed, the other 1,700 waitlisted with
positions 1..1,700 that match where each stands, zero 5xx. Then a second rush on a fresh session in
which 50 of the first confirmed participants cancel while the rush is still on: the seats they free must
go to the head of the waiting list (every promoted entry stood before every entry still waiting), and
exactly 300 stay confirmed.

Throughput and latency are printed beside a baseline measured in the same run: the same number of
requests to the enrollment service's /healthz through the gateway with a token (the gateway checks it;
the service answers without touching the database), so the figure is a ratio on a shared, noisy
machine. The load comes from this Python process on the same two cores; `make bench` uses wrk.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from devtools import devkeys
from devtools.stack import running_stack
from services.cli import migrate_all
from services.enrollment.directory.models import LeaderGroup, LeaderGroupMember, Person
from services.enrollment.offerings.models import BookingUnit, OfferingStatus, OfferingView
from services.enrollment.sessions.models import SessionView
from services.kernel import database

PEOPLE, SEATS, CANCELS, CONNECTIONS = 2000, 300, 50, 200


@dataclass
class Outcome:
    statuses: Counter[int]
    latencies: list[float]
    seconds: float
    bodies: list[dict[str, Any]]

    def report(self, label: str, baseline: Outcome | None = None) -> str:
        ordered = sorted(self.latencies)
        p50 = statistics.median(ordered) * 1000
        p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
        rate = len(ordered) / self.seconds
        line = f"{label:28} {rate:7.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
        line += f"  statuses {dict(self.statuses)}"
        if baseline is not None:
            line += f"  = {rate / (len(baseline.latencies) / baseline.seconds):.2f} of the baseline's req/s"
        return line


async def seed(url: str) -> tuple[list[str], uuid.UUID, uuid.UUID]:
    """2,000 leaders (all in one large leader group, so the all-leaders audience admits them) and two
    sessions of 300 seats, put straight into the enrollment service's tables and read models."""
    emails, sessions = await seed_sessions(url, 2)
    return emails, sessions[0], sessions[1]


async def seed_sessions(url: str, count: int) -> tuple[list[str], list[uuid.UUID]]:
    """`seed` with `count` sessions of 300 seats."""
    engine = database.create_engine(url, application_name="bench-rush")
    sessionmaker = database.create_sessionmaker(engine)
    emails = [f"leder{n:04d}@oslo.kommune.no" for n in range(PEOPLE)]
    offering_id = uuid.uuid4()
    sessions = [uuid.uuid4() for _ in range(count)]
    async with sessionmaker() as session, session.begin():
        people = [
            Person(external_id=f"E{n:05d}", name=f"Leder {n}", email=e, entra_oid=devkeys.person_oid(e))
            for n, e in enumerate(emails)
        ]
        session.add_all(people)
        await session.flush()
        group = LeaderGroup(external_id="tlg-rush", name="Alle ledere", leader_id=people[0].id)
        session.add(group)
        await session.flush()
        session.add_all(
            LeaderGroupMember(group_id=group.id, person_external_id=p.external_id, person_id=p.id)
            for p in people
        )
        session.add(
            OfferingView(
                id=offering_id,
                kind_code="theme-gathering",
                title="Temasamling i Rådhuset",
                audience="all-leaders",
                booking_unit=BookingUnit.person,
                is_programme=False,
                status=OfferingStatus.published,
                offering_version=1,
            )
        )
        starts = datetime.now(UTC) + timedelta(days=30)
        for session_id in sessions:
            session.add(
                SessionView(
                    id=session_id,
                    offering_id=offering_id,
                    offering_title="Temasamling i Rådhuset",
                    offering_kind="theme-gathering",
                    booking_unit=BookingUnit.person,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=6),
                    capacity=SEATS,
                )
            )
    await engine.dispose()
    return emails, sessions


async def timed(
    client: httpx.AsyncClient, gate: asyncio.Semaphore, method: str, path: str, **kwargs: Any
) -> tuple[float, httpx.Response]:
    """One request, timed from when it was wanted (waiting for a free connection included)."""
    started = time.perf_counter()
    async with gate:
        response = await client.request(method, path, **kwargs)
    return time.perf_counter() - started, response


async def burst(client: httpx.AsyncClient, calls: list[tuple[str, str, dict[str, Any]]]) -> Outcome:
    """Every call at once over at most CONNECTIONS connections. The waiting happens at a semaphore, not in
    httpcore's pool: its queue is scanned whole for every request it assigns, so 2,000 requests queued
    there cost the client seconds of CPU (quadratic) and the measurement measured the client."""
    gate = asyncio.Semaphore(CONNECTIONS)
    started = time.perf_counter()
    results = await asyncio.gather(*(timed(client, gate, m, p, **k) for m, p, k in calls))
    seconds = time.perf_counter() - started
    return Outcome(
        statuses=Counter(r.status_code for _, r in results),
        latencies=[t for t, _ in results],
        seconds=seconds,
        bodies=[r.json() if r.headers.get("content-type", "").endswith("json") else {} for _, r in results],
    )


def enrollments(session_id: uuid.UUID, tokens: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    body = {"session_id": str(session_id)}
    return [
        (
            "POST",
            "/api/v1/enrollment/enrollments",
            {"json": body, "headers": {"Authorization": f"Bearer {t}"}},
        )
        for t in tokens
    ]


async def rush_with_cancellations(
    client: httpx.AsyncClient, session_id: uuid.UUID, tokens: list[str]
) -> tuple[Outcome, int]:
    """The rush again, while the first 50 confirmed participants cancel as soon as they are confirmed."""
    confirmed: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    cancelled = 0
    gate = asyncio.Semaphore(CONNECTIONS - 1)  # one connection left for the cancellations

    async def enroll(token: str) -> tuple[float, httpx.Response]:
        elapsed, response = await timed(
            client,
            gate,
            "POST",
            "/api/v1/enrollment/enrollments",
            json={"session_id": str(session_id)},
            headers={"Authorization": f"Bearer {token}"},
        )
        if response.status_code == 201 and response.json()["status"] == "confirmed":
            confirmed.put_nowait((response.json()["id"], token))
        return elapsed, response

    async def cancel() -> None:
        nonlocal cancelled
        while cancelled < CANCELS:
            enrollment_id, token = await confirmed.get()
            response = await client.post(
                f"/api/v1/enrollment/enrollments/{enrollment_id}/cancel",
                json={},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.text
            cancelled += 1

    started = time.perf_counter()
    canceller = asyncio.create_task(cancel())
    results = await asyncio.gather(*(enroll(t) for t in tokens))
    seconds = time.perf_counter() - started
    await canceller
    outcome = Outcome(
        statuses=Counter(r.status_code for _, r in results),
        latencies=[t for t, _ in results],
        seconds=seconds,
        bodies=[r.json() for _, r in results],
    )
    return outcome, cancelled


async def check(url: str, session_id: uuid.UUID) -> dict[str, Any]:
    engine = database.create_engine(url, application_name="bench-rush-check")
    async with engine.connect() as conn:
        counts: dict[str, int] = dict(
            (
                await conn.execute(
                    text(
                        "SELECT status, count(*) FROM enrollment.enrollments WHERE session_id = :s GROUP BY 1"
                    ),
                    {"s": session_id},
                )
            ).all()
        )
        seats = (
            await conn.execute(
                text("SELECT seats_confirmed FROM enrollment.sessions WHERE id = :s"), {"s": session_id}
            )
        ).scalar_one()
        # Promotion in order: every entry promoted from the list stood before every entry still waiting.
        order = (
            await conn.execute(
                text(
                    """
                    SELECT
                      (SELECT max(e.queue_rank) FROM enrollment.enrollments e
                         JOIN enrollment.enrollment_audit a
                           ON a.enrollment_id = e.id AND a.action = 'promoted'
                        WHERE e.session_id = :s) AS last_promoted,
                      (SELECT min(queue_rank) FROM enrollment.enrollments
                        WHERE session_id = :s AND status = 'waitlisted') AS first_waiting,
                      (SELECT count(*) FROM enrollment.enrollment_audit a
                         JOIN enrollment.enrollments e ON e.id = a.enrollment_id
                        WHERE e.session_id = :s AND a.action = 'promoted') AS promoted
                    """
                ),
                {"s": session_id},
            )
        ).one()
    await engine.dispose()
    return {"counts": counts, "seats": seats, **dict(order._mapping)}


async def main(url: str) -> None:
    await migrate_all(url)
    emails, first_session, second_session = await seed(url)
    with tempfile.TemporaryDirectory() as scratch:
        keys = devkeys.ensure_dev_keys(Path(scratch) / "keys")
        auth = {
            "app_env": "test",
            "oidc_issuer": devkeys.DEV_ISSUER,
            "oidc_audience": devkeys.DEV_AUDIENCE,
            "oidc_jwks_url": (keys / "jwks.json").as_uri(),
        }
        tokens = [devkeys.mint_token(oid=devkeys.person_oid(e), email=e, directory=keys) for e in emails]
        extra = {"ENROLLMENT_MAIL_DIRECTORY": str(Path(scratch) / "mail")}
        logs = Path(tempfile.mkdtemp(prefix="rush-logs-"))
        print(f"service logs: {logs}")
        with running_stack(url, auth, logs, extra_env=extra) as stack:
            # Below uvicorn's 5 s keep-alive, like the gateway's pool: a connection the gateway is closing
            # is never reused (that race failed a run with a ReadError).
            limits = httpx.Limits(
                max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS, keepalive_expiry=2.0
            )
            async with httpx.AsyncClient(base_url=stack.gateway, limits=limits, timeout=120) as client:
                health = [
                    ("GET", "/api/v1/enrollment/healthz", {"headers": {"Authorization": f"Bearer {t}"}})
                    for t in tokens
                ]
                await burst(client, health[:50])  # warm up
                baseline = await burst(client, health)
                rush = await burst(client, enrollments(first_session, tokens))
                second, cancelled = await rush_with_cancellations(client, second_session, tokens)
    first_check = await check(url, first_session)
    second_check = await check(url, second_session)

    print(baseline.report("baseline: GET /healthz"))
    print(rush.report("rush: 2,000 for 300 seats", baseline))
    print(second.report("rush + 50 cancellations", baseline))
    told = sorted(b["waitlist_position"] for b in rush.bodies if b.get("status") == "waitlisted")
    failures = []
    if any(code >= 500 for code in (*rush.statuses, *second.statuses)):
        failures.append("a 5xx answer")
    if first_check["counts"].get("confirmed") != SEATS or first_check["seats"] != SEATS:
        failures.append(f"first rush confirmed {first_check['counts']} with {first_check['seats']} seats")
    if told != list(range(1, PEOPLE - SEATS + 1)):
        failures.append("waiting-list positions are not 1..1700")
    if second_check["counts"].get("confirmed") != SEATS or second_check["seats"] != SEATS:
        failures.append(f"second rush confirmed {second_check['counts']} with {second_check['seats']} seats")
    if second_check["promoted"] and not second_check["last_promoted"] < second_check["first_waiting"]:
        failures.append("a promotion skipped someone ahead in line")
    print(f"first rush:  {first_check['counts']}, seats {first_check['seats']}")
    print(
        f"second rush: {second_check['counts']}, seats {second_check['seats']}, {cancelled} cancelled, "
        f"{second_check['promoted']} promoted in order"
    )
    print("FAILED: " + "; ".join(failures) if failures else "all checks passed")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
