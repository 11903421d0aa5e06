import datetime
import io

import openpyxl
import pytest
from django.utils import timezone

from reports import asof, rosters
from tests import factories as f

from .history import build

pytestmark = pytest.mark.django_db
NOV = (2026, 11)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a: datetime.date(2026, 12, 1))


def export(user, kind, month=NOV, school=None, unmask=False, purpose=""):
    req = rosters.Request(user=user, kind=rosters.KINDS[kind], year=month[0], month=month[1], school=school,
                          unmask=unmask, purpose=purpose)
    content, total, _ = rosters.build_workbook(req)
    return openpyxl.load_workbook(io.BytesIO(content)), total


def data_rows(ws):
    out = []
    for row in ws.iter_rows(min_row=5, values_only=True):
        if row[0] is None or isinstance(row[0], str):
            break
        out.append(row)
    return out


def test_school_workbook_layout(world):
    build(world)
    wb, total = export(world.principal_a, "dropout", month=(2026, 10), school=world.school_a)
    ws = wb.worksheets[0]
    assert ws["A1"].value == "土城中心小学2026年10月辍学学生花名册"
    assert ws["A2"].value.startswith("填报单位（盖章）") and "填报日期" in ws.cell(2, 14).value
    merges = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:AA1", "A3:A4", "B3:K3", "L3:Q3", "R3:Z3", "AA3:AA4"} <= merges
    assert ws["B4"].value == "办事处/乡镇" and ws["Z4"].value == "销号时间" and ws["B3"].value == "基本信息"
    assert ws.freeze_panes == "A5"
    assert ws.print_title_rows == "$3:$4"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert "&P" in ws.oddFooter.center.text and "导出：" in ws.oddFooter.right.text
    assert ws.column_dimensions["J"].width == 21
    rows = data_rows(ws)
    assert total == len(rows) == 2
    assert {r[7] for r in rows} == {world.a1.name, world.a3.name}
    a3 = next(r for r in rows if r[7] == world.a3.name)
    assert a3[17] == datetime.datetime(2026, 10, 15)  # a real date: 辍学时间 from the 学籍异动
    assert isinstance(a3[10], datetime.datetime)  # 出生年月
    a1 = next(r for r in rows if r[7] == world.a1.name)
    assert a1[17] == datetime.datetime(2026, 9, 14)  # 辍学时间 of a streak: its first absent day
    assert a3[9] and "*" in a3[9]  # ID masked by default
    sign = [c.value for c in ws[len(rows) + 6]]
    assert sign[0].startswith("单位负责人（签名）") and "复核人（签名）" in sign[0] and "填表人（签名）" in sign[0]


def test_rows_equal_the_selector_rows_for_every_kind(world):
    build(world)
    day = asof.month_end(*NOV)
    for key, kind in rosters.KINDS.items():
        wb, total = export(world.office, key)
        sheets = wb.worksheets[1:]
        names = sorted(r[3 if kind.children else 7] for ws in sheets for r in data_rows(ws))
        if kind.children:
            expected = sorted(e.name for e in asof.children_as_of(world.office, day))
        else:
            expected = sorted(s.name for s in asof.students_as_of(world.office, day,
                                                                  categories=kind.categories or None,
                                                                  assisted=kind.assisted))
        assert names == expected, key
        assert total == len(expected)


def test_area_workbook_has_summary_and_a_sheet_per_school(world):
    build(world)
    wb, total = export(world.office, "ledger")
    assert wb.sheetnames[0] == "汇总"
    assert len(wb.sheetnames) == 1 + 3  # schools A, B, C of area 1 (D is another area)
    summary = wb["汇总"]
    assert summary["A1"].value == "上天梯管理区2026年11月控辍保学情况汇总表（控辍保学工作台账）"
    head = [low or top for top, low in zip((c.value for c in summary[3]), (c.value for c in summary[4]))]
    values = {r[2]: r for r in summary.iter_rows(min_row=5, values_only=True) if r[2]}
    dropout_col = head.index("辍学")
    assert values["土城中心小学"][dropout_col] == 1  # a3 (学籍异动 辍学); a2 returned on 11-20
    assert values["土城中心小学"][head.index("缓学")] == 1
    assert values["胡洼小学"][head.index("资助")] == 1
    total_col = head.index("合计")
    grand = next(r for r in summary.iter_rows(min_row=5, values_only=True) if r[1] == "合计")
    assert grand[total_col] == 6
    ledger_rows = [r for ws in wb.worksheets[1:] for r in data_rows(ws)]
    assert len(ledger_rows) == total
    assert [r[0] for r in data_rows(wb.worksheets[1])] == list(range(1, len(data_rows(wb.worksheets[1])) + 1))


def test_formula_injection_name_is_text(world):
    build(world)
    world.a3.name = '=HYPERLINK("http://x","y")'
    world.a3.save()
    wb, _ = export(world.office, "dropout", month=(2026, 10))
    cells = [c for ws in wb.worksheets[1:] for row in ws.iter_rows(min_row=5) for c in row
             if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.value.startswith("'=") and c.data_type == "s" for c in cells)


def test_unmasked_only_when_role_allows_and_purpose_given(world):
    build(world)
    wb, _ = export(world.principal_a, "dropout", month=(2026, 10), school=world.school_a, unmask=True,
                   purpose="上报教育办")
    ids = {r[9] for r in data_rows(wb.worksheets[0])}
    assert world.a3.id_number in ids


def test_school_admin_export_contains_only_their_school(world):
    build(world)
    wb, total = export(world.principal_b, "ledger", month=(2026, 9))
    assert wb.sheetnames == ["汇总", world.school_b.short_name]
    for ws in wb.worksheets[1:]:
        assert all(r[3] == world.school_b.name for r in data_rows(ws))


def test_export_query_count_does_not_grow_with_rows(world, django_assert_max_num_queries):
    build(world)

    def run():
        return export(world.office, "ledger", month=(2026, 10))[1]

    with django_assert_max_num_queries(20) as small:
        n_small = run()
    for i in range(12):
        s = f.StudentFactory(school_class=world.class_a31, village=world.v1)
        f.FamilyMemberFactory(student=s)
        from .history import status_change
        status_change(s, "drop_out", datetime.date(2026, 10, 2), "enrolled", "dropped_out", world.office)
    with django_assert_max_num_queries(len(small.captured_queries)):
        n_big = run()
    assert n_big == n_small + 12


def test_parse_month_messages():
    with pytest.raises(rosters.ExportError, match="月份"):
        rosters.parse_month("2026/11")
    with pytest.raises(rosters.ExportError, match="还没有到"):
        rosters.parse_month("2027-05")
    assert rosters.parse_month("2026-11") == (2026, 11)
