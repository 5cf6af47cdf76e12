"""Each survey's blind-signing key pair: made when the survey opens, its private half sealed under the
ballot key, and erased when the survey closes, so no credential can be signed after that."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Collection

from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.answering import repository
from services.feedback.answering.blindrsa import SigningKey
from services.feedback.settings import FeedbackSettings
from services.feedback.surveys import sealing
from services.feedback.surveys.problems import BallotKeyMismatch


async def create(session: AsyncSession, settings: FeedbackSettings, survey_id: uuid.UUID) -> None:
    key = await asyncio.to_thread(SigningKey.generate)  # tens of milliseconds: off the event loop
    sealed = sealing.seal_key(settings.ballot_key_bytes(), survey_id, key.to_der())
    await repository.insert_key(session, survey_id, key.public_der(), sealed)


async def public_keys(
    session: AsyncSession, settings: FeedbackSettings, open_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, bytes]:
    """The public keys of these open surveys. One opened before surveys had keys gets its pair now."""
    found = await repository.keys(session, open_ids)
    missing = sorted(set(open_ids) - set(found))
    for survey_id in missing:
        await create(session, settings, survey_id)
    if missing:
        found = await repository.keys(session, open_ids)
    return {
        survey_id: key.public_key for survey_id, key in found.items() if key.sealed_private_key is not None
    }


async def signing_key(
    session: AsyncSession, settings: FeedbackSettings, survey_id: uuid.UUID
) -> SigningKey | None:
    """The survey's private key, or None once it closed."""
    found = (await repository.keys(session, [survey_id])).get(survey_id)
    if found is None:
        await create(session, settings, survey_id)
        found = (await repository.keys(session, [survey_id]))[survey_id]
    if found.sealed_private_key is None:
        return None
    try:
        der = sealing.unseal_key(settings.ballot_key_bytes(), survey_id, found.sealed_private_key)
    except InvalidTag as error:
        raise BallotKeyMismatch(
            "The survey's signing key cannot be opened with the configured FEEDBACK_BALLOT_KEY (was it "
            "changed while the survey was open?). Restore the key."
        ) from error
    return SigningKey.from_der(der)


async def public_key(session: AsyncSession, survey_id: uuid.UUID) -> bytes | None:
    found = (await repository.keys(session, [survey_id])).get(survey_id)
    return found.public_key if found is not None and found.sealed_private_key is not None else None


async def erase(session: AsyncSession, survey_id: uuid.UUID) -> None:
    await repository.erase_private_key(session, survey_id)
