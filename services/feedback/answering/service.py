"""Answering without being linked to the answer, in two requests that share nothing.

1. **Credentials** (signed in): for each open invitation the client sends a blinded token; the service
   marks the invitation's credential issued and returns the blind signature. It never sees the token.
2. **Ballot** (no sign-in, no invitation in the path): the client sends the token, the unblinded
   signature and the answers. The service checks the signature with the survey's public key, spends the
   token (its hash is unique per survey) and stores the answers sealed, in a transaction that touches no
   person and no invitation.

What the service then knows: who holds a credential, and which ballots were cast, with no way to join
them, even for someone holding every key (`blindrsa.py`). The unit a ballot names is the respondent's
own claim, kept only as far as enough credential holders share it (`_origin`).
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.answering import keys, problems, repository
from services.feedback.answering.blindrsa import BlindSignError, load_public, verify
from services.feedback.answering.schemas import (
    BallotCreate,
    Credential,
    CredentialRequest,
    InvitationPublic,
)
from services.feedback.settings import FeedbackSettings
from services.feedback.surveys import repository as surveys_repository
from services.feedback.surveys import sealing
from services.feedback.surveys.models import Invitation, Survey, SurveyStatus
from services.feedback.surveys.problems import SurveyNotFound, SurveyNotOpen
from services.feedback.surveys.questions import check_answers
from services.feedback.surveys.templates import questions_of
from services.kernel import clock
from services.kernel.auth.tokens import Principal
from services.kernel.languages import Language, pick


def _open(survey: Survey, now: datetime) -> bool:
    return survey.status == SurveyStatus.open and survey.open_until > now


async def invitations(
    session: AsyncSession,
    settings: FeedbackSettings,
    principal: Principal,
    *,
    open_only: bool,
    limit: int,
    offset: int,
    survey_id: uuid.UUID | None = None,
    language: Language = Language.nb,
) -> list[InvitationPublic]:
    """The caller's invitations with each survey's public key (and the caller's unit to answer with)."""
    person = await surveys_repository.active_person_by_oid(session, principal.oid)
    if person is None:
        return []
    now = clock.now()
    rows = await repository.invitations_of(
        session, person.person_id, now, open_only=open_only, limit=limit, offset=offset, survey_id=survey_id
    )
    public = await keys.public_keys(session, settings, [s.id for _, s, _, now_open in rows if now_open])
    return [
        InvitationPublic(
            survey_id=survey.id,
            title=pick(language, survey.title, survey.title_en),
            kind=survey.kind,
            open_until=survey.open_until,
            open=now_open,
            credential_issued=invitation.credential_issued,
            public_key=public.get(survey.id) if now_open else None,
            org_unit_id=person.org_unit_id,
            description=pick(language, template.description, template.description_en),
            questions=[q.in_language(language) for q in questions_of(template)],
        )
        for invitation, survey, template, now_open in rows
    ]


async def issue_credentials(
    session: AsyncSession,
    settings: FeedbackSettings,
    principal: Principal,
    requests: Sequence[CredentialRequest],
) -> list[Credential]:
    """Blind-sign one token per invitation, all or nothing. Repeating the request that got a credential
    gets the same signature again (a client whose answer was lost can retry); a different one is refused."""
    person = await surveys_repository.active_person_by_oid(session, principal.oid)
    wanted = {r.survey_id: r.blinded_message for r in requests}
    held = (
        {
            i.survey_id: (i, s)
            for i, s in await repository.invitations_for_update(session, person.person_id, wanted)
        }
        if person is not None
        else {}
    )
    now = clock.now()
    credentials = []
    for survey_id in sorted(wanted):
        found = held.get(survey_id)
        if found is None or found[0].withdrawn:
            raise problems.InvitationNotFound(f"You have no invitation to survey {survey_id}.")
        invitation, survey = found
        if not _open(survey, now):
            raise SurveyNotOpen(
                f"Survey {survey_id} closed at {survey.closed_at or survey.open_until:%Y-%m-%d %H:%M %Z}."
            )
        credentials.append(await _sign(session, settings, invitation, survey, wanted[survey_id]))
    await session.flush()
    return credentials


async def _sign(
    session: AsyncSession, settings: FeedbackSettings, invitation: Invitation, survey: Survey, blinded: bytes
) -> Credential:
    fingerprint = hashlib.sha256(blinded).digest()
    if invitation.credential_issued and invitation.credential_request != fingerprint:
        raise problems.CredentialAlreadyIssued(
            f"Your invitation to survey {survey.id} has a credential already; one person answers once. "
            "Repeat the first request exactly to get its signature again."
        )
    key = await keys.signing_key(session, settings, survey.id)
    if key is None:
        raise SurveyNotOpen(f"Survey {survey.id} is closed.")
    try:
        # A private-key operation holds the interpreter for milliseconds: off the event loop.
        signature = await asyncio.to_thread(key.blind_sign, blinded)
    except BlindSignError as error:
        raise problems.InvalidBlindedMessage(str(error), extra={"survey_id": str(survey.id)}) from error
    invitation.credential_issued = True
    invitation.credential_request = fingerprint
    return Credential(survey_id=survey.id, blind_signature=signature)


async def cast_ballot(
    session: AsyncSession, settings: FeedbackSettings, survey_id: uuid.UUID, ballot: BallotCreate
) -> Survey:
    """Store one sealed ballot for a valid, unspent credential of an open survey."""
    found = await repository.survey_for_share(session, survey_id)
    if found is None:
        raise SurveyNotFound(f"No survey {survey_id}.")
    survey, template = found
    if not _open(survey, clock.now()):
        raise SurveyNotOpen(
            f"The survey closed at {survey.closed_at or survey.open_until:%Y-%m-%d %H:%M %Z}."
        )
    public = await keys.public_key(session, survey.id)
    if public is None or not verify(load_public(public), ballot.token, ballot.signature):
        raise problems.InvalidCredential("Get a credential for this survey first (POST /credentials).")
    clean, errors = check_answers(questions_of(template), ballot.answers)
    if errors:
        raise problems.InvalidAnswers(
            f"{len(errors)} answer(s) do not fit: " + "; ".join(f"{e.loc[-1]}: {e.msg}" for e in errors[:5]),
            errors=errors,
        )
    unit, sector = await _origin(session, settings, survey, ballot.org_unit_id)
    sealed = sealing.seal(
        settings.ballot_key_bytes(),
        survey.id,
        {"answers": clean, "org_unit_id": str(unit) if unit else None, "sector": sector},
        template.ballot_size,
    )
    if not await repository.insert_ballot(session, survey.id, hashlib.sha256(ballot.token).digest(), sealed):
        raise problems.AlreadyAnswered("This credential has been used; a survey takes one answer per person.")
    return survey


async def _origin(
    session: AsyncSession, settings: FeedbackSettings, survey: Survey, org_unit_id: uuid.UUID | None
) -> tuple[uuid.UUID | None, str | None]:
    """The unit and sector a ballot may keep: the claimed unit where at least the threshold of the
    survey's credential holders are in it, else its sector where as many are in that, else neither.
    Holders only grow, so a ballot stored with a unit hides among that many people in any later copy of
    the database too."""
    if org_unit_id is None:
        return None, None
    unit = await repository.org_unit(session, org_unit_id)
    if unit is None:
        raise problems.UnknownOrgUnit(f"No org unit {org_unit_id} in the directory.")
    holders = await repository.credential_holders(session, survey.id)
    k = settings.anonymity_threshold
    if sum(n for (u, _), n in holders.items() if u == unit.org_unit_id) >= k:
        return unit.org_unit_id, unit.sector
    if unit.sector is not None and sum(n for (_, s), n in holders.items() if s == unit.sector) >= k:
        return None, unit.sector
    return None, None
