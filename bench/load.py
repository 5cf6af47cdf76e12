"""Load from outside Python: wrk (C, epoll) for steady load, and nginx as the C reverse proxy baseline.

Both are Debian packages (`scripts/install-bench-packages.sh` installs them when missing). A Python load
loop on the same two cores would spend as much CPU making requests as the servers spend answering them,
so every throughput figure in the suite comes from wrk.
"""

from __future__ import annotations

import asyncio
import json
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from devtools.stack import serving

# wrk's Lua hook at the end of a run: the summary as one JSON line (latencies in microseconds).
REPORT_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: dict[str, int]
    latency_ms: dict[str, float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "requests_per_second": round(self.rate, 1),
            "errors": self.errors,
            "latency_ms": self.latency_ms,
        }


def require(program: str) -> str:
    path = shutil.which(program) or shutil.which(program, path="/usr/sbin:/sbin")
    if path is None:
        raise SystemExit(f"{program} is missing: run scripts/install-bench-packages.sh (make bench does)")
    return path


def wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    threads: int = 1,
    headers: dict[str, str] | None = None,
) -> WrkResult:
    """Run wrk against `url`; every non-2xx/3xx answer is counted under errors.status."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(REPORT_LUA)
        script.flush()
        command = [
            require("wrk"), "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
            "--timeout", "10s", "-s", script.name,
        ]  # fmt: skip
        for name, value in (headers or {}).items():
            command += ["-H", f"{name}: {value}"]
        output = subprocess.run(  # noqa: S603 - our own arguments
            [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
        ).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK-JSON "))
    data = json.loads(line.removeprefix("WRK-JSON "))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=data["errors"],
        latency_ms={key: round(value / 1000, 2) for key, value in data["latency_us"].items()},
    )


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    upstream service {{
        server {upstream};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://service;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_buffering off;
        }}
    }}
}}
"""


@contextmanager
def nginx(upstream: str, port: int) -> Iterator[str]:
    """nginx as a plain reverse proxy (one worker, keep-alive to the upstream, no buffering, no access log)
    on 127.0.0.1:`port` in front of `upstream` (host:port); yields its base URL."""
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as root:
        conf = Path(root) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(root=root, upstream=upstream, port=port))
        process = subprocess.Popen(  # noqa: S603 - our own arguments
            [require("nginx"), "-p", root, "-c", str(conf), "-e", f"{root}/error.log"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    httpx.get(f"{url}/healthz", timeout=1)
                    break
                except httpx.HTTPError as exc:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log = (Path(root) / "error.log").read_text()
                        raise RuntimeError(f"nginx did not start: {log}") from exc
                    time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


@contextmanager
def otlp_sink() -> Iterator[str]:
    """An OTLP/HTTP trace receiver that accepts every export and keeps nothing, on a thread of its own:
    what tracing costs a service that exports, without a collector's own cost in the measurement."""
    ready: queue.Queue[str] = queue.Queue()
    loop = asyncio.new_event_loop()
    stopped = asyncio.Event()

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(content_type="application/x-protobuf")

    async def serve() -> None:
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_post("/v1/traces", accept)
        async with serving(app) as url:
            ready.put(url)
            await stopped.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    try:
        yield ready.get(timeout=30)
    finally:
        loop.call_soon_threadsafe(stopped.set)
        thread.join(timeout=30)
