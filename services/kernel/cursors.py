"""Opaque page cursors: a position written as text, in unpadded URL-safe base64, and the problem a cursor
that is not one of ours gets (400 `invalid-cursor`)."""

from __future__ import annotations

import base64

from services.kernel.problems import BadRequestProblem


class InvalidCursor(BadRequestProblem):
    slug = "invalid-cursor"
    title = "Invalid cursor"


def encode(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str) -> str:
    """The text inside a cursor; `InvalidCursor` when it is not base64 of UTF-8."""
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise InvalidCursor("The cursor is malformed; use next_cursor from a previous page.") from exc
