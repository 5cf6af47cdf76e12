"""API schemas of offering kinds, themes and offerings."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import ClassVar, Self

from pydantic import ConfigDict, Field, model_validator

from services.catalog.audience.eligibility import Eligibility
from services.catalog.offerings.models import Audience, BookingUnit, Format, OfferingStatus
from services.kernel.languages import Language
from services.kernel.paging import Page
from services.kernel.schemas import SINGLE_LINE, OsloDatetime, PatchModel, ReadModel, WriteModel

CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
ENGLISH_TITLE = "The English title; readers asking for English (`Accept-Language: en`) get the English texts."
ENGLISH_TEXT = "In English; where left out, readers of English get the bokmål text."
IN_LANGUAGE = "In the language asked for (`Accept-Language`) where written, else in bokmål."
COMPLETION_DESCRIPTION = (
    "Sessions a participant must attend to complete the offering (e.g. 5 of a 6-session programme). "
    "Default: every session of a programme; one session otherwise."
)


class OfferingKindPublic(ReadModel):
    code: str
    name: str = Field(description="The name in the language asked for (`Accept-Language`).")
    name_nb: str
    name_en: str
    description: str = Field(description="In the language asked for where written, else in bokmål.")
    default_booking_unit: BookingUnit
    default_audience: Audience
    is_programme: bool
    requires_sessions: bool


class OfferingKindCreate(WriteModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["mentoring"])
    name_nb: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    description_en: str | None = Field(default=None, max_length=2000)
    default_booking_unit: BookingUnit = BookingUnit.person
    default_audience: Audience = Audience.all_leaders
    is_programme: bool = False
    requires_sessions: bool = True
    sort_order: int = Field(default=100, ge=0, le=10_000)


class ThemePublic(ReadModel):
    code: str
    name: str = Field(description="The name in the language asked for (`Accept-Language`).")
    name_nb: str
    name_en: str


class ThemeCreate(WriteModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["baerekraft"])
    name_nb: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)


class FacilitatorKind(StrEnum):
    internal = "internal"  # an organisational consultant in UKE
    external = "external"  # an external expert or researcher


class Facilitator(WriteModel):
    name: str = Field(min_length=1, max_length=200, pattern=SINGLE_LINE)
    kind: FacilitatorKind
    organisation: str | None = Field(default=None, max_length=200, pattern=SINGLE_LINE)
    role: str | None = Field(
        default=None, max_length=200, pattern=SINGLE_LINE, examples=["Organisasjonskonsulent"]
    )


class _OfferingFields(WriteModel):
    @model_validator(mode="after")
    def _org_units_named_when_needed(self) -> Self:
        audience = getattr(self, "audience", None)
        units = getattr(self, "audience_org_unit_ids", None)
        if audience == Audience.org_units and not units:
            raise ValueError("audience 'org-units' needs audience_org_unit_ids")
        if audience not in (None, Audience.org_units) and units:
            raise ValueError("audience_org_unit_ids is only for audience 'org-units'")
        return self


class OfferingCreate(_OfferingFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind_code": "theme-gathering",
                    "title": "Temasamling: Effektive ledergrupper",
                    "summary": "Felles arena for toppledergruppene.",
                    "themes": ["endringsledelse"],
                }
            ]
        }
    )

    kind_code: str = Field(min_length=1, max_length=64, examples=["theme-gathering"])
    title: str = Field(
        min_length=1, max_length=300, pattern=SINGLE_LINE, examples=["Temasamling: Effektive ledergrupper"]
    )
    summary: str = Field(default="", max_length=2000)
    description: str = Field(default="", max_length=50_000)
    title_en: str | None = Field(
        default=None, min_length=1, max_length=300, pattern=SINGLE_LINE, description=ENGLISH_TITLE
    )
    summary_en: str | None = Field(default=None, max_length=2000, description=ENGLISH_TEXT)
    description_en: str | None = Field(default=None, max_length=50_000, description=ENGLISH_TEXT)
    audience: Audience | None = Field(default=None, description="Defaults to the kind's audience.")
    audience_org_unit_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    booking_unit: BookingUnit | None = Field(default=None, description="Defaults to the kind's booking unit.")
    format: Format = Format.physical
    themes: list[str] = Field(default_factory=list, max_length=20, description="Theme codes (GET /themes).")
    facilitators: list[Facilitator] = Field(default_factory=list, max_length=50)
    funded_by: str = Field(default="Byrådslederens kontor", min_length=1, max_length=200, pattern=SINGLE_LINE)
    is_programme: bool | None = Field(default=None, description="Defaults to the kind's setting.")
    completion_min_sessions: int | None = Field(
        default=None, ge=1, le=100, description=COMPLETION_DESCRIPTION
    )


class OfferingUpdate(_OfferingFields, PatchModel):
    """Fields to change; those left out stay as they are, and `null` removes an English text or the
    completion rule. Needs `If-Match` with the offering's ETag."""

    clearable: ClassVar[frozenset[str]] = frozenset(
        {"title_en", "summary_en", "description_en", "completion_min_sessions"}
    )

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"summary": "Felles arena for toppledergruppene i bydelene."}]}
    )

    title: str | None = Field(default=None, min_length=1, max_length=300, pattern=SINGLE_LINE)
    summary: str | None = Field(default=None, max_length=2000)
    description: str | None = Field(default=None, max_length=50_000)
    title_en: str | None = Field(
        default=None, min_length=1, max_length=300, pattern=SINGLE_LINE, description=ENGLISH_TITLE
    )
    summary_en: str | None = Field(default=None, max_length=2000, description=ENGLISH_TEXT)
    description_en: str | None = Field(default=None, max_length=50_000, description=ENGLISH_TEXT)
    audience: Audience | None = None
    audience_org_unit_ids: list[uuid.UUID] | None = Field(default=None, max_length=500)
    booking_unit: BookingUnit | None = None
    format: Format | None = None
    themes: list[str] | None = Field(default=None, max_length=20)
    facilitators: list[Facilitator] | None = Field(default=None, max_length=50)
    funded_by: str | None = Field(default=None, min_length=1, max_length=200, pattern=SINGLE_LINE)
    is_programme: bool | None = None
    completion_min_sessions: int | None = Field(
        default=None, ge=1, le=100, description=COMPLETION_DESCRIPTION
    )


class FacilitatorPublic(ReadModel):
    name: str
    kind: FacilitatorKind
    organisation: str | None = None
    role: str | None = None


class OfferingPublic(ReadModel):
    id: uuid.UUID
    kind_code: str
    title: str = Field(description=IN_LANGUAGE)
    summary: str = Field(description=IN_LANGUAGE)
    description: str = Field(description=IN_LANGUAGE)
    language: Language = Field(description="The language of the title (`Content-Language`).")
    languages: list[Language] = Field(description="The languages the offering has a title in.")
    audience: Audience
    audience_org_unit_ids: list[uuid.UUID]
    booking_unit: BookingUnit
    format: Format
    themes: list[str]
    facilitators: list[FacilitatorPublic]
    funded_by: str
    is_programme: bool
    completion_min_sessions: int | None = Field(description=COMPLETION_DESCRIPTION)
    status: OfferingStatus
    version: int = Field(description="Rises with every change; the ETag is derived from it.")
    created_at: OsloDatetime
    updated_at: OsloDatetime
    published_at: OsloDatetime | None
    archived_at: OsloDatetime | None


class OfferingDetail(OfferingPublic):
    """One offering as its reader sees it: with whether they may enroll. Its ETag carries the version
    and, after a dot, a digest of `eligibility`; If-Match takes any reader's tag of the current version."""

    eligibility: Eligibility = Field(description="Whether you may enroll, and if not why not.")


class OfferingKindPage(Page[OfferingKindPublic]):
    """A page of offering kinds."""


class ThemePage(Page[ThemePublic]):
    """A page of themes."""
