"""Admission under a rush: 2,000 requests at once for a session of 300 seats, beside its two floors.

    .venv/bin/python -m bench.admission [--output FILE]   # on an embedded PostgreSQL of its own

Part of `make bench` (bench/suite.py), and runnable alone for a quicker look. Rushes of the same 2,000
requests (one token each, over 200 connections from aiohttp in this process), each on a fresh session:

1. the per-request floor (bench/admission_floor.py: lock, counter, insert enrollment and event, commit;
   one transaction per request), directly;
2. the enrollment service directly;
3. the enrollment service through the gateway;
   (1-3 run three times in turn: `ROUNDS`, `run`)
4. the batched floor (the same work as 1, concurrent requests decided together): the ceiling;
5. through the gateway again while a coordinator lowers and raises the capacity (in the catalogue),
   cancels, moves and promotes entries: zero 5xx, no deadlock counted by PostgreSQL, and the
   invariants at the end;
6. tracing's price (`tracing_rushes`): three more enrollment processes beside the stack, serving
   requests only, one as configured by default (tracing on, nothing exported), one with OpenTelemetry
   switched off, one exporting every span to an OTLP receiver that keeps nothing; the same rush on
   each, `ROUNDS` times in turn.

Each of 2, 3, 5 and 6 is checked: exactly 300 confirmed (5: as many as the capacity the consumer last
applied, or more where the coordinator promoted over capacity), the waiting list's positions
consecutive and in arrival order, nobody twice, zero 5xx. Throughputs are reported as ratios to the
per-request floor of the same round.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench import admission_floor, enrollment_rush
from bench.load import otlp_sink
from devtools import devkeys
from devtools.stack import Stack, free_port, running_stack, service_process, stop, wait_ready
from services.kernel import database
from services.kernel.settings import REPO_ROOT

# Rounds of floor, direct and gateway rushes (`run`).
ROUNDS = 3
TARGETS = {
    "direct_vs_per_request_floor": 1.0,
    "gateway_vs_per_request_floor": 0.5,
    "gateway_p99_ms": 2000.0,
}


async def burst(base: str, calls: list[tuple[str, str, Any, str]]) -> dict[str, Any]:
    """Every call at once over at most 200 connections; latency counts from the moment all are wanted,
    so it includes waiting for a connection. aiohttp, whose connection limit is a plain queue."""
    connector = aiohttp.TCPConnector(limit=enrollment_rush.CONNECTIONS)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as http:

        async def one(method: str, path: str, body: Any, token: str) -> tuple[float, int, Any]:
            started = time.perf_counter()
            headers = {"Authorization": f"Bearer {token}"}
            async with http.request(method, path, json=body, headers=headers) as response:
                payload = await response.json(content_type=None) if response.status < 500 else None
            return time.perf_counter() - started, response.status, payload

        started = time.perf_counter()
        results = await asyncio.gather(*(one(*call) for call in calls))
        seconds = time.perf_counter() - started
    latencies = sorted(elapsed for elapsed, _, _ in results)
    return {
        "requests": len(results),
        "seconds": round(seconds, 3),
        "requests_per_second": round(len(results) / seconds, 1),
        "latency_ms": percentiles(latencies),
        "latencies_ms": [round(value * 1000, 2) for value in latencies],
        "statuses": {str(k): v for k, v in collections.Counter(s for _, s, _ in results).items()},
        "bodies": [body for _, _, body in results],
    }


def percentiles(ordered_seconds: list[float]) -> dict[str, float]:
    def at(share: float) -> float:
        index = min(len(ordered_seconds) - 1, max(0, round(share * len(ordered_seconds)) - 1))
        return round(ordered_seconds[index] * 1000, 1)

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": at(1.0)}


@contextmanager
def floor_process(url: str, mode: str, log: Path) -> Any:
    port = free_port()
    env = {**os.environ, "BENCH_FLOOR_DSN": database.libpq_dsn(url), "BENCH_FLOOR_MODE": mode}
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "bench.admission_floor:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            wait_ready(f"http://127.0.0.1:{port}/healthz", {"floor": process})
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process)


async def floor_rush(url: str, mode: str, tokens: list[str], log: Path) -> dict[str, Any]:
    session_id = uuid.uuid4()
    await admission_floor.prepare(database.libpq_dsn(url), [session_id], enrollment_rush.SEATS)
    with floor_process(url, mode, log) as base:
        await burst(base, [("GET", "/healthz", None, t) for t in tokens[:50]])
        outcome = await burst(
            base, [("POST", f"/sessions/{session_id}/enrollments", None, t) for t in tokens]
        )
    connection = await asyncpg.connect(database.libpq_dsn(url))
    try:
        confirmed = await connection.fetchval(
            "SELECT count(*) FROM bench_floor.enrollments WHERE session_id = $1 AND status = 'confirmed'",
            session_id,
        )
    finally:
        await connection.close()
    outcome.pop("bodies")
    outcome["confirmed"] = confirmed
    return outcome


async def deadlocks(url: str) -> int:
    connection = await asyncpg.connect(database.libpq_dsn(url))
    try:
        found: int = await connection.fetchval(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        )
    finally:
        await connection.close()
    return found


async def check(url: str, session_id: uuid.UUID, bodies: list[Any], *, order: bool = True) -> list[str]:
    """What must hold after a rush on the session; each failure as a sentence. `order`: nothing but the
    rush changed the session, so the answers can be compared with the stored queue."""
    failures = []
    connection = await asyncpg.connect(database.libpq_dsn(url))
    try:
        stored = await connection.fetch(
            "SELECT id::text AS id, status FROM enrollment.enrollments WHERE session_id = $1 "
            "ORDER BY queue_rank, id",
            session_id,
        )
        seats = await connection.fetchval(
            "SELECT seats_confirmed FROM enrollment.sessions WHERE id = $1", session_id
        )
        confirmed_places = await connection.fetchval(
            "SELECT count(*) FROM enrollment.participations WHERE session_id = $1 AND status = 'confirmed'",
            session_id,
        )
        doubles = await connection.fetchval(
            "SELECT count(*) FROM (SELECT person_id FROM enrollment.participations WHERE session_id = $1 "
            "AND status <> 'cancelled' GROUP BY person_id HAVING count(*) > 1) d",
            session_id,
        )
    finally:
        await connection.close()
    if seats != confirmed_places:
        failures.append(f"{seats} seats counted for {confirmed_places} confirmed places")
    if doubles:
        failures.append(f"{doubles} people hold two places")
    answered = {b["id"]: b for b in bodies if isinstance(b, dict) and "id" in b}
    if len(answered) != len(stored):
        failures.append(f"{len(answered)} enrollments answered, {len(stored)} stored")
    if not order:
        return failures
    # Arrival order is queue order: each answer's decision, read in queue order, confirms a prefix and
    # then numbers the waiting list 1, 2, 3...: nobody was overtaken.
    decisions = [answered[r["id"]] for r in stored if r["id"] in answered]
    waited = [d["waitlist_position"] for d in decisions if d["status"] == "waitlisted"]
    if waited != list(range(1, len(waited) + 1)):
        failures.append("waiting-list positions answered are not 1..n in queue order")
    first_wait = next((i for i, d in enumerate(decisions) if d["status"] == "waitlisted"), len(decisions))
    if any(d["status"] == "confirmed" for d in decisions[first_wait:]):
        failures.append("an enrollment was confirmed after one that had to wait")
    return failures


async def service_rush(
    base: str, path: str, session_id: uuid.UUID, tokens: list[str], url: str
) -> dict[str, Any]:
    outcome = await burst(base, [("POST", path, {"session_id": str(session_id)}, t) for t in tokens])
    failures = await check(url, session_id, outcome["bodies"])
    confirmed = sum(1 for b in outcome["bodies"] if isinstance(b, dict) and b.get("status") == "confirmed")
    if confirmed != enrollment_rush.SEATS:
        failures.append(f"{confirmed} confirmed, not {enrollment_rush.SEATS}")
    if any(code.startswith("5") for code in outcome["statuses"]):
        failures.append(f"5xx answers: {outcome['statuses']}")
    outcome.pop("bodies")
    outcome["confirmed"] = confirmed
    outcome["failures"] = failures
    return outcome


async def in_catalogue(url: str, session_id: uuid.UUID) -> None:
    """The enrollment service's seeded session and offering in the catalogue too, so the seat counts
    land somewhere and a coordinator can change the capacity there (its event reaches the enrollment
    service)."""
    connection = await asyncpg.connect(database.libpq_dsn(url))
    try:
        await connection.execute(
            "INSERT INTO catalog.offerings (id, kind_code, title, summary, booking_unit, status) "
            "SELECT offering_id, 'theme-gathering', offering_title, '', 'person', 'published' "
            "FROM enrollment.sessions WHERE id = $1 ON CONFLICT DO NOTHING",
            session_id,
        )
        await connection.execute(
            "INSERT INTO catalog.sessions (id, offering_id, starts_at, ends_at, capacity, status, "
            "seats_taken, seats_version, venue) SELECT id, offering_id, starts_at, ends_at, capacity, "
            "'scheduled', 0, 0, 'Rådhuset' FROM enrollment.sessions WHERE id = $1",
            session_id,
        )
    finally:
        await connection.close()


async def coordinated_rush(
    stack: Stack, url: str, session_id: uuid.UUID, tokens: list[str], keys: Path
) -> dict[str, Any]:
    """The rush through the gateway while a coordinator changes capacity, cancels, moves and promotes."""
    coordinator = devkeys.mint_token(oid="bench-coordinator", roles=["coordinator"], directory=keys)
    before = await deadlocks(url)
    actions: collections.Counter[str] = collections.Counter()
    stop_acting = asyncio.Event()

    async def coordinate() -> None:
        shuffle = random.Random(18)  # noqa: S311 - which entries to act on, not a secret
        headers = {"Authorization": f"Bearer {coordinator}"}
        connection = await asyncpg.connect(database.libpq_dsn(url))
        try:
            async with aiohttp.ClientSession(stack.gateway, timeout=aiohttp.ClientTimeout(total=60)) as http:
                round_ = 0
                while not stop_acting.is_set():
                    round_ += 1
                    path = f"/api/v1/catalog/sessions/{session_id}"
                    async with http.get(path, headers=headers) as current:
                        etag = current.headers["ETag"]
                    # Lowered below the confirmed seats too: the coordinator says so (allow_overbooking).
                    change = {"capacity": 250 if round_ % 2 else 320, "allow_overbooking": True}
                    async with http.patch(path, json=change, headers={**headers, "If-Match": etag}) as r:
                        actions[f"capacity {r.status}"] += 1
                    rows = await connection.fetch(
                        "SELECT id, status FROM enrollment.enrollments "
                        "WHERE session_id = $1 AND status <> 'cancelled' ORDER BY queue_rank",
                        session_id,
                    )
                    confirmed = [r["id"] for r in rows if r["status"] == "confirmed"]
                    waiting = [r["id"] for r in rows if r["status"] == "waitlisted"]
                    calls: list[tuple[str, dict[str, Any]]] = [
                        (f"{i}/cancel", {"reason": "Kan ikke likevel"})
                        for i in shuffle.sample(confirmed, min(3, len(confirmed)))
                    ]
                    if len(waiting) > 10:
                        calls.append((f"{waiting[-1]}/move", {"position": 1, "reason": "Prioritert"}))
                        calls.append((f"{waiting[5]}/promote", {"reason": "Innleder"}))
                    for suffix, body in calls:
                        async with http.post(
                            f"/api/v1/enrollment/enrollments/{suffix}", json=body, headers=headers
                        ) as r:
                            actions[f"{suffix.rsplit('/', 1)[1]} {r.status}"] += 1
                    await asyncio.sleep(0.2)
        finally:
            await connection.close()

    acting = asyncio.create_task(coordinate())
    try:
        outcome = await burst(
            stack.gateway,
            [("POST", "/api/v1/enrollment/enrollments", {"session_id": str(session_id)}, t) for t in tokens],
        )
    finally:
        stop_acting.set()
        await acting
    await asyncio.sleep(2)  # the consumer applies the last capacity; statistics reach the counters
    failures = await check(url, session_id, outcome["bodies"], order=False)
    found = await deadlocks(url) - before
    if found:
        failures.append(f"{found} deadlocks")
    if any(code.startswith("5") for code in outcome["statuses"]) or any(" 5" in a for a in actions):
        failures.append(f"5xx answers: {outcome['statuses']}, {dict(actions)}")
    outcome.pop("bodies")
    outcome.update(actions=dict(actions), deadlocks=found, failures=failures)
    return outcome


async def quiet(url: str) -> None:
    """Until every consumer has handled every event (seat counts, mail, the feedback service's copy):
    each rush starts on a stack that is not still working through the previous one's events."""
    from bench.suite import settle

    await settle(url, 0)


async def run(stack: Stack, url: str, keys: Path, logs: Path) -> dict[str, Any]:
    """The rushes and their ratios. The per-request floor, the service directly and through the gateway
    run `ROUNDS` times, one after the other, so each round's ratios compare runs seconds apart on a
    shared machine; the ratios reported are the rounds' medians, and the round shown in full is the one
    whose direct ratio is the median."""
    emails, sessions = await enrollment_rush.seed_sessions(url, 5 * ROUNDS + 1)
    for session_id in sessions:
        await in_catalogue(url, session_id)
    tokens = [devkeys.mint_token(oid=devkeys.person_oid(e), email=e, directory=keys) for e in emails]
    result: dict[str, Any] = {"requests": len(tokens), "seats": enrollment_rush.SEATS}
    await burst(stack.url("enrollment"), [("GET", "/healthz", None, t) for t in tokens[:50]])
    rounds = []
    for n in range(ROUNDS):
        await quiet(url)
        floor = await floor_rush(url, "per-request", tokens, logs / f"floor-per-request-{n}.log")
        direct = await service_rush(stack.url("enrollment"), "/enrollments", sessions[2 * n], tokens, url)
        await quiet(url)
        gateway = await service_rush(
            stack.gateway, "/api/v1/enrollment/enrollments", sessions[2 * n + 1], tokens, url
        )
        rounds.append({"per_request_floor": floor, "direct": direct, "gateway": gateway})
    await quiet(url)
    result["batched_floor"] = await floor_rush(url, "batched", tokens, logs / "floor-batched.log")
    result["gateway_with_coordinators"] = await coordinated_rush(stack, url, sessions[-1], tokens, keys)
    result["tracing"] = await tracing_rushes(url, keys, logs, sessions[2 * ROUNDS : 5 * ROUNDS], tokens)
    ceiling = result["batched_floor"]["requests_per_second"]

    def ratios(round_: dict[str, Any]) -> dict[str, float]:
        floor = round_["per_request_floor"]["requests_per_second"]
        return {
            "direct_vs_per_request_floor": round(round_["direct"]["requests_per_second"] / floor, 2),
            "gateway_vs_per_request_floor": round(round_["gateway"]["requests_per_second"] / floor, 2),
            "direct_vs_batched_floor": round(round_["direct"]["requests_per_second"] / ceiling, 2),
            "gateway_vs_batched_floor": round(round_["gateway"]["requests_per_second"] / ceiling, 2),
        }

    each = [ratios(r) for r in rounds]
    result["ratios"] = {name: statistics.median(r[name] for r in each) for name in each[0]}
    result["gateway_p99_ms"] = statistics.median(r["gateway"]["latency_ms"]["p99"] for r in rounds)
    by_direct = sorted(range(ROUNDS), key=lambda n: each[n]["direct_vs_per_request_floor"])
    result.update(rounds[by_direct[ROUNDS // 2]])
    result["rounds"] = [
        {
            **{name: r[name]["requests_per_second"] for name in ("per_request_floor", "direct", "gateway")},
            "gateway_p99_ms": r["gateway"]["latency_ms"]["p99"],
            **ratio,
        }
        for r, ratio in zip(rounds, each, strict=True)
    ]
    result["failures"] = [
        f"{name}: {failure}"
        for r in [*rounds, {"gateway_with_coordinators": result["gateway_with_coordinators"]}]
        for name in ("direct", "gateway", "gateway_with_coordinators")
        for failure in r.get(name, {}).get("failures", [])
    ] + result["tracing"].pop("failures")
    return result


TRACING = {
    "default": {},
    "untraced": {"OTEL_SDK_DISABLED": "true"},
    "exporting": {"OTEL_EXPORTER_OTLP_ENDPOINT": "{sink}"},
}


async def tracing_rushes(
    url: str, keys: Path, logs: Path, sessions: list[uuid.UUID], tokens: list[str]
) -> dict[str, Any]:
    """The rush on an enrollment process traced as by default, not traced at all, and exporting every
    span: the median over `ROUNDS` of each one's throughput against the untraced one's in that round."""
    auth = devkeys.trusting_settings(keys)
    api_only = {"ENROLLMENT_CONSUMERS_ENABLED": "false"}
    with contextlib.ExitStack() as started:
        sink = started.enter_context(otlp_sink())
        bases = {
            name: started.enter_context(
                service_process(
                    "enrollment",
                    url,
                    auth,
                    logs / f"enrollment-{name}.log",
                    {**api_only, **{k: v.format(sink=sink) for k, v in env.items()}},
                )
            )[1]
            for name, env in TRACING.items()
        }
        for base in bases.values():
            await burst(base, [("GET", "/healthz", None, t) for t in tokens[:50]])
        rounds: list[dict[str, float]] = []
        failures: list[str] = []
        free = iter(sessions)
        for _ in range(ROUNDS):
            rates = {}
            for name, base in bases.items():
                await quiet(url)
                outcome = await service_rush(base, "/enrollments", next(free), tokens, url)
                failures += [f"tracing {name}: {f}" for f in outcome["failures"]]
                rates[name] = outcome["requests_per_second"]
            rounds.append(rates)
    return {
        "requests_per_second": rounds,
        "default_vs_untraced": statistics.median(round(r["default"] / r["untraced"], 2) for r in rounds),
        "exporting_vs_untraced": statistics.median(round(r["exporting"] / r["untraced"], 2) for r in rounds),
        "failures": failures,
    }


def summary(result: dict[str, Any]) -> dict[str, Any]:
    measured = {**result["ratios"], "gateway_p99_ms": result["gateway_p99_ms"]}
    return {
        name: {
            "measured": measured[name],
            "target": target,
            "met": measured[name] <= target if name.endswith("_ms") else measured[name] >= target,
        }
        for name, target in TARGETS.items()
    }


def main(argv: list[str] | None = None) -> int:
    from bench.suite import prepare, start_postgres

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-admission-") as scratch_dir:
        scratch = Path(scratch_dir)
        server, url = start_postgres(scratch / "pg")
        try:
            asyncio.run(prepare(url))
            keys = devkeys.ensure_dev_keys(scratch / "keys")
            extra = {"ENROLLMENT_MAIL_DIRECTORY": str(scratch / "mail")}
            logs = scratch / "logs"
            logs.mkdir()
            with running_stack(url, devkeys.trusting_settings(keys), logs, extra_env=extra) as stack:
                result = asyncio.run(run(stack, url, keys, logs))
        finally:
            server.stop()
    result["summary"] = summary(result)
    text = json.dumps(result, indent=2)
    if args.output:
        args.output.write_text(text + "\n")
    print(text)
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
