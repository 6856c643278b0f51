"""CSV and XLSX in and out, safe against formula injection."""

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence, Sized
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# An XLSX is a zip: what it unpacks to, not its size, is what reading costs. A
# real workbook packs text about 5–20 times; a zip bomb packs it thousands of times.
XLSX_MAX_UNPACKED = 256 * 1024 * 1024
XLSX_MAX_RATIO = 200
XLSX_MAX_MEMBERS = 2000


class SpreadsheetError(ValueError):
    """The file cannot be read as a table; the message says why."""


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:,.0f} MB"


def _check_xlsx_packing(content: bytes) -> None:
    """Refuse a workbook that unpacks to far more than it weighs (a zip bomb) before
    any part of it is unpacked. The sizes come from the zip's directory; zipfile
    never gives more bytes than a member declares."""
    try:
        members = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise SpreadsheetError(
            _("The file cannot be read as an Excel workbook.")
        ) from exc
    unpacked = sum(m.file_size for m in members)
    ratio = max(
        (m.file_size / max(m.compress_size, 1) for m in members if m.file_size > 2**20),
        default=0,
    )
    if (
        len(members) > XLSX_MAX_MEMBERS
        or unpacked > XLSX_MAX_UNPACKED
        or ratio > XLSX_MAX_RATIO
    ):
        raise SpreadsheetError(
            _(
                "The workbook unpacks to %(unpacked)s from %(packed)s: that is no "
                "ordinary spreadsheet, so it is not read. Save the sheet as CSV."
            )
            % {"unpacked": _megabytes(unpacked), "packed": _megabytes(len(content))}
        )


def neutralise(value):
    """Make a text cell inert in spreadsheet programs (prefix a quote)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _cell(value):
    if isinstance(value, Decimal):
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if value is None:
        return ""
    if isinstance(value, date | int | float | bool):
        return value
    return neutralise(str(value))


class MappedRows:
    """A table's rows made from `items` as they are written; it knows how many there
    are, so a long export can show its progress."""

    def __init__(self, items, make):
        self.items, self.make = items, make

    def __len__(self):
        return len(self.items)

    def __iter__(self):
        return map(self.make, self.items)


def export_response(
    *, filename: str, headers: Sequence[str], rows: Iterable[Sequence], fmt: str
) -> HttpResponse:
    """Return the rows as a CSV or XLSX download with formulas neutralised."""
    if fmt == "xlsx":
        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append([neutralise(h) for h in headers])
        for row in rows:
            ws.append([_cell(v) for v in row])
        buffer = io.BytesIO()
        wb.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_MIME)
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write("\ufeff")  # lets Excel recognise UTF-8
    writer = csv.writer(response)
    writer.writerow([neutralise(h) for h in headers])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return response


def export_workbook(
    *, filename: str, sheets: Sequence[tuple[str, Sequence[str], Iterable]], fmt: str
) -> HttpResponse:
    """Return several tables: one XLSX sheet each, or the first one as CSV."""
    if fmt != "xlsx":
        _title, headers, rows = sheets[0]
        return export_response(filename=filename, headers=headers, rows=rows, fmt=fmt)
    buffer = io.BytesIO()
    write_workbook(sheets, buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def write_workbook(sheets, out, *, progress=None, every: int = 2000) -> int:
    """Write the tables as one XLSX sheet each to the file `out`; return the rows
    written. A table's rows may be a function, called when its sheet is reached.
    `progress(index, title, rows_total, rows_written)` is told as each sheet starts,
    every `every` rows, and once at the end (index = number of sheets)."""
    wb = Workbook(write_only=True)
    written = 0
    for index, (title, headers, rows) in enumerate(sheets):
        if progress and callable(rows):
            progress(index, title, None, 0)  # reading the sheet's rows
        rows = rows() if callable(rows) else rows
        total = len(rows) if isinstance(rows, Sized) else None
        if progress:
            progress(index, title, total, 0)
        # sheet titles: at most 31 characters, none of []:*?/\
        ws = wb.create_sheet(
            title="".join(c for c in title if c not in "[]:*?/\\")[:31]
        )
        ws.append([neutralise(h) for h in headers])
        for n, row in enumerate(rows, 1):
            ws.append([_cell(v) for v in row])
            if progress and n % every == 0:
                progress(index, title, total, n)
            written += 1
    wb.save(out)
    if progress:
        progress(len(sheets), "", None, 0)
    return written


def read_table(
    content: bytes, filename: str, *, max_rows: int | None = None
) -> tuple[list[str], list[dict[str, str]]]:
    """Read a CSV (UTF-8, comma or semicolon) or XLSX file into a header and rows;
    more than `max_rows` rows stop the reading with a message."""
    name = filename.lower()
    if name.endswith(".xlsx") or content[:2] == b"PK":
        return _read_xlsx(content, max_rows)
    if name.endswith((".csv", ".txt")) or not name.rpartition(".")[1]:
        return _read_csv(content, max_rows)
    raise SpreadsheetError(_("Upload a .csv or .xlsx file."))


def _too_many(max_rows: int) -> SpreadsheetError:
    return SpreadsheetError(_("At most %(n)d rows per file.") % {"n": max_rows})


def _read_csv(content: bytes, max_rows: int | None = None):
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpreadsheetError(
            _("The file is not UTF-8 encoded (byte %(pos)d). Save it as “CSV UTF-8”.")
            % {"pos": exc.start}
        ) from exc
    if "\x00" in text:
        raise SpreadsheetError(
            _("The file contains binary data; it is not a CSV file.")
        )
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = []
    for r in reader:
        if any(c.strip() for c in r):
            rows.append(r)
            if max_rows is not None and len(rows) > max_rows + 1:
                raise _too_many(max_rows)
    if not rows:
        raise SpreadsheetError(_("The file is empty."))
    header = [h.strip().lower() for h in rows[0]]
    return header, [
        dict(zip(header, (c.strip() for c in r), strict=False)) for r in rows[1:]
    ]


def _read_xlsx(content: bytes, max_rows: int | None = None):
    _check_xlsx_packing(content)
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise SpreadsheetError(
            _("The file cannot be read as an Excel workbook.")
        ) from exc
    ws = wb.worksheets[0]
    # the size the sheet claims (A1:XFD1048576 costs billions of empty cells when
    # padded to it) is not trusted: only the rows and cells it holds are read
    ws.reset_dimensions()
    rows = []
    for values in ws.iter_rows(values_only=True):
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        rows.append(["" if v is None else _xlsx_text(v) for v in values])
        if max_rows is not None and len(rows) > max_rows + 1:
            wb.close()
            raise _too_many(max_rows)
    wb.close()
    if not rows:
        raise SpreadsheetError(_("The file is empty."))
    header = [h.strip().lower() for h in rows[0]]
    return header, [dict(zip(header, r, strict=False)) for r in rows[1:]]


def _xlsx_text(value) -> str:
    if isinstance(value, datetime):
        return (
            value.date().isoformat()
            if value.time() == datetime.min.time()
            else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
