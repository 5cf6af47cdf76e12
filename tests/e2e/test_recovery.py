"""Recovery without needless waiting: after the enrollment service is killed and started again, traffic
through the gateway flows as soon as the service is ready, not when a fixed breaker period ends."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path
from typing import IO

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from devtools.stack import running_stack, stack_environment
from services.cli import uvicorn_command
from services.kernel.settings import REPO_ROOT
from tests.support import TokenFactory

# The breaker's probe interval is half a second; what the client may wait beyond readiness.
SLACK_SECONDS = 1.5


async def test_traffic_flows_again_as_soon_as_a_killed_service_is_ready(
    isolated_database: tuple[str, AsyncEngine],
    process_auth: dict[str, str],
    tokens: TokenFactory,
    tmp_path: Path,
) -> None:
    url, _ = isolated_database
    with running_stack(url, process_auth, tmp_path) as stack:
        answers: list[tuple[float, int]] = []
        stop = asyncio.Event()

        async def client() -> None:
            async with httpx.AsyncClient(base_url=stack.gateway, timeout=10) as http:
                while not stop.is_set():
                    # Someone not in the directory: any answer from the service itself is a 403.
                    answer = await http.get("/api/v1/enrollment/enrollments/mine", headers=tokens.header())
                    answers.append((time.monotonic(), answer.status_code))
                    await asyncio.sleep(0.05)

        asking = asyncio.create_task(client())
        try:
            await asyncio.sleep(0.5)
            stack.processes["enrollment"].send_signal(signal.SIGKILL)
            stack.processes["enrollment"].wait(timeout=10)
            await asyncio.sleep(1.5)  # clients meet a dead service for a while: the breaker opens
            port = stack.ports["enrollment"]
            stack.processes["enrollment"] = _start_enrollment(
                url, process_auth, stack.ports, tmp_path, stack.files
            )
            ready_at = await _ready(f"http://127.0.0.1:{port}/readyz")
            await asyncio.sleep(SLACK_SECONDS + 1)
        finally:
            stop.set()
            await asyncio.wait_for(asking, timeout=20)
    refused = [at for at, status in answers if status == 503]
    assert refused, "no request met the dead service: the test proves nothing"
    served_again = next((at for at, status in answers if status == 403 and at > refused[0]), None)
    assert served_again is not None, "the gateway never let a request through to the restarted service"
    assert served_again - ready_at < SLACK_SECONDS
    assert {status for _, status in answers} <= {403, 503}


def _start_enrollment(
    url: str, auth: dict[str, str], ports: dict[str, int], logs: Path, files: list[IO[bytes]]
) -> subprocess.Popen[bytes]:
    """The enrollment service again, on its old port."""
    log = (logs / "enrollment-restarted.log").open("wb")
    files.append(log)
    command = uvicorn_command("services.enrollment.app:create_app", ports["enrollment"], "127.0.0.1")
    return subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        command, env=stack_environment(url, auth, ports), cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT
    )


async def _ready(url: str) -> float:
    async with httpx.AsyncClient(timeout=2) as http:
        for _ in range(600):
            try:
                if (await http.get(url)).status_code == 200:
                    return time.monotonic()
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never became ready")
