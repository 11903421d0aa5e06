"""The spreadsheet guard: what an uploaded or command-line .xlsx/.xls may hold before any reader touches it.

Every reading path (学籍 preview and commit, 学籍比对 lists, `import_students`, `import_population`) goes through
`reader.SheetReader`, which calls `inspect_xlsx` (or reads an .xls through `xls_rows`) before a reader opens the
file. A refusal is a `SpreadsheetRefused` with a Chinese message naming the limit (settings below, README
"电子表格上传限制").

Why each check (measured on python-calamine 0.9.1 / openpyxl 3.1.5):
- calamine builds the sheet as one dense grid from the first to the last non-empty cell
  (`Range::from_sparse`, 32 bytes a cell, then converted once more): one cell at A1 and one at XFD1048576 in a 5 KB
  file asks for 512 GB and aborts the whole process. The declared `<dimension ref=...>` alone is not used to
  allocate by this calamine, but it is attacker-written, so it is never trusted either: calamine reads a sheet only
  when every cell's reference has been checked against the limits and against that dimension; otherwise the
  streaming openpyxl reader reads it (with its dimension reset) and every row is bounded as it comes.
- zip sizes in the directory can lie, and a small deflate stream can inflate ~1000×: every member is inflated once
  here, in bounded pieces, and must be exactly as large as declared (and its CRC right) — nothing is inflated past
  the byte budget, so a 1.2 GB sheet is refused from the directory alone and a lying one after at most the budget.
- calamine's .xls reader reserves memory from the sheet's DIMENSIONS record and follows the file's sector chains
  without a loop check: an .xls is read in a child process under hard memory and CPU limits (`xls_rows`).
"""
import re
import zlib
from dataclasses import dataclass, field

from .limits import (  # noqa: F401 - re-exported: the guard is the one name callers and tests use
    MB, FileFormatError, Limits, SpreadsheetRefused, _fmt, beyond_pattern, column_letters, column_number,
    columns_refused, limits, rows_refused,
)
from .xls import xls_rows  # noqa: F401

CHUNK = 1 * MB  # inflate in pieces of at most this many bytes
TAIL = 64  # bytes of the previous piece kept so a pattern split between pieces is still seen
# calamine's memory: ~1.2 bytes a byte of sheet XML for its sparse cells, 64 bytes a cell of the dense grid (the
# grid is built once as references and once as values); calibrated on the 50,000-row benchmark export.
CALAMINE_SPARSE_PER_XML_BYTE = 1.2
CALAMINE_BYTES_PER_GRID_CELL = 64
XLSX_CALAMINE_BYTES_PER_XML_BYTE = 3.3  # the old overall estimate, kept as a floor

REF_RE = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
DIMENSION_RE = re.compile(rb'<dimension\s+ref="([A-Z]{1,3})?([0-9]{1,7})?(?::([A-Z]{1,3})([0-9]{1,7}))?"')
PREFIXED_ROOT_RE = re.compile(rb"<([A-Za-z_][\w.-]{0,30}):worksheet[\s>]")
ROW_START_RE = re.compile(rb"<row[\s>/]")
UNIQUE_COUNT_RE = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?sst\b[^>]*?\buniqueCount="([0-9]{1,12})"')
# a cell written other than `<c r="A1"…`: no reference, reference not first, odd spacing, a namespace prefix
ODD_CELL_RE = re.compile(rb'<c(?! r=")[\s/>]')
PREFIXED_CELL_RE = re.compile(rb":c[\s/>]")


# ---------------------------------------------------------------------------------------------- xlsx
@dataclass
class SheetFacts:
    name: str
    xml_bytes: int = 0
    dimension: tuple | None = None  # (max_row, max_col) declared, when usable
    beyond_dimension: bool = False
    odd_cells: bool = False
    rows: int = 0

    def grid_cells(self):
        return self.dimension[0] * self.dimension[1] if self.dimension else None


@dataclass
class XlsxFacts:
    total_bytes: int = 0
    sheets: list = field(default_factory=list)
    shared_strings_ok: bool = True

    def calamine_memory_bytes(self):
        """calamine's memory for the largest sheet, or None when calamine must not read this file: a cell without
        a plain reference, a reference beyond the declared dimension, no usable dimension, an inflated string
        count. Then the streaming reader reads it."""
        if not self.shared_strings_ok:
            return None
        worst = 0
        for sheet in self.sheets:
            grid = sheet.grid_cells()
            if grid is None or sheet.beyond_dimension or sheet.odd_cells:
                return None
            worst = max(worst, sheet.xml_bytes * XLSX_CALAMINE_BYTES_PER_XML_BYTE,
                        sheet.xml_bytes * CALAMINE_SPARSE_PER_XML_BYTE + grid * CALAMINE_BYTES_PER_GRID_CELL)
        return worst


def _odd_cell(buf, *, final):
    """A cell tag not written `<c r="…`. A match in the last bytes of a piece may be a tag cut in two: it is looked
    at again with the next piece (the tail is kept)."""
    limit = len(buf) if final else len(buf) - 8
    for pattern in (ODD_CELL_RE, PREFIXED_CELL_RE):
        m = pattern.search(buf)
        if m and m.start() < limit:
            return True
    return False


def _row_too_big(lim):
    return SpreadsheetRefused(f"工作表中一行的数据超过上限（{lim.max_row_xml_bytes // MB} MB）：文件结构异常，"
                              "请在 Excel 中另存为 .xlsx 后重新上传。")


class _SheetScan:
    """Looks at a worksheet's XML as it is inflated, piece by piece (one regex pass for the cell references, cheap
    searches for the rest: ~0.7 s for the 100 MB sheet of the 50,000-row export)."""

    def __init__(self, name, lim):
        self.facts = SheetFacts(name)
        self.lim = lim
        self.refuse_re = beyond_pattern(lim.max_rows, lim.max_columns)
        self.ref_re = self.refuse_re  # the declared dimension's, once known (stricter)
        self.first = True
        self.row_re = ROW_START_RE
        self.tail = b""
        self.offset = 0  # bytes of XML before the current piece
        self.last_row_at = 0

    def feed(self, piece):
        facts, lim = self.facts, self.lim
        buf = self.tail + piece
        start = self.offset - len(self.tail)  # absolute position of buf[0]
        if self.first:  # root and dimension come before the sheet data; a dimension found later is not used
            self.first = False
            prefixed = PREFIXED_ROOT_RE.search(buf, 0, 4096)
            if prefixed:
                facts.odd_cells = True  # namespace prefixes: only the streaming reader (checks every row)
                self.row_re = re.compile(b"<(?:" + re.escape(prefixed.group(1)) + b":)?row[\\s>/]")
            m = DIMENSION_RE.search(buf)
            if m:
                self._dimension(m)
        hit = self.ref_re.search(buf)
        if hit:
            if self.ref_re is not self.refuse_re:
                facts.beyond_dimension = True
                self.ref_re = self.refuse_re
                hit = self.refuse_re.search(buf)
            if hit:
                self._refuse(buf, hit)
        if not facts.odd_cells and _odd_cell(buf, final=False):
            facts.odd_cells = True
        for m in self.row_re.finditer(buf):
            if m.end() <= len(self.tail):
                continue  # seen in the previous piece
            at = start + m.start()
            if at - self.last_row_at > lim.max_row_xml_bytes:
                raise _row_too_big(lim)
            self.last_row_at = at
            facts.rows += 1
        self.offset += len(piece)
        self.tail = buf[-TAIL:]

    def _refuse(self, buf, hit):
        lim = self.lim
        ref = REF_RE.match(buf, hit.start())
        label = f"（单元格 {ref.group(1).decode()}{int(ref.group(2))}）" if ref else ""
        letters = re.match(rb'<c r="([A-Z]+)', buf[hit.start():hit.start() + 32]).group(1).decode()
        if len(letters) > 3 or column_number(letters) > lim.max_columns:
            raise columns_refused(lim, label)
        raise rows_refused(lim, label)

    def _dimension(self, m):
        lim = self.lim
        last_col, last_row = (m.group(3), m.group(4)) if m.group(3) else (m.group(1), m.group(2))
        if not last_col or not last_row:
            return  # unusable: calamine is not used, the streaming reader is
        max_row, max_col = int(last_row), column_number(last_col.decode())
        if max_row > lim.max_rows or max_col > lim.max_columns or max_row < 1:
            return  # declared beyond the limits: never trusted, read by the streaming reader
        self.facts.dimension = (max_row, max_col)
        self.ref_re = beyond_pattern(max_row, max_col)

    def finish(self):
        if self.offset - self.last_row_at > self.lim.max_row_xml_bytes:
            raise _row_too_big(self.lim)
        if not self.facts.odd_cells and _odd_cell(self.tail, final=True):
            self.facts.odd_cells = True
        self.facts.xml_bytes = self.offset
        return self.facts


class _CountScan:
    """sharedStrings.xml: its declared count (calamine reserves memory from it) and its element count."""

    def __init__(self):
        self.tail = b""
        self.first = True
        self.unique_count = None
        self.si = 0
        self.tags = 0
        self.size = 0

    def feed(self, piece):
        buf = self.tail + piece
        if self.first:
            m = UNIQUE_COUNT_RE.search(buf)
            if m:
                self.unique_count = int(m.group(1))
            self.first = self.size + len(piece) < 4096
        self.si += buf.count(b"<si") - self.tail.count(b"<si")
        self.tags += buf.count(b"<") - self.tail.count(b"<")
        self.size += len(piece)
        self.tail = buf[-8:]


def _damaged():
    return SpreadsheetRefused("文件已损坏（压缩包中的内容与其目录不符），无法作为 Excel 表格读取，请重新导出后上传。")


def _inflate(fh, info, lim, budget_left, sink):
    """Inflate one member in bounded pieces into sink(piece); returns its size. Refuses a member that is larger
    than declared, larger than the budget, or damaged."""
    fh.seek(info.header_offset)
    local = fh.read(30)
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        raise _damaged()
    name_len = int.from_bytes(local[26:28], "little")
    extra_len = int.from_bytes(local[28:30], "little")
    flags = int.from_bytes(local[6:8], "little")
    method = int.from_bytes(local[8:10], "little")
    if method != info.compress_type:
        raise _damaged()
    if not flags & 0x08:
        local_csize = int.from_bytes(local[18:22], "little")
        local_usize = int.from_bytes(local[22:26], "little")
        if local_csize != 0xFFFFFFFF and (local_csize, local_usize) != (info.compress_size, info.file_size):
            raise _damaged()
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    left = info.compress_size
    out = 0
    crc = 0
    limit = min(info.file_size, budget_left)
    decomp = zlib.decompressobj(-15) if method == 8 else None
    while True:
        if decomp is not None and decomp.unconsumed_tail:
            piece = decomp.decompress(decomp.unconsumed_tail, CHUNK)
        else:
            if left <= 0:
                break
            data = fh.read(min(CHUNK // 4 if decomp else CHUNK, left))
            if not data:
                raise _damaged()
            left -= len(data)
            piece = decomp.decompress(data, CHUNK) if decomp else data
        if piece:
            out += len(piece)
            if out > limit:
                if out > info.file_size:
                    raise SpreadsheetRefused(f"文件中的“{info.filename}”解压后比压缩包目录声明的大：文件已损坏或被篡改，拒绝读取。")
                raise SpreadsheetRefused(f"文件解压后超过上限：全部内容最多 {lim.max_xml_mb} MB。")
            crc = zlib.crc32(piece, crc)
            sink(piece)
        if decomp is not None and decomp.eof:
            break
    if decomp is not None and not decomp.eof:
        raise _damaged()
    if out != info.file_size or crc != info.CRC:
        raise _damaged()
    return out


def inspect_xlsx(path, lim=None):
    """Check the zip directory, then inflate every member once within the byte budget, scanning the worksheets.
    Returns XlsxFacts; raises SpreadsheetRefused."""
    import zipfile

    lim = lim or limits()
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileFormatError("文件已损坏，无法作为 Excel 表格读取，请重新导出后上传。") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > lim.max_members:
            raise SpreadsheetRefused(f"文件中的部件过多（{_fmt(len(infos))} 个）：Excel 表格最多 {lim.max_members} 个部件"
                                     "（工作表、样式等）。请只保留需要导入的工作表。")
        total = sum(i.file_size for i in infos)
        if total > lim.max_xml_bytes:
            raise SpreadsheetRefused(f"文件解压后过大（{total / MB:,.0f} MB）：解压后全部内容最多 {lim.max_xml_mb} MB"
                                     f"（约 {_fmt(lim.max_rows)} 行的简单表格）。请按年级分成几个文件导入。")
        for info in infos:
            if info.flag_bits & 0x01:
                raise SpreadsheetRefused("文件已加密：请在 Excel 中取消密码保护后重新上传。")
            if info.compress_type not in (0, 8):
                raise SpreadsheetRefused("文件使用了 Excel 不使用的压缩方式：请在 Excel 中另存为 .xlsx 后重新上传。")
            if info.file_size > MB and info.file_size > lim.max_ratio * max(info.compress_size, 1):
                raise SpreadsheetRefused(f"文件中的“{info.filename}”压缩比异常（{info.file_size // max(info.compress_size, 1):,} 倍，"
                                         f"最多 {lim.max_ratio} 倍）：疑似压缩炸弹，拒绝读取。")
            name = info.filename.lower()
            if name.endswith("sharedstrings.xml") and info.file_size > lim.max_shared_strings_bytes:
                raise SpreadsheetRefused(f"文件中的共享字符串表过大：最多 {lim.max_shared_strings_bytes // MB} MB。")
            if (name.endswith((".xml", ".rels")) and not name.startswith("xl/worksheets/")
                    and not name.endswith("sharedstrings.xml") and info.file_size > lim.max_other_xml_bytes):
                raise SpreadsheetRefused(f"文件中的“{info.filename}”过大：除工作表外的部件最多 "
                                         f"{lim.max_other_xml_bytes // MB} MB。")
        facts = XlsxFacts()
        budget = lim.max_xml_bytes
        with open(path, "rb") as fh:
            for info in infos:
                name = info.filename
                lower = name.lower()
                if lower.startswith("xl/worksheets/") and lower.endswith(".xml"):
                    scan = _SheetScan(name, lim)
                    budget -= _inflate(fh, info, lim, budget, scan.feed)
                    facts.sheets.append(scan.finish())
                elif lower.endswith("sharedstrings.xml"):
                    scan = _CountScan()
                    budget -= _inflate(fh, info, lim, budget, scan.feed)
                    if scan.unique_count is not None and scan.unique_count > scan.si + 16:
                        facts.shared_strings_ok = False  # calamine would reserve memory for the declared count
                    if scan.tags > 64 * scan.si + 4096:
                        raise SpreadsheetRefused("文件中的共享字符串表结构异常：请在 Excel 中另存为 .xlsx 后重新上传。")
                elif lower == "xl/workbook.xml":
                    parts = []
                    budget -= _inflate(fh, info, lim, budget, parts.append)
                    xml = b"".join(parts)
                    sheets = len(re.findall(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\s", xml))
                    if sheets > lim.max_sheets:
                        raise SpreadsheetRefused(f"文件中的工作表过多（{_fmt(sheets)} 个）：最多 {lim.max_sheets} 个。"
                                                 "请只保留需要导入的工作表。")
                else:
                    budget -= _inflate(fh, info, lim, budget, lambda piece: None)
        facts.total_bytes = lim.max_xml_bytes - budget
        return facts
