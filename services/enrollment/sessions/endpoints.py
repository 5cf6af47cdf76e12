"""HTTP endpoints for what the enrollment service holds about one session: its waiting list, its
enrollment state (and pausing it), and its roster. Coordinators only."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.enrollments import listings, pausing, problems, repository, service
from services.enrollment.enrollments.schemas import (
    EnrollmentStatePublic,
    PauseRequest,
    RosterEntryPage,
    RosterEntryPublic,
    WaitingEntryPage,
    WaitingEntryPublic,
)
from services.enrollment.privacy.models import PersonalDataRead
from services.kernel.auth.tokens import CoordinatorOnly
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.paging import Paging
from services.kernel.privacy import record_read
from services.kernel.problems import COMMON_RESPONSES
from services.kernel.spreadsheets import CSV, csv_response

router = APIRouter(route_class=TransactionalRoute, tags=["enrollments"], responses=COMMON_RESPONSES)


@router.get(
    "/sessions/{session_id}/waiting-list",
    summary="Get a session's waiting list (coordinators)",
    responses={404: problems.SessionNotFound.openapi()},
)
async def get_waiting_list(
    session: SessionDep,
    principal: CoordinatorOnly,
    session_id: uuid.UUID,
    paging: Paging,
) -> WaitingEntryPage:
    """First in line first, a page at a time, each with its place in line; for a session of a
    programme, the programme's list. The read is recorded (docs/privacy.md)."""
    offering_id, queue_session = await service.queue_of_session(session, session_id)
    waiting = await repository.waiting(
        session, offering_id, queue_session, limit=paging.fetch, offset=paging.offset
    )
    public = await service.present(session, waiting)
    first = paging.offset + 1
    entries = [WaitingEntryPublic(position=i, enrollment=e) for i, e in enumerate(public, start=first)]
    people = [e.person_id for e in public if e.person_id is not None]
    await record_read(session, PersonalDataRead, principal, "waiting list", subject_ids=people)
    return paging.page(WaitingEntryPage, entries)


@router.get(
    "/sessions/{session_id}/enrollment",
    summary="Get a session's enrollment state (coordinators)",
    responses={404: problems.SessionNotFound.openapi()},
)
async def get_enrollment_state(
    session: SessionDep, _: CoordinatorOnly, session_id: uuid.UUID
) -> EnrollmentStatePublic:
    """Seats confirmed and free, how far it is overbooked, how many wait, and whether it is paused, as
    the enrollment service decides them now."""
    return await pausing.state(session, session_id)


@router.post(
    "/sessions/{session_id}/enrollment/pause",
    summary="Pause enrollment in a session (coordinators)",
    responses={404: problems.SessionNotFound.openapi()},
)
async def pause_enrollment(
    session: SessionDep, principal: CoordinatorOnly, session_id: uuid.UUID, body: PauseRequest
) -> EnrollmentStatePublic:
    """New enrollment requests are refused (`409 enrollment-paused`) from the next one decided;
    cancellations and promotions from the waiting list go on. Pausing a paused session changes nothing."""
    return await pausing.pause(session, principal, session_id, body.reason)


@router.post(
    "/sessions/{session_id}/enrollment/resume",
    summary="Resume enrollment in a session (coordinators)",
    responses={404: problems.SessionNotFound.openapi()},
)
async def resume_enrollment(
    session: SessionDep, principal: CoordinatorOnly, session_id: uuid.UUID
) -> EnrollmentStatePublic:
    """Enrollment is open again (within the session's window). Resuming one not paused changes nothing."""
    return await pausing.resume(session, principal, session_id)


async def _roster(session: AsyncSession, session_id: uuid.UUID) -> list[RosterEntryPublic]:
    await service.queue_of_session(session, session_id)
    return [
        RosterEntryPublic(
            participation_id=p.id,
            enrollment_id=e.id,
            person_id=person.id,
            name=person.name,
            email=person.email,
            org_unit_id=person.org_unit_id,
            leader_group_id=e.leader_group_id,
            status=p.status,
            attendance=p.attendance,
            enrolled_at=p.created_at,
        )
        for p, person, e in await listings.roster(session, session_id)
    ]


@router.get(
    "/sessions/{session_id}/roster",
    summary="Get a session's roster (coordinators)",
    responses={404: problems.SessionNotFound.openapi()},
)
async def get_roster(
    session: SessionDep, principal: CoordinatorOnly, session_id: uuid.UUID, paging: Paging
) -> RosterEntryPage:
    """Everyone with a place: confirmed, then waiting, then cancelled; by name, with attendance (the
    whole roster at once: `roster.csv`). The read is recorded (docs/privacy.md)."""
    roster = await _roster(session, session_id)
    shown = paging.slice(RosterEntryPage, roster)
    await record_read(
        session, PersonalDataRead, principal, "roster", subject_ids=[r.person_id for r in shown.items]
    )
    return shown


@router.get(
    "/sessions/{session_id}/roster.csv",
    summary="Export a session's roster as CSV (coordinators)",
    response_class=Response,
    responses={200: CSV, 404: problems.SessionNotFound.openapi()},
)
async def export_roster(session: SessionDep, principal: CoordinatorOnly, session_id: uuid.UUID) -> Response:
    """The roster for a spreadsheet: UTF-8 with a byte-order mark so Excel reads æøå, `;`-separated as
    Norwegian Excel expects. The export is recorded (docs/privacy.md)."""
    roster = await _roster(session, session_id)
    await record_read(
        session, PersonalDataRead, principal, "roster export", subject_ids=[r.person_id for r in roster]
    )
    return csv_response(
        f"deltakerliste-{session_id}.csv",
        ["navn", "e-post", "status", "oppmøte", "person_id", "påmelding_id", "ledergruppe_id"],
        (
            [
                row.name,
                row.email,
                row.status.value,
                row.attendance.value if row.attendance else "",
                row.person_id,
                row.enrollment_id,
                row.leader_group_id,
            ]
            for row in roster
        ),
    )
