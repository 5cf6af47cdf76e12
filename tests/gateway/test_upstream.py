"""The gateway's connection pool to the services against real loopback sockets."""

from __future__ import annotations

import asyncio

import pytest
from yarl import URL

from devtools.stack import free_port
from gateway.upstream import Broken, TimedOut, Timeouts, Unreachable, Upstreams, chunks

TIMEOUTS = Timeouts(connect=5, read=5, write=5, pool=5)


def pool() -> Upstreams:
    return Upstreams(max_connections=4, keepalive_seconds=30)


async def text(upstreams: Upstreams, url: str) -> str:
    status, body = await upstreams.get(url, 5.0, upstream="test")
    assert status == 200
    return body.decode()


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
    upstreams = pool()
    try:
        assert await text(upstreams, url) == "ok"
        await asyncio.sleep(0.1)  # the server has closed the pooled connection by now
        assert await text(upstreams, url) == "ok"
    finally:
        await upstreams.aclose()
        server.close()
        await server.wait_closed()
    assert connections == 2


async def test_a_safe_request_whose_service_died_under_it_is_sent_again() -> None:
    """A service killed while it handles a GET leaves no answer, and a connection opened in that moment is
    taken by the dying listener and then reset too. The GET goes out again until a connection is refused
    (503) or answered; a POST is never repeated (502)."""
    requests: list[bytes] = []

    async def die_twice(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests.append(await reader.readuntil(b"\r\n\r\n"))
        if len(requests) in {1, 2, 4}:
            writer.transport.abort()  # a reset, with the request read and nothing answered
            return
        writer.write(b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(die_twice, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    upstreams = pool()
    try:
        assert await text(upstreams, url) == "ok"
        assert [r.split(b" ")[0] for r in requests] == [b"GET"] * 3
        with pytest.raises(Broken):
            await upstreams.send("POST", URL(url), [], b"{}", TIMEOUTS, upstream="test")
        assert [r.split(b" ")[0] for r in requests] == [b"GET"] * 3 + [b"POST"]
    finally:
        await upstreams.aclose()
        server.close()
        await server.wait_closed()


async def test_failures_surface_as_the_kinds_the_gateway_answers_for() -> None:
    upstreams = pool()
    with pytest.raises(Unreachable):
        await upstreams.get(f"http://127.0.0.1:{free_port()}/", 5.0, upstream="test")

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and closes
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    try:
        with pytest.raises(TimedOut):
            await upstreams.get(url, 0.2, upstream="test")
    finally:
        await upstreams.aclose()
        server.close()
        await server.wait_closed()


async def test_requests_and_answers_pass_as_they_are() -> None:
    """The service sees exactly the headers the gateway built (nothing of the client library's own) and
    the gateway gets the answer as sent: compressed bytes, repeated headers, redirects and cookies left
    to the browser; both requests go out on one kept-alive connection."""
    seen: list[bytes] = []
    connections = 0
    gzipped = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcbO\x06\x00\xf5\xe0\xb7\xe1\x02\x00\x00\x00"

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:  # the client closed the connection
                break
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.lower().split(b"\r\n")
                    if line.startswith(b"content-length:")
                ),
                0,
            )
            seen.append(head + await reader.readexactly(length))
            writer.write(
                b"HTTP/1.1 302 Found\r\nlocation: /elsewhere\r\ncontent-encoding: gzip\r\n"
                b"set-cookie: a=1\r\nset-cookie: b=2\r\ncontent-length: %d\r\n\r\n%s"
                % (len(gzipped), gzipped)
            )
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(record, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/path?x=1"
    upstreams = pool()
    headers = [("host", "catalog.internal"), ("x-tag", "one"), ("x-tag", "two")]
    try:
        for method, body in (("POST", b'{"a":1}'), ("GET", None)):
            answer = await upstreams.send(method, URL(url), headers, body, TIMEOUTS, upstream="test")
            assert answer.status == 302
            assert answer.headers.getall("set-cookie") == ["a=1", "b=2"]
            assert b"".join([chunk async for chunk in chunks(answer)]) == gzipped
            answer.release()
    finally:
        await upstreams.aclose()
        server.close()
        await server.wait_closed()
    post, get = seen
    assert post.startswith(b"POST /path?x=1 HTTP/1.1\r\n")
    assert post.endswith(b'\r\n\r\n{"a":1}')
    assert get.startswith(b"GET /path?x=1 HTTP/1.1\r\n")
    for request in (post, get):
        lines = request.lower().split(b"\r\n")
        assert b"host: catalog.internal" in lines
        assert [line for line in lines if line.startswith(b"x-tag")] == [b"x-tag: one", b"x-tag: two"]
        assert not [line for line in lines if line.startswith((b"user-agent", b"accept", b"cookie"))]
    assert connections == 1
