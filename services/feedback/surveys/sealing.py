"""Sealed ballots: an answer is stored encrypted until its survey closes.

A ballot arrives in a request that names nobody (`answering/`), so sealing it is not what keeps the
answer from its author. It keeps the answers of an open survey from anyone who reads the database
without `FEEDBACK_BALLOT_KEY` (which the database never sees), and pads every ballot of a template
version to one size, so its length says nothing either. When the survey closes, all its ballots are
opened at once and written as responses in one transaction, in random order, without timestamps; the
sealed ballots are deleted. A survey's private signing key is sealed the same way (`seal_key`).

Hand-written on purpose: this is 20 lines around `cryptography`'s AESGCM (a random 96-bit nonce per
ballot, the survey id as associated data so a ballot cannot be moved to another survey). Fernet was
not used because its tokens carry their creation time in clear.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.feedback.surveys.questions import encode

NONCE_BYTES = 12
PAD_BLOCK = 1024
LENGTH_BYTES = 4
SECTOR_LENGTH = 200  # the directory's limit on a sector's name


def padded_size(largest: dict[str, Any]) -> int:
    """The one plaintext size of every ballot of a template version (room for the widest answers)."""
    widest = {
        "answers": largest,
        "org_unit_id": str(uuid.UUID(int=0)),
        "sector": "\U0010ffff" * SECTOR_LENGTH,
    }
    bound = len(encode(widest))
    return ((bound + LENGTH_BYTES) // PAD_BLOCK + 1) * PAD_BLOCK


def seal(key: bytes, survey_id: uuid.UUID, ballot: dict[str, Any], size: int) -> bytes:
    plain = encode(ballot)
    if len(plain) + LENGTH_BYTES > size:
        raise ValueError("ballot larger than its template's padded size")
    padded = len(plain).to_bytes(LENGTH_BYTES, "big") + plain + b"\x00" * (size - LENGTH_BYTES - len(plain))
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, padded, survey_id.bytes)


def unseal(key: bytes, survey_id: uuid.UUID, sealed: bytes) -> bytes:
    nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    padded = AESGCM(key).decrypt(nonce, body, survey_id.bytes)
    length = int.from_bytes(padded[:LENGTH_BYTES], "big")
    return padded[LENGTH_BYTES : LENGTH_BYTES + length]


def _key_context(survey_id: uuid.UUID) -> bytes:
    return b"survey-signing-key:" + survey_id.bytes


def seal_key(key: bytes, survey_id: uuid.UUID, private_der: bytes) -> bytes:
    """A survey's private signing key, sealed like a ballot (bound to its survey, so it cannot be moved)."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, private_der, _key_context(survey_id))


def unseal_key(key: bytes, survey_id: uuid.UUID, sealed: bytes) -> bytes:
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _key_context(survey_id))
