"""HR sync: idempotent bulk upserts, any order, per-record errors, guarded full sync, events."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support import TokenFactory, create_leader


def unit(external_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "name": f"Enhet {external_id}",
        "kind": "agency",
        "sector": "Finans",
        **fields,
    }


def person(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "external_id": f"E{n:05d}",
        "name": f"Ansatt {n}",
        "email": f"ansatt{n}@oslo.kommune.no",
        **fields,
    }


async def sync(
    enrollment: httpx.AsyncClient,
    tokens: TokenFactory,
    resource: str,
    records: list[dict[str, Any]],
    **flags: Any,
) -> httpx.Response:
    return await enrollment.post(
        f"/directory/sync/{resource}",
        json={"records": records, **flags},
        headers=tokens.header("hr-integration"),
    )


async def test_sending_the_same_batch_twice_changes_nothing_and_says_so(
    enrollment: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    units = [unit(f"u{n}") for n in range(50)]
    first = (await sync(enrollment, tokens, "org-units", units)).json()
    assert (first["created"], first["updated"], first["unchanged"], first["rejected"]) == (50, 0, 0, [])
    again = (await sync(enrollment, tokens, "org-units", units)).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 50)
    units[7]["name"] = "Bydel Grünerløkka"
    changed = (await sync(enrollment, tokens, "org-units", units)).json()
    assert (changed["created"], changed["updated"], changed["unchanged"]) == (0, 1, 49)


async def test_records_may_arrive_in_any_order(
    enrollment: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # An employee before their manager and before their unit; a unit before its parent.
    early = (
        await sync(
            enrollment,
            tokens,
            "people",
            [person(2, org_unit_external_id="alna", manager_external_id="E00001")],
        )
    ).json()
    assert early["pending_references"] == 2
    await sync(
        enrollment, tokens, "org-units", [unit("alna", kind="city-district", parent_external_id="oslo")]
    )
    async with sessionmaker() as session, session.begin():
        # A group made outside HR, with no org unit named at all: nothing it waits for.
        await create_leader(session, "uten.enhet@uke.oslo.kommune.no")
    pending = await enrollment.get("/directory/pending-references", headers=tokens.header("ops"))
    assert pending.status_code == 200, pending.text
    assert sorted((p["record"], p["reference"], p["missing"]) for p in pending.json()["items"]) == [
        ("org-unit", "parent", "oslo"),
        ("person", "manager", "E00001"),
    ]
    await sync(enrollment, tokens, "people", [person(1, org_unit_external_id="alna")])
    done = (await sync(enrollment, tokens, "org-units", [unit("oslo", kind="other")])).json()
    assert done["pending_references"] == 0
    async with sessionmaker() as session:
        row = (
            await session.execute(
                text(
                    "SELECT u.external_id AS unit, m.external_id AS manager, parent.external_id AS parent "
                    "FROM enrollment.people p JOIN enrollment.org_units u ON u.id = p.org_unit_id "
                    "JOIN enrollment.people m ON m.id = p.manager_id "
                    "JOIN enrollment.org_units parent ON parent.id = u.parent_id "
                    "WHERE p.external_id = 'E00002'"
                )
            )
        ).one()
    assert (row.unit, row.manager, row.parent) == ("alna", "E00001", "oslo")


async def test_a_malformed_record_is_reported_and_the_rest_applied(
    enrollment: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    records = [person(n) for n in range(1000)]
    records[417]["email"] = "not an address"
    records[900] = {"external_id": "E00900", "name": ""}
    records[950]["name"] = "Kari\r\nNordmann"  # a line break would split every mail header with the name
    records.append(person(5))  # the same employee twice in one batch
    result = (await sync(enrollment, tokens, "people", records)).json()
    assert result["created"] == 997
    assert [(r["position"], r["external_id"]) for r in result["rejected"]] == [
        (417, "E00417"),
        (900, "E00900"),
        (950, "E00950"),
        (1000, "E00005"),
    ]
    assert result["rejected"][0]["errors"][0]["loc"] == ["email"]
    assert {e["loc"][0] for e in result["rejected"][1]["errors"]} == {"name", "email"}
    assert result["rejected"][2]["errors"][0]["loc"] == ["name"]
    assert result["rejected"][3]["errors"][0]["msg"] == "appears twice in this batch"
    async with sessionmaker() as session:
        count = (await session.execute(text("SELECT count(*) FROM enrollment.people"))).scalar_one()
    assert count == 997


async def test_one_sign_in_belongs_to_one_person(enrollment: httpx.AsyncClient, tokens: TokenFactory) -> None:
    oid = str(uuid.uuid4())
    await sync(enrollment, tokens, "people", [person(1, entra_oid=oid)])
    result = (
        await sync(enrollment, tokens, "people", [person(2, entra_oid=oid), person(1, entra_oid=oid)])
    ).json()
    assert [(r["external_id"], r["errors"][0]["msg"]) for r in result["rejected"]] == [
        ("E00002", "already belongs to E00001")
    ]
    assert result["unchanged"] == 1


async def test_full_sync_deactivates_the_missing_and_is_guarded(
    enrollment: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    everyone = [person(n) for n in range(20)]
    await sync(enrollment, tokens, "people", everyone)

    async def active() -> int:
        async with sessionmaker() as session:
            return int(
                (
                    await session.execute(text("SELECT count(*) FROM enrollment.people WHERE active"))
                ).scalar_one()
            )

    left = (await sync(enrollment, tokens, "people", everyone[:18], full=True)).json()
    assert (left["deactivated"], left["unchanged"]) == (2, 18)
    assert await active() == 18

    wipe = await sync(enrollment, tokens, "people", everyone[:5], full=True)
    assert wipe.status_code == 409
    assert wipe.json()["type"] == "urn:problem:full-sync-guard"
    assert (wipe.json()["would_deactivate"], wipe.json()["active"]) == (13, 18)
    assert await active() == 18  # refused before anything was written

    # A record rejected for a validation error is still part of the full set: it is not deactivated.
    broken = [*everyone[:17], {**everyone[17], "email": "broken"}]
    kept = (await sync(enrollment, tokens, "people", broken, full=True)).json()
    assert (kept["deactivated"], len(kept["rejected"])) == (0, 1)

    forced = (await sync(enrollment, tokens, "people", everyone[:5], full=True, force=True)).json()
    assert forced["deactivated"] == 13
    assert await active() == 5
    back = (await sync(enrollment, tokens, "people", everyone)).json()
    assert back["updated"] == 15  # the deactivated come back as HR sends them again
    async with sessionmaker() as session:
        total = (await session.execute(text("SELECT count(*) FROM enrollment.people"))).scalar_one()
    assert total == 20  # deactivated, never deleted


async def test_changes_are_published_without_personal_data(
    enrollment: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await sync(enrollment, tokens, "org-units", [unit("alna", kind="city-district", sector="Bydel")])
    await sync(enrollment, tokens, "people", [person(1, org_unit_external_id="alna"), person(2)])
    await sync(enrollment, tokens, "people", [person(1, org_unit_external_id="alna"), person(2)])  # no change
    await sync(enrollment, tokens, "people", [person(1, org_unit_external_id="alna")], full=True, force=True)
    async with sessionmaker() as session:
        rows = (await session.execute(text("SELECT topic, payload FROM eventbus.events ORDER BY id"))).all()
    topics = [row.topic for row in rows]
    assert topics == [
        "enrollment.org_unit_upserted",
        "enrollment.person_upserted",
        "enrollment.person_upserted",
        "enrollment.person_deactivated",
    ]
    unit_payload = rows[0].payload
    assert (unit_payload["external_id"], unit_payload["sector"], unit_payload["kind"]) == (
        "alna",
        "Bydel",
        "city-district",
    )
    # Ids only (the Entra object id lets the feedback service know a signed-in caller): no name or e-mail.
    for row in rows[1:]:
        assert set(row.payload) == {"person_id", "entra_oid", "org_unit_id", "manager_id", "active"}


async def test_only_the_hr_integration_syncs(enrollment: httpx.AsyncClient, tokens: TokenFactory) -> None:
    for roles in ((), ("coordinator",), ("ops",)):
        response = await enrollment.post(
            "/directory/sync/people", json={"records": [person(1)]}, headers=tokens.header(*roles)
        )
        assert response.status_code == 403
    plain = await enrollment.get("/directory/pending-references", headers=tokens.header())
    assert plain.status_code == 403


def group(external_id: str, unit_id: str, leader: str, *members: tuple[str, str | None]) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "name": f"Toppledergruppen {unit_id}",
        "org_unit_external_id": unit_id,
        "leader_external_id": leader,
        "members": [{"person_external_id": p, "role_title": title} for p, title in members],
    }


async def test_leader_groups_any_order_and_membership_replaced(
    enrollment: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # The group first; its unit, leader and members arrive afterwards.
    first = await sync(
        enrollment,
        tokens,
        "leader-groups",
        [group("tlg-alna", "alna", "E00001", ("E00001", "Bydelsdirektør"), ("E00002", "Økonomisjef"))],
    )
    assert (first.json()["created"], first.json()["pending_references"]) == (1, 4)
    await sync(enrollment, tokens, "org-units", [unit("alna", kind="city-district")])
    people = await sync(
        enrollment, tokens, "people", [person(n, org_unit_external_id="alna") for n in (1, 2, 3)]
    )
    assert people.json()["pending_references"] == 0

    async def members() -> list[tuple[str, str | None]]:
        async with sessionmaker() as session:
            rows = await session.execute(
                text(
                    "SELECT p.external_id, m.role_title FROM enrollment.leader_group_members m "
                    "JOIN enrollment.people p ON p.id = m.person_id ORDER BY 1"
                )
            )
            return [(r.external_id, r.role_title) for r in rows]

    assert await members() == [("E00001", "Bydelsdirektør"), ("E00002", "Økonomisjef")]
    same = (
        await sync(
            enrollment,
            tokens,
            "leader-groups",
            [group("tlg-alna", "alna", "E00001", ("E00001", "Bydelsdirektør"), ("E00002", "Økonomisjef"))],
        )
    ).json()
    assert (same["created"], same["updated"], same["unchanged"]) == (0, 0, 1)
    # E00002 leaves, E00003 joins: only the membership changed, and that counts as an update.
    moved = (
        await sync(
            enrollment,
            tokens,
            "leader-groups",
            [group("tlg-alna", "alna", "E00001", ("E00001", "Bydelsdirektør"), ("E00003", None))],
        )
    ).json()
    assert (moved["updated"], moved["unchanged"]) == (1, 0)
    assert await members() == [("E00001", "Bydelsdirektør"), ("E00003", None)]
    async with sessionmaker() as session:
        payloads = (
            (
                await session.execute(
                    text(
                        "SELECT payload FROM eventbus.events "
                        "WHERE topic = 'enrollment.leader_group_upserted' ORDER BY id"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert len(payloads[-1]["member_ids"]) == 2
    assert payloads[-1]["leader_id"] is not None


async def test_a_person_hr_deactivates_loses_future_enrollments_with_a_reason(
    enrollment: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    from services.enrollment.directory.models import Person
    from tests.enrollment.support import (
        add_offering,
        add_session,
        coordinator,
        enroll,
        move_to_past,
        payloads,
    )

    await sync(enrollment, tokens, "people", [person(1), person(2)])
    async with sessionmaker() as session, session.begin():
        people = {p.external_id: p.id for p in (await session.execute(select(Person))).scalars()}
        offering = await add_offering(session, title="Fagdag")
        future = (await add_session(session, offering, days=30)).id
        past = (await add_session(session, offering, days=20)).id
    for session_id in (future, past):
        for external_id in ("E00001", "E00002"):
            await enroll(
                enrollment, coordinator(tokens), session_id=session_id, person_id=people[external_id]
            )
    await move_to_past(sessionmaker, past)

    result = (await sync(enrollment, tokens, "people", [person(2)], full=True, force=True)).json()
    assert (result["deactivated"], result["enrollments_cancelled"]) == (1, 1)

    async with sessionmaker() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT p.external_id, e.session_id, e.status, e.cancel_reason "
                    "FROM enrollment.enrollments e JOIN enrollment.people p ON p.id = e.person_id "
                    "ORDER BY 1, 2"
                )
            )
        ).all()
        seats = (
            await session.execute(
                text("SELECT seats_confirmed, seats_version FROM enrollment.sessions WHERE id = :id"),
                {"id": future},
            )
        ).one()
    [event] = await payloads(sessionmaker, "enrollment.cancelled")
    statuses = {(r.external_id, r.session_id == future): (r.status, r.cancel_reason) for r in rows}
    assert statuses[("E00001", True)][0] == "cancelled"
    assert "ikke lenger aktiv" in statuses[("E00001", True)][1]
    assert statuses[("E00001", False)] == ("confirmed", None)  # the past stays as history
    assert statuses[("E00002", True)] == ("confirmed", None)
    assert (seats.seats_confirmed, seats.seats_version) == (1, 3)
    assert (event["session_seats_confirmed"], event["session_seats_version"]) == (1, 3)


async def test_looking_up_enrollments_of_40000_deactivated_people_fits_in_one_statement(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """More ids than the 32,767 parameters a PostgreSQL statement can carry: one array parameter instead."""
    from datetime import UTC, datetime

    from services.enrollment.enrollments.repository import future_active_participations

    async with sessionmaker() as session:
        ids = [uuid.uuid4() for _ in range(40_000)]
        found = await future_active_participations(session, datetime.now(UTC), person_ids=ids)
    assert found == []


async def test_hr_says_which_language_a_person_reads_mail_in(
    enrollment: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    records = [
        person(1, preferred_language="en-GB"),
        person(2, preferred_language="nn"),
        person(3),
        person(4, preferred_language="en"),
    ]
    result = (await sync(enrollment, tokens, "people", records)).json()
    assert result["created"] == 4
    refused = await sync(enrollment, tokens, "people", [person(5, preferred_language="english please")])
    assert [r["external_id"] for r in refused.json()["rejected"]] == ["E00005"]

    async def languages() -> dict[str, str]:
        async with sessionmaker() as session:
            rows = await session.execute(text("SELECT external_id, language FROM enrollment.people"))
            return {row.external_id: row.language for row in rows}

    assert await languages() == {"E00001": "en", "E00002": "nb", "E00003": "nb", "E00004": "en"}
    records[3]["preferred_language"] = "nb-NO"  # a change of language alone is a change
    changed = (await sync(enrollment, tokens, "people", records)).json()
    assert (changed["updated"], changed["unchanged"]) == (1, 3)
    assert (await languages())["E00004"] == "nb"
