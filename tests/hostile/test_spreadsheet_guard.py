"""students/importing/guard.py on its own: the limit regexes, the zip checks, which reader a file gets."""
import re
import zipfile

import pytest

from students.importing import guard
from students.importing.columns import NATIONAL_MAP
from students.importing.reader import SheetReader, engine_name, inspect
from tests.hostile import spreadsheets as corpus

HEADER = ["姓名", "性别", "出生日期"]
ROWS = [["王小明", "男", "2017-03-04"]]


@pytest.mark.parametrize("ref,beyond", [
    ("A1", False), ("GR200000", False), ("GQ199999", False), ("A0000001", False), ("GS1", True), ("HA5", True),
    ("ZZ1", True), ("AAA1", True), ("XFD1", True), ("GR200001", True), ("A300000", True), ("A1048576", True),
    ("A0200001", True), ("B1999999", True), ("ABCD1", True),
])
def test_beyond_pattern_matches_exactly_the_references_past_the_limits(ref, beyond):
    assert bool(guard.beyond_pattern(200_000, 200).search(f'<c r="{ref}"'.encode())) is beyond


@pytest.mark.parametrize("n", [1, 9, 10, 26, 27, 52, 200, 702, 703, 16384])
def test_column_letters_round_trip(n):
    assert guard.column_number(guard.column_letters(n)) == n


def test_beyond_pattern_against_any_limit():
    for rows, cols in [(1, 1), (9, 26), (10, 27), (99, 52), (50_003, 72), (1_000_000, 702)]:
        pattern = guard.beyond_pattern(rows, cols)
        for r in (1, rows, rows + 1, rows * 10):
            for c in (1, cols, cols + 1):
                ref = f'<c r="{guard.column_letters(c)}{r}"'.encode()
                assert bool(pattern.search(ref)) is (r > rows or c > cols), (rows, cols, r, c)


def test_a_plain_file_is_read_by_calamine_with_its_grid_estimated(tmp_path):
    path = corpus.honest(tmp_path, HEADER, ROWS)
    kind, facts = inspect(path)
    assert kind == "xlsx" and facts.sheets[0].dimension == (2, 3) and not facts.sheets[0].odd_cells
    assert engine_name(path, kind, facts) == "calamine"


@pytest.mark.parametrize("builder", [corpus.dimension_xfd, corpus.dimension_cv,
                                     corpus.cell_inside_limits_beyond_dimension, corpus.shared_strings_count])
def test_files_calamine_could_not_bound_go_to_the_streaming_reader_even_when_calamine_is_asked_for(
        builder, tmp_path, settings):
    settings.KONGCHUO_XLSX_ENGINE = "calamine"
    path = builder(tmp_path, HEADER, ROWS)
    _, facts = inspect(path)
    assert facts.calamine_memory_bytes() is None
    assert SheetReader(path, NATIONAL_MAP, required=("姓名",), engine="calamine").engine == "openpyxl"


def test_a_cell_reference_split_between_inflated_pieces_is_not_taken_for_an_odd_cell(tmp_path):
    # rows long enough that the 1 MB pieces cut cell tags in every possible place
    rows = [[f"王{i}", "男", "2017-03-04"] for i in range(40_000)]
    path = corpus.package(tmp_path / "big.xlsx", [corpus.sheet_xml(corpus.rows_xml(HEADER, rows),
                                                                   dimension=f"A1:C{len(rows) + 1}")])
    _, facts = inspect(path)
    sheet = facts.sheets[0]
    assert sheet.xml_bytes > 3 * guard.CHUNK and not sheet.odd_cells and not sheet.beyond_dimension
    assert sheet.rows == len(rows) + 1


def test_a_far_cell_late_in_a_big_sheet_is_still_found(tmp_path):
    rows = [[f"王{i}", "男", "2017-03-04"] for i in range(40_000)]
    body = corpus.rows_xml(HEADER, rows) + b'<row r="40002">' + corpus.cell("D40002", "x") + b"</row>"
    path = corpus.package(tmp_path / "late.xlsx", [corpus.sheet_xml(body, dimension="A1:C40002")])
    _, facts = inspect(path)
    assert facts.sheets[0].beyond_dimension and facts.calamine_memory_bytes() is None


def test_encrypted_member_is_refused(tmp_path):
    path = corpus.honest(tmp_path, HEADER, ROWS)
    data = bytearray(path.read_bytes())
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):  # set the "encrypted" flag bit in every header
        for m in re.finditer(re.escape(sig), bytes(data)):
            at = m.start() + (6 if sig == b"PK\x03\x04" else 8)
            data[at] |= 1
    path.write_bytes(bytes(data))
    with pytest.raises(guard.SpreadsheetRefused, match="文件已加密"):
        inspect(path)


def test_ratio_limit_names_the_member_and_the_limit(tmp_path, settings):
    settings.KONGCHUO_IMPORT_MAX_ZIP_RATIO = 5
    rows = [["王", "男", "2017-03-04"]] * 20_000  # very repetitive: ~1.5 MB compressing far beyond 5×
    path = corpus.package(tmp_path / "r.xlsx", [corpus.sheet_xml(corpus.rows_xml(HEADER, rows), dimension="A1:C20001")])
    with pytest.raises(guard.SpreadsheetRefused, match=r"xl/worksheets/sheet1.xml.*压缩比异常.*最多 5 倍"):
        inspect(path)


def test_members_limit_is_a_setting(tmp_path, settings):
    settings.KONGCHUO_IMPORT_MAX_ZIP_MEMBERS = 4
    path = corpus.honest(tmp_path, HEADER, ROWS)
    assert len(zipfile.ZipFile(path).infolist()) == 5
    with pytest.raises(guard.SpreadsheetRefused, match="（5 个）：Excel 表格最多 4 个部件"):
        inspect(path)


def test_xls_is_read_in_a_child_process_under_a_memory_limit(tmp_path):
    rows = list(guard.xls_rows(corpus.xls_honest(tmp_path, HEADER, ROWS)))
    assert rows[0][:3] == ["姓名", "性别", "出生日期"] and rows[1][0] == "王小明"
    with pytest.raises(guard.SpreadsheetRefused, match="内存上限（512 MB）"):
        list(guard.xls_rows(corpus.xls_dimension_bomb(tmp_path, HEADER, ROWS)))
