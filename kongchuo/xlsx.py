"""The one place every .xlsx we WRITE goes through (SPEC §8: exports escape formula injection).

`escape(value)` — OWASP CSV/formula-injection rule: a text cell starting with = + - @ tab or CR gets a leading
apostrophe so Excel/WPS shows it as text instead of running it. django-import-export's own escaping strips only a
leading "=" and only in admin exports (PITFALLS.md), so never write cells without this.

`clean(value)` — openpyxl refuses (IllegalCharacterError, a 500) the control characters XML 1.0 cannot hold
(\x00–\x08, \x0b, \x0c, \x0e–\x1f); an imported cell or a name may carry them. `escape` drops them from every text
cell first, then applies the formula rule, so every cell written through here is both legal and inert.

`table_workbook(...)` builds a plain, printable sheet: merged title row, optional info lines, bold header with
borders, frozen header, auto-filter, column widths, A4 landscape with the header repeated on every printed page.
`xlsx_response(...)` sends it with a UTF-8 file name.
"""
import io
import re
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def clean(value):
    """Text without the control characters an xlsx cannot hold (other values unchanged)."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def escape(value):
    """Text without illegal characters, and prefixed with ' when a spreadsheet would read it as a formula (other
    values unchanged)."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(FORMULA_TRIGGERS):
            return "'" + value
    return value


def escape_row(values):
    return [escape(v) for v in values]


_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def write_table(ws, *, title, headers, rows, info_lines=(), widths=None):
    """Fill worksheet `ws` (normal mode) with a titled table; returns the header row number."""
    ncols = max(len(headers), 1)
    ws.append([escape(title)])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    for line in info_lines:
        ws.append([escape(line)])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=ncols)
    header_row = ws.max_row + 1
    ws.append(escape_row(headers))
    fill = PatternFill("solid", fgColor="DDEBF7")
    for col in range(1, ncols + 1):
        cell = ws.cell(header_row, col)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in rows:
        ws.append(escape_row(row))
        for col in range(1, ncols + 1):
            cell = ws.cell(ws.max_row, col)
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for index, width in enumerate(widths or [14] * ncols, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    if ws.max_row > header_row:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(ncols)}{ws.max_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    return header_row


def table_workbook(*, title, headers, rows, sheet_name="Sheet1", info_lines=(), widths=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = re.sub(r"[\\*?:/\[\]]", "", clean(sheet_name))[:31] or "Sheet1"  # characters Excel refuses in a title
    write_table(ws, title=title, headers=headers, rows=rows, info_lines=info_lines, widths=widths)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    ascii_name = "".join(c if c.isascii() and c.isalnum() or c in "._-" else "_" for c in filename)
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
