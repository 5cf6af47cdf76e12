"""Offering kinds and themes (data, not code), offerings and the themes they carry."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, Computed, DateTime, Index, String
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlmodel import Field

from services.kernel.models import TableBase, enum_field, server_timestamp


def _both(field: str) -> str:
    return f"coalesce({field}, '') || ' ' || coalesce({field}_en, '')"


TITLE, SUMMARY, DESCRIPTION = _both("title"), _both("summary"), _both("description")


def _search_fields(config: str) -> str:
    """Title (A), summary with the kind's and themes' names (B), description (C), each in both languages
    and folded by `catalog.search_fold` (lower case, æ/ø/å and their substitutes alike)."""
    return (
        f"setweight(to_tsvector('{config}', catalog.search_fold({TITLE})), 'A') || "
        f"setweight(to_tsvector('{config}', "
        f"catalog.search_fold({SUMMARY} || ' ' || coalesce(search_labels, ''))), 'B') || "
        f"setweight(to_tsvector('{config}', catalog.search_fold({DESCRIPTION})), 'C')"
    )


# Whole words with Norwegian stemming ("ledergrupper" matches "ledergruppe"), and the same words unstemmed
# for the parts of compound words (docs/search.md).
SEARCH_VECTOR_SQL = _search_fields("norwegian")
SEARCH_PARTS_SQL = _search_fields("catalog.nb_parts")
# The title's alone, for ranking a title match above the rest.
TITLE_WORDS_SQL = f"to_tsvector('norwegian', catalog.search_fold({TITLE}))"
TITLE_PARTS_SQL = f"to_tsvector('catalog.nb_parts', catalog.search_fold({TITLE}))"


class BookingUnit(StrEnum):
    person = "person"  # each participant takes a seat
    group = "group"  # a leader group takes one slot


class OfferingStatus(StrEnum):
    draft = "draft"
    published = "published"
    archived = "archived"


class Audience(StrEnum):
    top_leaders = "top-leaders"  # top leaders individually (reflection groups)
    top_leader_groups = "top-leader-groups"  # whole top-leader groups, booked by their top leader
    all_leaders = "all-leaders"
    org_units = "org-units"  # the org units the offering names


class Format(StrEnum):
    physical = "physical"
    digital = "digital"
    hybrid = "hybrid"


class OfferingKind(TableBase, table=True):
    __tablename__ = "offering_kinds"
    __table_args__ = {"schema": "catalog"}

    code: str = Field(primary_key=True, max_length=64)
    name_nb: str
    name_en: str
    description: str = ""
    description_en: str | None = None
    default_booking_unit: BookingUnit = enum_field(BookingUnit.person)
    default_audience: Audience = enum_field(Audience.all_leaders)
    # A programme's ordered sessions are taken together (leader-group development).
    is_programme: bool = False
    # Coaching is arranged on request: it can be published without dated sessions.
    requires_sessions: bool = True
    sort_order: int = 0


class Theme(TableBase, table=True):
    __tablename__ = "themes"
    __table_args__ = {"schema": "catalog"}

    code: str = Field(primary_key=True, max_length=64)
    name_nb: str
    name_en: str


class Offering(TableBase, table=True):
    __tablename__ = "offerings"
    __table_args__ = (
        Index("ix_offerings_search_vector", "search_vector", postgresql_using="gin"),
        Index("ix_offerings_search_parts", "search_parts", postgresql_using="gin"),
        CheckConstraint(
            "completion_min_sessions IS NULL OR completion_min_sessions > 0",
            name="completion_min_sessions_positive",
        ),
        {"schema": "catalog"},
    )
    __mapper_args__ = {"eager_defaults": True}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind_code: str = Field(foreign_key="catalog.offering_kinds.code", index=True)
    title: str
    summary: str = ""
    description: str = ""
    # English versions, null where none was written (readers then get the bokmål text).
    title_en: str | None = None
    summary_en: str | None = None
    description_en: str | None = None
    audience: Audience = enum_field(Audience.all_leaders)
    audience_org_unit_ids: list[uuid.UUID] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    )
    booking_unit: BookingUnit = enum_field(BookingUnit.person)
    format: Format = enum_field(Format.physical)
    facilitators: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    funded_by: str = "Byrådslederens kontor"
    is_programme: bool = False
    # Sessions a participant must attend to complete; None: every session of a programme, else one.
    completion_min_sessions: int | None = None
    status: OfferingStatus = enum_field(OfferingStatus.draft, index=True)
    version: int = 1
    created_by_oid: str = ""
    updated_by_oid: str = ""
    created_at: datetime | None = server_timestamp()
    updated_at: datetime | None = server_timestamp()
    published_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    archived_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # The names of the kind and themes (`catalog.search_labels`), written with the themes.
    search_labels: str = ""
    # The start of the last scheduled session with a free seat, kept by a trigger on sessions.
    last_free_session_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    search_vector: str | None = Field(
        default=None, sa_column=Column(TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True))
    )
    search_parts: str | None = Field(
        default=None, sa_column=Column(TSVECTOR, Computed(SEARCH_PARTS_SQL, persisted=True))
    )
    title_words: str | None = Field(
        default=None, sa_column=Column(TSVECTOR, Computed(TITLE_WORDS_SQL, persisted=True))
    )
    title_parts: str | None = Field(
        default=None, sa_column=Column(TSVECTOR, Computed(TITLE_PARTS_SQL, persisted=True))
    )


class SearchWord(TableBase, table=True):
    """Every word the offerings use (kept by a trigger), what a query term is widened from."""

    __tablename__ = "search_words"
    __table_args__ = (
        Index(
            "ix_search_words_word_trgm",
            "word",
            postgresql_using="gin",
            postgresql_ops={"word": "gin_trgm_ops"},
        ),
        {"schema": "catalog"},
    )

    word: str = Field(primary_key=True)
    # Its Norwegian stem: a term is widened to the words sharing its stem.
    stem: str | None = Field(
        default=None,
        sa_column=Column(
            String, Computed("(ts_lexize('norwegian_stem', word))[1]", persisted=True), index=True
        ),
    )


class OfferingTheme(TableBase, table=True):
    __tablename__ = "offering_themes"
    __table_args__ = {"schema": "catalog"}

    offering_id: uuid.UUID = Field(foreign_key="catalog.offerings.id", primary_key=True, ondelete="CASCADE")
    theme_code: str = Field(foreign_key="catalog.themes.code", primary_key=True, index=True)
