"""HTTP endpoints for the programme's insight (coordinators): coverage as JSON, CSV and Excel."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.insight import collaboration as collaboration_service
from services.enrollment.insight import service
from services.enrollment.insight.picture import render_svg
from services.enrollment.insight.schemas import (
    MEETING_KINDS,
    CollaborationReport,
    CoverageReport,
    KindsQuery,
    Period,
    PeriodQuery,
    SectorQuery,
)
from services.enrollment.privacy.models import PersonalDataRead
from services.kernel import clock
from services.kernel.auth.tokens import CoordinatorOnly, Principal
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.privacy import record_read
from services.kernel.problems import COMMON_RESPONSES, Forbidden
from services.kernel.schemas import OSLO
from services.kernel.spreadsheets import CSV, XLSX, csv_response, workbook_response

router = APIRouter(
    route_class=TransactionalRoute,
    tags=["insight"],
    responses={**COMMON_RESPONSES, 403: Forbidden.openapi()},
)
COVERAGE_HEADER = [
    "periode",
    "ledergruppe",
    "virksomhet",
    "sektor",
    "toppleder",
    "tilbudstype",
    "gruppe påmeldt",
    "gruppe deltatt",
    "gruppe fullført",
    "toppleder påmeldt",
    "toppleder deltatt",
    "toppleder fullført",
]
PROGRAMME_HEADER = ["ledergruppe", "program", "samlinger deltatt", "samlinger i alt"]
TREND_HEADER = ["år", "ledergrupper nådd", "toppledere nådd", "tilbudstype", "ledergrupper"]


def _period(name: str | None) -> Period:
    return Period.parse(name or str(clock.now().astimezone(OSLO).year))


def _yes(value: bool) -> str:
    return "ja" if value else "nei"


def _coverage_rows(report: CoverageReport) -> Iterator[list[Any]]:
    """One row per group and kind it reached; a group that reached nothing has one row with no kind."""
    for g in report.groups:
        leader = {r.kind: r for r in (g.leader.kinds if g.leader else [])}
        kinds = sorted({*(r.kind for r in g.kinds), *leader}) or [""]
        reached = {r.kind: r for r in g.kinds}
        for kind in kinds:
            group_reach, leader_reach = reached.get(kind), leader.get(kind)
            yield [
                report.period.name,
                g.name,
                g.org_unit,
                g.sector,
                g.leader.name if g.leader else None,
                kind,
                *(_yes(bool(group_reach and getattr(group_reach, level))) for level in service.LEVELS),
                *(_yes(bool(leader_reach and getattr(leader_reach, level))) for level in service.LEVELS),
            ]


@router.get("/insight/coverage", summary="Coverage of the top-leader groups")
async def coverage(
    session: SessionDep, principal: CoordinatorOnly, period: PeriodQuery = None, sector: SectorQuery = None
) -> CoverageReport:
    """Which top-leader groups and top leaders took part in which kinds of offering in the period
    (enrolled, attended, completed), which did not, how far each group is through a programme taken as
    a group, and the trend over the years up to the period. The read is recorded (docs/privacy.md)."""
    return await _coverage(session, principal, period, sector, "coverage")


async def _coverage(
    session: AsyncSession, principal: Principal, period: str | None, sector: str | None, purpose: str
) -> CoverageReport:
    """The report, with the bulk read of the people it covers recorded in the same transaction."""
    report = await service.coverage(session, _period(period), sector)
    await record_read(session, PersonalDataRead, principal, purpose, subject_ids=service.people_in(report))
    return report


@router.get("/insight/coverage.csv", summary="Coverage as CSV", response_class=Response, responses={200: CSV})
async def coverage_csv(
    session: SessionDep, principal: CoordinatorOnly, period: PeriodQuery = None, sector: SectorQuery = None
) -> Response:
    """The coverage as rows for a spreadsheet: one per group and kind of offering it reached (a group
    that reached nothing: one row without a kind)."""
    report = await _coverage(session, principal, period, sector, "coverage export")
    return csv_response(f"dekning-{report.period.name}.csv", COVERAGE_HEADER, _coverage_rows(report))


@router.get(
    "/insight/coverage.xlsx",
    summary="Coverage as an Excel workbook",
    response_class=Response,
    responses={200: XLSX},
)
async def coverage_xlsx(
    session: SessionDep, principal: CoordinatorOnly, period: PeriodQuery = None, sector: SectorQuery = None
) -> Response:
    """The coverage as a workbook: the groups (as the CSV), programme progress, and the trend by year."""
    report = await _coverage(session, principal, period, sector, "coverage export")
    programmes = [
        [p.group, p.offering_title, p.sessions_attended, p.sessions_total] for p in report.programmes
    ]
    trend = [
        [t.year, t.groups_reached, t.leaders_reached, kind, count]
        for t in report.trend
        for kind, count in (t.groups_by_kind.items() or [("", 0)])
    ]
    return workbook_response(
        f"dekning-{report.period.name}.xlsx",
        [
            ("Dekning", COVERAGE_HEADER, _coverage_rows(report)),
            ("Program", PROGRAMME_HEADER, programmes),
            ("Utvikling", TREND_HEADER, trend),
        ],
    )


PAIR_HEADER = [
    "virksomhet A",
    "sektor A",
    "virksomhet B",
    "sektor B",
    "på tvers av sektorer",
    "ganger",
    "første gang",
    "siste gang",
]
SVG = {
    "content": {"image/svg+xml": {"schema": {"type": "string"}}},
    "description": "An SVG picture",
}


async def _collaboration(session: AsyncSession, period: str | None, kind: list[str]) -> CollaborationReport:
    return await collaboration_service.collaboration(
        session, Period.parse(period) if period else None, sorted(set(kind)) or MEETING_KINDS
    )


@router.get("/insight/collaboration", summary="Collaboration across agencies")
async def collaboration(
    session: SessionDep,
    _: CoordinatorOnly,
    period: PeriodQuery = None,
    kind: KindsQuery = [],  # noqa: B006
) -> CollaborationReport:
    """Which pairs of agencies (and sectors) have had leaders in the same reflection group or session,
    how often, when first and last; how many new pairs each term added; and the agencies that have met
    nobody outside their sector. Without `period`: every occasion so far."""
    return await _collaboration(session, period, kind)


@router.get(
    "/insight/collaboration.csv",
    summary="Collaboration across agencies as CSV",
    response_class=Response,
    responses={200: CSV},
)
async def collaboration_csv(
    session: SessionDep,
    _: CoordinatorOnly,
    period: PeriodQuery = None,
    kind: KindsQuery = [],  # noqa: B006
) -> Response:
    """The pairs of agencies whose leaders met, one row each, most occasions first."""
    report = await _collaboration(session, period, kind)
    rows = [
        [
            p.a.name,
            p.a.sector,
            p.b.name,
            p.b.sector,
            _yes(p.cross_sector),
            p.occasions,
            p.first_met.astimezone(OSLO).date().isoformat(),
            p.last_met.astimezone(OSLO).date().isoformat(),
        ]
        for p in report.pairs
    ]
    return csv_response(f"samarbeid{'-' + period if period else ''}.csv", PAIR_HEADER, rows)


@router.get(
    "/insight/collaboration.svg",
    summary="Collaboration across agencies as a picture",
    response_class=Response,
    responses={200: SVG},
)
async def collaboration_svg(
    session: SessionDep,
    _: CoordinatorOnly,
    period: PeriodQuery = None,
    kind: KindsQuery = [],  # noqa: B006
) -> Response:
    """The agencies around a circle by sector, with a chord between each pair whose leaders met (thicker
    the more often; dark across sectors, pale within one)."""
    report = await _collaboration(session, period, kind)
    title = "Samarbeid på tvers av virksomheter" + (f", {period}" if period else "")
    # Drawing takes a while and is plain CPU work: off the event loop.
    body = await run_in_threadpool(render_svg, report, title)
    return Response(
        body,
        media_type="image/svg+xml",
        # Served as a document a browser could open: nothing in it may run or load.
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )
