"""HTTP endpoints for enrollments, waiting lists and rosters."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status
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
    MoveRequest,
    MyEnrollmentPage,
    MyEnrollmentPublic,
    PromoteRequest,
    ScheduledSessionPublic,
)
from services.enrollment.idempotency import service as idempotency
from services.kernel.auth.tokens import CoordinatorOnly, CurrentPrincipal, Principal, Role
from services.kernel.database import ReadsDep, SessionDep, TransactionalRoute
from services.kernel.languages import ReaderLanguage
from services.kernel.paging import Paging
from services.kernel.problems import COMMON_RESPONSES, Forbidden, TransactionConflict, responses_for

router = APIRouter(route_class=TransactionalRoute, tags=["enrollments"], responses=COMMON_RESPONSES)


async def _present_for(
    session: AsyncSession, principal: Principal, enrollment: Enrollment
) -> EnrollmentPublic:
    """A coordinator or the group's top leader sees every member; a member sees their own place."""
    only: uuid.UUID | None = None
    if not principal.has_role(Role.coordinator):
        me = await person_for(session, principal)
        if not await service.leads(session, enrollment, me):
            only = me.id
    [public] = await service.present(session, [enrollment], only_person=only)
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
            asks.OnRequest,
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
    language: ReaderLanguage,
    paging: Paging,
) -> MyEnrollmentPage:
    """The signed-in person's enrollments (own and through their group), newest first, with
    waiting-list positions and cancelled ones as history; each with its offering's title (in the
    language asked for, where written) and its sessions' times, venue, room and meeting link."""
    me = await person_for(session, principal)
    rows = await listings.for_person(session, me.id, limit=paging.fetch, offset=paging.offset)
    shown = await service.present(session, rows, only_person=me.id)
    held = {
        e.id: {p.session_id for p in e.participants} | ({e.session_id} if e.session_id else set())
        for e in shown
    }
    sessions = await listings.sessions_of(session, [s for ids in held.values() for s in ids])
    titles = await listings.offering_titles(session, [e.offering_id for e in shown], language)
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
    return paging.page(EnrollmentPage, await service.present(session, rows))


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
    [public] = await service.present(session, [enrollment])
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
    [public] = await service.present(session, [enrollment])
    return public
