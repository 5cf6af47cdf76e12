"""`make run` as a newcomer meets it: demo data, printed URLs and token, and Ctrl-C leaving nothing behind."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest
from sqlalchemy.engine import make_url

from devtools import devkeys
from devtools.stack import free_port, stack_environment
from services.kernel import database
from services.kernel.settings import REPO_ROOT


async def _admin(server_url: str, statement: str) -> None:
    admin = await asyncpg.connect(database.libpq_dsn(server_url))
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


@pytest.fixture
def fresh_database(server_url: str) -> Iterator[str]:
    """An empty database: `make run` migrates it and loads the demo data itself."""
    name = f"ledelse_run_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def read_until(process: subprocess.Popen[str], marker: str, timeout: float = 120) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise AssertionError("make run exited early:\n" + "".join(lines[-30:]))
            continue
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError(f"{marker!r} not printed within {timeout}s")


def test_run_starts_everything_prints_a_token_and_stops_cleanly(fresh_database: str) -> None:
    ports = {name: free_port() for name in ("catalog", "enrollment", "feedback", "gateway")}
    env = stack_environment(fresh_database, {}, ports)
    env["APP_ENV"] = "development"  # as `make run`: the local identity provider under .data/dev-keys
    for key in ("OIDC_ISSUER", "OIDC_AUDIENCE", "OIDC_JWKS_URL"):
        env.pop(key, None)
    env["LOG_FORMAT"] = "text"
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools", "run"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = read_until(process, "Other roles:")
        output = "".join(lines)
        assert f"http://127.0.0.1:{ports['gateway']}/docs" in output
        token = lines[lines.index(next(line for line in lines if "Coordinator token" in line)) + 1].strip()
        children = psutil.Process(process.pid).children(recursive=True)
        assert len(children) >= 4

        base = f"http://127.0.0.1:{ports['gateway']}"
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
            offerings = client.get("/api/v1/catalog/offerings", params={"limit": 100}).json()["items"]
            kinds = {o["kind_code"] for o in offerings}
            sessions = [
                s
                for o in offerings
                for s in client.get(f"/api/v1/catalog/offerings/{o['id']}/sessions").json()["items"]
            ]
            units = client.get("/api/v1/enrollment/org-units", params={"limit": 100}).json()["items"]
            user = devkeys.mint_token(oid=devkeys.person_oid(devkeys.DEFAULT_USER_EMAIL))
            me = client.get("/api/v1/enrollment/people/me", headers={"Authorization": f"Bearer {user}"})
        assert len(sessions) == 17  # the published offerings' sessions (the draft's are hidden)
        assert {s["status"] for s in sessions} == {"scheduled", "completed"}  # a programme year under way
        assert kinds == {
            "theme-gathering",
            "reflection-group",
            "leader-group-development",
            "leader-group-workshop",
            "coaching",
            "professional-day",
        }
        assert len(units) == 54
        assert {u["kind"] for u in units} == {"city-district", "agency", "department", "enterprise"}
        assert me.json()["name"] == "Ola Hansen"

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
        time.sleep(0.5)
        survivors = [
            child for child in children if child.is_running() and child.status() != psutil.STATUS_ZOMBIE
        ]
        assert survivors == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stdout is not None
        process.stdout.close()


def test_run_on_a_fresh_machine_starts_and_stops_its_own_postgresql(tmp_path: Path) -> None:
    """No DATABASE_URL: `make run` creates the embedded cluster, and Ctrl-C stops it with everything else."""
    pg_dir = tmp_path / "pg"
    ports = {name: free_port() for name in ("catalog", "enrollment", "feedback", "gateway")}
    env = stack_environment("unused", {}, ports)
    env.pop("DATABASE_URL")
    env["APP_ENV"] = "development"
    for key in ("OIDC_ISSUER", "OIDC_AUDIENCE", "OIDC_JWKS_URL"):
        env.pop(key, None)
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and a temporary path
        [sys.executable, "-m", "devtools", "run", "--no-seed", "--pg-dir", str(pg_dir)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = "".join(read_until(process, "Other roles:"))
        assert f"host={pg_dir}" in output
        assert (pg_dir / "PG_VERSION").exists()
        postgres = [
            p for p in psutil.process_iter(["cmdline"]) if str(pg_dir) in " ".join(p.info["cmdline"] or [])
        ]
        assert postgres, "the embedded server should be running"
        ready = httpx.get(f"http://127.0.0.1:{ports['gateway']}/readyz", timeout=5)
        assert ready.status_code == 200

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
        time.sleep(0.5)
        assert [p for p in postgres if p.is_running() and p.status() != psutil.STATUS_ZOMBIE] == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stdout is not None
        process.stdout.close()


def start_run(pg_dir: Path, ports: dict[str, int]) -> subprocess.Popen[str]:
    """`make run` on its own embedded PostgreSQL in `pg_dir`, no demo data, the services on `ports`."""
    env = stack_environment("unused", {}, ports)
    env.pop("DATABASE_URL")
    env["APP_ENV"] = "development"
    for key in ("OIDC_ISSUER", "OIDC_AUDIENCE", "OIDC_JWKS_URL"):
        env.pop(key, None)
    return subprocess.Popen(  # noqa: S603 - our own interpreter and a temporary path
        [sys.executable, "-m", "devtools", "run", "--no-seed", "--pg-dir", str(pg_dir)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def started_by(process: subprocess.Popen[str], pg_dir: Path) -> list[psutil.Process]:
    """The processes a run started: its children and the embedded server of `pg_dir`."""
    postgres = [
        p for p in psutil.process_iter(["cmdline"]) if str(pg_dir) in " ".join(p.info["cmdline"] or [])
    ]
    return [*psutil.Process(process.pid).children(recursive=True), *postgres]


def running(processes: list[psutil.Process]) -> list[psutil.Process]:
    return [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def finish(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()
    assert process.stdout is not None
    process.stdout.close()


@pytest.mark.parametrize("stop_signal", [signal.SIGHUP, signal.SIGTERM])
def test_closing_the_terminal_or_a_sigterm_stops_everything(tmp_path: Path, stop_signal: int) -> None:
    """Closing the terminal sends SIGHUP: it left the four services and PostgreSQL serving."""
    pg_dir = tmp_path / "pg"
    ports = {name: free_port() for name in ("catalog", "enrollment", "feedback", "gateway")}
    process = start_run(pg_dir, ports)
    try:
        read_until(process, "Other roles:")
        started = started_by(process, pg_dir)
        assert len(started) >= 5
        process.send_signal(stop_signal)
        assert process.wait(timeout=60) == 0
        time.sleep(0.5)
        assert running(started) == []
    finally:
        finish(process)


def test_a_run_after_one_killed_outright_starts_and_then_stops_everything(tmp_path: Path) -> None:
    """A supervisor killed by SIGKILL takes its services with it; the next run reuses the embedded server
    it left, serves, and its Ctrl-C stops that server too (a dead pid in the server's handle list kept
    it running after every later Ctrl-C)."""
    pg_dir = tmp_path / "pg"
    ports = {name: free_port() for name in ("catalog", "enrollment", "feedback", "gateway")}
    first = start_run(pg_dir, ports)
    try:
        read_until(first, "Other roles:")
        services = psutil.Process(first.pid).children(recursive=True)
        first.kill()
        first.wait()
        _, alive = psutil.wait_procs(services, timeout=20)
        assert running(alive) == [], "the services outlived their supervisor"
    finally:
        finish(first)
    second = start_run(pg_dir, ports)
    try:
        read_until(second, "Other roles:")
        assert httpx.get(f"http://127.0.0.1:{ports['gateway']}/readyz", timeout=5).status_code == 200
        started = started_by(second, pg_dir)
        second.send_signal(signal.SIGINT)
        assert second.wait(timeout=60) == 0
        time.sleep(0.5)
        assert running(started) == []
    finally:
        finish(second)


def test_a_port_still_taken_is_said_before_anything_starts(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("catalog", "enrollment", "feedback", "gateway")}
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports["enrollment"]))
        squatter.listen()
        process = start_run(tmp_path / "pg", ports)
        try:
            assert process.wait(timeout=60) == 1
            assert process.stdout is not None
            output = process.stdout.read()
        finally:
            finish(process)
    assert f"port in use: enrollment (127.0.0.1:{ports['enrollment']})" in output
    assert "Other roles:" not in output
