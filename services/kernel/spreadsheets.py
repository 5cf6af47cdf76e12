"""CSV and Excel downloads, as Norwegian Excel opens them, with formula injection neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = {
    "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
    "description": "CSV (UTF-8 with BOM, `;`)",
}
XLSX = {
    "content": {XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    "description": "Excel workbook",
}

Row = Sequence[Any]


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula (leading = + - @, tab, CR) is made literal."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def csv_response(filename: str, header: Row, rows: Iterable[Row]) -> Response:
    """UTF-8 with a byte-order mark so Excel reads æøå, `;`-separated as Norwegian Excel expects."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def xlsx_response(filename: str, sheet: str, header: Row, rows: Iterable[Row]) -> Response:
    """One worksheet with a bold, frozen header row; text is stored as text, never as a formula."""
    return workbook_response(filename, [(sheet, header, rows)])


def workbook_response(filename: str, sheets: Sequence[tuple[str, Row, Iterable[Row]]]) -> Response:
    """A workbook of one worksheet per (name, header, rows), each as `xlsx_response` writes its one."""
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for name, header, rows in sheets:
        worksheet = workbook.create_sheet(name[:31])
        worksheet.append(list(header))
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        worksheet.freeze_panes = "A2"
        for row in rows:
            # Control characters cannot be stored in a workbook (XML 1.0): they are dropped, not a 500.
            worksheet.append(
                [
                    ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else "" if v is None else v
                    for v in row
                ]
            )
            for cell in worksheet[worksheet.max_row]:
                if cell.data_type == "f":  # openpyxl reads a leading "=" as a formula: keep it as text
                    cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Response(
        buffer.getvalue(),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
