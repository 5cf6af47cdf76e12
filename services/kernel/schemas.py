"""Base classes of API schemas shared by every service."""

from __future__ import annotations

import base64
import re
import types
import typing
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Self
from zoneinfo import ZoneInfo

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

OSLO = ZoneInfo("Europe/Oslo")


BIGINT_MAX = 2**63 - 1

# One line of text (a title, a name, a venue): no control characters. A line break in one would split
# the mail header, the iCalendar line or the file name built from it.
SINGLE_LINE = r"^[^\x00-\x1f\x7f]*$"


def one_line(text: str) -> str:
    """Stored text as one line for a header, a calendar property or a file name: every run of control
    characters becomes a space (data stored before the rule, or from elsewhere, never breaks a builder)."""
    return _CONTROL_RUNS.sub(" ", text).strip()


_CONTROL_RUNS = re.compile(r"[\x00-\x1f\x7f]+")


def _contains_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_contains_nul(item) for item in value)
    return False


# JSON's own scalar types, as a field declares them (alone or with None).
_JSON_SCALARS: dict[type, tuple[type, ...]] = {bool: (bool,), int: (int,), float: (int, float)}
_JSON_NAMES = {bool: "boolean", int: "integer", float: "number"}


def _json_scalar(annotation: Any) -> type | None:
    """`bool`, `int` or `float` when a field is declared as exactly that (or that or None)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        kinds = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = kinds[0] if len(kinds) == 1 else None
    return annotation if annotation in _JSON_SCALARS else None


def _refused_as_sent(model: type[BaseModel], data: dict[Any, Any]) -> str | None:
    """Why a body's fields, as sent, break the contract before Pydantic converts or trims them."""
    for name, field in model.model_fields.items():
        value = data.get(field.alias or name)
        if isinstance(value, str):
            # Checked on the text as sent: trimming comes after, and must not let a longer text through.
            longest = next((m.max_length for m in field.metadata if getattr(m, "max_length", None)), None)
            if longest is not None and len(value) > longest:
                return f"{field.alias or name} must be at most {longest} characters"
        scalar = _json_scalar(field.annotation)
        if value is None or scalar is None:
            continue
        if isinstance(value, bool) != (scalar is bool) or not isinstance(value, _JSON_SCALARS[scalar]):
            return f"{field.alias or name} must be a JSON {_JSON_NAMES[scalar]}"
    return None


class WriteModel(BaseModel):
    """Request bodies: unknown fields are refused (422), strings are trimmed, NUL characters refused
    (PostgreSQL text cannot hold them), booleans and numbers must come as JSON booleans and numbers
    (`0`, `"true"` or `"5"` are refused rather than converted: the contract says what a field's type is),
    and a text's `maxLength` holds for the text as sent, before it is trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _as_sent(cls, data: object) -> object:
        if _contains_nul(data):
            raise ValueError("text must not contain NUL characters")
        if isinstance(data, dict) and (wrong := _refused_as_sent(cls, data)):
            raise ValueError(wrong)
        return data


class PatchModel(WriteModel):
    """A partial update: a field left out stays as it is. `null` empties only the fields named in
    `clearable` (those that may be empty); for any other it is refused (422) rather than written."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _null_only_where_clearable(self) -> Self:
        nulled = sorted(
            f for f in self.model_fields_set if getattr(self, f) is None and f not in self.clearable
        )
        if nulled:
            raise ValueError(f"{', '.join(nulled)} cannot be null: leave a field out to keep it as it is")
        return self


class ReadModel(BaseModel):
    """Response bodies, built from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


def oslo_iso(value: datetime) -> str:
    """A stored (UTC) time as the API shows it: ISO 8601 with Oslo's offset."""
    return value.astimezone(OSLO).isoformat()


_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _iso_only(value: object) -> object:
    """A time given as ISO 8601 text (or already a datetime): not a number of seconds since 1970, which
    Pydantic would otherwise take from JSON numbers and from digits in a query string."""
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_DATETIME.match(value)):
        return value
    raise ValueError("give a date and time in ISO 8601 with an offset, e.g. 2027-09-14T09:00:00+02:00")


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date_only(value: object) -> object:
    """A day given as ISO 8601 text (2027-09-14), not a number Pydantic would read as seconds since 1970."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("give a day in ISO 8601, e.g. 2027-09-14")


# A calendar day, as ISO 8601 text only.
IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]


# Stored in UTC; shown with the municipality's offset (Europe/Oslo), e.g. 2026-09-14T09:00:00+02:00.
OsloDatetime = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_only),
    PlainSerializer(oslo_iso, return_type=str, when_used="json"),
]


# A bigint key as it may appear in a path or body: larger numbers are refused (422), not passed to SQL.
BigIntId = Annotated[int, Field(ge=0, le=BIGINT_MAX)]


_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*={0,2}$")


def _base64url(value: object) -> object:
    """Bytes given as base64url text (RFC 4648 section 5), with or without its `=` padding."""
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str) or not _BASE64URL.match(value):
        raise ValueError("give base64url text (A-Z, a-z, 0-9, - and _)")
    text = value.rstrip("=")
    if len(text) % 4 == 1:
        raise ValueError("not a whole number of bytes in base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _to_base64url(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode("ascii")


# Binary values (keys, blinded messages, signatures) as base64url without padding, which is also how
# they are shown; padded input is accepted.
Base64Url = Annotated[
    bytes,
    BeforeValidator(_base64url),
    PlainSerializer(_to_base64url, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "base64url", "pattern": _BASE64URL.pattern}),
]
