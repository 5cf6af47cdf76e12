"""The CSV import command: a large HR export streamed through the same upsert path as the API."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.enrollment.hrsync.csvimport import CsvFormatError, import_csv
from services.enrollment.hrsync.service import FullSyncGuard


def write_people(
    path: Path, count: int, *, delimiter: str = ",", broken: dict[int, dict[str, str]] | None = None
) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, ["external_id", "name", "email", "org_unit_external_id", "active"], delimiter=delimiter
        )
        writer.writeheader()
        for n in range(count):
            row = {
                "external_id": f"E{n:05d}",
                "name": f"Åse Ødegård {n}",
                "email": f"ase{n}@oslo.kommune.no",
                "org_unit_external_id": "alna",
                "active": "ja",
            }
            row.update((broken or {}).get(n, {}))
            writer.writerow(row)


async def test_a_large_export_streams_in_batches_and_reports_bad_lines(
    sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    export = tmp_path / "ansatte.csv"
    write_people(export, 2500, delimiter=";", broken={10: {"email": "ikke-en-adresse"}, 2000: {"name": ""}})
    report = await import_csv(sessionmaker, export, "people", batch_size=1000)
    assert (report.rows, report.created, report.unchanged) == (2500, 2498, 0)
    # Line numbers as an editor shows them: the header is line 1.
    assert [(line, r.external_id, r.errors[0].loc) for line, r in report.rejected] == [
        (12, "E00010", ["email"]),
        (2002, "E02000", ["name"]),
    ]
    again = await import_csv(sessionmaker, export, "people", batch_size=700)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2498)
    async with sessionmaker() as session:
        name = (
            await session.execute(text("SELECT name FROM enrollment.people WHERE external_id = 'E00042'"))
        ).scalar()
        pending = (
            await session.execute(text("SELECT count(*) FROM enrollment.people WHERE org_unit_id IS NULL"))
        ).scalar_one()
    assert name == "Åse Ødegård 42"
    assert pending == 2498  # their unit has not arrived: pending, not dropped


async def test_full_import_is_guarded_before_anything_is_written(
    sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    everyone, few = tmp_path / "all.csv", tmp_path / "few.csv"
    write_people(everyone, 100)
    write_people(few, 10)
    await import_csv(sessionmaker, everyone, "people")
    with pytest.raises(FullSyncGuard):
        await import_csv(sessionmaker, few, "people", full=True)
    forced = await import_csv(sessionmaker, few, "people", full=True, force=True)
    assert (forced.unchanged, forced.deactivated) == (10, 90)


async def test_a_wrong_header_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("id,navn\n1,Ola\n", encoding="utf-8")
    with pytest.raises(CsvFormatError, match="missing: external_id, name"):
        await import_csv(sessionmaker, wrong, "people")


def test_the_command_prints_rejected_lines_and_a_summary(
    db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    export = tmp_path / "ansatte.csv"
    write_people(export, 30, broken={3: {"email": "x"}})
    result = subprocess.run(  # noqa: S603 - our own interpreter and CLI
        [sys.executable, "-m", "services.cli", "import-directory", "people", str(export), "--quiet"],
        env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "line 5 (E00003): email:" in result.stderr
    assert "30 rows: 29 created" in result.stdout
