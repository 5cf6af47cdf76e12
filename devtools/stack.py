"""Starting the real processes for end-to-end tests: three uvicorn services and the gateway."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from aiohttp import web

from services.cli import uvicorn_command
from services.kernel.settings import REPO_ROOT

FACTORIES = {
    "catalog": "services.catalog.app:create_app",
    "enrollment": "services.enrollment.app:create_app",
    "feedback": "services.feedback.app:create_app",
    "gateway": "gateway.app:create_app",
}


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """`app` (aiohttp's) on a free loopback port while the block runs; yields its base URL. What plays a
    service, or an OTLP collector, in the tests and benchmarks."""
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Stack:
    ports: dict[str, int]
    logs: dict[str, Path]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    files: list[IO[bytes]] = field(default_factory=list)

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def log(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace")


def stack_environment(database_url: str, auth: dict[str, str], ports: dict[str, int]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CATALOG_", "ENROLLMENT_", "FEEDBACK_"))}
    env.update({key.upper(): value for key, value in auth.items()})
    env["DATABASE_URL"] = database_url
    for name in ("catalog", "enrollment", "feedback"):
        env[f"{name.upper()}_PORT"] = str(ports[name])
        env[f"{name.upper()}_MIGRATE_ON_START"] = "false"
        env[f"{name.upper()}_EVENT_POLL_INTERVAL_SECONDS"] = "5"
        env[f"GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{ports[name]}"
    env["GATEWAY_PORT"] = str(ports["gateway"])
    env["LOG_FORMAT"] = "json"
    # The suite and the benchmarks send bursts from one address and one token by design; the limits
    # themselves are tested in-process (tests/gateway/test_protection.py).
    env.setdefault("GATEWAY_RATE_LIMIT_ADDRESS_PER_SECOND", "0")
    env.setdefault("GATEWAY_RATE_LIMIT_PRINCIPAL_PER_SECOND", "0")
    # Outside development the feedback service needs the key that seals answers: one per stack.
    env.setdefault("FEEDBACK_BALLOT_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())
    return env


def wait_ready(url: str, processes: dict[str, subprocess.Popen[bytes]], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [name for name, p in processes.items() if p.poll() is not None]
        if dead:
            raise RuntimeError(f"{dead} exited during start-up")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready within {timeout}s")


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20) -> int:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


@contextmanager
def running_stack(
    database_url: str, auth: dict[str, str], log_dir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[Stack]:
    ports = {name: free_port() for name in FACTORIES}
    stack = Stack(ports=ports, logs={name: log_dir / f"{name}.log" for name in FACTORIES})
    env = {**stack_environment(database_url, auth, ports), **(extra_env or {})}
    try:
        for name, factory in FACTORIES.items():
            command = uvicorn_command(factory, ports[name], "127.0.0.1")
            log = stack.logs[name].open("wb")
            stack.files.append(log)
            stack.processes[name] = subprocess.Popen(  # noqa: S603
                command, env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        wait_ready(f"{stack.gateway}/readyz", stack.processes)
        yield stack
    finally:
        for process in stack.processes.values():
            stop(process)
        for file in stack.files:
            file.close()


@contextmanager
def service_process(
    name: str, database_url: str, auth: dict[str, str], log: Path, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """One service as production runs it (`ledelse serve`: uvicorn with a 10 s graceful shutdown), on a
    free loopback port; yields the process and its base URL, and stops it at the end if still running."""
    port = free_port()
    env = {
        **stack_environment(database_url, auth, {**dict.fromkeys(FACTORIES, 0), name: port}),
        **(extra_env or {}),
    }
    env[f"{name.upper()}_HOST"] = "127.0.0.1"
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and CLI
            [sys.executable, "-m", "services.cli", "serve", name],
            env=env,
            cwd=REPO_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(f"{url}/readyz", {name: process})
            yield process, url
        finally:
            if process.poll() is None:
                stop(process)
