"""Keeping the directory in step with the HR system: batches in any order, safe to repeat.

A batch is validated record by record; valid records are applied in one statement per resource and the
rest come back with their position and errors. References (a unit's parent, a person's unit and manager)
are stored as the HR external ids and resolved after every batch, so records may arrive in any order:
until its target arrives a reference is *pending* (listed by GET /directory/pending-references).
A full sync also deactivates (never deletes) active records missing from the set; if that would
deactivate more than `directory_max_deactivate_share` of them it is refused, before anything is
written, unless `force` is set. Every created, changed or deactivated record is published as an event.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.directory import audience
from services.enrollment.directory import repository as directory_repository
from services.enrollment.enrollments import reactions
from services.enrollment.events import (
    SOURCE,
    LeaderGroupDeactivated,
    LeaderGroupUpserted,
    OrgUnitDeactivated,
    OrgUnitUpserted,
    PersonDeactivated,
    PersonUpserted,
)
from services.enrollment.hrsync import repository
from services.enrollment.hrsync.schemas import (
    LeaderGroupRecord,
    OrgUnitRecord,
    PersonRecord,
    RejectedRecord,
    SyncRequest,
    SyncResult,
)
from services.kernel.eventbus import EventPayload, publish_many
from services.kernel.problems import Conflict, FieldError

R = TypeVar("R", bound=BaseModel)


class FullSyncGuard(Conflict):
    slug = "full-sync-guard"
    title = "Full sync would deactivate too much"


def _validate(
    records: Sequence[dict[str, Any]], model: type[R]
) -> tuple[list[tuple[int, R]], list[RejectedRecord], list[str]]:
    """Valid records with their positions (later duplicates rejected), rejections, and every id seen."""
    valid: list[tuple[int, R]] = []
    rejected: list[RejectedRecord] = []
    seen: set[str] = set()
    all_ids: list[str] = []
    for position, raw in enumerate(records):
        external_id = raw.get("external_id") if isinstance(raw, dict) else None
        external_id = external_id if isinstance(external_id, str) else None
        if external_id:
            all_ids.append(external_id)
        try:
            record = model.model_validate(raw)
        except ValidationError as exc:
            errors = [
                FieldError(loc=[str(p) for p in e["loc"]], msg=e["msg"], type=e["type"]) for e in exc.errors()
            ]
            rejected.append(RejectedRecord(position=position, external_id=external_id, errors=errors))
            continue
        key = getattr(record, "external_id")  # noqa: B009 - both record models have it
        if key in seen:
            rejected.append(
                RejectedRecord(
                    position=position,
                    external_id=key,
                    errors=[
                        FieldError(loc=["external_id"], msg="appears twice in this batch", type="duplicate")
                    ],
                )
            )
            continue
        seen.add(key)
        valid.append((position, record))
    return valid, rejected, all_ids


async def _guard(
    session: AsyncSession, table: repository.Table, request: SyncRequest, ids: list[str], share: float
) -> None:
    if request.full:
        await guard_full_sync(session, table, ids, share, force=request.force)


async def guard_full_sync(
    session: AsyncSession, table: repository.Table, ids: list[str], share: float, *, force: bool
) -> None:
    """Refuse a full sync that would deactivate more than `share` of the active records (unless forced)."""
    if force:
        return
    missing, active = await repository.missing_from(session, table, ids)
    if active and missing / active > share:
        raise FullSyncGuard(
            f"This full sync would deactivate {missing} of {active} active records "
            f"(more than {share:.0%}); send force=true if that is intended.",
            extra={"would_deactivate": missing, "active": active},
        )


async def publish_directory(
    session: AsyncSession, units: set[uuid.UUID], people: set[uuid.UUID], groups: set[uuid.UUID]
) -> int:
    """Publish the directory events for these records as they are now (units, then people, then groups,
    so a consumer meets a unit before its people). For loaders that write the directory directly."""
    events = [
        *await _unit_events(session, units),
        *await _person_events(session, people),
        *await _group_events(session, groups),
    ]
    return await publish_many(session, events, source=SOURCE)


async def _unit_events(session: AsyncSession, ids: set[uuid.UUID]) -> list[tuple[EventPayload, uuid.UUID]]:
    rows = await repository.org_units(session, ids)
    events: list[tuple[EventPayload, uuid.UUID]] = []
    for unit in rows:
        facts = {
            "org_unit_id": unit.id,
            "external_id": unit.external_id,
            "name": unit.name,
            "kind": unit.kind,
            "sector": unit.sector,
            "parent_id": unit.parent_id,
            "active": unit.active,
        }
        events.append((OrgUnitUpserted(**facts) if unit.active else OrgUnitDeactivated(**facts), unit.id))
    return events


async def _person_events(session: AsyncSession, ids: set[uuid.UUID]) -> list[tuple[EventPayload, uuid.UUID]]:
    rows = await repository.people(session, ids)
    events: list[tuple[EventPayload, uuid.UUID]] = []
    for person in rows:
        facts = {
            "person_id": person.id,
            "entra_oid": person.entra_oid,
            "org_unit_id": person.org_unit_id,
            "manager_id": person.manager_id,
            "active": person.active,
        }
        events.append((PersonUpserted(**facts) if person.active else PersonDeactivated(**facts), person.id))
    return events


async def _group_events(session: AsyncSession, ids: set[uuid.UUID]) -> list[tuple[EventPayload, uuid.UUID]]:
    groups = await repository.leader_groups(session, ids)
    members = await directory_repository.members_of(session, list(ids))
    events: list[tuple[EventPayload, uuid.UUID]] = []
    for group in groups:
        facts = {
            "leader_group_id": group.id,
            "org_unit_id": group.org_unit_id,
            "leader_id": group.leader_id,
            "member_ids": sorted((m["person_id"] for m in members.get(group.id, [])), key=str),
            "active": group.active,
        }
        events.append(
            (LeaderGroupUpserted(**facts) if group.active else LeaderGroupDeactivated(**facts), group.id)
        )
    return events


async def _finish(
    session: AsyncSession,
    upserted: list[repository.Upserted],
    deactivated: list[uuid.UUID],
    received: int,
    valid: int,
    rejected: list[RejectedRecord],
    own: repository.Table,
) -> SyncResult:
    resolved = await repository.resolve_references(session)
    resolved[own].update(u.id for u in upserted)
    resolved[own].update(deactivated)
    events = (
        await _unit_events(session, resolved["org_units"])
        + await _person_events(session, resolved["people"])
        + await _group_events(session, resolved["leader_groups"])
    )
    await publish_many(session, events, source=SOURCE)
    await audience.publish_changes(session)
    # The stated rules (enrollments.reactions): places of people deactivated, and of members who left a
    # group (or whose group ended), in sessions not yet started are cancelled with a reason.
    inactive = [payload.person_id for payload, _ in events if isinstance(payload, PersonDeactivated)]
    cancelled = await reactions.people_deactivated(session, inactive)
    cancelled += await reactions.group_changed(session, sorted(resolved["leader_groups"]))
    created = sum(1 for u in upserted if u.inserted)
    return SyncResult(
        received=received,
        created=created,
        updated=len(upserted) - created,
        unchanged=valid - len(upserted),
        deactivated=len(deactivated),
        rejected=rejected,
        pending_references=await repository.pending_counts(session),
        enrollments_cancelled=cancelled,
    )


async def sync_org_units(session: AsyncSession, request: SyncRequest, max_share: float) -> SyncResult:
    validated, rejected, ids = _validate(request.records, OrgUnitRecord)
    records = [record for _, record in validated]
    await _guard(session, "org_units", request, ids, max_share)
    upserted = await repository.upsert_org_units(session, records) if records else []
    deactivated = await repository.deactivate_missing(session, "org_units", ids) if request.full else []
    return await _finish(
        session, upserted, deactivated, len(request.records), len(records), rejected, "org_units"
    )


async def sync_people(session: AsyncSession, request: SyncRequest, max_share: float) -> SyncResult:
    validated, rejected, ids = _validate(request.records, PersonRecord)
    # Two people cannot sign in as one: an oid held by someone else (or twice in the batch) is refused;
    # when HR moves an oid between people, the release must arrive in an earlier batch.
    holders = await repository.oid_holders(session, [str(r.entra_oid) for _, r in validated if r.entra_oid])
    claimed: dict[str, str] = {}
    accepted: list[PersonRecord] = []
    for position, record in validated:
        oid = str(record.entra_oid) if record.entra_oid else None
        owner = (claimed.get(oid) or holders.get(oid)) if oid else None
        if oid and owner and owner != record.external_id:
            error = FieldError(loc=["entra_oid"], msg=f"already belongs to {owner}", type="conflict")
            rejected.append(RejectedRecord(position=position, external_id=record.external_id, errors=[error]))
            continue
        if oid:
            claimed[oid] = record.external_id
        accepted.append(record)
    await _guard(session, "people", request, ids, max_share)
    upserted = await repository.upsert_people(session, accepted) if accepted else []
    deactivated = await repository.deactivate_missing(session, "people", ids) if request.full else []
    return await _finish(
        session, upserted, deactivated, len(request.records), len(accepted), rejected, "people"
    )


async def sync_leader_groups(session: AsyncSession, request: SyncRequest, max_share: float) -> SyncResult:
    validated, rejected, ids = _validate(request.records, LeaderGroupRecord)
    records = [record for _, record in validated]
    await _guard(session, "leader_groups", request, ids, max_share)
    upserted = await repository.upsert_leader_groups(session, records) if records else []
    deactivated = await repository.deactivate_missing(session, "leader_groups", ids) if request.full else []
    # A group whose only change was its membership is in `upserted` too, and so counts as updated.
    return await _finish(
        session, upserted, deactivated, len(request.records), len(records), rejected, "leader_groups"
    )


async def deactivate_missing(session: AsyncSession, table: repository.Table, ids: list[str]) -> int:
    """Deactivate active records not in `ids` (after a full import) and publish their events."""
    deactivated = await repository.deactivate_missing(session, table, ids)
    result = await _finish(session, [], deactivated, 0, 0, [], table)
    return result.deactivated
