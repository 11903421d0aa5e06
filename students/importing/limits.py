"""The spreadsheet limits (settings), their Chinese refusals, and the regexes that find a cell reference beyond them.
See guard.py for why each limit exists and README "电子表格上传限制" for the settings."""
import re
from dataclasses import dataclass

from django.conf import settings

MB = 1024 * 1024


class FileFormatError(ValueError):
    """The file as a whole cannot be imported (not Excel, damaged, no header row…). Chinese message."""


class SpreadsheetRefused(FileFormatError):
    """The file is beyond a safety limit (size, rows, columns, members…): refused before or while reading."""


@dataclass(frozen=True)
class Limits:
    max_rows: int
    max_columns: int
    max_xml_bytes: int  # everything inflated, all members together
    max_shared_strings_bytes: int
    max_other_xml_bytes: int  # styles, workbook, rels… (parsed whole by openpyxl)
    max_ratio: int
    max_members: int
    max_sheets: int
    max_row_xml_bytes: int  # one <row> (or anything between two rows) of sheet XML
    xls_memory_bytes: int
    xls_seconds: int

    @property
    def max_xml_mb(self):
        return self.max_xml_bytes // MB


def limits():
    g = lambda name, default: int(getattr(settings, name, default))  # noqa: E731
    return Limits(
        max_rows=g("KONGCHUO_IMPORT_MAX_ROWS", 200_000),
        max_columns=g("KONGCHUO_IMPORT_MAX_COLUMNS", 200),
        max_xml_bytes=g("KONGCHUO_IMPORT_MAX_XML_MB", 160) * MB,
        max_shared_strings_bytes=g("KONGCHUO_IMPORT_MAX_SHARED_STRINGS_MB", 48) * MB,
        max_other_xml_bytes=8 * MB,
        max_ratio=g("KONGCHUO_IMPORT_MAX_ZIP_RATIO", 100),
        max_members=g("KONGCHUO_IMPORT_MAX_ZIP_MEMBERS", 500),
        max_sheets=g("KONGCHUO_IMPORT_MAX_SHEETS", 200),
        max_row_xml_bytes=4 * MB,
        xls_memory_bytes=g("KONGCHUO_IMPORT_MEMORY_MB", 512) * MB,
        xls_seconds=g("KONGCHUO_IMPORT_XLS_SECONDS", 20),
    )


def column_letters(n):
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_number(letters):
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _fmt(n):
    return f"{n:,}"


def rows_refused(lim, where=""):
    return SpreadsheetRefused(f"表格行数超过上限：每个文件最多 {_fmt(lim.max_rows)} 行（含表头和标题行）{where}。"
                              "请按年级或班级分成几个文件导入。")


def columns_refused(lim, where=""):
    return SpreadsheetRefused(f"表格列数超过上限：最多 {lim.max_columns} 列（到 {column_letters(lim.max_columns)} 列）{where}。"
                              "请删去多余的列后再上传。")


# ---------------------------------------------------------------------------------------------- regexes
def _greater_number(n):
    """Regex for a decimal number (leading zeros allowed) greater than n."""
    s = str(n)
    alts = [f"[1-9][0-9]{{{len(s)},}}"]
    for i, ch in enumerate(s):
        if ch != "9":
            alts.append(re.escape(s[:i]) + f"[{int(ch) + 1}-9]" + f"[0-9]{{{len(s) - i - 1}}}")
    return "0*(?:" + "|".join(alts) + ")(?![0-9])"


def _greater_column(n):
    """Regex for column letters (followed by the row number) beyond column n."""
    s = column_letters(n)
    alts = [f"[A-Z]{{{len(s) + 1},}}"]
    for i, ch in enumerate(s):
        if ch != "Z":
            alts.append(re.escape(s[:i]) + f"[{chr(ord(ch) + 1)}-Z]" + f"[A-Z]{{{len(s) - i - 1}}}")
    return "(?:" + "|".join(alts) + ")(?=[0-9])"


def beyond_pattern(max_row, max_col):
    """A cell reference `<c r="…"` beyond row max_row or column max_col."""
    return re.compile(('<c r="(?:' + _greater_column(max_col) + "|[A-Z]++" + _greater_number(max_row) + ")").encode())
