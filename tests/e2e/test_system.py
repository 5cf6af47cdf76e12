"""End to end: the real processes behind the gateway, as a user, a coordinator and ops meet them."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import icalendar
from sqlalchemy.ext.asyncio import AsyncEngine

from devtools.contract import OPENAPI_DIR
from devtools.stack import Stack
from services.kernel import database
from tests.support import TokenFactory, bus_state, create_leader, eventually


async def test_cross_service_flow_through_the_gateway(
    client: httpx.AsyncClient, engine: AsyncEngine, tokens: TokenFactory, stack: Stack
) -> None:
    email = f"leder-{uuid.uuid4().hex[:6]}@bydel-grorud.oslo.kommune.no"
    async with database.create_sessionmaker(engine)() as session, session.begin():
        person = await create_leader(session, email, name="Åse Ødegård")
    coordinator = tokens.header("coordinator")
    offering = await client.post(
        "/api/v1/catalog/offerings",
        json={
            "kind_code": "professional-day",
            "title": "Fagdag: Tillitsbasert ledelse",
            "summary": "For alle ledere.",
        },
        headers=coordinator,
    )
    assert offering.status_code == 201, offering.text
    session_response = await client.post(
        "/api/v1/catalog/sessions",
        json={
            "offering_id": offering.json()["id"],
            "starts_at": "2027-01-19T09:00:00+01:00",
            "ends_at": "2027-01-19T16:00:00+01:00",
            "capacity": 400,
            "venue": "Oslo Kongressenter",
        },
        headers={
            **coordinator,
            "X-Request-ID": "e2e-schedule-1",
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        },
    )
    assert session_response.status_code == 201
    session_id = session_response.json()["id"]
    published = await client.post(
        f"/api/v1/catalog/offerings/{offering.json()['id']}/publish", headers=coordinator
    )
    assert published.status_code == 200, published.text

    user = tokens.header(email=email)

    async def enrolled() -> httpx.Response | None:
        """Until the enrollment service has read the catalogue's events: 503 session-not-yet-known."""
        response = await client.post(
            "/api/v1/enrollment/enrollments", json={"session_id": session_id}, headers=user
        )
        assert response.status_code != 404, response.text
        return None if response.status_code == 503 else response

    # The enrollment service learns the session from the catalogue's event. In the full suite the fuzz
    # test before this one leaves its consumers a backlog of generated sessions to work through first.
    enrollment = await eventually(enrolled, within=60, describe=lambda: bus_state(engine))
    assert enrollment.status_code == 201, enrollment.text

    async def seat_counted() -> bool:
        body = (await client.get(f"/api/v1/catalog/sessions/{session_id}", headers=user)).json()
        return bool(body["seats_taken"] == 1)

    async def participant_recorded() -> list[dict[str, Any]] | None:
        response = await client.get(
            f"/api/v1/feedback/sessions/{session_id}/participants", headers=coordinator
        )
        body: list[dict[str, Any]] = response.json()["items"]
        return body or None

    await eventually(seat_counted, within=60)
    [participant] = await eventually(participant_recorded, within=60)
    assert participant["person_id"] == str(person.id)

    # The request id travelled from the gateway into the event and the consumer's log context.
    async with database.create_sessionmaker(engine)() as session:
        from sqlalchemy import text

        stamps = (
            await session.execute(
                text("SELECT request_id, traceparent FROM eventbus.events WHERE aggregate_id = :id"),
                {"id": session_id},
            )
        ).all()
    assert [r.request_id for r in stamps] == ["e2e-schedule-1"]
    # The client's trace, continued by the gateway and then by the catalogue (each a span of its own).
    assert stamps[0].traceparent.startswith("00-0af7651916cd43dd8448eb211c80319c-")
    assert "b7ad6b7169203331" not in stamps[0].traceparent
    # Every line a service writes is JSON, and the request's lines carry its id.
    lines = [json.loads(line) for line in stack.log("catalog").splitlines()]
    assert {line["service"] for line in lines} == {"catalog"}
    assert any(
        line["request_id"] == "e2e-schedule-1" and line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
        for line in lines
    )

    # A calendar client subscribes to the person's feed without a token, until it is revoked; the secret
    # stays out of every log.
    created = await client.post("/api/v1/enrollment/calendar-feeds", headers=user)
    assert created.status_code == 201, created.text
    url = httpx.URL(created.json()["url"])
    assert url.path.startswith("/api/v1/enrollment/calendar-feeds/")
    secret = url.path.split("/")[-2]
    feed = await client.get(url.path)
    assert feed.status_code == 200, feed.text
    uids = [str(e["uid"]) for e in icalendar.Calendar.from_ical(feed.content).walk("VEVENT")]
    assert uids == [f"session-{session_id}@ledelsesutvikling.oslo.kommune.no"]
    revoked = await client.delete(f"/api/v1/enrollment/calendar-feeds/{created.json()['id']}", headers=user)
    assert revoked.status_code == 204
    assert (await client.get(url.path)).status_code == 404
    for process in ("gateway", "enrollment"):
        assert secret not in stack.log(process)


async def test_docs_load_from_local_assets_only(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    references = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(r"url: ?'([^']+)'", page.text)
    assert references
    for reference in references:
        assert not reference.startswith(("http:", "https:", "//")), reference
    for asset in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"):
        response = await client.get(asset)
        assert response.status_code == 200
        assert len(response.content) > 10_000
    assert "cdn" not in page.text.lower()


async def test_published_openapi_is_the_committed_contract(client: httpx.AsyncClient) -> None:
    live = (await client.get("/openapi.json")).json()
    assert live == json.loads((OPENAPI_DIR / "openapi.json").read_text())


async def test_readyz_reports_every_service(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.json() == {
        "status": "ready",
        "checks": {"catalog": "ok", "enrollment": "ok", "feedback": "ok", "signing-keys": "ok"},
    }


async def test_services_verify_tokens_themselves(stack: Stack, tokens: TokenFactory, tmp_path: Path) -> None:
    """Calling a service directly, around the gateway, still needs a token the service trusts."""
    from devtools import devkeys

    async with httpx.AsyncClient(base_url=stack.url("enrollment")) as direct:
        assert (await direct.get("/enrollments/mine")).status_code == 401
        spoofed = {"X-Forwarded-User": "admin", "X-Request-ID": "x"}
        assert (await direct.get("/enrollments/mine", headers=spoofed)).status_code == 401
        foreign = devkeys.mint_token(
            oid="x", roles=["ops"], directory=devkeys.ensure_dev_keys(tmp_path / "evil")
        )
        response = await direct.get("/eventbus/dead-letters", headers={"Authorization": f"Bearer {foreign}"})
        assert response.status_code == 401
        assert (await direct.get("/eventbus/dead-letters", headers=tokens.header("ops"))).status_code == 200


async def test_unreachable_and_slow_upstreams(auth_settings: dict[str, Any], tokens: TokenFactory) -> None:
    """Down is 503, too slow is 504, both as problem details (a real gateway, real sockets)."""
    from devtools.stack import free_port
    from gateway.app import create_app
    from gateway.settings import GatewaySettings
    from tests.support import running

    release = asyncio.Event()
    held: list[asyncio.StreamWriter] = []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await release.wait()  # until the test ends: every connection it accepted is then closed
        writer.close()

    async def answer_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n[]")
        await writer.drain()
        writer.close()

    slow = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    fast = await asyncio.start_server(answer_at_once, "127.0.0.1", 0)
    slow_port = slow.sockets[0].getsockname()[1]
    settings = GatewaySettings(
        **auth_settings,
        catalog_url=f"http://127.0.0.1:{free_port()}",
        enrollment_url=f"http://127.0.0.1:{slow_port}",
        feedback_url=f"http://127.0.0.1:{fast.sockets[0].getsockname()[1]}",
        read_timeout_seconds=2.0,
        upstream_timeouts={},  # not the enrollment service's longer default
    )
    try:
        async with running(create_app(settings)) as gateway:
            down = await gateway.get("/api/v1/catalog/offerings", headers=tokens.header())
            # Many requests stuck on the slow service do not slow the others down.
            stuck = [
                asyncio.create_task(
                    gateway.get("/api/v1/enrollment/enrollments/mine", headers=tokens.header())
                )
                for _ in range(20)
            ]
            await asyncio.sleep(0.05)
            meanwhile = await gateway.get("/api/v1/feedback/invitations/mine", headers=tokens.header())
            still_waiting = sum(not task.done() for task in stuck)
            timed_out, *others = await asyncio.gather(*stuck)
    finally:
        release.set()
        slow.close()
        fast.close()
        await asyncio.gather(*(writer.wait_closed() for writer in held), return_exceptions=True)
        await slow.wait_closed()
        await fast.wait_closed()
    assert meanwhile.status_code == 200
    assert still_waiting == len(stuck), "the healthy service waited behind the slow one"
    assert {r.status_code for r in others} == {504}
    assert (down.status_code, down.json()["type"]) == (503, "urn:problem:service-unavailable")
    assert (timed_out.status_code, timed_out.json()["type"]) == (504, "urn:problem:upstream-timeout")
    assert down.headers["content-type"] == timed_out.headers["content-type"] == "application/problem+json"
