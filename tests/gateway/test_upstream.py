"""The gateway's upstream transport against real loopback sockets."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from gateway.upstream import UpstreamTransport
from tests.e2e.stack import free_port

LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=4, keepalive_expiry=30)


async def test_a_connection_the_service_closed_while_idle_is_not_reused() -> None:
    """A service restarting (or its keep-alive timing out) closes idle connections; the next request
    must go out on a new one instead of failing on the dead one."""
    connections = 0

    async def answer_once_then_hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")  # keep-alive by default
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer_once_then_hang_up, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    transport = UpstreamTransport(LIMITS)
    try:
        async with httpx.AsyncClient(transport=transport) as client:
            assert (await client.get(url)).text == "ok"
            await asyncio.sleep(0.1)  # the server has closed the pooled connection by now
            assert (await client.get(url)).text == "ok"
    finally:
        server.close()
        await server.wait_closed()
    assert connections == 2


async def test_failures_surface_as_the_httpx_errors_the_gateway_maps() -> None:
    transport = UpstreamTransport(LIMITS)
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{free_port()}/")

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and closes
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    try:
        async with httpx.AsyncClient(transport=UpstreamTransport(LIMITS), timeout=0.2) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.get(url)
    finally:
        server.close()
        await server.wait_closed()
