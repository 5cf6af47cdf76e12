"""HTTP endpoints of reports (coordinators): JSON, CSV and Excel, all with the same suppression."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from services.feedback.dependencies import SettingsDep
from services.feedback.reports import service
from services.feedback.reports.schemas import BeforeAfter, Report, Trend
from services.feedback.surveys.schemas import SurveyKind
from services.feedback.surveys.shipped import DIMENSIONS
from services.kernel.auth.tokens import CoordinatorOnly
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.problems import COMMON_RESPONSES, Forbidden
from services.kernel.schemas import IsoDate
from services.kernel.spreadsheets import CSV, XLSX, csv_response, xlsx_response

router = APIRouter(
    route_class=TransactionalRoute, tags=["reports"], responses={**COMMON_RESPONSES, 403: Forbidden.openapi()}
)

Dimension = Annotated[str, Query(pattern=r"^[a-z][a-z0-9-]{0,39}$", description="e.g. collaboration")]


def selection(
    survey_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    offering_id: uuid.UUID | None = None,
    leader_group_id: uuid.UUID | None = None,
    kind: SurveyKind | None = None,
    template_key: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9-]{0,39}$")] = None,
    org_unit_id: Annotated[uuid.UUID | None, Query(description="Responses counted for this unit.")] = None,
    sector: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Responses counted for this sector.")
    ] = None,
    closed_from: Annotated[
        IsoDate | None, Query(description="Surveys closed on or after this day (Oslo time).")
    ] = None,
    closed_until: Annotated[
        IsoDate | None, Query(description="Surveys closed on or before this day (Oslo time).")
    ] = None,
) -> service.Selection:
    return service.Selection(
        survey_id=survey_id,
        session_id=session_id,
        offering_id=offering_id,
        leader_group_id=leader_group_id,
        kind=kind.value if kind else None,
        template_key=template_key,
        org_unit_id=org_unit_id,
        sector=sector,
        closed_from=closed_from,
        closed_until=closed_until,
    )


SelectionDep = Annotated[service.Selection, Depends(selection)]


async def _report(session: SessionDep, settings: SettingsDep, chosen: service.Selection) -> Report:
    return service.report(await service.gather(session, chosen, settings.anonymity_threshold), chosen)


@router.get("/reports", summary="Get a report")
async def get_report(
    session: SessionDep, _: CoordinatorOnly, settings: SettingsDep, chosen: SelectionDep
) -> Report:
    """Results of closed surveys, narrowed by survey, session, offering, leader group, kind or template,
    and by the unit or sector responses count for: per question the number of answers, mean and
    distribution for scales, counts for choices, and comments; per dimension the mean.

    Under the threshold (`FEEDBACK_ANONYMITY_THRESHOLD`, default 5) only counts are shown, and `notices`
    say so. Responses count for a unit or sector only where enough of a survey's respondents came from
    it, so no two reports can be subtracted to single anyone out."""
    return await _report(session, settings, chosen)


HEADER = [
    "del",
    "nøkkel",
    "tekst",
    "type",
    "dimensjon",
    "svar",
    "n",
    "gjennomsnitt",
    "verdi",
    "antall",
    "kommentar",
]


def _rows(report: Report) -> Iterator[list[Any]]:
    yield [
        "utvalg",
        "",
        ", ".join(f"{k}={v}" for k, v in report.filters.items()) or "alle",
        "",
        "",
        report.responses,
        report.included,
        "",
        "",
        "",
        "",
    ]
    for notice in report.notices:
        yield ["merknad", "", notice, "", "", "", "", "", "", "", ""]
    for section in report.templates:
        for q in section.questions:
            yield ["spørsmål", q.key, q.text, q.type, q.dimension, q.answers, q.n, q.mean, "", "", ""]
            for value, count in (q.distribution or {}).items():
                yield ["fordeling", q.key, "", "", "", "", "", "", value, count, ""]
            for option in q.options or []:
                yield ["valg", q.key, option.label, "", "", "", "", "", option.key, option.count, ""]
            for comment in q.comments or []:
                yield ["kommentar", q.key, "", "", "", "", "", "", "", "", comment]
    for d in report.dimensions:
        yield [
            "dimensjon",
            d.dimension,
            DIMENSIONS.get(d.dimension, d.dimension),
            "",
            d.dimension,
            "",
            d.n,
            d.mean,
            "",
            "",
            "",
        ]


@router.get("/reports.csv", summary="Export a report as CSV", response_class=Response, responses={200: CSV})
async def export_report_csv(
    session: SessionDep, _: CoordinatorOnly, settings: SettingsDep, chosen: SelectionDep
) -> Response:
    """The same report as `GET /reports`, with the same suppression, as rows for a spreadsheet."""
    return csv_response("rapport.csv", HEADER, _rows(await _report(session, settings, chosen)))


@router.get(
    "/reports.xlsx",
    summary="Export a report as an Excel workbook",
    response_class=Response,
    responses={200: XLSX},
)
async def export_report_xlsx(
    session: SessionDep, _: CoordinatorOnly, settings: SettingsDep, chosen: SelectionDep
) -> Response:
    """The same report as `GET /reports`, with the same suppression, as an Excel workbook."""
    return xlsx_response("rapport.xlsx", "Rapport", HEADER, _rows(await _report(session, settings, chosen)))


@router.get(
    "/leader-groups/{leader_group_id}/before-after",
    summary="Compare a leader group's baseline and follow-up",
    responses={404: service.NoBaseline.openapi()},
)
async def get_before_after(
    session: SessionDep,
    _: CoordinatorOnly,
    settings: SettingsDep,
    leader_group_id: uuid.UUID,
    offering_id: Annotated[
        uuid.UUID | None, Query(description="Default: the group's latest baseline.")
    ] = None,
) -> BeforeAfter:
    """The group's self-evaluation before and after a programme, dimension by dimension: both means,
    both n and the change, each mean only when its survey has closed with at least the threshold."""
    return await service.before_after(session, leader_group_id, offering_id, settings.anonymity_threshold)


@router.get("/trends", summary="Follow a dimension over time")
async def get_trend(
    session: SessionDep,
    _: CoordinatorOnly,
    settings: SettingsDep,
    chosen: SelectionDep,
    dimension: Dimension = "collaboration",
) -> Trend:
    """A dimension's mean (default: collaboration across agencies) per offering and month of closing,
    across every selected survey that reached the threshold."""
    return await service.trend(session, dimension, chosen, settings.anonymity_threshold)
