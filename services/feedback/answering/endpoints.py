"""HTTP endpoints of answering: your invitations and credentials (signed in), and ballots (not). The
intranet's flow, step by step, is `FLOW`, part of the API description of these operations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.routing import APIRoute

from services.feedback.answering import problems, service
from services.feedback.answering.schemas import (
    BallotCreate,
    BallotReceipt,
    CredentialsIssued,
    CredentialsRequest,
    InvitationPage,
    InvitationPublic,
)
from services.feedback.dependencies import SettingsDep
from services.feedback.surveys.problems import BallotKeyMismatch, SurveyNotFound, SurveyNotOpen
from services.kernel.auth.tokens import CurrentPrincipal
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.languages import ReaderLanguage
from services.kernel.paging import Paging
from services.kernel.problems import COMMON_RESPONSES, IdentityNotAllowed, refuse_identity, responses_for
from services.kernel.unlinkable import UNLINKABLE

FLOW = """
**Answering anonymously, step by step** (RFC 9474, RSABSSA-SHA384-PSS-Randomized; the
`@cloudflare/blindrsa-ts` package implements the browser's half):

1. `GET /invitations/mine` (signed in): each open invitation has the survey's `public_key`
   (SubjectPublicKeyInfo, base64url) and your `org_unit_id`. Import the key with WebCrypto:
   `crypto.subtle.importKey("spki", key, {name: "RSA-PSS", hash: "SHA-384"}, true, ["verify"])`.
2. At once, not when you answer: for each open invitation without a credential,
   `token = suite.prepare(crypto.getRandomValues(new Uint8Array(32)))` and
   `{blindedMsg, inv} = await suite.blind(publicKey, token)`, with
   `suite = RSABSSA.SHA384.PSS.Randomized()`. Keep `token` and `inv` in the browser. Send every
   `blindedMsg` in one `POST /credentials` (signed in).
3. For each credential returned: `signature = await suite.finalize(publicKey, token, blind_signature,
   inv)`. Keep `token` and `signature`; forget `inv`.
4. When the person answers: `POST /surveys/{survey_id}/ballots` with `token`, `signature`, the answers
   and the invitation's `org_unit_id`, **without** `Authorization` or cookies (a sign-in is refused:
   `identity-not-allowed`). Then forget the token. A second ballot with it is `already-answered`.

The service never sees a token before it is spent, so no one, not even the holder of every key, can
tell which credential became which ballot. It does not know whether you answered: your browser does.
"""

router = APIRouter(route_class=TransactionalRoute, tags=["answering"], responses=COMMON_RESPONSES)
# Taken without sign-in: no 401 to declare.
anonymous_router = APIRouter(
    route_class=TransactionalRoute,
    tags=["answering"],
    responses={status: answer for status, answer in COMMON_RESPONSES.items() if status != 401},
)


@router.get("/invitations/mine", summary="List my invitations")
async def list_my_invitations(
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    language: ReaderLanguage,
    paging: Paging,
    include_closed: Annotated[bool, Query(description="Also those of closed surveys.")] = False,
) -> InvitationPage:
    """Your invitations to surveys that take answers now (with `include_closed`, all of them), with their
    questions and each survey's public key, soonest closing first. Whether you answered is not known
    here: your client keeps that."""
    found = await service.invitations(
        session,
        settings,
        principal,
        open_only=not include_closed,
        limit=paging.fetch,
        offset=paging.offset,
        language=language,
    )
    return paging.page(InvitationPage, found)


@router.get(
    "/surveys/{survey_id}/invitation",
    summary="Get my invitation to a survey",
    responses=responses_for(problems.InvitationNotFound),
)
async def get_my_invitation(
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    language: ReaderLanguage,
    survey_id: uuid.UUID,
) -> InvitationPublic:
    """Your invitation to this survey with its questions and public key (404 if you have none)."""
    found = await service.invitations(
        session,
        settings,
        principal,
        open_only=False,
        limit=1,
        offset=0,
        survey_id=survey_id,
        language=language,
    )
    if not found:
        raise problems.InvitationNotFound(f"You have no invitation to survey {survey_id}.")
    return found[0]


@router.post(
    "/credentials",
    summary="Get credentials to answer surveys",
    responses=responses_for(
        problems.InvitationNotFound,
        problems.CredentialAlreadyIssued,
        SurveyNotOpen,
        problems.InvalidBlindedMessage,
        BallotKeyMismatch,
    ),
)
async def issue_credentials(
    session: SessionDep, principal: CurrentPrincipal, settings: SettingsDep, body: CredentialsRequest
) -> CredentialsIssued:
    """Blind signatures for your blinded tokens, one per invitation (all or nothing). The service never
    sees the tokens, so the ballots you send with them cannot be traced to you, not even by someone
    holding every key. Repeating a request exactly returns the same signatures; another token for an
    invitation that has a credential is refused (`credential-already-issued`)."""
    credentials = await service.issue_credentials(session, settings, principal, body.requests)
    return CredentialsIssued(credentials=credentials)


@anonymous_router.post(
    "/surveys/{survey_id}/ballots",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Answer a survey (without signing in)",
    responses=responses_for(
        IdentityNotAllowed,
        problems.InvalidCredential,
        SurveyNotFound,
        problems.AlreadyAnswered,
        SurveyNotOpen,
        problems.InvalidAnswers,
        problems.UnknownOrgUnit,
    ),
    openapi_extra=UNLINKABLE,
)
async def cast_ballot(
    session: SessionDep,
    settings: SettingsDep,
    survey_id: uuid.UUID,
    body: BallotCreate,
    request: Request,
) -> BallotReceipt:
    """Send your answers with a credential's token and signature, and nothing else: no sign-in, no
    invitation id. The answers are sealed until the survey closes and released only if at least the
    anonymity threshold answered. This request is not logged, traced or counted in any metric."""
    refuse_identity(request.headers)
    survey = await service.cast_ballot(session, settings, survey_id, body)
    return BallotReceipt(survey_id=survey.id, results_after=survey.open_until)


# Every answering operation carries the whole flow in its description (Swagger UI, generated clients).
for _route in (*router.routes, *anonymous_router.routes):
    if isinstance(_route, APIRoute):
        _route.description = f"{_route.description}\n{FLOW}"
