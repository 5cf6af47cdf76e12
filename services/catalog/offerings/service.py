"""Rules for offerings: who sees what, the draft -> published -> archived lifecycle, and versioned edits.

Publishing needs what a participant needs to sign up: a summary, a resolvable audience, and (for kinds
that run on dated sessions; coaching is arranged on request) at least one scheduled session in the
future. Archived offerings stay readable by coordinators with their history, but take no more changes.
Every write bumps `version` (the ETag), records who did it in the change history, and, once the offering
is public, publishes an event in the same transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.events import (
    SOURCE,
    OfferingArchived,
    OfferingPublished,
    OfferingSnapshot,
    OfferingUpdated,
)
from services.catalog.history import repository as history
from services.catalog.offerings import repository
from services.catalog.offerings.models import Offering, OfferingKind, OfferingStatus, Theme
from services.catalog.offerings.schemas import (
    OfferingCreate,
    OfferingKindCreate,
    OfferingKindPublic,
    OfferingPublic,
    OfferingUpdate,
    ThemeCreate,
    ThemePublic,
)
from services.catalog.sessions import repository as sessions
from services.kernel import clock
from services.kernel.auth.tokens import Principal, Role
from services.kernel.eventbus import publish
from services.kernel.languages import Language, pick
from services.kernel.problems import Conflict, NotFound, Problem
from services.kernel.schemas import ReadModel


class UnknownOfferingKind(Problem):
    status = 422
    slug = "unknown-offering-kind"
    title = "Unknown offering kind"


class UnknownTheme(Problem):
    status = 422
    slug = "unknown-theme"
    title = "Unknown theme"


class OfferingNotFound(NotFound):
    slug = "offering-not-found"
    title = "Offering not found"


class OfferingArchivedProblem(Conflict):
    slug = "offering-archived"
    title = "Offering is archived"


class NotPublishable(Conflict):
    slug = "not-publishable"
    title = "Offering cannot be published yet"


class InvalidTransition(Conflict):
    slug = "invalid-transition"
    title = "Not possible in the offering's current state"


class AlreadyExists(Conflict):
    slug = "already-exists"
    title = "Already exists"


def can_see(principal: Principal, offering: Offering) -> bool:
    """Published offerings for every employee; drafts and archived ones for coordinators."""
    return offering.status == OfferingStatus.published or principal.has_role(Role.coordinator)


async def get_visible(session: AsyncSession, principal: Principal, offering_id: uuid.UUID) -> Offering:
    offering = await repository.get_offering(session, offering_id)
    if offering is None or not can_see(principal, offering):
        raise OfferingNotFound(f"No offering {offering_id}.")
    return offering


def texts(offering: Offering, language: Language) -> dict[str, Any]:
    """The offering's texts as a reader of `language` gets them (English where written, else bokmål),
    with the language of the title and the languages it has."""
    english = language is Language.en and bool(offering.title_en)
    return {
        "title": pick(language, offering.title, offering.title_en),
        "summary": pick(language, offering.summary, offering.summary_en),
        "description": pick(language, offering.description, offering.description_en),
        "language": Language.en if english else Language.nb,
        "languages": [Language.nb, *([Language.en] if offering.title_en else [])],
    }


async def to_public(session: AsyncSession, offering: Offering, language: Language) -> OfferingPublic:
    themes = (await repository.themes_of(session, [offering.id])).get(offering.id, [])
    return OfferingPublic.model_validate(
        {**offering.model_dump(), **texts(offering, language), "themes": themes}
    )


def _fields(row: object, model: type[ReadModel]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in model.model_fields if hasattr(row, name)}


def kind_public(kind: OfferingKind, language: Language) -> OfferingKindPublic:
    return OfferingKindPublic.model_validate(
        {
            **_fields(kind, OfferingKindPublic),
            "name": pick(language, kind.name_nb, kind.name_en),
            "description": pick(language, kind.description, kind.description_en),
        }
    )


def theme_public(theme: Theme, language: Language) -> ThemePublic:
    return ThemePublic.model_validate(
        {**_fields(theme, ThemePublic), "name": pick(language, theme.name_nb, theme.name_en)}
    )


async def _check_themes(session: AsyncSession, codes: list[str]) -> None:
    unknown = sorted(set(codes) - await repository.known_theme_codes(session, codes))
    if unknown:
        raise UnknownTheme(
            f"Unknown theme {', '.join(unknown)}; see GET /themes.", extra={"unknown": unknown}
        )


async def _kind(session: AsyncSession, code: str) -> OfferingKind:
    kind = await repository.get_kind(session, code)
    if kind is None:
        raise UnknownOfferingKind(f"No offering kind {code!r}; see GET /offering-kinds.")
    return kind


async def _snapshot(session: AsyncSession, offering: Offering) -> dict[str, Any]:
    themes = (await repository.themes_of(session, [offering.id])).get(offering.id, [])
    kind = await repository.get_kind(session, offering.kind_code)
    return {
        "on_request": kind is not None and not kind.requires_sessions,
        "offering_id": offering.id,
        "kind_code": offering.kind_code,
        "title": offering.title,
        "title_en": offering.title_en,
        "audience": offering.audience,
        "audience_org_unit_ids": offering.audience_org_unit_ids,
        "booking_unit": offering.booking_unit,
        "format": offering.format,
        "is_programme": offering.is_programme,
        "completion_min_sessions": offering.completion_min_sessions,
        "themes": themes,
        "status": offering.status,
        "offering_version": offering.version,
    }


async def _publish_event(session: AsyncSession, payload: OfferingSnapshot, offering: Offering) -> None:
    await publish(
        session, payload, source=SOURCE, aggregate_id=offering.id, aggregate_version=offering.version
    )


async def create_offering(session: AsyncSession, principal: Principal, data: OfferingCreate) -> Offering:
    kind = await _kind(session, data.kind_code)
    await _check_themes(session, data.themes)
    offering = Offering(
        kind_code=kind.code,
        title=data.title,
        summary=data.summary,
        description=data.description,
        title_en=data.title_en,
        summary_en=data.summary_en,
        description_en=data.description_en,
        audience=(data.audience or kind.default_audience),
        audience_org_unit_ids=data.audience_org_unit_ids,
        booking_unit=(data.booking_unit or kind.default_booking_unit),
        format=data.format,
        facilitators=[f.model_dump(mode="json") for f in data.facilitators],
        funded_by=data.funded_by,
        is_programme=kind.is_programme if data.is_programme is None else data.is_programme,
        completion_min_sessions=data.completion_min_sessions,
        created_by_oid=principal.oid,
        updated_by_oid=principal.oid,
    )
    await repository.add(session, offering)
    await repository.set_themes(session, offering.id, data.themes)
    await history.record(session, offering_id=offering.id, action="created", actor_oid=principal.oid)
    return offering


def _touch(offering: Offering, principal: Principal) -> None:
    offering.version += 1
    offering.updated_by_oid = principal.oid
    offering.updated_at = clock.now()


async def lock_for_change(session: AsyncSession, offering_id: uuid.UUID) -> Offering:
    offering = await repository.get_offering(session, offering_id, lock=True)
    if offering is None:
        raise OfferingNotFound(f"No offering {offering_id}.")
    if offering.status == OfferingStatus.archived:
        raise OfferingArchivedProblem("An archived offering takes no more changes.")
    return offering


async def update_offering(
    session: AsyncSession, principal: Principal, offering: Offering, data: OfferingUpdate
) -> Offering:
    """Apply the fields sent; the caller has locked the offering and checked If-Match."""
    changes = data.model_dump(exclude_unset=True)
    themes = changes.pop("themes", None)
    if themes is not None:
        await _check_themes(session, themes)
        current = (await repository.themes_of(session, [offering.id])).get(offering.id, [])
        if sorted(current) == sorted(themes):
            themes = None
        else:
            await repository.set_themes(session, offering.id, themes)
    if "facilitators" in changes:
        changes["facilitators"] = [f.model_dump(mode="json") for f in data.facilitators or []]
    # Only what differs is a change: a PATCH that changes nothing keeps the ETag and writes no history.
    changes = {field: value for field, value in changes.items() if getattr(offering, field) != value}
    if not changes and themes is None:
        return offering
    audience = changes.get("audience", offering.audience)
    units = changes.get("audience_org_unit_ids", offering.audience_org_unit_ids)
    if audience == "org-units" and not units:
        raise NotPublishable("Audience 'org-units' needs audience_org_unit_ids.")
    if audience != "org-units" and offering.audience_org_unit_ids:
        changes["audience_org_unit_ids"] = []  # the named units go with the org-units audience
    for field, value in changes.items():
        setattr(offering, field, value)
    changed = sorted({*changes, *(["themes"] if themes is not None else [])})
    _touch(offering, principal)
    await session.flush()
    await history.record(
        session,
        offering_id=offering.id,
        action="updated",
        actor_oid=principal.oid,
        details={"fields": changed},
    )
    if offering.status == OfferingStatus.published:
        await _publish_event(
            session, OfferingUpdated(**await _snapshot(session, offering), changed=changed), offering
        )
    return offering


async def publish_offering(session: AsyncSession, principal: Principal, offering: Offering) -> Offering:
    if offering.status != OfferingStatus.draft:
        raise InvalidTransition(f"Only a draft can be published; this offering is {offering.status}.")
    kind = await _kind(session, offering.kind_code)
    missing = []
    if not offering.summary.strip():
        missing.append("a summary")
    if kind.requires_sessions and not await sessions.has_upcoming(session, offering.id, clock.now()):
        missing.append("at least one scheduled session in the future")
    if missing:
        raise NotPublishable(f"Publishing needs {' and '.join(missing)}.", extra={"missing": missing})
    offering.status = OfferingStatus.published
    offering.published_at = clock.now()
    _touch(offering, principal)
    await session.flush()
    await history.record(session, offering_id=offering.id, action="published", actor_oid=principal.oid)
    await _publish_event(session, OfferingPublished(**await _snapshot(session, offering)), offering)
    return offering


async def archive_offering(session: AsyncSession, principal: Principal, offering: Offering) -> Offering:
    offering.status = OfferingStatus.archived
    offering.archived_at = clock.now()
    _touch(offering, principal)
    await session.flush()
    await history.record(session, offering_id=offering.id, action="archived", actor_oid=principal.oid)
    await _publish_event(session, OfferingArchived(**await _snapshot(session, offering)), offering)
    return offering


async def create_kind(session: AsyncSession, data: OfferingKindCreate) -> OfferingKind:
    if await repository.get_kind(session, data.code) is not None:
        raise AlreadyExists(f"An offering kind {data.code!r} exists.")
    kind = OfferingKind(**data.model_dump(mode="json"))
    await repository.add(session, kind)
    return kind


async def create_theme(session: AsyncSession, data: ThemeCreate) -> Theme:
    if await repository.get_theme(session, data.code) is not None:
        raise AlreadyExists(f"A theme {data.code!r} exists.")
    theme = Theme(**data.model_dump())
    await repository.add(session, theme)
    return theme
