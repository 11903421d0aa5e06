"""Every parsing rule of the national 学籍 file: headers, option codes, dates, IDs, classes, blank rows."""
import datetime

import pytest
from openpyxl import Workbook

from students.importing import widgets as w
from students.importing.classes import ClassError, parse_class
from students.importing.columns import NATIONAL_MAP, POPULATION_MAP, national_columns, normalise_header
from students.importing.reader import FileFormatError, SheetReader
from students.importing.widgets import cell_text


@pytest.mark.parametrize("raw,canonical", [
    ("姓名", "姓名"), ("姓 名", "姓名"), ("  身份证件号 ", "身份证件号"), ("国籍（地区）", "国籍/地区"),
    ("国籍/地区", "国籍/地区"), ("*出生日期", "出生日期"), ("出生日期(必填)", "出生日期"), ("班　级", "班级"),
    ("成员1 姓名", "成员1姓名"), ("家庭成员2联系电话", "成员2联系电话"), ("成员一关系", "成员1关系"),
    ("身份证号码", "身份证件号"), ("全国学籍号", "学籍号"), ("ｂａｎ", None), ("备注", None),
])
def test_header_names_are_normalised_before_mapping(raw, canonical):
    assert NATIONAL_MAP.canonical(raw) == canonical


def test_every_spec_column_maps_to_itself():
    assert all(NATIONAL_MAP.canonical(name) == name for name in national_columns())
    assert len(national_columns()) == 46 + 24 + 1


def test_normalise_header_turns_full_width_into_half_width():
    assert normalise_header("联系电话（手机）") == "联系电话(手机)"
    assert normalise_header(None) == ""


def test_population_headers_accept_village_spellings():
    assert POPULATION_MAP.canonical("村（社区）") == "村/社区"
    assert POPULATION_MAP.canonical("监护人姓名") == "监护人"
    assert POPULATION_MAP.canonical("身份证号码") == "身份证件号"


@pytest.mark.parametrize("raw,expected", [
    ("男", "M"), ("女", "F"), (1, "M"), (2.0, "F"), ("1", "M"), (" 女 ", "F"), ("男性", "M"),
])
def test_gender_accepts_names_and_codes(raw, expected):
    assert w.ChoiceWidget(w.GENDER, hint="男/女").clean(raw) == expected


def test_gender_rejects_unknown_value_with_chinese_reason():
    with pytest.raises(ValueError, match="“未知”不是可识别的值，应为 男/女 或 1/2"):
        w.ChoiceWidget(w.GENDER, hint="男/女 或 1/2").clean("未知")


def test_required_choice_rejects_blank():
    with pytest.raises(ValueError, match="不能为空"):
        w.ChoiceWidget(w.GENDER, hint="男/女", required=True).clean("")


@pytest.mark.parametrize("raw,expected", [("是", True), ("否", False), (1, True), (0, False), ("1", True),
                                          ("0", False), ("", False), (None, False), ("Y", True)])
def test_yes_no_accepts_names_and_codes(raw, expected):
    assert w.YesNoWidget().clean(raw) is expected


@pytest.mark.parametrize("raw,expected", [
    ("0", ""), (0, ""), ("非留守", ""), ("1", "left_behind_one"), (2, "left_behind_both"),
    ("双亲留守儿童", "left_behind_both"), ("单亲留守", "left_behind_one"),
])
def test_left_behind_codes(raw, expected):
    assert w.ChoiceWidget(w.LEFT_BEHIND, hint="0/1/2").clean(raw) == expected


@pytest.mark.parametrize("raw,expected", [("无", ""), ("视力", "visual"), ("肢体残疾", "physical"), ("5", "intellectual"),
                                          ("多重", "multiple"), ("其他", "other")])
def test_disability_types(raw, expected):
    assert w.ChoiceWidget(w.DISABILITY, hint="").clean(raw) == expected


@pytest.mark.parametrize("raw,expected", [("1", "1"), (1, "1"), ("居民身份证", "1"), ("护照", "4"), ("Z", "Z"),
                                          ("z", "Z"), ("台湾居民来往大陆通行证", "3"), ("其他", "Z")])
def test_id_type_names_and_codes(raw, expected):
    assert w.ChoiceWidget(w.ID_TYPES, hint="").clean(raw) == expected


@pytest.mark.parametrize("raw,expected", [("汉族", "汉族"), ("汉", "汉族"), ("01", "汉族"), (1, "汉族"), ("03", "回族"),
                                          ("蒙古", "蒙古族"), ("回族", "回族")])
def test_ethnicity_names_and_gb3304_codes(raw, expected):
    assert w.ChoiceWidget(w.ETHNICITY_OPTIONS, hint="").clean(raw) == expected


@pytest.mark.parametrize("raw", ["2016-05-01", "2016/5/1", "2016.5.1", "20160501", "2016年5月1日", "2016 年 5 月 1 日",
                                 "2016-05-01 00:00:00", 20160501, 42491, 42491.0, "42491",
                                 datetime.date(2016, 5, 1), datetime.datetime(2016, 5, 1, 0, 0), "２０１６－０５－０１"])
def test_dates_as_text_serials_and_cells(raw):
    assert w.ChineseDateWidget().clean(raw) == datetime.date(2016, 5, 1)


@pytest.mark.parametrize("raw,message", [("2016-13-01", "没有这一天"), ("2016-02-30", "没有这一天"),
                                         ("五月一日", "不是有效日期"), (99999999, "不是有效日期"), ("2016/5", "不是有效日期")])
def test_bad_dates_get_a_reason(raw, message):
    with pytest.raises(ValueError, match=message):
        w.ChineseDateWidget().clean(raw)


def test_required_date_rejects_blank():
    with pytest.raises(ValueError, match="不能为空"):
        w.ChineseDateWidget(required=True).clean(None)


@pytest.mark.parametrize("raw,expected", [("41150320160501001x", "41150320160501001X"),
                                          ("４１１５０３２０１６０５０１００１Ｘ", "41150320160501001X"),
                                          (" 411503 20160501 001X ", "41150320160501001X"), ("", None)])
def test_id_numbers_lowercase_x_full_width_and_spaces(raw, expected):
    assert w.IdNumberWidget().clean(raw) == expected


def test_id_number_stored_as_number_is_refused():
    with pytest.raises(ValueError, match="存成了数字"):
        w.IdNumberWidget().clean(4.115032016050101e17)


@pytest.mark.parametrize("raw,expected", [(13812345678.0, "13812345678"), ("138 1234 5678", "13812345678"),
                                          ("0376-6123456", "0376-6123456"), ("", "")])
def test_phone_numbers(raw, expected):
    assert w.PhoneWidget().clean(raw) == expected


def test_bad_phone_number_is_refused():
    with pytest.raises(ValueError, match="格式不正确"):
        w.PhoneWidget().clean("12345")


@pytest.mark.parametrize("raw,expected", [("爸爸", "父亲"), ("51", "父亲"), ("外婆", "外祖母"), ("姐姐", "兄弟姐妹"),
                                          ("干爹", "干爹"), ("", "")])
def test_relations_words_and_codes(raw, expected):
    assert w.RelationWidget().clean(raw) == expected


def test_text_widget_limits_length_and_compacts_names():
    assert w.TextWidget(50, compact=True).clean(" 张 保 杰 ") == "张保杰"
    with pytest.raises(ValueError, match="不能超过 5 个字"):
        w.TextWidget(5).clean("一二三四五六")


def test_cell_text_of_numbers():
    assert cell_text(13812345678.0) == "13812345678"
    assert cell_text(1.5) == "1.5"
    assert cell_text(None) == ""


@pytest.mark.parametrize("raw,expected", [
    ("三年级(1)班", (3, 1)), ("三年级（1）班", (3, 1)), ("三年级1班", (3, 1)), ("三年级一班", (3, 1)), ("3年级1班", (3, 1)),
    ("三(2)班", (3, 2)), ("3(2)班", (3, 2)), ("初一(2)班", (7, 2)), ("七年级2班", (7, 2)), ("六年级十二班", (6, 12)),
])
def test_class_text_forms(raw, expected):
    assert parse_class(raw) == expected


def test_class_by_entry_year():
    assert parse_class("2023级1班", school_kind="primary", year_start=2026) == (4, 1)
    assert parse_class("2025级(3)班", school_kind="junior", year_start=2026) == (8, 3)


@pytest.mark.parametrize("raw", ["", "火箭班", "2010级1班"])
def test_bad_class_text(raw):
    with pytest.raises(ClassError):
        parse_class(raw, school_kind="primary", year_start=2026)


# ------------------------------------------------------------------ reader
def _xlsx(path, rows):
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_reader_finds_header_below_title_rows_and_skips_blank_rows(tmp_path, engine):
    path = _xlsx(tmp_path / "a.xlsx", [["学生信息导出"], ["导出时间 2026-09-10"], [],
                                       ["姓 名", "性别", "身份证件号", "自定义列"], ["张三", "男", "x"], [None, None],
                                       ["李四", "女", "y"], ["", " ", ""], [None]])
    reader = SheetReader(path, NATIONAL_MAP, engine=engine, min_known=2).open()
    assert reader.header_row == 4
    assert reader.columns == {"姓名": 0, "性别": 1, "身份证件号": 2}
    assert reader.unknown_columns == ["自定义列"]
    assert [(n, r[0]) for n, r in reader.rows()] == [(5, "张三"), (7, "李四")]


def test_reader_without_header_row_says_so(tmp_path):
    path = _xlsx(tmp_path / "a.xlsx", [["随便"], ["什么", "都", "行"]])
    with pytest.raises(FileFormatError, match="未找到表头行"):
        SheetReader(path, NATIONAL_MAP).open()


def test_reader_names_missing_required_columns(tmp_path):
    path = _xlsx(tmp_path / "a.xlsx", [["姓名", "性别", "身份证件号"]])
    with pytest.raises(FileFormatError, match="缺少必需的列：出生日期、班级"):
        SheetReader(path, NATIONAL_MAP, required=("姓名", "出生日期", "班级")).open()


def test_reader_refuses_duplicate_columns(tmp_path):
    path = _xlsx(tmp_path / "a.xlsx", [["姓名", "性别", "身份证件号", "身份证号"]])
    with pytest.raises(FileFormatError, match="重复的列"):
        SheetReader(path, NATIONAL_MAP).open()


@pytest.mark.parametrize("content,message", [
    (b"", "空的"), (b"name,sex\n", "不是 Excel"), (b"PK\x03\x04garbage", "已损坏"), (b"%PDF-1.4", "不是 Excel"),
])
def test_reader_refuses_non_excel_files(tmp_path, content, message):
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    with pytest.raises(FileFormatError, match=message):
        SheetReader(path, NATIONAL_MAP)
