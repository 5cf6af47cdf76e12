"""Access requests at the gateway: one document with everything every service holds about a person.

The services do not call each other, so the gathering happens here: the enrolment service (which keeps
the directory) finds the person and answers its part, then the catalogue and the feedback service answer
theirs for the same person, each checking the caller's token itself (the person, or a privacy officer)
and recording the read. Any service that cannot answer fails the whole request: an access request is
answered completely or not at all.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from yarl import URL

from gateway.upstream import Timeouts, UpstreamFailure, chunks
from services.kernel import clock
from services.kernel.auth.tokens import Role
from services.kernel.privacy import NotTheSubject, SubjectData, SubjectNotFound
from services.kernel.problems import COMMON_RESPONSES, Problem, ServiceUnavailable
from services.kernel.requestid import current_request_id

router = APIRouter(tags=["privacy"])
ACCESS_METHODS = ("GET", "OPTIONS")


class MethodNotAllowed(Problem):
    status = 405
    slug = "method-not-allowed"
    title = "Method not allowed"


TIMEOUTS = Timeouts(connect=5.0, read=30.0, write=5.0, pool=5.0)
# The directory's keeper first: it finds the person the others are asked about.
FIRST = "enrollment"


class AccessDocument(BaseModel):
    """Everything the services hold about one person, as one machine-readable document."""

    subject: dict[str, str | None] = Field(description="Who it is about, as the directory knows them.")
    generated_at: datetime
    services: dict[str, SubjectData] = Field(description="Each service's part, by service name.")


class ServicePart(Exception):
    """A service's answer that was not its part of the document."""

    def __init__(self, response: Response) -> None:
        self.response = response


async def _part(request: Request, service: str, url: str, params: dict[str, str]) -> dict[str, Any]:
    headers = [
        ("authorization", request.headers.get("authorization", "")),
        ("accept", "application/json"),
        ("x-request-id", current_request_id() or ""),
    ]
    target = URL(f"{url}/privacy/subject?{urlencode(params)}", encoded=True)
    try:
        answer = await request.app.state.upstreams.send(
            "GET", target, headers, None, TIMEOUTS, upstream=service
        )
        try:
            body = b"".join([chunk async for chunk in chunks(answer)])
        finally:
            answer.release()
    except UpstreamFailure as exc:
        raise ServiceUnavailable(
            f"The {service} service could not answer; nothing was gathered. Try again shortly."
        ) from exc
    if answer.status != 200:
        # The service's own refusal (not the subject, no such person), passed on as it said it.
        raise ServicePart(
            Response(body, status_code=answer.status, media_type=answer.headers.get("content-type"))
        )
    part: dict[str, Any] = json.loads(body)
    return part


@router.get(
    "/privacy/access",
    summary="Everything every service holds about a person (access request)",
    response_model=AccessDocument,
    operation_id="gateway_privacy_access",
    openapi_extra={"x-required-roles": [], "security": [{"bearerAuth": []}]},
    responses={
        **COMMON_RESPONSES,
        403: NotTheSubject.openapi(),
        404: SubjectNotFound.openapi(),
        503: ServiceUnavailable.openapi(),
    },
)
async def privacy_access(
    request: Request,
    oid: Annotated[
        str | None, Query(max_length=64, description="Privacy officers: the person's oid.")
    ] = None,
    person_id: Annotated[uuid.UUID | None, Query(description="Privacy officers: the directory id.")] = None,
    email: Annotated[str | None, Query(max_length=254, description="Privacy officers: the e-mail.")] = None,
) -> Response:
    """GDPR art. 15: one document with what the catalogue, enrolment and feedback services hold about
    a person, gathered from all three. Without parameters, about the caller; a privacy officer names
    anyone by `oid`, `person_id` or `email`. Every service records the read."""
    await request.app.state.signed_in(request)
    officer = request.state.principal.has_role(Role.privacy_officer)
    named = {
        k: str(v) for k, v in (("oid", oid), ("person_id", person_id), ("email", email)) if v is not None
    }
    urls: dict[str, str] = request.app.state.settings.upstreams()
    try:
        first = await _part(request, FIRST, urls[FIRST], named)
        subject: dict[str, str | None] = first["subject"]
        # The others find the same person: by oid, and by directory id where the caller may name one.
        same = {"oid": subject.get("oid")}
        if officer:
            same["person_id"] = subject.get("person_id")
        params = {k: v for k, v in same.items() if v}
        others = [name for name in urls if name != FIRST]
        parts = await asyncio.gather(*(_part(request, name, urls[name], params) for name in others))
    except ServicePart as refused:
        return refused.response
    document = AccessDocument(
        subject=subject,
        generated_at=clock.now(),
        services={FIRST: first, **dict(zip(others, parts, strict=True))},
    )
    return JSONResponse(
        document.model_dump(mode="json"),
        headers={"Cache-Control": "no-store", "Content-Disposition": 'inline; filename="innsyn.json"'},
    )


@router.api_route(
    "/privacy/access", methods=["HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], include_in_schema=False
)
async def privacy_access_other_methods(request: Request) -> Response:
    """Any other method on the gateway's own path: `Allow` to OPTIONS, 405 otherwise (not a search for
    a service named "privacy")."""
    allow = {"Allow": ", ".join(ACCESS_METHODS)}
    if request.method == "OPTIONS":
        return Response(status_code=204, headers=allow)
    raise MethodNotAllowed(f"{request.url.path} takes {', '.join(ACCESS_METHODS)}.", headers=allow)
