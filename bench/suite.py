"""`make bench`: every benchmark scenario on a freshly started stack, each beside a baseline of the same run.

    .venv/bin/python -m bench.suite [--quick] [--output bench/results]

Starts an embedded PostgreSQL of its own (with `track_commit_timestamp`, so event propagation is measured
from real commit times), migrates it, fills the catalogue (2,000 offerings, 10,000 sessions) and starts
the three services and the gateway as uvicorn processes, as `make run` does. Then:

1. **HR full sync** of 1,200 org units, 60,000 people and 60 top-leader groups through the gateway, as
   the HR integration sends it (this also gives the enrollment service its people).
2. **Catalogue listing** (search text, two filters, 50 results, signed in) with wrk: the floor app
   (bench/floor.py: FastAPI + asyncpg + orjson serving the same 50 rows), the catalogue directly, through
   the gateway, and through nginx as a reverse proxy; five interleaved rounds, each ratio the median of
   the rounds' ratios.
3. **Enrollment rush** (bench/admission.py): 2,000 leaders ask for 300 seats at once, on the per-request
   and the batched floor, on the enrollment service directly, through the gateway, and through the
   gateway while a coordinator acts (the first floor, direct and gateway in three rounds, each ratio the
   median of the rounds'); exactly 300 confirmed, arrival order kept, no 5xx, no deadlock. A
   fixed set of 2,000 distinct requests (one token each) sent once is something wrk cannot do, so this
   load comes from aiohttp in this process over 200 connections; latency counts from the moment all
   2,000 are wanted, so it includes waiting for a connection.
4. **Event propagation** during that rush: for every event the rush published, from the commit of the
   enrollment to the commit in which the catalogue (free seats) and the feedback service (participant
   record) had handled it, from PostgreSQL's commit timestamps.
5. **Search** (bench/search.py): precision and recall of the relevance set on the demo catalogue, and
   what the search index costs in size and in write time beside a plain copy of the table.
6. **Event bus throughput**: 20,000 events published in transactions of 50 by another process while one
   subscription consumes them; the rates and the lag every 100 ms.

Writes bench/results/<date>.json (figures, ratios, targets, machine and versions) and one PNG chart per
scenario beside it. Exits non-zero when a correctness check fails (a target missed is reported, not an
error: the figures move with the machine).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import text

from bench import admission, charts, directory_sync, search
from bench.load import nginx, otlp_sink, require, wrk
from bench.publisher import Tick
from bench.volumes import LISTING_QUERY, seed_catalog
from devtools import devkeys
from devtools.devdb import EmbeddedPostgres
from devtools.stack import Stack, free_port, running_stack, service_process, stop, wait_ready
from services.cli import migrate_all
from services.kernel import database
from services.kernel.eventbus import Event, Subscription
from services.kernel.eventbus.consumer import DeliveryPolicy
from services.kernel.eventbus.runtime import EventBusRuntime
from services.kernel.settings import REPO_ROOT

RESULTS = REPO_ROOT / "bench" / "results"
TARGETS = {
    "listing_direct_vs_floor": 0.5,
    "listing_gateway_vs_direct": 0.7,
    "propagation_p99_ms": 100.0,
    "bus_events_per_second": 2000.0,
    "hr_sync_seconds": 60.0,
    **admission.TARGETS,
}
BUS_EVENTS, BUS_PER_TRANSACTION = 20_000, 50

# Which subscription's commits count as "handled" (the read models the targets are about).
HISTORY_SQL = [
    """
    CREATE TABLE public.bench_positions (
        name text NOT NULL, last_xid xid8 NOT NULL, last_id bigint NOT NULL
    )
    """,
    "CREATE INDEX ON public.bench_positions (name, last_xid, last_id)",
    """
    CREATE FUNCTION public.bench_position() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO public.bench_positions VALUES (NEW.name, NEW.last_xid, NEW.last_id);
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER bench_position AFTER UPDATE OF last_xid, last_id ON eventbus.subscriptions
    FOR EACH ROW EXECUTE FUNCTION public.bench_position()
    """,
]


def versions() -> dict[str, str]:
    found = {
        name: metadata.version(name)
        for name in (
            "fastapi",
            "starlette",
            "uvicorn",
            "httpx",
            "aiohttp",
            "sqlalchemy",
            "asyncpg",
            "orjson",
        )
    }
    found["python"] = platform.python_version()
    wrk_banner = subprocess.run([require("wrk"), "-v"], capture_output=True, text=True, check=False)  # noqa: S603
    found["wrk"] = (wrk_banner.stdout or wrk_banner.stderr).split()[1]
    nginx_banner = subprocess.run([require("nginx"), "-v"], capture_output=True, text=True, check=False)  # noqa: S603
    found["nginx"] = nginx_banner.stderr.strip().rsplit("/", 1)[-1]
    return found


def start_postgres(directory: Path) -> tuple[EmbeddedPostgres, str]:
    """The embedded server with commit timestamps on (needs a restart to take effect)."""
    server = EmbeddedPostgres(directory)
    url = server.ensure_database("bench")
    asyncio.run(_sql(url, ["ALTER SYSTEM SET track_commit_timestamp = on"], autocommit=True))
    server.stop()
    server = EmbeddedPostgres(directory)
    return server, url


async def _sql(
    url: str, statements: list[str], params: dict[str, Any] | None = None, *, autocommit: bool = False
) -> list[Any]:
    engine = database.create_engine(url, application_name="bench", statement_timeout_ms=600_000)
    results = []
    try:
        async with engine.connect() as connection:
            if autocommit:
                connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            for statement in statements:
                result = await connection.execute(text(statement), params or {})
                results.append(result.all() if result.returns_rows else None)
            await connection.commit()
    finally:
        await engine.dispose()
    return results


async def prepare(url: str) -> dict[str, Any]:
    await migrate_all(url)
    engine = database.create_engine(url, application_name="bench-seed")
    try:
        counts = await seed_catalog(engine)
    finally:
        await engine.dispose()
    await _sql(url, HISTORY_SQL)
    (server_version,) = (await _sql(url, ["SHOW server_version"]))[0][0]
    return {"catalogue": counts, "postgres": server_version}


# The catalogue's and the feedback service's subscriptions that take the events published after :first.
MEASURED = """
    SELECT s.name FROM eventbus.subscriptions s
    WHERE (s.name LIKE 'catalog%' OR s.name LIKE 'feedback%')
      AND EXISTS (SELECT 1 FROM eventbus.events e WHERE e.id > :first AND e.topic = ANY(s.topics))
"""
BEHIND_SQL = f"""
    SELECT count(*) FROM eventbus.subscriptions s
    JOIN eventbus.events e ON e.topic = ANY(s.topics) AND e.id > :first
    WHERE s.name IN ({MEASURED}) AND (s.last_xid, s.last_id) < (e.xid, e.id)
"""  # noqa: S608 - constant SQL
# Events after :first that some subscription has not passed yet.
UNHANDLED_SQL = """
    SELECT count(*) FROM eventbus.subscriptions s
    JOIN eventbus.events e ON e.topic = ANY(s.topics) AND e.id > :first
    WHERE (s.last_xid, s.last_id) < (e.xid, e.id)
"""
# For each event and subscription: the first commit that moved the subscription past the event.
PROPAGATION_SQL = f"""
    SELECT s.name, e.topic,
           extract(epoch FROM (
               SELECT min(pg_xact_commit_timestamp(p.xmin)) FROM public.bench_positions p
               WHERE p.name = s.name AND (p.last_xid, p.last_id) >= (e.xid, e.id)
           ) - pg_xact_commit_timestamp(e.xmin)) * 1000 AS ms
    FROM eventbus.events e
    JOIN eventbus.subscriptions s ON e.topic = ANY(s.topics)
    WHERE e.id > :first AND s.name IN ({MEASURED})
"""  # noqa: S608 - constant SQL


# Each rush event's transaction id and commit time (epoch seconds).
COMMITS_SQL = """
    SELECT e.xid::text, extract(epoch FROM pg_xact_commit_timestamp(e.xmin))::float8
    FROM eventbus.events e WHERE e.id > :first
"""


# --- scenarios -----------------------------------------------------------------------------------------


async def settle(url: str, first_event: int, sql: str = UNHANDLED_SQL, within: float = 300.0) -> float:
    """Wait until every subscription has passed every event after `first_event`; returns the seconds."""
    started = time.monotonic()
    while (await _sql(url, [sql], {"first": first_event}))[0][0][0] > 0:
        if time.monotonic() - started > within:
            raise SystemExit(f"consumers did not catch up within {within} s")
        await asyncio.sleep(0.25)
    return time.monotonic() - started


async def last_event(url: str) -> int:
    (last,) = (await _sql(url, ["SELECT coalesce(max(id), 0) FROM eventbus.events"]))[0][0]
    return int(last)


def hr_sync(stack: Stack, url: str, token: str) -> dict[str, Any]:
    """The three full syncs through the gateway, then the wait until every consumer has the changes
    (the feedback service keeps its own copy of the directory), so later scenarios run on a quiet stack."""
    units, staff, groups = directory_sync.directory(directory_sync.PEOPLE)
    first_event = asyncio.run(last_event(url))
    steps: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{stack.gateway}/api/v1/enrollment/directory", timeout=300) as client:
        for name, path, records in (
            ("org_units", "/sync/org-units", units),
            ("people", "/sync/people", staff),
            ("leader_groups", "/sync/leader-groups", groups),
        ):
            started = time.perf_counter()
            response = client.post(
                path, json={"records": records, "full": True, "force": True}, headers=headers
            )
            steps[name] = round(time.perf_counter() - started, 2)
            if response.status_code != 200 or response.json().get("rejected"):
                raise SystemExit(f"HR sync of {name} failed: {response.status_code} {response.text[:500]}")
    total = round(sum(steps.values()), 2)
    events = asyncio.run(last_event(url)) - first_event
    caught_up = asyncio.run(settle(url, first_event))
    return {
        "events_published": events,
        "consumers_caught_up_seconds_after": round(caught_up, 2),
        "people": len(staff),
        "org_units": len(units),
        "leader_groups": len(groups),
        "seconds": steps,
        "total_seconds": total,
        "share_of_target": round(total / TARGETS["hr_sync_seconds"], 3),
    }


def listing(
    stack: Stack, url: str, token: str, auth: dict[str, str], logs: Path, *, seconds: int, rounds: int
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    catalog = stack.url("catalog")
    first = httpx.get(f"{catalog}/offerings?{LISTING_QUERY}", headers=headers, timeout=30)
    first.raise_for_status()
    ids = [item["id"] for item in first.json()["items"]]
    port = free_port()
    env = {**os.environ, "BENCH_FLOOR_DSN": database.libpq_dsn(url), "BENCH_FLOOR_IDS": ",".join(ids)}
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "bench.floor:create_app", "--host", "127.0.0.1",
        "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    floor = subprocess.Popen(command, env=env, cwd=REPO_ROOT)  # noqa: S603 - our own interpreter
    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz", {"floor": floor})
        same = [item["id"] for item in httpx.get(f"http://127.0.0.1:{port}/offerings").json()["items"]]
        if same != ids:
            raise SystemExit("the floor app does not serve the listing's rows")
        # Two more catalogue processes beside the stack's (no consumers: they only serve the listing): one
        # exporting every span, one with OpenTelemetry switched off, to price tracing off and on.
        replica = {"CATALOG_CONSUMERS_ENABLED": "false"}
        with (
            nginx(f"127.0.0.1:{stack.ports['catalog']}", free_port()) as proxy,
            otlp_sink() as sink,
            service_process(
                "catalog", url, auth, logs / "catalog-exporting.log",
                {**replica, "OTEL_EXPORTER_OTLP_ENDPOINT": sink},
            ) as (_, exporting),
            service_process(
                "catalog", url, auth, logs / "catalog-untraced.log", {**replica, "OTEL_SDK_DISABLED": "true"}
            ) as (_, untraced),
        ):  # fmt: skip
            targets = {
                "floor": f"http://127.0.0.1:{port}/offerings",
                "direct": f"{catalog}/offerings?{LISTING_QUERY}",
                "gateway": f"{stack.gateway}/api/v1/catalog/offerings?{LISTING_QUERY}",
                "nginx": f"{proxy}/offerings?{LISTING_QUERY}",
                "direct_exporting": f"{exporting}/offerings?{LISTING_QUERY}",
                "direct_untraced": f"{untraced}/offerings?{LISTING_QUERY}",
            }
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
            for round_ in range(rounds):
                for name, target in targets.items():
                    wrk(target, seconds=2 if round_ == 0 else 1, connections=16, headers=headers)  # warm up
                    runs[name].append(wrk(target, seconds=seconds, connections=16, headers=headers).as_dict())
    finally:
        stop(floor)
    rate = {
        name: statistics.mean(r["requests_per_second"] for r in results) for name, results in runs.items()
    }

    def ratio(a: str, b: str) -> float:
        """The median over rounds of a round's ratio: the machine's speed drifts by half within a run (a
        shared 2-core host), and the targets a round measures back to back see the same machine."""
        per_round: list[float] = [
            x["requests_per_second"] / y["requests_per_second"] for x, y in zip(runs[a], runs[b], strict=True)
        ]
        return round(statistics.median(per_round), 3)

    for name, results in runs.items():
        if any(sum(r["errors"].values()) for r in results):
            raise SystemExit(f"listing via {name} had errors: {results}")
    return {
        "query": LISTING_QUERY,
        "rows": len(ids),
        "connections": 16,
        "seconds_per_run": seconds,
        "runs": runs,
        "requests_per_second": {name: round(value, 1) for name, value in rate.items()},
        "ratios": {
            "direct_vs_floor": ratio("direct", "floor"),
            "gateway_vs_direct": ratio("gateway", "direct"),
            "nginx_vs_direct": ratio("nginx", "direct"),
            "gateway_vs_nginx": ratio("gateway", "nginx"),
            # Tracing's price: not exporting (the default) and exporting every span, against none at all.
            "tracing_off_vs_untraced": ratio("direct", "direct_untraced"),
            "exporting_vs_untraced": ratio("direct_exporting", "direct_untraced"),
        },
    }


async def rush(stack: Stack, url: str, keys: Path, logs: Path) -> dict[str, Any]:
    """The admission benchmark (bench/admission.py), with the ordering fence watched for propagation."""
    first_event = await last_event(url)
    stop = asyncio.Event()
    watch = asyncio.create_task(watch_fence(url, stop))
    try:
        result = await admission.run(stack, url, keys, logs)
        await asyncio.sleep(3)  # the fence passes the last events after the rush
    finally:
        stop.set()
        fence = await watch
    return {**result, "first_event_id": first_event, "fence_samples": fence}


async def watch_fence(url: str, stop: asyncio.Event) -> list[tuple[float, int]]:
    """The ordering fence (`pg_snapshot_xmin`) every 20 ms until `stop`, as (epoch seconds, xmin): an
    event can be read by a consumer once the fence is above its transaction id."""
    connection = await asyncpg.connect(database.libpq_dsn(url))
    samples: list[tuple[float, int]] = []
    try:
        while not stop.is_set():
            at, xmin = await connection.fetchrow(
                "SELECT extract(epoch FROM clock_timestamp())::float8, "
                "pg_snapshot_xmin(pg_current_snapshot())::text"
            )
            samples.append((at, int(xmin)))
            await asyncio.sleep(0.02)
    finally:
        await connection.close()
    return samples


async def propagation(
    url: str, first_event: int, fence: list[tuple[float, int]], within: float = 60.0
) -> dict[str, Any]:
    """Commit of each rush event to the commit of the catalogue's and the feedback service's handling,
    and the part of it spent waiting for the ordering fence (from `watch_fence`'s samples)."""
    await settle(url, first_event, BEHIND_SQL, within)
    rows = (await _sql(url, [PROPAGATION_SQL], {"first": first_event}))[0]
    committed = (await _sql(url, [COMMITS_SQL], {"first": first_event}))[0]
    waits = []
    for xid, commit in committed:
        passed = next((at for at, xmin in fence if xmin > int(xid)), None)
        if passed is not None:
            waits.append(max(0.0, passed - float(commit)))
    by_subscription: dict[str, list[float]] = {}
    for name, _topic, ms in rows:
        by_subscription.setdefault(name, []).append(float(ms))
    every = sorted(ms for values in by_subscription.values() for ms in values)
    return {
        "measurements": len(rows),
        "overall_ms": _percentiles([ms / 1000 for ms in every]),
        "fence_wait_ms": _percentiles(sorted(waits)),
        "by_subscription_ms": {
            name: _percentiles([ms / 1000 for ms in sorted(values)])
            for name, values in by_subscription.items()
        },
        "samples_ms": {name: sorted(round(v, 2) for v in values) for name, values in by_subscription.items()},
    }


# Built once, as the services' own statements are: a `text()` built per event parsed its bind parameters
# again every time (1,945-2,004 -> 2,422 events/s, first runs of this scenario on a fresh database).
TICK = text("INSERT INTO public.bench_ticks (n) VALUES (:n)")


class Counter:
    def __init__(self) -> None:
        self.handled = 0

    async def __call__(self, session: Any, event: Event) -> None:
        # A consumer's typical work: one small write in its own schema, in the delivery's transaction.
        await session.execute(TICK, {"n": event.payload["n"]})
        self.handled += 1


async def event_bus(url: str) -> dict[str, Any]:
    await _sql(url, ["CREATE TABLE public.bench_ticks (n integer NOT NULL)"])
    engine = database.create_engine(url, application_name="bench-bus")
    sessionmaker = database.create_sessionmaker(engine)
    counter = Counter()
    runtime = EventBusRuntime(
        sessionmaker,
        listen_dsn=database.libpq_dsn(url),
        subscriptions=[Subscription(f"bench.bus.{uuid.uuid4().hex[:6]}", (Tick.topic,), counter)],
        policy=DeliveryPolicy(),
        application_name="bench-bus",
    )
    await runtime.start()
    await asyncio.sleep(0.5)
    async with engine.connect() as connection:
        base = (
            await connection.execute(text("SELECT coalesce(max(id), 0) FROM eventbus.events"))
        ).scalar_one()
    curve: list[tuple[float, int, int]] = []
    started = time.monotonic()
    publisher = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.publisher", url, str(BUS_EVENTS), str(BUS_PER_TRANSACTION), cwd=REPO_ROOT
    )
    published_at: float | None = None
    try:
        while counter.handled < BUS_EVENTS and time.monotonic() - started < 300:
            async with engine.connect() as connection:
                published = (
                    await connection.execute(text("SELECT coalesce(max(id), 0) FROM eventbus.events"))
                ).scalar_one() - base
            curve.append((round(time.monotonic() - started, 3), int(published), counter.handled))
            if publisher.returncode is None:
                try:
                    await asyncio.wait_for(publisher.wait(), 0.1)
                except TimeoutError:
                    pass
                else:
                    published_at = time.monotonic() - started
            else:
                await asyncio.sleep(0.1)
        consumed_at = time.monotonic() - started
        curve.append((round(consumed_at, 3), BUS_EVENTS, counter.handled))
    finally:
        if publisher.returncode is None:
            publisher.kill()
            await publisher.wait()
        await runtime.stop()
        await engine.dispose()
    published_seconds = published_at or consumed_at
    return {
        "events": BUS_EVENTS,
        "per_transaction": BUS_PER_TRANSACTION,
        "consumed": counter.handled,
        "publish_seconds": round(published_seconds, 3),
        "consume_seconds": round(consumed_at, 3),
        "published_per_second": round(BUS_EVENTS / published_seconds, 1),
        "consumed_per_second": round(counter.handled / consumed_at, 1),
        "max_lag_events": max(p - c for _, p, c in curve),
        "curve": [{"seconds": s, "published": p, "consumed": c} for s, p, c in curve],
    }


def _percentiles(ordered_seconds: list[float]) -> dict[str, float]:
    if not ordered_seconds:
        return {}
    n = len(ordered_seconds)

    def at(share: float) -> float:
        return round(ordered_seconds[min(n - 1, max(0, int(n * share + 0.5) - 1))] * 1000, 2)

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": round(ordered_seconds[-1] * 1000, 2)}


# --- the run -------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="one round of 4 s per listing target (default: five)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    seconds, rounds = (4, 1) if args.quick else (4, 5)
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "date": started.isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "platform": platform.platform()},
        "versions": versions(),
        "targets": TARGETS,
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        server, url = start_postgres(scratch / "pg")
        try:
            print("preparing the database (migrations, 2,000 offerings, 10,000 sessions)", flush=True)
            prepared = asyncio.run(prepare(url))
            report["versions"]["postgres"] = prepared.pop("postgres")
            report["data"] = prepared
            print("search index cost", flush=True)
            index_cost = asyncio.run(search.index_cost(url))
            keys = devkeys.ensure_dev_keys(scratch / "keys")
            auth = devkeys.trusting_settings(keys)
            extra = {"ENROLLMENT_MAIL_DIRECTORY": str(scratch / "mail")}
            (scratch / "logs").mkdir()
            scenarios: dict[str, Any] = {}
            with running_stack(url, auth, scratch / "logs", extra_env=extra) as stack:
                hr_token = devkeys.mint_token(oid="bench-hr", roles=["hr-integration"], directory=keys)
                print("HR full sync through the gateway", flush=True)
                scenarios["hr_sync"] = hr_sync(stack, url, hr_token)
                user = "leder0001@oslo.kommune.no"
                token = devkeys.mint_token(oid=devkeys.person_oid(user), email=user, directory=keys)
                print("catalogue listing: floor, direct, gateway, nginx", flush=True)
                scenarios["listing"] = listing(
                    stack, url, token, auth, scratch / "logs", seconds=seconds, rounds=rounds
                )
                print("enrollment rush", flush=True)
                scenarios["rush"] = asyncio.run(rush(stack, url, keys, scratch / "logs"))
                print("event propagation", flush=True)
                rush_result = scenarios["rush"]
                scenarios["propagation"] = asyncio.run(
                    propagation(url, rush_result["first_event_id"], rush_result.pop("fence_samples"))
                )
            print("search relevance set", flush=True)
            scenarios["search"] = {"relevance": asyncio.run(search.relevance_set(url, auth, keys))}
            scenarios["search"]["index"] = index_cost
            print("event bus throughput", flush=True)
            scenarios["event_bus"] = asyncio.run(event_bus(url))
        finally:
            server.stop()
    report["scenarios"] = scenarios
    report["summary"] = summary(scenarios)
    report["seconds"] = round((datetime.now(UTC) - started) / timedelta(seconds=1), 1)
    args.output.mkdir(parents=True, exist_ok=True)
    stem = started.strftime("%Y-%m-%d")
    path = args.output / f"{stem}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for chart in charts.draw(report, args.output, stem):
        print(f"chart: {chart.relative_to(REPO_ROOT) if chart.is_relative_to(REPO_ROOT) else chart}")
    print(f"results: {path}")
    print(json.dumps(report["summary"], indent=2))
    failures = scenarios["rush"]["failures"]
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    return 0


def summary(scenarios: dict[str, Any]) -> dict[str, Any]:
    """Each target beside what this run measured."""
    listing_ratios = scenarios["listing"]["ratios"]
    measured = {
        "listing_direct_vs_floor": listing_ratios["direct_vs_floor"],
        "listing_gateway_vs_direct": listing_ratios["gateway_vs_direct"],
        "propagation_p99_ms": scenarios["propagation"]["overall_ms"]["p99"],
        "bus_events_per_second": scenarios["event_bus"]["consumed_per_second"],
        "hr_sync_seconds": scenarios["hr_sync"]["total_seconds"],
    }
    lower_is_better = {"propagation_p99_ms", "hr_sync_seconds"}
    rush = scenarios["rush"]
    return (
        {
            name: {
                "measured": value,
                "target": TARGETS[name],
                "met": value <= TARGETS[name] if name in lower_is_better else value >= TARGETS[name],
            }
            for name, value in measured.items()
        }
        | admission.summary(rush)
        | {
            "rush": {
                "confirmed": {k: rush[k]["confirmed"] for k in ("direct", "gateway")},
                "5xx": sum(
                    v
                    for k in ("direct", "gateway", "gateway_with_coordinators")
                    for code, v in rush[k]["statuses"].items()
                    if code.startswith("5")
                ),
                "deadlocks": rush["gateway_with_coordinators"]["deadlocks"],
                "ratio_to_batched_floor": {
                    k: rush["ratios"][f"{k}_vs_batched_floor"] for k in ("direct", "gateway")
                },
            },
            "search": {
                "relevance": {
                    k: scenarios["search"]["relevance"][k]
                    for k in ("queries", "precision", "recall", "found_first")
                },
                "offering_rewrite_vs_plain": scenarios["search"]["index"]["rewrite_vs_plain"],
            },
            "tracing": {
                "listing_off_vs_untraced": listing_ratios["tracing_off_vs_untraced"],
                "listing_exporting_vs_untraced": listing_ratios["exporting_vs_untraced"],
                "rush_off_vs_untraced": rush["tracing"]["default_vs_untraced"],
                "rush_exporting_vs_untraced": rush["tracing"]["exporting_vs_untraced"],
            },
        }
    )


if __name__ == "__main__":
    sys.exit(main())
