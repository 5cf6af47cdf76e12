"""HTTP endpoints for enrollments, waiting lists and rosters."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.directory.service import (
    LeaderGroupNotFound,
    NotInDirectory,
    PersonNotFound,
    person_for,
    readable_group,
)
from services.enrollment.enrollments import (
    asks,
    cancellation,
    listings,
    pausing,
    problems,
    repository,
    rules,
    service,
    waitinglist,
)
from services.enrollment.enrollments.admission import AdmissionsDep
from services.enrollment.enrollments.models import Enrollment
from services.enrollment.enrollments.schemas import (
    AuditEntryPage,
    AuditEntryPublic,
    CancelRequest,
    EnrollmentCreate,
    EnrollmentPage,
    EnrollmentPublic,
    EnrollmentStatePublic,
    MoveRequest,
    MyEnrollmentPage,
    MyEnrollmentPublic,
    PauseRequest,
    PromoteRequest,
    RosterEntryPage,
    RosterEntryPublic,
    ScheduledSessionPublic,
    WaitingEntryPage,
    WaitingEntryPublic,
    to_public,
)
from services.enrollment.idempotency import service as idempotency
from services.kernel.auth.tokens import CoordinatorOnly, CurrentPrincipal, Principal, Role
from services.kernel.database import ReadsDep, SessionDep, TransactionalRoute
from services.kernel.paging import Paging
from services.kernel.problems import COMMON_RESPONSES, Forbidden, TransactionConflict, responses_for
from services.kernel.spreadsheets import CSV, csv_response

router = APIRouter(route_class=TransactionalRoute, tags=["enrollments"], responses=COMMON_RESPONSES)


async def present(
    session: AsyncSession, enrollments: Sequence[Enrollment], *, only_person: uuid.UUID | None = None
) -> list[EnrollmentPublic]:
    """Enrollments with their places and waiting-list positions; `only_person` hides the other members."""
    parts = await repository.participations(session, [e.id for e in enrollments])
    places = await repository.positions(session, enrollments)
    return [
        to_public(
            e,
            [
                p
                for p in parts
                if p.enrollment_id == e.id and (only_person is None or p.person_id == only_person)
            ],
            places.get(e.id),
        )
        for e in enrollments
    ]


async def _present_for(
    session: AsyncSession, principal: Principal, enrollment: Enrollment
) -> EnrollmentPublic:
    """A coordinator or the group's top leader sees every member; a member sees their own place."""
    only: uuid.UUID | None = None
    if not principal.has_role(Role.coordinator):
        me = await person_for(session, principal)
        if not await service.leads(session, enrollment, me):
            only = me.id
    [public] = await present(session, [enrollment], only_person=only)
    return public


@router.post(
    "/enrollments",
    summary="Enroll a person or a leader group in a session or programme",
    status_code=status.HTTP_201_CREATED,
    responses={
        **responses_for(
            rules.AudienceRefused,
            Forbidden,
            NotInDirectory,
            problems.SessionNotFound,
            asks.SessionNotYetKnown,
            problems.OfferingNotFound,
            LeaderGroupNotFound,
            PersonNotFound,
            problems.AlreadyEnrolled,
            problems.NotOpen,
            problems.EnrollmentWindowClosed,
            problems.SessionStarted,
            problems.ProgrammeTakenWhole,
            problems.NoMembers,
            pausing.EnrollmentPaused,
            idempotency.KeyInUse,
            TransactionConflict,
        ),
        422: idempotency.KeyReused.openapi(),
    },
)
async def create_enrollment(
    request: Request,
    reads: ReadsDep,
    principal: CurrentPrincipal,
    body: EnrollmentCreate,
    admissions: AdmissionsDep,
    idempotency_key: idempotency.IdempotencyKeyHeader = None,
) -> EnrollmentPublic:
    """Enroll yourself; your whole top-leader group (`leader_group_id`) if you are its top leader; or,
    as a coordinator, anyone. `session_id` names a session; `offering_id` a programme taken whole.

    With seats free the enrollment is `confirmed`; otherwise it joins the waiting list (`waitlisted`,
    with its position). A group takes a seat per member (one slot where the offering is booked per
    group) and is confirmed whole or waits whole. A refusal by an audience rule names the rule.

    Send an `Idempotency-Key` to make retries safe: a repeat with the same key and body answers with
    the first result (header `Idempotent-Replayed: true`)."""
    claim: idempotency.Claim | None = None
    if idempotency_key is not None:
        outcome = await idempotency.claim(
            idempotency.sessionmaker_of(request),
            await request.app.state.presence.holder(),
            principal.oid,
            "POST /enrollments",
            idempotency_key,
            body.model_dump(mode="json"),
        )
        if isinstance(outcome, JSONResponse):
            return outcome  # type: ignore[return-value]  # a replay answers with the stored response
        claim = outcome
    try:
        # Read without a transaction (`asks`): no connection is held while the request waits its turn.
        ask = await asks.prepare(reads, principal, body)
        # Decided and committed with the other requests for the same sessions (`admission`); built from
        # what was written, so whoever made it sees every place and nothing is read again.
        return await admissions.admit(ask, claim)
    except BaseException:
        if claim is not None:
            await idempotency.release(idempotency.sessionmaker_of(request), claim)
        raise


@router.get("/enrollments/mine", summary="List my enrollments", responses={403: NotInDirectory.openapi()})
async def list_my_enrollments(
    session: SessionDep,
    principal: CurrentPrincipal,
    paging: Paging,
) -> MyEnrollmentPage:
    """The signed-in person's enrollments (own and through their group), newest first, with
    waiting-list positions and cancelled ones as history; each with its offering's title and its
    sessions' times, venue, room and meeting link."""
    me = await person_for(session, principal)
    rows = await listings.for_person(session, me.id, limit=paging.fetch, offset=paging.offset)
    shown = await present(session, rows, only_person=me.id)
    held = {
        e.id: {p.session_id for p in e.participants} | ({e.session_id} if e.session_id else set())
        for e in shown
    }
    sessions = await listings.sessions_of(session, [s for ids in held.values() for s in ids])
    titles = await listings.offering_titles(session, [e.offering_id for e in shown])
    return paging.page(
        MyEnrollmentPage,
        [
            MyEnrollmentPublic(
                **e.model_dump(),
                offering_title=titles.get(e.offering_id, ""),
                sessions=sorted(
                    (ScheduledSessionPublic.model_validate(sessions[s]) for s in held[e.id] if s in sessions),
                    key=lambda scheduled: scheduled.starts_at,
                ),
            )
            for e in shown
        ],
    )


@router.get(
    "/leader-groups/{group_id}/enrollments",
    summary="List a leader group's enrollments",
    responses={404: LeaderGroupNotFound.openapi()},
)
async def list_group_enrollments(
    session: SessionDep,
    principal: CurrentPrincipal,
    group_id: uuid.UUID,
    paging: Paging,
) -> EnrollmentPage:
    """The group's enrollments with every member's place: for its top leader and coordinators."""
    group = await readable_group(session, principal, group_id)
    rows = await listings.for_group(session, group.id, limit=paging.fetch, offset=paging.offset)
    return paging.page(EnrollmentPage, await present(session, rows))


@router.get(
    "/enrollments/{enrollment_id}",
    summary="Get an enrollment",
    responses=responses_for(problems.EnrollmentNotFound, NotInDirectory),
)
async def get_enrollment(
    session: SessionDep, principal: CurrentPrincipal, enrollment_id: uuid.UUID
) -> EnrollmentPublic:
    """Your own, your group's as its top leader, or any as a coordinator."""
    return await _present_for(session, principal, await service.visible(session, principal, enrollment_id))


@router.get(
    "/enrollments/{enrollment_id}/history",
    summary="Get an enrollment's history",
    responses=responses_for(problems.EnrollmentNotFound, NotInDirectory),
)
async def get_enrollment_history(
    session: SessionDep, principal: CurrentPrincipal, enrollment_id: uuid.UUID, paging: Paging
) -> AuditEntryPage:
    """Every change, oldest first: who (`system` for automatic promotions), when, what and why."""
    enrollment = await service.visible(session, principal, enrollment_id)
    entries = [AuditEntryPublic.model_validate(a) for a in await listings.audit_of(session, enrollment.id)]
    return paging.slice(AuditEntryPage, entries)


@router.post(
    "/enrollments/{enrollment_id}/cancel",
    summary="Cancel an enrollment or one person's place in it",
    responses=responses_for(
        problems.ReasonRequired,
        Forbidden,
        NotInDirectory,
        problems.EnrollmentNotFound,
        problems.OfferingNotFound,
        PersonNotFound,
        problems.DeadlinePassed,
        problems.NotCancellable,
        problems.SessionStarted,
    ),
)
async def cancel_enrollment(
    session: SessionDep, principal: CurrentPrincipal, enrollment_id: uuid.UUID, body: CancelRequest
) -> EnrollmentPublic:
    """Participants cancel until the cancellation deadline and leave a waiting list until the start;
    a group member cancels their own place, the top leader the group's (or one member's, `person_id`);
    coordinators cancel or remove anything at any time, with a reason. Freed seats go to the waiting
    list at once."""
    enrollment = await cancellation.cancel(
        session, principal, enrollment_id, person_id=body.person_id, reason=body.reason
    )
    return await _present_for(session, principal, enrollment)


@router.post(
    "/enrollments/{enrollment_id}/promote",
    summary="Promote a waiting enrollment (coordinators)",
    responses=responses_for(problems.EnrollmentNotFound, problems.OfferingNotFound, problems.NotWaiting),
)
async def promote_enrollment(
    session: SessionDep, principal: CoordinatorOnly, enrollment_id: uuid.UUID, body: PromoteRequest
) -> EnrollmentPublic:
    """Confirm it now, over capacity if need be; recorded with who, when and why."""
    enrollment = await waitinglist.promote_by_hand(session, principal, enrollment_id, body.reason)
    [public] = await present(session, [enrollment])
    return public


@router.post(
    "/enrollments/{enrollment_id}/move",
    summary="Move a waiting enrollment on its list (coordinators)",
    responses=responses_for(problems.EnrollmentNotFound, problems.OfferingNotFound, problems.NotWaiting),
)
async def move_enrollment(
    session: SessionDep, principal: CoordinatorOnly, enrollment_id: uuid.UUID, body: MoveRequest
) -> EnrollmentPublic:
    """Put it at `position` (1 = next in line); recorded with who, when and why."""
    enrollment = await waitinglist.move(session, principal, enrollment_id, body.position, body.reason)
    [public] = await present(session, [enrollment])
    return public


async def _known_session(session: AsyncSession, session_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID | None]:
    course = await repository.get_session(session, session_id)
    if course is None:
        raise problems.SessionNotFound(f"No session {session_id}.")
    offering = await repository.get_offering(session, course.offering_id)
    return course.offering_id, (None if offering is not None and offering.is_programme else course.id)


@router.get(
    "/sessions/{session_id}/waiting-list",
    summary="Get a session's waiting list (coordinators)",
    responses={404: problems.SessionNotFound.openapi()},
)
async def get_waiting_list(
    session: SessionDep,
    _: CoordinatorOnly,
    session_id: uuid.UUID,
    paging: Paging,
) -> WaitingEntryPage:
    """First in line first, a page at a time, each with its place in line; for a session of a
    programme, the programme's list."""
    offering_id, queue_session = await _known_session(session, session_id)
    waiting = await repository.waiting(
        session, offering_id, queue_session, limit=paging.fetch, offset=paging.offset
    )
    public = await present(session, waiting)
    first = paging.offset + 1
    entries = [WaitingEntryPublic(position=i, enrollment=e) for i, e in enumerate(public, start=first)]
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
    await _known_session(session, session_id)
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
    session: SessionDep, _: CoordinatorOnly, session_id: uuid.UUID, paging: Paging
) -> RosterEntryPage:
    """Everyone with a place: confirmed, then waiting, then cancelled; by name, with attendance (the
    whole roster at once: `roster.csv`)."""
    return paging.slice(RosterEntryPage, await _roster(session, session_id))


@router.get(
    "/sessions/{session_id}/roster.csv",
    summary="Export a session's roster as CSV (coordinators)",
    response_class=Response,
    responses={200: CSV, 404: problems.SessionNotFound.openapi()},
)
async def export_roster(session: SessionDep, _: CoordinatorOnly, session_id: uuid.UUID) -> Response:
    """The roster for a spreadsheet: UTF-8 with a byte-order mark so Excel reads æøå, `;`-separated as
    Norwegian Excel expects."""
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
            for row in await _roster(session, session_id)
        ),
    )
