"""Read the rows of an uploaded Excel file: find the header row under title rows, map columns by name.

Two engines, same output:
  calamine  (python-calamine, Rust) — reads .xlsx and .xls about 6× faster than openpyxl on our machines; the sheet
            is held in memory while it is read (≈ 5 KB per 80-column row), bounded by the 20 MB upload limit.
  openpyxl  (read-only mode) — streams the sheet with flat memory; slower; .xlsx only.
settings.KONGCHUO_XLSX_ENGINE picks one. "auto" (the default) takes calamine unless the sheet would need more memory
than settings.KONGCHUO_IMPORT_MEMORY_MB (default 512) — estimated from the sheet's uncompressed XML — and then the
flat openpyxl reader. Rows are yielded one by one either way, so the import itself never holds the whole file as
Python objects.

Before either reads, guard.py checks the file (zip directory, sizes, ratio, every cell reference against the row and
column limits; .xls in a child process under hard limits), and calamine reads a sheet only when that check proved
its grid small — the declared `<dimension>` is never trusted. Every row is bounded again as it is read.
"""
import os

from django.conf import settings

from . import guard
from .guard import FileFormatError, SpreadsheetRefused  # noqa: F401 - re-exported: callers import them from here

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEADER_SCAN_ROWS = 30


# calamine's extra memory per byte of the sheet's XML, measured on the 50,000-row benchmark export (101.8 MB of sheet
# XML → 328 MB above an idle Django process, the import's own work included)
CALAMINE_BYTES_PER_XML_BYTE = guard.XLSX_CALAMINE_BYTES_PER_XML_BYTE


def calamine_memory_mb(path, kind, facts=None):
    """Roughly how much memory reading `path` with calamine takes (MB), from the guard's facts (sheet XML size and
    the checked grid); None when calamine must not read the file at all. An .xls is counted at 3× its file size
    (and read in a child process under a hard limit anyway)."""
    if kind == "xlsx":
        facts = facts or guard.inspect_xlsx(path)
        estimate = facts.calamine_memory_bytes()
        return None if estimate is None else estimate / 1024 / 1024
    return os.path.getsize(path) * 3 * CALAMINE_BYTES_PER_XML_BYTE / 1024 / 1024


def engine_name(path=None, kind=None, facts=None):
    wanted = getattr(settings, "KONGCHUO_XLSX_ENGINE", "auto")
    if wanted in ("auto", "calamine"):
        try:
            import python_calamine  # noqa: F401
        except ImportError:
            if wanted == "calamine":
                raise
            return "openpyxl"
        if path is not None and kind == "xlsx":
            estimate = calamine_memory_mb(path, kind, facts)
            if estimate is None:
                return "openpyxl"  # the guard could not prove calamine's grid small: never, whatever is asked
            cap = getattr(settings, "KONGCHUO_IMPORT_MEMORY_MB", 512)
            if wanted == "auto" and estimate > cap:
                return "openpyxl"  # flat memory, slower
        return "calamine"
    return "openpyxl"


def sniff(path):
    """'xlsx' / 'xls' from the first bytes, or raise FileFormatError."""
    return inspect(path)[0]


def inspect(path):
    """(kind, guard facts) — the kind from the first bytes; an .xlsx is checked by the guard (SpreadsheetRefused)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise
    except OSError:
        raise FileFormatError("无法打开上传的文件，请重新上传。") from None
    if not head:
        raise FileFormatError("上传的文件是空的。")
    if head.startswith(XLSX_MAGIC):
        facts = guard.inspect_xlsx(path)
        if not facts.sheets:
            raise FileFormatError("文件不是 Excel 表格（.xlsx）：压缩包中没有工作表。")
        return "xlsx", facts
    if head.startswith(XLS_MAGIC):
        return "xls", None
    raise FileFormatError("文件不是 Excel 表格：请上传学籍系统导出的 .xlsx 或 .xls 文件（不支持 CSV、WPS 或图片）。")


def _iter_calamine(path, kind="xlsx", sizes=None):
    if kind == "xls":
        yield from guard.xls_rows(path)  # in a child process under hard memory / CPU limits
        return
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(os.fspath(path))
        sheet = wb.get_sheet_by_index(0)
        if sizes is not None:
            sizes["rows"] = getattr(sheet, "height", None)
        rows = sheet.iter_rows()
    except Exception as exc:  # noqa: BLE001 - the library raises its own types for damaged/encrypted files
        raise FileFormatError(f"无法读取该 Excel 文件（文件可能已损坏或加密）：{exc.__class__.__name__}") from None
    try:
        yield from rows
    except Exception as exc:  # noqa: BLE001 - a damaged sheet fails while it is read, not when it is opened
        raise FileFormatError(f"读取该 Excel 文件时出错（文件可能已损坏）：{exc.__class__.__name__}") from None
    finally:
        wb.close()


def _iter_openpyxl(path, kind, sizes=None):
    if kind != "xlsx":
        raise FileFormatError("当前服务器只能读取 .xlsx 文件：请在 Excel 中把 .xls 另存为 .xlsx 后再上传。")
    from openpyxl import load_workbook

    try:
        wb = load_workbook(os.fspath(path), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        if sizes is not None:  # the sheet's own <dimension>: only an estimate for progress bars, never a size
            try:
                sizes["rows"] = ws.max_row
            except Exception:  # noqa: BLE001 - no or odd dimension: no estimate
                sizes["rows"] = None
        ws.reset_dimensions()  # the declared <dimension> is never trusted: each row is as wide as its own cells
        rows = ws.iter_rows(values_only=True)
    except Exception as exc:  # noqa: BLE001
        raise FileFormatError(f"无法读取该 Excel 文件（文件可能已损坏或加密）：{exc.__class__.__name__}") from None
    try:
        yield from rows
    except Exception as exc:  # noqa: BLE001
        raise FileFormatError(f"读取该 Excel 文件时出错（文件可能已损坏）：{exc.__class__.__name__}") from None
    finally:
        wb.close()


def _bounded(rows, lim):
    """Every row as it comes: no more than the row and column limits, whatever the file declared."""
    max_rows, max_columns = lim.max_rows, lim.max_columns
    try:
        for number, row in enumerate(rows, start=1):
            if number > max_rows:
                if all(_blank(v) for v in row):
                    continue  # formatting-only rows past the end
                raise guard.rows_refused(lim, f"（第 {number} 行有数据）")
            if len(row) > max_columns:
                width = len(row)
                while width > max_columns and _blank(row[width - 1]):
                    width -= 1  # trailing empty cells (formatting only) do not count
                if width > max_columns:
                    raise guard.columns_refused(lim, f"（第 {number} 行）")
                row = row[:width]
            yield row
    finally:
        rows.close()


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


class SheetReader:
    """Rows of the first sheet below its header row, as tuples indexed by `columns[canonical name]`.

    `column_map` is a columns.ColumnMap; `required` are canonical names that must be present; the header row is the
    first of the top HEADER_SCAN_ROWS rows where at least `min_known` cells are known column names including all of
    `anchors`.
    """

    def __init__(self, path, column_map, *, required=(), anchors=("姓名",), min_known=3, engine=None):
        self.path = path
        self.kind, facts = inspect(path)
        self.limits = guard.limits()
        if engine == "calamine" and self.kind == "xlsx" and facts.calamine_memory_bytes() is None:
            engine = "openpyxl"  # asked for, but the guard could not prove calamine's grid small
        self.engine = engine or engine_name(path, self.kind, facts)
        self.column_map = column_map
        self.required = required
        self.anchors = anchors
        self.min_known = min_known
        self.header_row = None
        self._sizes = {}
        self.columns = {}
        self.unknown_columns = []
        self.duplicate_columns = []
        self._rows = None

    @property
    def estimated_rows(self):
        """Data rows below the header as the sheet declares them (for a progress bar; blank rows count), or None."""
        rows = self._sizes.get("rows")
        if not rows or self.header_row is None:
            return None
        return max(0, min(int(rows), self.limits.max_rows + self.header_row) - self.header_row)

    def _raw_rows(self):
        if self.engine == "calamine":
            return _bounded(_iter_calamine(self.path, self.kind, self._sizes), self.limits)
        return _bounded(_iter_openpyxl(self.path, self.kind, self._sizes), self.limits)

    def open(self):
        """Find the header; raise FileFormatError when the file has none or misses a required column."""
        rows = self._raw_rows()
        for number, row in enumerate(rows, start=1):
            if number > HEADER_SCAN_ROWS:
                break
            mapped = [self.column_map.canonical(cell) for cell in row]
            known = {m for m in mapped if m}
            if len(known) >= self.min_known and all(a in known for a in self.anchors):
                self.header_row = number
                for index, (cell, canonical) in enumerate(zip(row, mapped)):
                    if canonical is None:
                        if not _blank(cell):
                            self.unknown_columns.append(str(cell).strip())
                    elif canonical in self.columns:
                        self.duplicate_columns.append(str(cell).strip())
                    else:
                        self.columns[canonical] = index
                break
        if self.header_row is None:
            rows.close()
            names = "、".join(f"“{a}”" for a in self.anchors)
            raise FileFormatError(f"未找到表头行：文件前 {HEADER_SCAN_ROWS} 行中没有包含{names}等列名的一行。"
                                  "请确认上传的是学籍系统导出的原始表格。")
        missing = [name for name in self.required if name not in self.columns]
        if missing:
            rows.close()
            raise FileFormatError("缺少必需的列：" + "、".join(missing) + f"（表头在第 {self.header_row} 行）。")
        if self.duplicate_columns:
            rows.close()
            raise FileFormatError("表头中有重复的列：" + "、".join(self.duplicate_columns) + "，无法判断使用哪一列。")
        self._rows = rows
        return self

    def rows(self):
        """(row number as Excel shows it, tuple of cells); blank rows (also trailing ones) are skipped."""
        if self._rows is None:
            self.open()
        width = max(self.columns.values()) + 1
        number = self.header_row
        for row in self._rows:
            number += 1
            row = tuple(row[:width])
            filled = len(row) - row.count(None) - row.count("")
            if filled == 0 or (filled <= 3 and all(_blank(v) for v in row)):
                continue  # blank rows, also "blank" rows of spaces, trailing rows of formatting only
            if len(row) < width:
                row = row + (None,) * (width - len(row))
            yield number, row

    def close(self):
        if self._rows is not None:
            self._rows.close()
            self._rows = None
            if self.engine == "calamine":
                return_freed_memory()


def return_freed_memory():
    """Hand the memory the reader freed back to the operating system. calamine's cells are millions of small
    allocations that glibc keeps in its heap after they are freed: a web worker that read a 50,000-row file would
    stay ~100 MB larger for the rest of its life. malloc_trim(0) returns it (glibc only; elsewhere a no-op)."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return False
    trim(0)
    return True
