"""What the gateway writes on the wire for a request body: one framing, read as one request by both
HTTP parsers uvicorn can run (httptools and h11), however the client framed it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import h11
import httptools
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.support import TokenFactory, running


async def chunked(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def requests_by_h11(wire: bytes) -> list[tuple[dict[bytes, bytes], bytes]]:
    """The requests h11 reads from the bytes, each with its headers and body."""
    connection = h11.Connection(h11.SERVER)
    connection.receive_data(wire)
    found: list[tuple[dict[bytes, bytes], bytes]] = []
    while True:
        event = connection.next_event()
        if isinstance(event, h11.Request):
            found.append(({k.lower(): v for k, v in event.headers}, b""))
        elif isinstance(event, h11.Data):
            found[-1] = (found[-1][0], found[-1][1] + bytes(event.data))
        elif isinstance(event, h11.EndOfMessage):
            if connection.our_state is h11.SEND_RESPONSE:
                connection.send(h11.Response(status_code=200, headers=[("content-length", "0")]))
                connection.send(h11.EndOfMessage())
                connection.start_next_cycle()
        elif event is h11.NEED_DATA or isinstance(event, h11.ConnectionClosed):
            return found


def requests_by_httptools(wire: bytes) -> list[bytes]:
    """The bodies of the requests httptools reads from the bytes."""
    bodies: list[bytes] = []

    class Reader:
        def on_message_begin(self) -> None:
            bodies.append(b"")

        def on_body(self, body: bytes) -> None:
            bodies[-1] += body

    httptools.HttpRequestParser(Reader()).feed_data(wire)
    return bodies


@pytest.fixture
async def wire() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A service that records every byte each request brings, and answers 200."""
    received: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = b""
        while True:
            try:
                chunk = await asyncio.wait_for(reader.read(65536), 0.2)
            except TimeoutError:
                break
            if not chunk:
                break
            data += chunk
        received.append(data)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(record, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", received
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize(
    ("method", "content", "body"),
    [
        ("POST", b'{"a": 1}', b'{"a": 1}'),
        ("POST", "chunked", b'{"a": 1, "b": 2}'),
        ("PUT", "chunked-empty", b""),
        ("POST", None, b""),
        ("PATCH", b"", b""),
        ("GET", None, b""),
    ],
)
async def test_one_framing_whatever_the_client_sent(
    wire: tuple[str, list[bytes]],
    auth_settings: dict[str, Any],
    tokens: TokenFactory,
    method: str,
    content: Any,
    body: bytes,
) -> None:
    url, received = wire
    app = create_app(GatewaySettings(**auth_settings, catalog_url=url))
    if content == "chunked":
        content = chunked(b'{"a": 1, ', b'"b": 2}')
    elif content == "chunked-empty":
        content = chunked()
    async with running(app) as gateway:
        response = await gateway.request(
            method, "/api/v1/catalog/things", content=content, headers=tokens.header()
        )
    assert response.status_code == 200
    [sent] = received
    head = sent.split(b"\r\n\r\n", 1)[0].lower()
    assert b"transfer-encoding" not in head
    assert head.count(b"content-length") == (1 if body or method != "GET" else 0)
    [(headers, h11_body)] = requests_by_h11(sent)
    assert h11_body == body
    assert headers.get(b"content-length", b"0") == str(len(body)).encode()
    assert requests_by_httptools(sent) == [body]
