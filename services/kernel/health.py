"""Liveness (`/healthz`) and readiness (`/readyz`: database, migrations at head, consumers running)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from services.kernel.database import TransactionalRoute
from services.kernel.migrations import at_head
from services.kernel.problems import ProblemDetails, ProblemResponse, problem_response, problem_type

router = APIRouter(route_class=TransactionalRoute, tags=["health"])


class Liveness(BaseModel):
    status: str = "ok"


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


@router.get("/healthz", summary="Liveness", response_model=Liveness)
async def healthz() -> Liveness:
    """The process is up and serving requests."""
    return Liveness()


async def _check_database(request: Request) -> str:
    async with request.app.state.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return "ok"


async def _check_migrations(request: Request) -> str:
    ok = await at_head(request.app.state.engine, *request.app.state.migration_sets)
    return "ok" if ok else "behind"


def _check_consumers(request: Request) -> str:
    runtime = request.app.state.eventbus
    return "ok" if runtime.healthy else "stopped"


@router.get(
    "/readyz",
    summary="Readiness",
    response_model=Readiness,
    responses={503: {"model": ProblemDetails, "description": "Not ready; `checks` says why."}},
)
async def readyz(request: Request) -> JSONResponse:
    """Ready for traffic: database reachable, migrations at head, event consumers running."""
    checks: dict[str, str] = {}
    try:
        checks["database"] = await asyncio.wait_for(_check_database(request), timeout=3)
        checks["migrations"] = await asyncio.wait_for(_check_migrations(request), timeout=3)
    except Exception as exc:  # any failure to reach the database means not ready
        checks.setdefault("database", f"unreachable: {type(exc).__name__}")
    checks["consumers"] = _check_consumers(request)
    if all(value == "ok" for value in checks.values()):
        return JSONResponse(Readiness(status="ready", checks=checks).model_dump())
    response: ProblemResponse = problem_response(
        503,
        type_=problem_type("not-ready"),
        title="Not ready",
        detail=", ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok"),
        extra={"checks": checks},
    )
    return response
