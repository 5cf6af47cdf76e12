"""`make run`: PostgreSQL, migrations, demo data, the three services and the gateway, stopped together.

Every child runs in its own process group so that a Ctrl-C reaches this supervisor alone; it then stops
the gateway first (no new traffic), then the services (each finishes its requests and its consumers'
current batch), then the embedded PostgreSQL it started. Nothing is left running, however it ends:
Ctrl-C, SIGTERM, the terminal closing (SIGHUP) or SIGQUIT stop it that way; if it is killed outright,
the kernel sends each child SIGTERM (`PR_SET_PDEATHSIG`), and the next `make run` takes over the
embedded PostgreSQL left running. A port still taken is said before anything starts.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from devtools import devkeys
from services.cli import migrate_all, uvicorn_command
from services.kernel.settings import PlatformSettings
from services.registry import SERVICES

STOP_TIMEOUT_SECONDS = 15.0


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]


def _start(name: str, command: list[str], env: dict[str, str]) -> Child:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter
        command, env=env, start_new_session=True, preexec_fn=_die_with_parent
    )
    return Child(name, process)


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the supervisor dies, even by SIGKILL (Linux)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_PR_SET_PDEATHSIG = 1
# Signals that end `make run` the way Ctrl-C does.
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def _taken(addresses: list[tuple[str, str, int]]) -> list[str]:
    """The (name, host, port) whose port something already listens on."""
    taken = []
    for name, host, port in addresses:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                taken.append(f"{name} ({host}:{port})")
    return taken


def _stop(children: list[Child]) -> None:
    for child in children:
        if child.process.poll() is None:
            os.killpg(child.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for child in children:
        try:
            child.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()


def _wait_ready(url: str, children: list[Child], timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(child.process.poll() is not None for child in children):
            return False
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


def run(*, seed: bool = True, pg_dir: Path | None = None) -> int:
    """Run everything until a stop signal (`_STOP_SIGNALS`). `pg_dir`: where the embedded server keeps its
    data."""
    from devtools.demo import load_demo_data
    from devtools.devdb import DEFAULT_DATABASE, EmbeddedPostgres
    from gateway.settings import GatewaySettings

    gateway_settings = GatewaySettings()
    addresses = [(s.name, s.settings_class().host, s.settings_class().port) for s in SERVICES]
    taken = _taken([*addresses, ("gateway", gateway_settings.host, gateway_settings.port)])
    if taken:  # before anything starts, PostgreSQL included
        print(
            f"port in use: {', '.join(taken)}; is another `make run` still running? Nothing started.",
            file=sys.stderr,
        )
        return 1
    settings = PlatformSettings()
    embedded: EmbeddedPostgres | None = None
    if settings.database_url:
        database_url = settings.database_url
    else:
        embedded = EmbeddedPostgres(pg_dir)
        database_url = embedded.ensure_database(DEFAULT_DATABASE)
    children: list[Child] = []
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    for stop_signal in _STOP_SIGNALS:
        signal.signal(stop_signal, request_stop)
    try:
        devkeys.ensure_dev_keys()
        asyncio.run(migrate_all(database_url))
        if seed:
            print(asyncio.run(load_demo_data(database_url)), flush=True)
        env = {
            # A webhook receiver on this machine, plain HTTP, is what one tries webhooks with here;
            # outside `make run` endpoints are https:// on public addresses unless configured.
            "ENROLLMENT_WEBHOOK_ALLOW_HTTP": "true",
            "ENROLLMENT_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.0/8", "::1/128"]',
            **os.environ,
            "DATABASE_URL": database_url,
        }
        for service in SERVICES:
            service_settings = service.settings_class()
            prefix = service.name.upper()
            child_env = {**env, f"{prefix}_MIGRATE_ON_START": "false"}
            children.append(
                _start(
                    service.name,
                    uvicorn_command(service.factory, service_settings.port, service_settings.host),
                    child_env,
                )
            )
        children.append(
            _start(
                "gateway",
                uvicorn_command("gateway.app:create_app", gateway_settings.port, gateway_settings.host),
                env,
            )
        )
        base = f"http://{gateway_settings.host}:{gateway_settings.port}"
        if not _wait_ready(f"{base}/readyz", children):
            failed = [c.name for c in children if c.process.poll() is not None]
            print(f"start-up failed ({', '.join(failed) or 'not ready in time'}); stopping", file=sys.stderr)
            return 1
        token = devkeys.mint_token(
            oid=devkeys.person_oid(devkeys.DEFAULT_EMAILS["coordinator"]),
            roles=["coordinator"],
            email=devkeys.DEFAULT_EMAILS["coordinator"],
            name="Kari Nordmann",
        )
        print(
            "\n".join(
                [
                    "",
                    f"Gateway:     {base}/api/v1/{{catalog,enrollment,feedback}}/...",
                    f"Swagger UI:  {base}/docs",
                    f"OpenAPI:     {base}/openapi.json",
                    f"Database:    {database_url}",
                    "",
                    "Coordinator token (Kari Nordmann, UKE); paste into Authorize in Swagger UI:",
                    token,
                    "",
                    'Try: curl -H "Authorization: Bearer $TOKEN" '
                    f'"{base}/api/v1/catalog/offerings?q=ledergrupper"',
                    "Other roles: make token ROLE=ops (or hr-integration, privacy-officer, user). "
                    "Ctrl-C stops everything.",
                ]
            ),
            flush=True,
        )
        while not stopping:
            if any(child.process.poll() is not None for child in children):
                dead = [c.name for c in children if c.process.poll() is not None]
                print(f"{', '.join(dead)} stopped unexpectedly; stopping everything", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        print("stopping ...", file=sys.stderr, flush=True)
        _stop(children[-1:])  # the gateway first: no new traffic
        _stop(children[:-1])
        if embedded is not None:
            embedded.stop()
        print("stopped", file=sys.stderr, flush=True)
