"""A corpus of hostile spreadsheets (issue 9), written byte by byte so nothing sanitises them on the way.

Each entry of CORPUS is (name, builder, expectation). A builder writes the file into a directory for a given header
and rows (the 学籍 export's or the population list's columns, so the same bomb is tried on every entry point) and
returns its path. The expectation says what every entry point must do with it:
  ("refused", fragment) — a limit: a form error on the page / exit status 2, the Chinese message contains fragment
  ("failed", fragment)  — not a readable Excel table: a failed preview on the page / exit status 2
  ("read", engine)      — read safely (the bomb part ignored), by that reader
Big files are made cheap: the 1.2 GB sheet is one deflate block compressed once and repeated (blocks after a full
flush are independent), so it costs a few MB on disk and ~1 s to build; nothing here inflates it.
"""
import struct
import zipfile
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

FILES = Path(__file__).resolve().parent / "files"
CONTROL = "\x07\x1b[31m红\x01"
FORMULAS_TRIGGERS = ("=", "+", "-", "@")
FORMULAS = ("=HYPERLINK(\"http://example.invalid\",\"点我\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3")

CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 b'<Default Extension="xml" ContentType="application/xml"/>'
                 b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                 b'%s</Types>')
ROOT_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
             b'</Relationships>')
SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
SST_CT = (b'<Override PartName="/xl/sharedStrings.xml" '
          b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')


def col(n):
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell(ref, value, *, raw=False):
    """An inline-string cell; raw=True keeps control characters as they are (an XML escape would drop nothing)."""
    text = value if raw else escape(value)
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def rows_xml(header, rows, *, start=1, raw=False):
    out = []
    for r, values in enumerate([header] + list(rows), start=start):
        out.append(f'<row r="{r}">'.encode() + b"".join(cell(f"{col(c)}{r}", str(v), raw=raw)
                                                          for c, v in enumerate(values, start=1) if v is not None)
                   + b"</row>")
    return b"".join(out)


def sheet_xml(body, *, dimension=None):
    dim = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    return SHEET_HEAD + dim + b"<sheetData>" + body + b"</sheetData></worksheet>"


def workbook_xml(sheets=1):
    entries = "".join(f'<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>' for i in range(1, sheets + 1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{entries}</sheets></workbook>").encode()


def workbook_rels(sheets=1, shared_strings=False):
    entries = "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                      f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, sheets + 1))
    if shared_strings:
        entries += ('<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    'relationships/sharedStrings" Target="sharedStrings.xml"/>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{entries}'
            f"</Relationships>").encode()


def package(path, sheets, *, shared_strings=None, compression=zipfile.ZIP_DEFLATED):
    """An .xlsx from a list of sheet XML bytes (and optional sharedStrings.xml bytes)."""
    overrides = b"".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.'
                         f'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'.encode()
                         for i in range(1, len(sheets) + 1))
    if shared_strings is not None:
        overrides += SST_CT
    with zipfile.ZipFile(path, "w", compression) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES % overrides)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", workbook_xml(len(sheets)))
        zf.writestr("xl/_rels/workbook.xml.rels", workbook_rels(len(sheets), shared_strings is not None))
        if shared_strings is not None:
            zf.writestr("xl/sharedStrings.xml", shared_strings)
        for i, xml in enumerate(sheets, start=1):
            zf.writestr(f"xl/worksheets/sheet{i}.xml", xml)
    return path


# ---------------------------------------------------------------------------------------------- builders
def honest(d, header, rows):
    """A plain, valid file (the control: it must preview)."""
    return package(d / "honest.xlsx", [sheet_xml(rows_xml(header, rows), dimension=f"A1:{col(len(header))}{len(rows) + 1}")])


def dimension_xfd(d, header, rows):
    """Valid cells, declared dimension A1:XFD1048576 (the issue's 1.6 KB worker killer)."""
    return package(d / "dimension_xfd.xlsx", [sheet_xml(rows_xml(header, rows), dimension="A1:XFD1048576")])


def dimension_cv(d, header, rows):
    """Valid cells, declared dimension A1:CV1048576 (3.4 GB before)."""
    return package(d / "dimension_cv.xlsx", [sheet_xml(rows_xml(header, rows), dimension="A1:CV1048576")])


def dimension_garbage(d, header, rows):
    """A dimension that is not a range at all."""
    return package(d / "dimension_garbage.xlsx", [sheet_xml(rows_xml(header, rows), dimension="A1:ZZZZ99999999")])


def cell_xfd(d, header, rows):
    """One more cell, at XFD1048576: calamine's dense grid would be 16,384 × 1,048,576 cells (512 GB)."""
    body = rows_xml(header, rows) + b'<row r="1048576">' + cell("XFD1048576", "x") + b"</row>"
    return package(d / "cell_xfd.xlsx", [sheet_xml(body, dimension="A1:XFD1048576")])


def cell_far_row(d, header, rows):
    """One more cell at A1048576, dimension honest-looking (A1:C3): a grid of a million rows."""
    body = rows_xml(header, rows) + b'<row r="1048576">' + cell("A1048576", "x") + b"</row>"
    return package(d / "cell_far_row.xlsx", [sheet_xml(body, dimension="A1:C3")])


def cell_inside_limits_beyond_dimension(d, header, rows):
    """A cell at GR150000 (inside the limits, beyond the declared dimension): calamine would build a 200 × 150,000
    grid (1.9 GB); it must go to the streaming reader, which reads it safely."""
    body = rows_xml(header, rows) + b'<row r="150000">' + cell("GR150000", " ") + b"</row>"
    return package(d / "beyond_dimension.xlsx", [sheet_xml(body, dimension=f"A1:{col(len(header))}{len(rows) + 1}")])


def too_many_columns(d, header, rows):
    """A header row 201 columns wide (every cell has a value)."""
    wide = list(header) + [f"附加{i}" for i in range(len(header) + 1, 202)]
    return package(d / "too_many_columns.xlsx", [sheet_xml(rows_xml(wide, rows), dimension="A1:GS3")])


def refless_wide_row(d, header, rows):
    """Cells without references (positions counted): 300 in one row, no dimension."""
    body = rows_xml(header, rows) + b'<row r="9">' + b'<c t="inlineStr"><is><t>x</t></is></c>' * 300 + b"</row>"
    return package(d / "refless_wide_row.xlsx", [sheet_xml(body)])


def giant_row(d, header, rows):
    """One row of 6 MB of cells without references (openpyxl would hold the whole row as elements)."""
    body = rows_xml(header, rows) + b"<row>" + b"".join(b"<c><v>%d</v></c>" % i for i in range(400_000)) + b"</row>"
    return package(d / "giant_row.xlsx", [sheet_xml(body)])


def too_many_rows(d, header, rows, count=60):
    """`count` data rows: more than a lowered KONGCHUO_IMPORT_MAX_ROWS (the tests set 50)."""
    many = [list(rows[0]) for _ in range(count)]
    return package(d / "too_many_rows.xlsx", [sheet_xml(rows_xml(header, many))])


def shared_strings_count(d, header, rows):
    """sharedStrings.xml declaring uniqueCount=4,000,000,000 (calamine reserves memory from it)."""
    strings = [str(v) for v in list(header) + [v for r in rows for v in r]]
    sst = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/'
           b'spreadsheetml/2006/main" count="4000000000" uniqueCount="4000000000">'
           + b"".join(f"<si><t>{escape(s)}</t></si>".encode() for s in strings) + b"</sst>")
    index = iter(range(len(strings)))
    out = []
    for r, values in enumerate([header] + list(rows), start=1):
        out.append(f'<row r="{r}">'.encode() + b"".join(f'<c r="{col(c)}{r}" t="s"><v>{next(index)}</v></c>'.encode()
                                                          for c, _ in enumerate(values, start=1)) + b"</row>")
    return package(d / "shared_strings_count.xlsx", [sheet_xml(b"".join(out), dimension="A1:C3")], shared_strings=sst)


def high_ratio(d, header, rows, size=1200 * 1024 * 1024):
    """A sheet whose XML inflates to 1.2 GB, with honest sizes and CRC in the zip directory: one 1 MB block of rows
    compressed once and repeated."""
    block = (b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 30_000)[:1024 * 1024]
    block = block[:block.rfind(b"</row>") + 6]
    head = SHEET_HEAD + b'<dimension ref="A1:A2"/><sheetData>' + rows_xml(header, rows)
    tail = b"</sheetData></worksheet>"
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = comp.compress(head) + comp.flush(zlib.Z_FULL_FLUSH)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    repeated = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    last = comp.compress(tail) + comp.flush()
    count = max(1, (size - len(head) - len(tail)) // len(block))
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    usize = len(head) + count * len(block) + len(tail)
    path = package(d / "high_ratio.xlsx", [sheet_xml(b"", dimension="A1:A1")])
    return _append_raw_member(path, [first] + [repeated] * count + [last], usize, crc,
                              replace="xl/worksheets/sheet1.xml")


def lying_sizes(d, header, rows):
    """The zip directory says the sheet is 2 KB; it inflates to 13 MB (the first 2 KB have the declared CRC)."""
    real = sheet_xml(rows_xml(header, rows) + b"<row><c><v>1</v></c></row>" * 500_000)
    declared = 2048
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = comp.compress(real) + comp.flush()
    path = package(d / "lying_sizes.xlsx", [sheet_xml(b"", dimension="A1:A1")])
    return _append_raw_member(path, [data], declared, zlib.crc32(real[:declared]),
                              replace="xl/worksheets/sheet1.xml")


def _append_raw_member(path, compressed_parts, usize, crc, *, replace):
    """Rewrite `path` with member `replace` holding the given raw deflate data and the given (maybe false) size and
    CRC in both headers."""
    with zipfile.ZipFile(path) as zin:
        members = [(i.filename, zin.read(i.filename)) for i in zin.infolist() if i.filename != replace]
    csize = sum(len(p) for p in compressed_parts)
    out = open(path, "wb")
    central = []
    try:
        for filename, data in members:
            offset = out.tell()
            comp = zlib.compressobj(6, zlib.DEFLATED, -15)
            blob = comp.compress(data) + comp.flush()
            central.append(_write_local(out, filename, [blob], len(blob), len(data), zlib.crc32(data), offset))
        offset = out.tell()
        central.append(_write_local(out, replace, compressed_parts, csize, usize, crc, offset))
        start = out.tell()
        for entry in central:
            out.write(entry)
        size = out.tell() - start
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, start, 0))
    finally:
        out.close()
    return path


def _write_local(out, filename, parts, csize, usize, crc, offset):
    name = filename.encode()
    out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, csize, usize, len(name), 0) + name)
    for part in parts:
        out.write(part)
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, csize, usize, len(name), 0, 0, 0,
                       0, 0, offset) + name


def many_sheets(d, header, rows, count=10_000):
    """10,000 worksheets (and members)."""
    small = sheet_xml(rows_xml(header, rows), dimension="A1:C3")
    return package(d / "many_sheets.xlsx", [small] * count)


def many_sheets_one_member(d, header, rows, count=10_000):
    """A workbook.xml listing 10,000 sheets that all point at the one sheet member."""
    path = package(d / "many_sheets_one_member.xlsx", [sheet_xml(rows_xml(header, rows), dimension="A1:C3")])
    with zipfile.ZipFile(path) as zin:
        members = {i.filename: zin.read(i.filename) for i in zin.infolist()}
    members["xl/workbook.xml"] = workbook_xml(count)
    members["xl/_rels/workbook.xml.rels"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.'
        b'org/package/2006/relationships">' + b"".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            f'worksheet" Target="worksheets/sheet1.xml"/>'.encode() for i in range(1, count + 1)) + b"</Relationships>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in members.items():
            zout.writestr(name, data)
    return path


def not_xlsx_zip(d, header, rows):
    """A zip that holds a text file (an .xlsx by name only)."""
    with zipfile.ZipFile(d / "not_xlsx.xlsx", "w") as zf:
        zf.writestr("readme.txt", "不是表格")
    return d / "not_xlsx.xlsx"


def bzip2_member(d, header, rows):
    """A sheet compressed with bzip2 (no Excel writes that)."""
    return package(d / "bzip2.xlsx", [sheet_xml(rows_xml(header, rows), dimension="A1:C3")],
                   compression=zipfile.ZIP_BZIP2)


def truncated_zip(d, header, rows):
    data = honest(d, header, rows).read_bytes()
    (d / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    return d / "truncated.xlsx"


def control_characters(d, header, rows):
    """Control characters and ANSI escapes in the text of every cell of the data rows (raw bytes in the XML)."""
    dirty = [[f"{v}{CONTROL}" if v is not None else None for v in r] for r in rows]
    dimension = f"A1:{col(len(header))}{len(rows) + 1}"
    return package(d / "control_characters.xlsx", [sheet_xml(rows_xml(header, dirty, raw=True), dimension=dimension)])


def formula_strings(d, header, rows):
    """Formula-looking text in every data cell."""
    evil = [[FORMULAS[i % len(FORMULAS)] for i, _ in enumerate(r)] for r in rows]
    dimension = f"A1:{col(len(header))}{len(rows) + 1}"
    return package(d / "formula_strings.xlsx", [sheet_xml(rows_xml(header, evil), dimension=dimension)])


def xls_junk(d, header, rows):
    """The OLE2 magic followed by junk."""
    (d / "junk.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 40)
    return d / "junk.xls"


def xls_honest(d, header, rows):
    """A real BIFF8 .xls (xlwt, committed): 姓名 性别 出生日期 身份证件号 班级 村/社区 成员1姓名 成员1关系 and one valid
    row (王小明, 2017-03-04, 三年级(1)班, 胡洼村), so both the 学籍 import and the population list accept it."""
    target = d / "plain.xls"
    target.write_bytes((FILES / "plain.xls").read_bytes())
    return target


def xls_dimension_bomb(d, header, rows):
    """A real BIFF8 .xls (written by xlwt, committed) whose DIMENSIONS record claims 4 billion rows × 256 columns:
    calamine reserves memory from it and aborts the process."""
    target = d / "dimension_bomb.xls"
    target.write_bytes((FILES / "dimension_bomb.xls").read_bytes())
    return target


def xls_sector_loop(d, header, rows):
    """A real .xls whose directory sector chain points at itself (calamine follows chains without a loop check)."""
    data = bytearray((FILES / "plain.xls").read_bytes())
    dir_start = struct.unpack_from("<I", data, 48)[0]
    fat_sector = struct.unpack_from("<I", data, 76)[0]
    fat_offset = 512 + fat_sector * 512
    struct.pack_into("<I", data, fat_offset + 4 * dir_start, dir_start)
    target = d / "sector_loop.xls"
    target.write_bytes(bytes(data))
    return target


REFUSED, FAILED, READ = "refused", "failed", "read"
CORPUS = [
    ("honest", honest, (READ, "calamine")),
    ("dimension_xfd", dimension_xfd, (READ, "openpyxl")),
    ("dimension_cv", dimension_cv, (READ, "openpyxl")),
    ("dimension_garbage", dimension_garbage, (FAILED, "无法读取该 Excel 文件")),
    ("cell_xfd", cell_xfd, (REFUSED, "列数超过上限")),
    ("cell_far_row", cell_far_row, (REFUSED, "行数超过上限")),
    ("beyond_dimension", cell_inside_limits_beyond_dimension, (READ, "openpyxl")),
    ("too_many_columns", too_many_columns, (REFUSED, "列数超过上限")),
    ("refless_wide_row", refless_wide_row, (REFUSED, "列数超过上限")),
    ("giant_row", giant_row, (REFUSED, "一行的数据超过上限")),
    ("shared_strings_count", shared_strings_count, (READ, "openpyxl")),
    ("high_ratio", high_ratio, (REFUSED, "解压后过大")),
    ("lying_sizes", lying_sizes, (REFUSED, "声明的大")),
    ("many_sheets", many_sheets, (REFUSED, "部件过多")),
    ("many_sheets_one_member", many_sheets_one_member, (REFUSED, "工作表过多")),
    ("bzip2_member", bzip2_member, (REFUSED, "压缩方式")),
    ("not_xlsx_zip", not_xlsx_zip, (FAILED, "没有工作表")),
    ("truncated_zip", truncated_zip, (FAILED, "文件已损坏")),
    ("xls_honest", xls_honest, (READ, "calamine")),
    ("xls_junk", xls_junk, (FAILED, "无法读取该 Excel 文件")),
    ("xls_dimension_bomb", xls_dimension_bomb, (REFUSED, "内存上限")),
    ("xls_sector_loop", xls_sector_loop, (REFUSED, ".xls")),
    ("control_characters", control_characters, (READ, "calamine")),
    ("formula_strings", formula_strings, (READ, "calamine")),
]
