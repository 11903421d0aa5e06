"""kongchuo/xlsx.py: the one formula-injection escaper and the styled table sheet every export uses."""
import io

import pytest
from openpyxl import load_workbook

from kongchuo.xlsx import escape, escape_row, table_workbook, xlsx_response


@pytest.mark.parametrize("value,expected", [
    ("=1+1", "'=1+1"), ("+86 138", "'+86 138"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("张三", "张三"), ("", ""), (None, None), (-2, -2), (3.5, 3.5), ("a=b", "a=b"),
])
def test_escape_prefixes_formula_triggers_only_on_text(value, expected):
    assert escape(value) == expected


def test_escape_row():
    assert escape_row(["=x", 1, "ok"]) == ["'=x", 1, "ok"]


def test_table_workbook_is_printable_and_escaped():
    content = table_workbook(title="=标题", headers=["行号", "问题"], rows=[[1, "=cmd|' /C calc'!A0"], [2, "正常"]],
                             sheet_name="错误明细", info_lines=["学校：测试"], widths=[8, 40])
    wb = load_workbook(io.BytesIO(content))
    ws = wb["错误明细"]
    assert ws["A1"].value == "'=标题" and "A1:B1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A3"].value == "行号" and ws["A3"].font.bold
    assert ws["B4"].value == "'=cmd|' /C calc'!A0" and ws["B5"].value == "正常"
    assert ws.freeze_panes == "A4" and ws.print_title_rows == "$3:$3"
    assert ws.page_setup.orientation == "landscape" and ws.column_dimensions["B"].width == 40


def test_xlsx_response_sends_a_utf8_file_name():
    response = xlsx_response(b"x", "错误明细_第1批.xlsx")
    assert "filename*=UTF-8''%E9%94%99" in response["Content-Disposition"]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")


@pytest.mark.parametrize("value,expected", [
    ("\x07\x1b[31m红\x01", "[31m红"), ("\x00a\x08b\x0bc\x0cd\x0ee\x1ff", "abcdef"), ("行\t一\n二\r", "行\t一\n二\r"),
    ("\x01=1+1", "'=1+1"), ("\x1b+86", "'+86"), ("\u202e名字", "\u202e名字"),
])
def test_escape_drops_characters_an_xlsx_cannot_hold_then_escapes_formulas(value, expected):
    assert escape(value) == expected


def test_table_workbook_with_control_characters_in_every_part_saves_and_reads_back():
    dirty = "\x07\x1b[31m红\x01"
    content = table_workbook(title=f"标题{dirty}", headers=[f"列{dirty}"], rows=[[dirty], [f"={dirty}"]],
                             sheet_name=f"明细{dirty}", info_lines=[f"说明{dirty}"])
    ws = load_workbook(io.BytesIO(content)).active
    values = [v for row in ws.iter_rows(values_only=True) for v in row if v]
    assert values == ["标题[31m红", "说明[31m红", "列[31m红", "[31m红", "'=[31m红"]
    assert ws.title == "明细31m红"
