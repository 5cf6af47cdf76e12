"""CSV import of org units or people from an HR export file, through the same upsert path as the API.

The file is streamed in batches (one transaction each), so a file of any size runs in constant memory,
with a progress bar over the bytes read. Rejected rows are reported with their line number, external id
and reasons. With `full`, the file is the complete set: it is read once for its external ids, the
full-sync guard is checked before anything is written, the batches are applied, and then the records
missing from the file are deactivated.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tqdm import tqdm

from services.enrollment.hrsync import repository, service
from services.enrollment.hrsync.schemas import RejectedRecord, SyncRequest

Resource = Literal["org-units", "people"]
COLUMNS: dict[Resource, tuple[str, ...]] = {
    "org-units": ("external_id", "name", "kind", "sector", "parent_external_id", "active"),
    "people": (
        "external_id",
        "name",
        "email",
        "entra_oid",
        "org_unit_external_id",
        "manager_external_id",
        "active",
        "preferred_language",
    ),
}
TABLES: dict[Resource, repository.Table] = {"org-units": "org_units", "people": "people"}
TRUE = {"1", "true", "yes", "ja", "j", "y"}
FALSE = {"0", "false", "no", "nei", "n"}


class CsvFormatError(ValueError):
    """The file's header does not fit the resource."""


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    rejected: list[tuple[int, RejectedRecord]] = field(default_factory=list)  # (line number, rejection)


def _record(row: dict[str, str]) -> dict[str, Any]:
    """Empty cells are absent values; `active` accepts yes/no in English and Norwegian."""
    record: dict[str, Any] = {k.strip(): (v.strip() or None) for k, v in row.items() if k}
    active = record.pop("active", None)
    if active is not None:
        lowered = active.lower()
        record["active"] = True if lowered in TRUE else False if lowered in FALSE else active
    return {k: v for k, v in record.items() if v is not None}


def _rows(path: Path, resource: Resource, progress: tqdm[Any] | None) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text, delimiter=_sniff_delimiter(path))
        header = set(reader.fieldnames or [])
        missing = {"external_id", "name"} - header
        unknown = header - set(COLUMNS[resource])
        if missing or unknown:
            listed = ", ".join(COLUMNS[resource])
            raise CsvFormatError(
                f"{path}: columns for {resource} are {listed} (missing: {', '.join(sorted(missing)) or '-'};"
                f" unknown: {', '.join(sorted(unknown)) or '-'})"
            )
        for row in reader:
            if progress is not None:
                progress.update(raw.tell() - progress.n)
            yield reader.line_num, _record(row)


def _sniff_delimiter(path: Path) -> str:
    with path.open(encoding="utf-8-sig") as handle:
        first = handle.readline()
    return ";" if first.count(";") > first.count(",") else ","


async def import_csv(
    sessionmaker: async_sessionmaker[AsyncSession],
    path: Path,
    resource: Resource,
    *,
    full: bool = False,
    force: bool = False,
    max_share: float = 0.2,
    batch_size: int = 5000,
    show_progress: bool = False,
) -> ImportReport:
    sync = service.sync_people if resource == "people" else service.sync_org_units
    report = ImportReport()
    all_ids: list[str] = []
    if full:
        all_ids = [
            record["external_id"] for _, record in _rows(path, resource, None) if "external_id" in record
        ]
        async with sessionmaker() as session, session.begin():
            await service.guard_full_sync(session, TABLES[resource], all_ids, max_share, force=force)
    progress = tqdm(total=path.stat().st_size, unit="B", unit_scale=True, disable=not show_progress)
    try:
        batch: list[tuple[int, dict[str, Any]]] = []
        for item in _rows(path, resource, progress):
            batch.append(item)
            if len(batch) == batch_size:
                await _apply(sessionmaker, sync, batch, report, max_share)
                batch = []
        if batch:
            await _apply(sessionmaker, sync, batch, report, max_share)
    finally:
        progress.close()
    if full:
        async with sessionmaker() as session, session.begin():
            report.deactivated = await service.deactivate_missing(session, TABLES[resource], all_ids)
    return report


async def _apply(
    sessionmaker: async_sessionmaker[AsyncSession],
    sync: Any,
    batch: list[tuple[int, dict[str, Any]]],
    report: ImportReport,
    max_share: float,
) -> None:
    async with sessionmaker() as session, session.begin():
        result = await sync(session, SyncRequest(records=[record for _, record in batch]), max_share)
    report.rows += len(batch)
    report.created += result.created
    report.updated += result.updated
    report.unchanged += result.unchanged
    report.rejected += [(batch[r.position][0], r) for r in result.rejected]
